import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PiiClass } from './pii-classes.js';
import { recognizePii } from './pii-recognizers.js';

type Case = readonly [value: string | number, field: string | undefined];

function expectClass(piiClass: PiiClass | undefined, cases: readonly Case[]): void {
  it.each(cases)('%j under %j', (value, field) => {
    expect(recognizePii(value, field)).toBe(piiClass);
  });
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const pkcs8Key = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecKey = ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const rsaKey = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const publicKey = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const opensshKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----';
const certificate = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ3Jd0yZ1Yy2vYb5w\n-----END CERTIFICATE-----';
const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ sub: '1234567890', iat: 1516239022 })}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;

describe('recognizePii: secret', () => {
  expectClass('secret', [
    [jwt, 'data'],
    [`${base64url({ alg: 'none' })}.${base64url({ sub: '1' })}.`, undefined],
    [pkcs8Key, 'key'],
    [ecKey, undefined],
    [rsaKey, 'material'],
    [opensshKey, undefined],
    [`\n  ${rsaKey}  \n`, undefined],
    ['AKIAIOSFODNN7EXAMPLE', 'id'],
    ['ASIAY34FZKBOKMUTVV7A', undefined],
    [`ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`, undefined],
    [`github_pat_11ABCDEFG0123456789_${'x'.repeat(59)}`, undefined],
    ['xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', undefined],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'config'],
    ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', undefined],
    ['AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', undefined],
    [`wdn_k7Qm2x_${'Zx9_yW-8'.repeat(5)}`, undefined],
    ['sk-proj-abcdefghijklmnopqrstuvwxyz0123456789', undefined],
    ['hunter2hunter2', 'password'],
    ['s3cr3t-value', 'clientSecret'],
    ['abcd1234efgh', 'api_key'],
    ['abcdefgh', 'X-Api-Key'],
    ['opaque-refresh-value', 'refresh_token'],
    ['N0tTelling!', 'dbPasswd'],
    [12345678, 'accessToken'],
  ]);
  expectClass(undefined, [
    [publicKey, 'key'],
    [certificate, 'cert'],
    [`${base64url({ typ: 'JWT' })}.${base64url({ sub: '1' })}.abc`, undefined],
    ['example.co.uk', undefined],
    ['AKIA1234', undefined],
    ['ghp_short', undefined],
    ['sk-short', undefined],
    ['wdn_abc_tooshort', undefined],
    ['correct horse battery staple', 'password'],
    ['hunter2', 'password'],
    ['abcdefgh1234', 'passwordHint'],
    ['abcdefgh1234', 'token_type'],
    ['CAESIhDmZXlzAAAAABCD', 'nextPageToken'],
    ['abcdefgh1234', 'className'],
  ]);
});

describe('recognizePii: payment_card', () => {
  expectClass('payment_card', [
    ['4111111111111111', undefined],
    ['4111 1111 1111 1111', 'note'],
    ['4111-1111-1111-1111', undefined],
    [4111111111111111, 'pan'],
    ['5555555555554444', undefined],
    ['2223003122003222', undefined],
    ['3782 822463 10005', undefined],
    ['6011111111111117', undefined],
    ['3530111333300000', undefined],
    ['30569309025904', undefined],
    ['6200000000000005', undefined],
    ['6759649826438453', undefined],
    ['4222222222222', undefined],
  ]);
  expectClass(undefined, [
    ['4111111111111112', 'orderNumber'],
    ['4000123412341235', undefined],
    ['9111111111111110', undefined],
    ['1234567812345670', 'reference'],
    [1234567812345670, undefined],
    ['5700000000000002', undefined],
    ['411111111117', undefined],
    ['4111 1111-1111 1111', undefined],
    ['4111  1111 1111 1111', undefined],
    ['card 4111111111111111', undefined],
    [4111111111111111.5, undefined],
  ]);
});

describe('recognizePii: iban', () => {
  expectClass('iban', [
    ['DE89 3704 0044 0532 0130 00', undefined],
    ['DE89370400440532013000', 'account'],
    ['GB82WEST12345698765432', undefined],
    ['GB82 WEST 1234 5698 7654 32', undefined],
    ['FR1420041010050500013M02606', undefined],
    ['NL91ABNA0417164300', undefined],
    ['CH9300762011623852957', undefined],
    ['BE68539007547034', undefined],
  ]);
  expectClass(undefined, [
    ['DE89 3704 0044 0532 0130 01', undefined],
    ['GB82WEST12345698765433', undefined],
    ['DE89370400440532013', undefined],
    // Right checksum, wrong length for Germany (16 and 20 digit BBANs instead of 18).
    ['DE863704004405320130', undefined],
    ['DE9837040044053201300000', undefined],
    ['GB82-WEST-1234-5698-7654-32', undefined],
    ['DE89 37040044 0532013000', undefined],
    ['XX89370400440532013000', undefined],
    ['IBAN DE89370400440532013000', undefined],
  ]);
});

describe('recognizePii: us_ssn', () => {
  expectClass('us_ssn', [
    ['123-45-6789', undefined],
    ['123-45-6789', 'notes'],
    ['001-01-0001', undefined],
    ['665-99-9999', undefined],
    ['899-12-3456', undefined],
    ['123456789', 'ssn'],
    ['123456789', 'customer_SSN'],
    [123456789, 'socialSecurityNumber'],
    ['123456789', 'social_security_no'],
  ]);
  expectClass(undefined, [
    ['000-12-3456', undefined],
    ['666-12-3456', undefined],
    ['900-12-3456', undefined],
    ['999-12-3456', undefined],
    ['123-00-4567', undefined],
    ['123-45-0000', undefined],
    ['078-05-1120', undefined],
    ['219-09-9999', undefined],
    ['123456789', undefined],
    ['123456789', 'orderId'],
    ['123456789', 'taxId'],
    ['123456789', 'className'],
    [123456789, 'quantity'],
    ['666123456', 'ssn'],
    ['123-45-678', undefined],
    ['12a-45-6789', undefined],
  ]);
});

describe('recognizePii: email', () => {
  expectClass('email', [
    ['alice@example.com', undefined],
    ['Alice.Smith+tag@mail.example.co.uk', 'contact'],
    ['  bob@example.org\n', undefined],
    ['o\'brien@example.ie', undefined],
    ['user@xn--bcher-kva.de', undefined],
    ['ALICE@EXAMPLE.COM', 'owner'],
  ]);
  expectClass(undefined, [
    ['mail me at a@b.com', 'note'],
    ['alice@localhost', undefined],
    ['alice@[192.168.0.1]', undefined],
    ['alice@192.168.0.1', undefined],
    ['Alice <alice@example.com>', undefined],
    ['alice@', undefined],
    ['@example.com', undefined],
    ['alice@@example.com', undefined],
    [`${'a'.repeat(250)}@example.com`, undefined],
  ]);
});

describe('recognizePii: ip_address', () => {
  expectClass('ip_address', [
    ['192.168.1.1', undefined],
    ['8.8.8.8', 'dns'],
    ['10.0.0.255', 'clientIp'],
    ['1.2.3.4', 'host'],
    ['::1', undefined],
    ['fe80::1', undefined],
    ['2001:db8::8a2e:370:7334', 'remoteAddr'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', undefined],
  ]);
  expectClass(undefined, [
    ['1.2.3.4', 'version'],
    ['1.2.3.4', 'appVersion'],
    ['1.2.3.4', 'api_version'],
    ['1.2.3.4', 'v'],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['12:30:45', 'time'],
    ['a:b', undefined],
    ['192.168.1.1/24', undefined],
    ['server 10.0.0.1', undefined],
  ]);
});

describe('recognizePii: date_of_birth', () => {
  expectClass('date_of_birth', [
    ['1990-05-17', 'dateOfBirth'],
    ['1990-05-17', 'date_of_birth'],
    ['1990-05-17', 'DOB'],
    ['1990-05-17', 'patient_dob'],
    ['17.05.1990', 'geburtsdatum'],
    ['05/17/1990', 'birthDate'],
    ['17/05/1990', 'birth_date'],
    ['1990-05-17T00:00:00Z', 'birthday'],
    ['1900-01-01', 'dob'],
  ]);
  expectClass(undefined, [
    ['1990-05-17', 'createdAt'],
    ['1990-05-17', 'orderDate'],
    ['1990-05-17', undefined],
    ['1990-02-30', 'dateOfBirth'],
    ['1899-12-31', 'dob'],
    [`${new Date().getUTCFullYear() + 1}-01-01`, 'dob'],
    ['13/13/1990', 'birthDate'],
    ['unknown', 'dob'],
    ['1990-05-17', 'dobVerified'],
  ]);
});

describe('recognizePii: phone', () => {
  expectClass('phone', [
    ['+49 30 901820', undefined],
    ['+1 (415) 555-2671', 'notes'],
    ['+44 20 7946 0958', undefined],
    ['+33 1 42 68 53 00', undefined],
    ['+1 415 555 2671 ext. 12', undefined],
    ['(415) 555-2671', 'phone'],
    ['030 901820', 'telephone'],
    ['020 7946 0958', 'mobilePhone'],
    ['01 42 68 53 00', 'fax'],
    ['415.555.2671', 'cell'],
    [4155552671, 'phoneNumber'],
    ['4155552671', 'contact_number'],
    // Under a phone field, any international number of E.164 length counts, without full validation.
    ['+44 20 7946 0958', 'phone'],
    ['+49 1234 5678901', 'mobile'],
  ]);
  expectClass(undefined, [
    ['(415) 555-2671', undefined],
    ['030 901820', 'notes'],
    ['4155552671', 'amount'],
    [4155552671, 'total'],
    ['2024-01-15', 'phone'],
    ['+1 555 555 5555', undefined],
    ['+49 123', undefined],
    ['+49 1234 5678901', undefined],
    ['call +1 415 555 2671', undefined],
    ['12345', 'phone'],
    ['+49 123', 'phone'],
    ['+1 415 555 2671 123 456 7', 'phone'],
    ['+1 415 555 2671 123 456', undefined],
    ['+1-415-555-2671-0000-1111', undefined],
  ]);
});

describe('recognizePii: values that are not PII', () => {
  expectClass(undefined, [
    ['550e8400-e29b-41d4-a716-446655440000', 'id'],
    ['2024-01-15T10:00:00Z', 'createdAt'],
    ['2024-01-15T10:00:00.000+02:00', 'updatedAt'],
    ['ORD-2024-000123', 'orderNumber'],
    ['12345', 'zip'],
    [12345, 'count'],
    ['true', 'active'],
    ['19.99', 'price'],
    [19.99, 'price'],
    [-42, 'delta'],
    [Number.NaN, 'ratio'],
    [1700000000000, 'createdAt'],
    ['https://example.com/x', 'url'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256'],
    ['1.2.3', 'version'],
    ['v2.1.0', undefined],
    ['hello', 'greeting'],
    ['N/A', 'phone'],
    ['', 'email'],
    ['   ', undefined],
  ]);

  it('checks values over 4096 characters only for a private key', () => {
    const longKey = `-----BEGIN PRIVATE KEY-----\n${'QUJD\n'.repeat(1200)}-----END PRIVATE KEY-----`;
    expect(recognizePii(longKey, undefined)).toBe('secret');
    expect(recognizePii('x'.repeat(5000), 'password')).toBeUndefined();
    expect(recognizePii(`${'a'.repeat(4090)}@example.com`, undefined)).toBeUndefined();
  });

  it('never throws, whatever it is given', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = '0123456789abcdefxyzAKIA+-_.:@/ ()%{}"=ey\n\t\u00e9\ud83d';
    const fields = [undefined, 'phone', 'ssn', 'dob', 'password', 'version', 'x'.repeat(200)];
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(random() * 40);
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(() => recognizePii(text, fields[i % fields.length])).not.toThrow();
    }
    for (const odd of [null, undefined, {}, [], true, 10n, Symbol('s'), Infinity] as unknown as string[]) {
      expect(recognizePii(odd, 'phone')).toBeUndefined();
    }
  });
});

describe('recognizePii: order of checks', () => {
  it('takes an email under a password field as the secret it is there', () => {
    expect(recognizePii('alice@example.com', 'password')).toBe('secret');
  });

  it('takes a dashed SSN under a phone field as an SSN', () => {
    expect(recognizePii('123-45-6789', 'phone')).toBe('us_ssn');
  });
});
