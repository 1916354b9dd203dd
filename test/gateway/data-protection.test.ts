import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { send as sendRaw, type Answer, type SendOptions } from '../support/http-send.js';
import { uncaughtDuring } from '../support/uncaught-during.js';

// Per-grant data protection end to end: a real upstream on port 0 answers, the real gateway
// filters, and what the agent receives, what the upstream receives and what the audit log
// keeps are checked. The manifest and client helpers of forwarding.test.ts are local to that
// file (not exported from test/support), so this file declares the few it needs.

const KEY_ID = 'key_dataprot01';

const AGENT = `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: data-bot }
spec:
  owner: owner@example.com
  purpose: Reads and writes CRM data under data protection rules
  roles: [data-reader]
  state: active
  credentials: [{ type: apiKey, id: ${KEY_ID} }]
`;

/** One Api manifest (`crm`) and one role whose `grants` are YAML flow mappings. */
function manifests(operations: readonly string[], grants: readonly string[]): Record<string, string> {
  const api = `apiVersion: warden.dev/v1
kind: Api
metadata: { name: crm }
spec:
  owner: crm-team@example.com
  upstream: { url: "\${UPSTREAM}" }
  basePath: /crm
  operations:
${operations.map((operation) => `    - ${operation}\n`).join('')}`;
  const role = `apiVersion: warden.dev/v1
kind: Role
metadata: { name: data-reader }
spec:
  grants:
${grants.map((grant) => `    - ${grant}\n`).join('')}`;
  return { 'api.yaml': api, 'role.yaml': role, 'agent.yaml': AGENT };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


/** One request on its own connection, with the agent's key. */
function send(h: Harness, target: string, options: SendOptions = {}): Promise<Answer> {
  return sendRaw(`${h.url}${target}`, { ...options, headers: { authorization: `Bearer ${h.keys[KEY_ID]!}`, ...options.headers } });
}

/** The problem document of a refusal, after checking it is one with this status. */
function problem(answer: Answer, status: number): { code: string; detail: string } {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  return JSON.parse(answer.body.toString('utf8')) as { code: string; detail: string };
}

/** A filtered JSON answer: complete, sent with the length of the filtered body, parsed. */
function json(answer: Answer): any {
  expect(answer.status).toBe(200);
  expect(answer.complete).toBe(true);
  expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
  return JSON.parse(answer.body.toString('utf8'));
}

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();


// ---- What the upstream holds ----------------------------------------------------------------

const JWT = [
  Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
  Buffer.from(JSON.stringify({ sub: 'ada', role: 'customer' })).toString('base64url'),
  'c2lnbmF0dXJlLW9mLXRoZS10b2tlbg',
].join('.');

const VISA = '4111 1111 1111 1111';
const IBAN = 'DE89 3704 0044 0532 0130 00';

function account(id: string, customerId: string, email: string) {
  return {
    id,
    name: 'Ada Lovelace',
    customerId,
    card: { number: VISA, expiry: '12/30', cvc: '737' },
    contact: { email, phone: '+49 30 1234567' },
    orders: [{ id: 'o-1', total: 5, shipTo: 'Unter den Linden 1' }, { id: 'o-2', total: 7, shipTo: 'Friedrichstrasse 2' }],
    internalNotes: 'VIP, owes 300',
  };
}

const ACCOUNTS: Record<string, ReturnType<typeof account>> = {
  'a-1': account('a-1', 'cust-0001', 'ada@example.com'),
  'a-2': account('a-2', 'cust-0002', 'grace@example.com'),
  // The same customer as a-1, its address written in other letter case.
  'a-3': account('a-3', 'cust-0001', 'ADA@Example.COM'),
};

const CUSTOMER = {
  id: 'c-1',
  name: 'Ada',
  internalNotes: 'VIP, owes 300',
  contact: { email: 'ada@example.com', phone: '+49 30 1234567' },
  address: { city: 'Berlin', street: 'Unter den Linden 1' },
  orders: [
    { id: 'o-1', internalNotes: 'fraud check passed', payment: { card: '5555 5555 5555 4444', method: 'card' } },
    { id: 'o-2', internalNotes: 'gift', payment: { card: '4012 8888 8888 1881', method: 'card' } },
  ],
};

const CUSTOMER_PAGE = {
  items: [
    { id: 'c-1', name: 'Ada', email: 'ada@example.com', ssn: '123-45-6789', internalNotes: 'VIP' },
    { id: 'c-2', name: 'Grace', email: 'grace@example.com', ssn: '555-12-3456', internalNotes: 'new' },
  ],
  total: 2,
  next: 'cursor-2',
};

const PROFILE = {
  id: 'p-1',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  card: VISA,
  // Sixteen digits with a Visa prefix that fail the Luhn check: an order number, not a card.
  orderNumber: '4111111111111112',
  iban: IBAN,
  payoutIban: IBAN.replaceAll(' ', ''),
  ssn: '123-45-6789',
  phone: '+49 30 1234567',
  clientIp: '203.0.113.7',
  token: JWT,
  dateOfBirth: '1985-04-12',
  // The same date under a field that is not a birth date: a date, not PII.
  createdAt: '1985-04-12',
};

/** Every PII value the profile grant masks, in each written form. */
const PROFILE_MASKED = ['ada@example.com', VISA, VISA.replaceAll(' ', ''), IBAN, IBAN.replaceAll(' ', ''), '123-45-6789', '203.0.113.7', JWT, JWT.split('.')[1]!, '1985-04-12'];

const STATEMENT_MARK = 'stmt-marker-7731';
const STATEMENTS: Record<string, unknown> = {
  's-1': { id: 's-1', holder: 'Ada Lovelace', memo: STATEMENT_MARK, email: 'ada@example.com', payoutAccount: IBAN },
  's-2': { id: 's-2', memo: STATEMENT_MARK, lines: [{ amount: 5, counterparty: 'ACME GmbH' }, { amount: 7, counterparty: IBAN.replaceAll(' ', '') }] },
};

const FEED = { id: 'f-1', name: 'Zoë Ünal-Straße 😀', email: 'ada@example.com', bio: '日本語のテキスト', internalNotes: 'VIP, owes 300' };
const FEED_BYTES = Buffer.from(JSON.stringify(FEED));
/** The feed in four pieces: cut inside the e-mail string, inside 😀 (4 bytes) and inside 日 (3 bytes). */
const FEED_PIECES = (() => {
  const cuts = [FEED_BYTES.indexOf('ada@exa') + 4, FEED_BYTES.indexOf(Buffer.from('😀')) + 2, FEED_BYTES.indexOf(Buffer.from('日')) + 1].sort((a, b) => a - b);
  return [0, ...cuts].map((start, index) => FEED_BYTES.subarray(start, [...cuts, FEED_BYTES.length][index]));
})();

const ARCHIVED = { id: 'ar-1', name: 'Ada', email: 'ada@example.com', internalNotes: 'VIP, owes 300', city: 'Zürich' };
const ARCHIVED_JSON = Buffer.from(JSON.stringify(ARCHIVED));
const ARCHIVES: Record<string, { encoding: string; body: Buffer }> = {
  gzip: { encoding: 'gzip', body: gzipSync(ARCHIVED_JSON) },
  deflate: { encoding: 'deflate', body: deflateSync(ARCHIVED_JSON) },
  br: { encoding: 'br', body: brotliCompressSync(ARCHIVED_JSON) },
  compress: { encoding: 'compress', body: gzipSync(ARCHIVED_JSON) },
  stacked: { encoding: 'gzip, br', body: brotliCompressSync(gzipSync(ARCHIVED_JSON)) },
  // A valid gzip start that ends before the stream does.
  truncated: { encoding: 'gzip', body: gzipSync(ARCHIVED_JSON).subarray(0, 30) },
};

const NOTE = 'Call ada@example.com about card 4111 1111 1111 1111, ref 123-45-6789';

function answerJson(res: ServerResponse, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The upstream's answers by path; POSTs are echoed as JSON. */
function respond(req: IncomingMessage, res: ServerResponse): void {
  const [, , collection, id] = req.url!.split('?')[0]!.split('/');
  if (req.method === 'POST') return answerJson(res, { accepted: true });
  switch (collection) {
    case 'accounts':
      return ACCOUNTS[id!] ? answerJson(res, ACCOUNTS[id!]) : void res.writeHead(404).end();
    case 'customers':
      return answerJson(res, id === undefined ? CUSTOMER_PAGE : CUSTOMER);
    case 'profiles':
      return answerJson(res, PROFILE);
    case 'contacts':
      return answerJson(res, { id: 'k-1', email: 'ada@example.com', phone: '+49 30 1234567' });
    case 'statements':
      return answerJson(res, STATEMENTS[id!]);
    case 'feed':
      // Chunked (no content-length), in pieces with pauses between them.
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      void (async () => {
        for (const piece of FEED_PIECES) {
          res.write(piece);
          await sleep(20);
        }
        res.end();
      })();
      return;
    case 'archive': {
      const archive = ARCHIVES[id!]!;
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': archive.encoding, 'content-length': archive.body.length, etag: '"archive-v1"', 'x-archive-trace': 'kept' });
      return void res.end(archive.body);
    }
    case 'notes':
    case 'memos':
      if (id === 'json') return answerJson(res, { id: 'm-2', email: 'ada@example.com', text: 'hello' });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(NOTE) });
      return void res.end(NOTE);
    default:
      res.writeHead(404).end();
  }
}

const get = (id: string, path: string) => `{ id: ${id}, method: GET, path: "${path}" }`;
const post = (id: string, path: string) => `{ id: ${id}, method: POST, path: "${path}" }`;

describe('data protection of answers and request bodies', () => {
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let h: Harness;
  let sent = 0;

  beforeAll(async () => {
    upstream = await startEchoUpstream(respond);
    h = await startHarness({
      manifests: manifests(
        [
          get('getAccount', '/accounts/{id}'), get('getCustomer', '/customers/{id}'), get('listCustomers', '/customers'),
          get('getProfile', '/profiles/{id}'), get('getContact', '/contacts/{id}'), get('getStatement', '/statements/{id}'), get('getFeed', '/feed/{id}'),
          get('getArchive', '/archive/{id}'), get('getNote', '/notes/{id}'), get('getMemo', '/memos/{id}'),
          post('createPayment', '/payments'), post('createRefund', '/refunds'),
        ],
        [
          '{ api: crm, operations: [getAccount], response: { allow: [id, name, customerId, card.number, contact.email, "orders[].id"], mask: [{ field: card.number, style: partial }, { field: customerId, style: hash }, { field: contact.email, style: hash }] } }',
          '{ api: crm, operations: [getCustomer], response: { drop: [internalNotes, "orders[].internalNotes", address.street], mask: [contact.email, { field: "orders[].payment.card", style: partial }] } }',
          '{ api: crm, operations: [listCustomers], response: { records: items, allow: [id, name, email], mask: [email] } }',
          '{ api: crm, operations: [getProfile], response: { pii: { default: redact, classes: { email: partial, payment_card: partial, iban: hash, phone: keep } } } }',
          '{ api: crm, operations: [getContact], response: { mask: [email], pii: { default: redact } } }',
          '{ api: crm, operations: [getStatement], response: { pii: { default: redact, classes: { iban: deny } } } }',
          '{ api: crm, operations: [getFeed, getArchive], response: { mask: [email], drop: [internalNotes] } }',
          '{ api: crm, operations: [getNote], response: { mask: [email] } }',
          '{ api: crm, operations: [getMemo], response: { mask: [email], otherContent: pass } }',
          '{ api: crm, operations: [createPayment], request: { pii: { default: redact, classes: { email: keep } } } }',
          '{ api: crm, operations: [createRefund], request: { pii: { default: redact, classes: { payment_card: deny } } } }',
        ],
      ),
      upstreamUrl: upstream.url,
      apiKeys: [KEY_ID],
    });
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  function call(target: string, options: Parameters<typeof send>[2] = {}): Promise<Answer> {
    sent++;
    return send(h, target, options);
  }

  /** The one audit record of this answer, after checking every request so far has exactly one. */
  async function recordOf(answer: Pick<Answer, 'headers'>): Promise<AuditEvent> {
    const requestId = answer.headers['x-request-id'];
    expect(typeof requestId).toBe('string');
    const all = await h.auditEvents(sent);
    expect(all).toHaveLength(sent);
    const mine = all.filter((event) => event.requestId === requestId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  /** The record holds none of these values, anywhere (checked one by one, for a readable failure). */
  function expectNoneIn(event: AuditEvent, values: readonly string[]): void {
    const text = JSON.stringify(event);
    for (const value of values) expect(text, `the audit record holds ${value}`).not.toContain(value);
  }

  describe('field rules', () => {
    it('keeps only allowed fields (nested and per list element) and masks them partially or with a keyed pseudonym', async () => {
      const answer = await call('/crm/accounts/a-1');
      const body = json(answer);
      expect(body).toEqual({
        id: 'a-1',
        name: 'Ada Lovelace',
        customerId: expect.stringMatching(/^value_[0-9a-f]{16}$/),
        card: { number: '****1111' },
        contact: { email: expect.stringMatching(/^email_[0-9a-f]{16}$/) },
        orders: [{ id: 'o-1' }, { id: 'o-2' }],
      });
      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
      expect(event.data?.records).toBe(1);
      expect(sorted(event.data?.maskedFields)).toEqual(['card.number', 'contact.email', 'customerId']);
      // customerId is masked by the rule, but is no PII class of its own.
      expect(sorted(event.data?.piiClasses)).toEqual(['email', 'payment_card']);
      expectNoneIn(event, ['ada@example.com', VISA, VISA.replaceAll(' ', ''), 'cust-0001', 'Unter den Linden 1']);
    });

    it('gives one value the same pseudonym on every call, and different values different ones', async () => {
      const first = json(await call('/crm/accounts/a-1'));
      const again = json(await call('/crm/accounts/a-1'));
      const other = json(await call('/crm/accounts/a-2'));
      // a-3 is the same customer, its e-mail address written in other letter case.
      const sameCustomer = json(await call('/crm/accounts/a-3'));
      expect(again.customerId).toBe(first.customerId);
      expect(again.contact.email).toBe(first.contact.email);
      expect(other.customerId).not.toBe(first.customerId);
      expect(other.contact.email).not.toBe(first.contact.email);
      expect(sameCustomer.customerId).toBe(first.customerId);
      expect(sameCustomer.contact.email).toBe(first.contact.email);
      for (const body of [first, other, sameCustomer]) expect(body.customerId).toMatch(/^value_[0-9a-f]{16}$/);
    });

    it('drops and masks fields nested in objects and in every element of a list, keeping the rest', async () => {
      const answer = await call('/crm/customers/c-1');
      expect(json(answer)).toEqual({
        id: 'c-1',
        name: 'Ada',
        contact: { email: '***', phone: '+49 30 1234567' },
        address: { city: 'Berlin' },
        orders: [
          { id: 'o-1', payment: { card: '****4444', method: 'card' } },
          { id: 'o-2', payment: { card: '****1881', method: 'card' } },
        ],
      });
      const event = await recordOf(answer);
      expect(event.data?.records).toBe(1);
      expect(sorted(event.data?.maskedFields)).toEqual(['contact.email', 'orders[].payment.card']);
      // A partially masked value is recognised first (its last four depend on the class).
      expect(event.data?.piiClasses).toContain('payment_card');
      expectNoneIn(event, ['ada@example.com', '5555 5555 5555 4444', '4012 8888 8888 1881', 'VIP, owes 300', 'fraud check passed', 'Unter den Linden 1']);
    });

    it('applies the rules to each record of the `records` field and keeps the envelope (total, next)', async () => {
      const answer = await call('/crm/customers');
      expect(json(answer)).toEqual({
        items: [{ id: 'c-1', name: 'Ada', email: '***' }, { id: 'c-2', name: 'Grace', email: '***' }],
        total: 2,
        next: 'cursor-2',
      });
      const event = await recordOf(answer);
      expect(event.data).toMatchObject({ records: 2, maskedFields: ['email'] });
      expectNoneIn(event, ['ada@example.com', 'grace@example.com', '123-45-6789', '555-12-3456']);
    });
  });

  describe('PII rules', () => {
    it('masks each recognised class as its action says, keeps what is not PII, and records classes, never values', async () => {
      const answer = await call('/crm/profiles/p-1');
      const body = json(answer);
      expect(body).toEqual({
        id: 'p-1',
        name: 'Ada Lovelace',
        email: '****@example.com', // email: partial keeps the domain
        card: '****1111', // payment_card: partial
        orderNumber: '4111111111111112', // fails Luhn: not a card, unchanged
        iban: expect.stringMatching(/^iban_[0-9a-f]{16}$/), // iban: hash
        payoutIban: expect.stringMatching(/^iban_[0-9a-f]{16}$/),
        ssn: '***', // default: redact
        phone: '+49 30 1234567', // phone: keep
        clientIp: '***',
        token: '***',
        dateOfBirth: '***',
        createdAt: '1985-04-12', // a date under a field that is not a birth date
      });
      // The same IBAN, grouped or compact, is one entity: one pseudonym.
      expect(body.payoutIban).toBe(body.iban);
      const text = answer.body.toString('utf8');
      for (const value of ['ada@example.com', VISA, IBAN, IBAN.replaceAll(' ', ''), '123-45-6789', '203.0.113.7', JWT]) expect(text).not.toContain(value);

      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
      expect(event.data?.records).toBe(1);
      expect(sorted(event.data?.maskedFields)).toEqual(['card', 'clientIp', 'dateOfBirth', 'email', 'iban', 'payoutIban', 'ssn', 'token']);
      // phone was kept, and is still recorded as found.
      expect(sorted(event.data?.piiClasses)).toEqual(['date_of_birth', 'email', 'iban', 'ip_address', 'payment_card', 'phone', 'secret', 'us_ssn']);
      expectNoneIn(event, PROFILE_MASKED);
    });

    it('records the class of a field a redact mask rule hides when the grant has PII rules too', async () => {
      // docs/data-protection.md: piiClasses are "classes the recognizers found in the answer,
      // masked or kept", and only "field rules without pii" skip the recognizers on redact-masked
      // fields. With pii rules, the e-mail this answer carried must count for the data-class index.
      const answer = await call('/crm/contacts/k-1');
      expect(json(answer)).toEqual({ id: 'k-1', email: '***', phone: '***' });
      const event = await recordOf(answer);
      expect(sorted(event.data?.maskedFields)).toEqual(['email', 'phone']);
      expect(sorted(event.data?.piiClasses)).toEqual(['email', 'phone']);
    });

    it.each([
      ['a top-level field', 's-1', 'payoutAccount'],
      ['a field in a list element', 's-2', 'lines[].counterparty'],
    ])('refuses an answer holding a denied class in %s with 403 WARDEN_DATA_PII_DENIED, naming the field, withholding the body', async (_, id, field) => {
      const answer = await call(`/crm/statements/${id}`);
      const refusal = problem(answer, 403);
      expect(refusal.code).toBe('WARDEN_DATA_PII_DENIED');
      expect(refusal.detail).toContain(field);
      expect(refusal.detail).toContain('iban');
      // Not the value, and nothing else of the upstream's answer either.
      for (const value of [IBAN, IBAN.replaceAll(' ', ''), STATEMENT_MARK, 'ada@example.com', 'Ada Lovelace', 'ACME GmbH']) expect(answer.body.toString('utf8')).not.toContain(value);
      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'deny', reason: 'WARDEN_DATA_PII_DENIED' });
      expect(event.http.status).toBe(403);
      expect(event.data?.piiClasses).toContain('iban');
      expectNoneIn(event, [IBAN, IBAN.replaceAll(' ', ''), 'ada@example.com']);
    });
  });

  describe('audit records of paths', () => {
    it.each([
      ['an e-mail address', 'ada%40example.com', ['ada@example.com', 'ada%40example.com']],
      ['a card number', '4111111111111111', ['4111111111111111']],
      ['a card number with dashes', '4111-1111-1111-1111', ['4111-1111-1111-1111']],
    ])('records a path whose resource id is %s with that segment as ***', async (_, id, values) => {
      const answer = await call(`/crm/customers/${id}`);
      expect(answer.status).toBe(200);
      // The upstream is asked for the real resource.
      expect(upstream.seen).toHaveLength(1);
      expect(decodeURIComponent(upstream.seen[0]!.url)).toBe(`/crm/customers/${decodeURIComponent(id)}`);
      const event = await recordOf(answer);
      expect(event.http.rawPath).toBe('/crm/customers/***');
      expect(event.http.canonicalPath).toBe('/crm/customers/***');
      expectNoneIn(event, values);
    });

    it('records an ordinary resource id as it is', async () => {
      const answer = await call('/crm/customers/c-1');
      const event = await recordOf(answer);
      expect(event.http.rawPath).toBe('/crm/customers/c-1');
      expect(event.http.canonicalPath).toBe('/crm/customers/c-1');
    });
  });

  describe('transfer and content encodings', () => {
    it('filters a chunked answer that arrives in pieces split inside a string and inside multi-byte characters', async () => {
      // The pieces really do cut characters in two: each alone decodes with replacement characters.
      expect(FEED_PIECES).toHaveLength(4);
      expect(FEED_PIECES.filter((piece) => piece.toString('utf8').includes('\uFFFD')).length).toBeGreaterThanOrEqual(2);
      const answer = await call('/crm/feed/f-1');
      expect(json(answer)).toEqual({ id: 'f-1', name: 'Zoë Ünal-Straße 😀', email: '***', bio: '日本語のテキスト' });
      const event = await recordOf(answer);
      expect(event.data).toMatchObject({ records: 1, maskedFields: ['email'] });
      expect(event.http.bytesOut).toBe(answer.body.length);
    });

    it.each(['gzip', 'deflate', 'br'])('decodes a %s answer, filters it, and sends it decoded with its new length', async (id) => {
      const answer = await call(`/crm/archive/${id}`);
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(json(answer)).toEqual({ id: 'ar-1', name: 'Ada', email: '***', city: 'Zürich' });
      // The upstream's validators describe bytes the agent no longer gets; its other headers pass.
      expect(answer.headers.etag).toBeUndefined();
      expect(answer.headers['x-archive-trace']).toBe('kept');
      const event = await recordOf(answer);
      expect(event.data).toMatchObject({ records: 1, maskedFields: ['email'] });
      expectNoneIn(event, ['ada@example.com', 'VIP, owes 300']);
    });

    it.each([
      ['an unknown encoding (compress)', 'compress'],
      ['stacked encodings (gzip, br)', 'stacked'],
      ['a gzip body that breaks off', 'truncated'],
    ])('withholds %s with 502 WARDEN_RESPONSE_NOT_FILTERABLE, not a byte of the original passing', async (_, id) => {
      const { result: answer, uncaught } = await uncaughtDuring(() => call(`/crm/archive/${id}`));
      expect(uncaught).toEqual([]);
      expect(problem(answer, 502).code).toBe('WARDEN_RESPONSE_NOT_FILTERABLE');
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(answer.body.includes(ARCHIVES[id]!.body.subarray(0, 16))).toBe(false);
      for (const value of ['ada@example.com', 'VIP, owes 300']) expect(answer.body.toString('latin1')).not.toContain(value);
      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_RESPONSE_NOT_FILTERABLE' });
      expect(event.http.status).toBe(502);
    });
  });

  describe('answers that are not JSON', () => {
    it('refuses a text/plain answer by default: 502 WARDEN_RESPONSE_NOT_FILTERABLE', async () => {
      const answer = await call('/crm/notes/n-1');
      expect(problem(answer, 502).code).toBe('WARDEN_RESPONSE_NOT_FILTERABLE');
      for (const value of ['ada@example.com', '4111 1111 1111 1111', '123-45-6789']) expect(answer.body.toString('utf8')).not.toContain(value);
      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'error', reason: 'WARDEN_RESPONSE_NOT_FILTERABLE' });
    });

    it('passes a text/plain answer unchanged under otherContent: pass, and still filters JSON answers', async () => {
      const text = await call('/crm/memos/m-1');
      expect(text.status).toBe(200);
      expect(text.complete).toBe(true);
      expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(text.body.toString('utf8')).toBe(NOTE);
      expect((await recordOf(text)).decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });

      const jsonAnswer = await call('/crm/memos/json');
      expect(json(jsonAnswer)).toEqual({ id: 'm-2', email: '***', text: 'hello' });
      expect((await recordOf(jsonAnswer)).data).toMatchObject({ records: 1, maskedFields: ['email'] });
    });
  });

  describe('request bodies', () => {
    const payment = {
      amount: 25,
      currency: 'EUR',
      card: VISA,
      payer: { email: 'ada@example.com', cards: ['5555555555554444'] },
      reference: '4111111111111112',
    };

    it('masks PII in a JSON request body before forwarding it, with the new length, and records what was found', async () => {
      const body = JSON.stringify(payment);
      const answer = await call('/crm/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(answer.status).toBe(200);
      expect(upstream.seen).toHaveLength(1);
      const seen = upstream.seen[0]!;
      expect(JSON.parse(seen.body)).toEqual({
        amount: 25,
        currency: 'EUR',
        card: '***',
        payer: { email: 'ada@example.com', cards: ['***'] }, // email: keep
        reference: '4111111111111112', // fails Luhn
      });
      expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
      expect(seen.headers['transfer-encoding']).toBeUndefined();
      expect(seen.body).not.toContain('4111 1111 1111 1111');
      expect(seen.body).not.toContain('5555555555554444');

      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
      expect(sorted(event.data?.request?.piiClasses)).toEqual(['email', 'payment_card']);
      expect(sorted(event.data?.request?.maskedFields)).toEqual(['card', 'payer.cards[]']);
      expect(event.http.bytesIn).toBe(Buffer.byteLength(seen.body));
      expectNoneIn(event, [VISA, VISA.replaceAll(' ', ''), '5555555555554444', 'ada@example.com']);
    });

    it('masks a chunked JSON request body too (no content-length from the agent)', async () => {
      const answer = await new Promise<Pick<Answer, 'status' | 'headers' | 'body' | 'complete'>>((resolve, reject) => {
        sent++;
        const req = http.request(`${h.url}/crm/payments`, { method: 'POST', headers: { authorization: `Bearer ${h.keys[KEY_ID]!}`, 'content-type': 'application/json; charset=utf-8' }, agent: false });
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
        });
        const text = JSON.stringify(payment);
        req.write(text.slice(0, 30));
        setTimeout(() => req.end(text.slice(30)), 20);
      });
      expect(answer.status).toBe(200);
      const seen = upstream.seen[0]!;
      expect(JSON.parse(seen.body).card).toBe('***');
      expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
      expect(seen.headers['transfer-encoding']).toBeUndefined();
      await recordOf(answer);
    });

    it('refuses a request body holding a denied class with 403 WARDEN_DATA_PII_DENIED, and nothing reaches the upstream', async () => {
      const answer = await call('/crm/refunds', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 5, refundTo: { card: VISA } }) });
      const refusal = problem(answer, 403);
      expect(refusal.code).toBe('WARDEN_DATA_PII_DENIED');
      expect(refusal.detail).toContain('refundTo.card');
      expect(refusal.detail).not.toContain(VISA);
      expect(upstream.seen).toEqual([]);
      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'deny', reason: 'WARDEN_DATA_PII_DENIED' });
      expect(event.data?.request?.piiClasses).toEqual(['payment_card']);
      expectNoneIn(event, [VISA, VISA.replaceAll(' ', '')]);
    });

    it('judges a form body field by field: masks what the rules mask, refuses what they deny', async () => {
      const masked = await call('/crm/payments', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `amount=5&card=${encodeURIComponent(VISA)}&note=thanks` });
      expect(masked.status).toBe(200);
      const seen = new URLSearchParams(upstream.seen.at(-1)!.body);
      expect(seen.get('card')).not.toContain('4111 1111');
      expect(seen.get('amount')).toBe('5');
      expect(seen.get('note')).toBe('thanks');
      expect((await recordOf(masked)).data?.request).toEqual({ piiClasses: ['payment_card'], maskedFields: ['card'] });
      const before = upstream.seen.length;
      const refused = await call('/crm/refunds', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `amount=5&card=${encodeURIComponent(VISA)}` });
      expect(problem(refused, 403).code).toBe('WARDEN_DATA_PII_DENIED');
      expect(upstream.seen.length).toBe(before);
      await recordOf(refused);
    });

    it('forwards a request body without PII byte for byte under request rules', async () => {
      const body = '{ "amount": 5,\n  "reason": "damaged in transit" }';
      const answer = await call('/crm/refunds', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(answer.status).toBe(200);
      expect(upstream.seen).toHaveLength(1);
      expect(upstream.seen[0]!.body).toBe(body);
      const event = await recordOf(answer);
      expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
      expect(event.data?.request).toBeUndefined();
    });
  });
});
