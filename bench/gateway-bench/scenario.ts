/** What the benchmark's processes agree on: the call under load and what each proxy announces. */

/** The benchmarked call: `GET` of one item in one region, allowed by Warden's grant. */
export const ALLOWED_PATH = '/inventory/items/42?region=eu';
/** The same call outside the grant's `region` enum: proves the condition is evaluated. */
export const DENIED_PATH = '/inventory/items/42?region=apac';

/** What a proxy process sends when it listens. */
export interface ProxyReady {
  readonly url: string;
  /** Warden only: the agent's API key (a secret of a throwaway store). */
  readonly apiKey?: string;
}

/** What the upstream process sends when it listens. */
export interface UpstreamReady {
  readonly url: string;
}

/** A customer record of about 1 KB with an e-mail address, a phone number, a card and an IBAN in it. */
export const CUSTOMER_RECORD = {
  id: 'C-000042',
  name: 'Ada Lovelace',
  email: 'ada.lovelace@example.com',
  phone: '+44 20 7946 0958',
  dateOfBirth: '1815-12-10',
  address: { street: '12 St James\'s Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
  payment: { card: '4111 1111 1111 1111', iban: 'GB82 WEST 1234 5698 7654 32', holder: 'A. Lovelace' },
  segment: 'enterprise',
  status: 'active',
  createdAt: '2024-03-18T09:12:44Z',
  updatedAt: '2026-11-20T16:03:10Z',
  internalNotes: 'Prefers e-mail over phone. Escalate billing questions to the account team before answering.',
  orders: [
    { id: 'O-1001', total: 129.5, currency: 'GBP', status: 'shipped', placedAt: '2026-10-02T11:20:00Z' },
    { id: 'O-1002', total: 89.9, currency: 'GBP', status: 'delivered', placedAt: '2026-10-19T08:45:00Z' },
    { id: 'O-1003', total: 240, currency: 'GBP', status: 'processing', placedAt: '2026-11-21T14:05:00Z' },
  ],
  preferences: { newsletter: true, language: 'en-GB', contactHours: '09:00-17:00', channel: 'email' },
  tags: ['vip', 'analytical-engine', 'early-adopter'],
};

/** The field rules Warden's grant applies with `--field-rules`: drop, mask in two styles, and PII found anywhere redacted. */
export const FIELD_RULES = '      response: { drop: [internalNotes], mask: [email, { field: phone, style: partial }], pii: { default: redact } }\n';
