/**
 * The words of data protection that manifests, the gateway and audit records share: the PII
 * classes the recognizers tell apart (src/policy/pii) and what a grant may do with each.
 */
export const PII_CLASSES = ['email', 'payment_card', 'iban', 'us_ssn', 'phone', 'ip_address', 'secret', 'date_of_birth'] as const;
export type PiiClass = (typeof PII_CLASSES)[number];

/** How a detected or listed value is hidden: `***`, `****1234`, or a stable keyed pseudonym. */
export const MASK_STYLES = ['redact', 'partial', 'hash'] as const;
export type MaskStyle = (typeof MASK_STYLES)[number];

/** What a grant does with a detected PII class: mask it in one of the styles, refuse the whole answer, or let it pass (recorded). */
export const PII_ACTIONS = [...MASK_STYLES, 'deny', 'keep'] as const;
export type PiiAction = (typeof PII_ACTIONS)[number];
