import type { PiiClass } from '../../model/pii-vocabulary.js';

// The class names are shared vocabulary of manifests, gateway and audit records, so they live in model.
export { PII_CLASSES, type PiiClass } from '../../model/pii-vocabulary.js';

const CATALOG_CLASS: Readonly<Record<PiiClass, 'pii' | 'financial' | 'credentials'>> = {
  email: 'pii',
  payment_card: 'financial',
  iban: 'financial',
  us_ssn: 'pii',
  phone: 'pii',
  ip_address: 'pii',
  secret: 'credentials',
  date_of_birth: 'pii',
};

/** The catalog data class (Api manifest `dataClasses`) a PII class belongs to: pii, financial or credentials. */
export function catalogClassOf(piiClass: PiiClass): 'pii' | 'financial' | 'credentials' {
  return CATALOG_CLASS[piiClass];
}

/**
 * The distinct catalog data classes of PII class names as audit records carry them; names
 * that are not PII classes (records from another version, or hand-edited) are skipped.
 */
export function catalogClassesOf(piiClasses: readonly string[]): ('pii' | 'financial' | 'credentials')[] {
  const found = new Set<'pii' | 'financial' | 'credentials'>();
  for (const name of piiClasses) if (Object.hasOwn(CATALOG_CLASS, name)) found.add(CATALOG_CLASS[name as PiiClass]);
  return [...found];
}
