import { describe, expect, it } from 'vitest';
import { classifySegment, identifierShape, isIdentifierKind, type SegmentKind } from './segment-kind.js';

const kindOf = (segment: string): SegmentKind => classifySegment(segment).kind;
const HEX32 = '0123456789abcdef0123456789abcdef';

describe('classifySegment: numbers', () => {
  it('treats numbers of three or more digits as strong identifiers', () => {
    expect(kindOf('812')).toBe('strong-id');
    expect(kindOf('8812')).toBe('strong-id');
    expect(kindOf('00123')).toBe('strong-id');
  });

  it('treats one- and two-digit numbers as weak identifiers, so `/api/3/` alone is not a parameter', () => {
    expect(kindOf('3')).toBe('weak-id');
    expect(kindOf('42')).toBe('weak-id');
  });
});

describe('classifySegment: UUIDs, ObjectIds and ULIDs', () => {
  it('recognises a UUID with hyphens', () => {
    expect(kindOf('550e8400-e29b-41d4-a716-446655440000')).toBe('strong-id');
  });

  it('recognises a UUID without hyphens', () => {
    expect(kindOf('550e8400e29b41d4a716446655440000')).toBe('strong-id');
  });

  it('recognises a 24-hex ObjectId', () => {
    expect(kindOf('507f1f77bcf86cd799439011')).toBe('strong-id');
  });

  it('does not take a hex-looking word without digits for an id', () => {
    expect(kindOf('deadbeefcafe')).toBe('word');
    expect(kindOf('facade')).toBe('word');
  });

  it('recognises a ULID in either case', () => {
    expect(kindOf('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe('strong-id');
    expect(kindOf('01arz3ndektsv4rrffq69g5fav')).toBe('strong-id');
  });

  it('does not take a 26-letter word for a ULID', () => {
    expect('internationalizationpolicy').toHaveLength(26);
    expect(kindOf('internationalizationpolicy')).toBe('word');
  });
});

describe('classifySegment: typed and prefixed ids', () => {
  it('recognises prefixed ids such as `cus_…` and `pi_…`', () => {
    expect(kindOf('cus_9f8A2kLm3QpR')).toBe('strong-id');
    expect(kindOf('pi_3NcXpL2eZvKYlo2C1xYz')).toBe('strong-id');
    expect(kindOf('sk-live-abc123def456')).toBe('strong-id');
  });

  it('keeps prefixed names without digits literal (`cus_abcdefgh`, `acme-corp`)', () => {
    expect(kindOf('cus_abcdefgh')).toBe('word');
    expect(kindOf('acme-corp')).toBe('word');
    expect(kindOf('feature-flags')).toBe('word');
  });

  it('recognises digit-free random tokens, prefixed or base64url, and leaves PascalCase names alone', () => {
    expect(kindOf('ch_fkfaYtFGZFxIySfsDAtPeDzR')).toBe('strong-id');
    expect(kindOf('NjJOJNOpLkIXeoWFDOWupg')).toBe('strong-id');
    expect(kindOf('AvailablePhoneNumbers')).toBe('word');
    expect(kindOf('IncomingPhoneNumbers')).toBe('word');
    expect(kindOf('api_ServiceAccounts')).toBe('word');
  });

  it('recognises Twilio-style two capitals plus 32 hex', () => {
    expect(kindOf(`AC${HEX32}`)).toBe('strong-id');
    expect(kindOf(`SM${HEX32}`)).toBe('strong-id');
  });

  it('does not take a short capitalised word for a typed id', () => {
    expect(kindOf('ACzz')).toBe('word');
    expect(kindOf('Accounts')).toBe('word');
  });
});

describe('classifySegment: emails', () => {
  it('recognises a raw email address', () => {
    expect(kindOf('alice@example.com')).toBe('strong-id');
  });

  it('recognises a percent-encoded email address', () => {
    expect(kindOf('alice%40example.com')).toBe('strong-id');
  });

  it('does not take an @-less dotted name for an email', () => {
    expect(isIdentifierKind(kindOf('example.com'))).toBe(false);
  });
});

describe('classifySegment: dates and versions', () => {
  it('classifies API dates as dates, which are identifiers only with siblings', () => {
    expect(kindOf('2010-04-01')).toBe('date');
    expect(kindOf('2024-01-01T10:00:00Z')).toBe('date');
    expect(kindOf('20240101')).toBe('date');
  });

  it('classifies version segments as versions', () => {
    expect(kindOf('v2')).toBe('version');
    expect(kindOf('V2')).toBe('version');
    expect(kindOf('v1beta')).toBe('version');
    expect(kindOf('v1.2')).toBe('version');
    expect(kindOf('1.2.3')).toBe('version');
  });

  it('treats `V5SDKN` as a booking code, not a version', () => {
    expect(kindOf('V5SDKN')).toBe('weak-id');
  });

  it('treats order codes mixing letters and digits as weak identifiers', () => {
    expect(kindOf('A7X9K2')).toBe('weak-id');
    expect(kindOf('x9f8a2b')).toBe('weak-id');
  });

  it('treats a long mixed-case token with digits as a strong identifier', () => {
    expect(kindOf('aZ3kQ9mN2pL8xR4t')).toBe('strong-id');
  });
});

describe('classifySegment: words and RPC method names', () => {
  it('classifies RPC method names as rpc-words', () => {
    expect(kindOf('chat.postMessage')).toBe('rpc-word');
    expect(kindOf('conversations.list')).toBe('rpc-word');
  });

  it('keeps ordinary words literal, even ones ending in digits', () => {
    for (const word of ['users', 'oauth2', 'base64', 's3', 'me', 'settings', 'api', 'R4', 'ipv6', 'x86_64']) {
      expect(kindOf(word), word).toBe('word');
    }
  });

  it('reports no identifier kind for words, rpc-words and versions', () => {
    expect(isIdentifierKind('word')).toBe(false);
    expect(isIdentifierKind('rpc-word')).toBe(false);
    expect(isIdentifierKind('version')).toBe(false);
    expect(isIdentifierKind('strong-id')).toBe(true);
    expect(isIdentifierKind('weak-id')).toBe(true);
    expect(isIdentifierKind('date')).toBe(true);
  });
});

describe('classifySegment: extensions and custom verbs', () => {
  it('splits an id with a `.json` extension into the id and a literal suffix', () => {
    expect(classifySegment(`CA${HEX32}.json`)).toEqual({ kind: 'strong-id', suffix: '.json' });
  });

  it('keeps a name with an extension (`Calls.json`) one literal word', () => {
    expect(classifySegment('Calls.json')).toEqual({ kind: 'word', suffix: '' });
    expect(classifySegment('Front.json')).toEqual({ kind: 'word', suffix: '' });
  });

  it('does not treat an unknown extension as a suffix', () => {
    expect(classifySegment('README.md').suffix).toBe('');
  });

  it('splits an id with a custom verb into the id and a literal `:verb` suffix', () => {
    expect(classifySegment('ab12cd34ef56ab12cd34ef56:copy')).toEqual({ kind: 'strong-id', suffix: ':copy' });
    expect(classifySegment('550e8400-e29b-41d4-a716-446655440000:cancel')).toEqual({ kind: 'strong-id', suffix: ':cancel' });
  });

  it('keeps a collection with a custom verb (`documents:batchGet`) literal', () => {
    const classified = classifySegment('documents:batchGet');
    expect(classified.suffix).toBe('');
    expect(isIdentifierKind(classified.kind)).toBe(false);
  });
});

describe('identifierShape', () => {
  it('names the prefix of prefixed ids, so different collections keep different shapes', () => {
    expect(identifierShape('cus_9f8A2kLm3QpR', '')).toBe('cus');
    expect(identifierShape('pi_3NcXpL2eZvKYlo2C1xYz', '')).toBe('pi');
    expect(identifierShape('cus_9f8A2kLm3QpR', '')).not.toBe(identifierShape('pi_3NcXpL2eZvKYlo2C1xYz', ''));
  });

  it('names the type letters of Twilio-style ids', () => {
    expect(identifierShape(`AC${HEX32}`, '')).toBe('AC');
    expect(identifierShape(`CA${HEX32}.json`, '.json')).toBe('CA');
  });

  it('gives numbers, UUIDs and ObjectIds their own shapes', () => {
    expect(identifierShape('8812', '')).toBe('num');
    expect(identifierShape('550e8400-e29b-41d4-a716-446655440000', '')).toBe('uuid');
    expect(identifierShape('507f1f77bcf86cd799439011', '')).toBe('hex24');
    expect(identifierShape('2010-04-01', '')).toBe('date');
  });

  it('gives two values of one kind the same shape', () => {
    expect(identifierShape('cus_9f8A2kLm3QpR', '')).toBe(identifierShape('cus_Zz81kLm3Qp00abc', ''));
    expect(identifierShape('123', '')).toBe(identifierShape('98765', ''));
  });

  it('ignores the suffix when shaping the value', () => {
    expect(identifierShape('ab12cd34ef56ab12cd34ef56:copy', ':copy')).toBe('hex24');
  });
});
