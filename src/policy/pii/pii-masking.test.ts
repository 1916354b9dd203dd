import { describe, expect, it } from 'vitest';
import type { PiiClass } from './pii-classes.js';
import { REDACTED, maskPii } from './pii-masking.js';

const key = Buffer.from('a key of the gateway, 32 bytes..');
const otherKey = Buffer.from('another key entirely, 32 bytes..');

/** One value of each class, with what `partial` shows of it. */
const SAMPLES: readonly (readonly [PiiClass, string | number, string])[] = [
  ['email', 'alice.smith@example.com', '****@example.com'],
  ['payment_card', '4111 1111 1111 1111', '****1111'],
  ['iban', 'DE89 3704 0044 0532 0130 00', '****3000'],
  ['us_ssn', '123-45-6789', '****6789'],
  ['phone', '+49 30 9018 2000', '****2000'],
  ['ip_address', '192.168.10.42', '****1042'],
  ['secret', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', REDACTED],
  ['date_of_birth', '1990-05-17', REDACTED],
];

describe('maskPii: redact', () => {
  it.each(SAMPLES)('replaces a %s with ***', (piiClass, value) => {
    expect(maskPii(value, piiClass, 'redact', undefined)).toBe('***');
  });

  it('redacts values of no class, and numbers', () => {
    expect(maskPii('anything', undefined, 'redact', key)).toBe(REDACTED);
    expect(maskPii(4111111111111111, 'payment_card', 'redact', undefined)).toBe(REDACTED);
  });
});

describe('maskPii: partial', () => {
  it.each(SAMPLES)('shows of a %s only what is safe to show', (piiClass, value, shown) => {
    expect(maskPii(value, piiClass, 'partial', undefined)).toBe(shown);
  });

  it.each([
    ['secret', 'hunter2hunter2'],
    ['secret', `-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----`],
    ['date_of_birth', '17.05.1990'],
    ['date_of_birth', '05/17/1990'],
  ] as const)('never reveals part of a %s (%j)', (piiClass, value) => {
    expect(maskPii(value, piiClass, 'partial', undefined)).toBe(REDACTED);
  });

  it('masks a card given as a JSON number by its digits', () => {
    expect(maskPii(4111111111111111, 'payment_card', 'partial', undefined)).toBe('****1111');
  });

  it('keeps the domain of an email, trimmed', () => {
    expect(maskPii(' Bob@Mail.Example.org ', 'email', 'partial', undefined)).toBe('****@Mail.Example.org');
  });

  it.each(['1234', 'ab-12', '12/3', ''])('shows nothing of %j, which has four letters or digits or fewer', (value) => {
    expect(maskPii(value, 'phone', 'partial', undefined)).toBe(REDACTED);
  });

  it('keeps the last four letters or digits of a value of no class', () => {
    expect(maskPii('Müller-Lüdenscheidt', undefined, 'partial', undefined)).toBe('****eidt');
  });
});

describe('maskPii: hash', () => {
  it.each(SAMPLES)('turns a %s into a class-labelled pseudonym', (piiClass, value) => {
    const masked = maskPii(value, piiClass, 'hash', key);
    expect(masked).toMatch(new RegExp(`^${piiClass}_[0-9a-f]{16}$`));
    expect(masked).not.toContain(String(value));
  });

  it('labels values of no class as `value`', () => {
    expect(maskPii('anything', undefined, 'hash', key)).toMatch(/^value_[0-9a-f]{16}$/);
  });

  it('gives the same value the same pseudonym under one key, so records can still be joined', () => {
    expect(maskPii('alice@example.com', 'email', 'hash', key)).toBe(maskPii('alice@example.com', 'email', 'hash', key));
  });

  it('gives different pseudonyms under different keys, and to different values', () => {
    const masked = maskPii('alice@example.com', 'email', 'hash', key);
    expect(maskPii('alice@example.com', 'email', 'hash', otherKey)).not.toBe(masked);
    expect(maskPii('bob@example.com', 'email', 'hash', key)).not.toBe(masked);
  });

  it.each([
    ['email', 'Alice@Example.com ', 'alice@example.com'],
    ['payment_card', '4111-1111-1111-1111', '4111111111111111'],
    ['payment_card', 4111111111111111, '4111 1111 1111 1111'],
    ['iban', 'DE89 3704 0044 0532 0130 00', 'DE89370400440532013000'],
    ['us_ssn', '123-45-6789', '123456789'],
    ['phone', '+1 (415) 555-2671', '+14155552671'],
    ['ip_address', ' 10.0.0.1 ', '10.0.0.1'],
  ] as const)('hashes two spellings of one %s alike', (piiClass, one, other) => {
    expect(maskPii(one, piiClass, 'hash', key)).toBe(maskPii(other, piiClass, 'hash', key));
  });

  it('keeps classes apart: the same digits as an SSN and as a phone number hash differently', () => {
    const digest = (masked: string): string => masked.slice(masked.lastIndexOf('_') + 1);
    expect(digest(maskPii('123456789', 'us_ssn', 'hash', key))).not.toBe(digest(maskPii('123456789', 'phone', 'hash', key)));
  });

  it('keeps the case of a secret: differently cased secrets are different secrets', () => {
    expect(maskPii('Hunter2Hunter2', 'secret', 'hash', key)).not.toBe(maskPii('hunter2hunter2', 'secret', 'hash', key));
  });

  it('refuses to hash without a key', () => {
    expect(() => maskPii('alice@example.com', 'email', 'hash', undefined)).toThrow(/key/);
  });
});
