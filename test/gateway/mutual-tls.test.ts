import https from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { createTestPki, type TestCertificate, type TestPki } from '../support/test-certificates.js';
import { CRM_API, READER_ROLE } from '../support/crm-reader-manifests.js';

const SPIFFE_ID = 'spiffe://example.org/agents/x';
const UNBOUND_SPIFFE_ID = 'spiffe://example.org/agents/nobody';

function agent(name: string, credentials: string): string {
  return `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${name} }
spec:
  owner: owner@example.com
  purpose: Reads customers in the mutual TLS tests
  roles: [reader]
  state: active
  credentials: ${credentials}
`;
}

type Upstream = Awaited<ReturnType<typeof startEchoUpstream>>;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly requestId: string | undefined;
  /** Whether the request went over a kept-alive connection that an earlier request opened. */
  readonly reusedSocket: boolean;
}

/** Counts a Prometheus counter sample on the admin port. */
async function unregisteredClients(adminUrl: string, kind: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const match = new RegExp(`^warden_unregistered_clients_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe('agents identified by client certificates (mTLS)', () => {
  let pki: TestPki;
  let upstream: Upstream;
  let h: Harness;
  let sent = 0;
  let byFingerprint: TestCertificate;
  let bySpiffe: TestCertificate;
  let unbound: TestCertificate;
  let unboundSpiffe: TestCertificate;
  let impostor: TestCertificate;
  let pinnedSelfSigned: TestCertificate;

  beforeAll(async () => {
    pki = createTestPki();
    byFingerprint = pki.client('fingerprint-bot');
    bySpiffe = pki.client('spiffe-bot', { spiffeId: SPIFFE_ID });
    unbound = pki.client('stranger-bot');
    unboundSpiffe = pki.client('stranger-spiffe-bot', { spiffeId: UNBOUND_SPIFFE_ID });
    // Self-signed, claiming the SPIFFE id another agent is bound to.
    impostor = pki.selfSigned('spiffe-bot', { spiffeId: SPIFFE_ID });
    // Self-signed, with its fingerprint bound in a manifest: still no chain to the client CA.
    pinnedSelfSigned = pki.selfSigned('pinned-bot');
    const agents = [
      agent('fingerprint-bot', `[{ type: mtls, fingerprint: "${byFingerprint.fingerprint}" }, { type: apiKey, id: key_fingerprint01 }]`),
      agent('spiffe-bot', `[{ type: mtls, spiffeId: "${SPIFFE_ID}" }]`),
      agent('key-bot', '[{ type: apiKey, id: key_keybot0001 }]'),
      agent('pinned-bot', `[{ type: mtls, fingerprint: "${pinnedSelfSigned.fingerprint}" }]`),
    ].join('---\n');
    upstream = await startEchoUpstream();
    h = await startHarness({
      manifests: { 'api.yaml': CRM_API, 'role.yaml': READER_ROLE, 'agents.yaml': agents },
      upstreamUrl: upstream.url,
      apiKeys: ['key_fingerprint01', 'key_keybot0001'],
      files: { 'server.crt': pki.server.cert, 'server.key': pki.server.key, 'client-ca.crt': pki.ca.cert },
      config: { gateway: { tls: { cert: 'server.crt', key: 'server.key', clientCa: 'client-ca.crt' } } },
    });
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
    pki?.dispose();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  /** A request over TLS that trusts the test CA, with an optional client certificate. */
  function call(options: { cert?: TestCertificate; headers?: Record<string, string>; agent?: https.Agent } = {}): Promise<Answer> {
    sent++;
    const { port } = new URL(h.url);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/crm/customers/C-1001',
          ca: pki.ca.cert,
          ...(options.cert ? { cert: options.cert.cert, key: options.cert.key } : {}),
          headers: options.headers ?? {},
          agent: options.agent ?? false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const requestId = res.headers['x-request-id'];
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), requestId: typeof requestId === 'string' ? requestId : undefined, reusedSocket: req.reusedSocket });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** The one audit record of this response's request, after checking there is one per request sent. */
  async function recordOf(answer: Answer): Promise<AuditEvent> {
    expect(answer.requestId).toBeTruthy();
    const all = await h.auditEvents(sent);
    expect(all).toHaveLength(sent);
    const mine = all.filter((event) => event.requestId === answer.requestId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  async function expectAllowed(answer: Answer, agentName: string): Promise<AuditEvent> {
    expect(answer.status, answer.body).toBe(200);
    expect(upstream.seen).toHaveLength(1);
    // The upstream learns the verified agent from Warden, over the protocol the agent used.
    expect(upstream.seen[0]!.headers['x-warden-agent']).toBe(agentName);
    expect(upstream.seen[0]!.headers['x-forwarded-proto']).toBe('https');
    const event = await recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
    expect(event.agent?.name).toBe(agentName);
    return event;
  }

  async function expectRefused(answer: Answer, status: 401 | 403, code: string): Promise<AuditEvent> {
    expect(answer.status, answer.body).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect((JSON.parse(answer.body) as { code: string }).code).toBe(code);
    expect(upstream.seen).toEqual([]);
    const event = await recordOf(answer);
    expect(event.decision).toMatchObject({ outcome: 'deny', reason: code });
    expect(event.http.status).toBe(status);
    expect(event.agent).toBeUndefined();
    return event;
  }

  it('identifies an agent bound by certificate fingerprint from the certificate alone', async () => {
    const event = await expectAllowed(await call({ cert: byFingerprint }), 'fingerprint-bot');
    expect(event.credential).toEqual({ id: byFingerprint.fingerprint, kind: 'mtls' });
    // No bearer credential was involved, and none is made up for the upstream.
    expect(upstream.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('identifies an agent bound by SPIFFE id from the certificate alone', async () => {
    const event = await expectAllowed(await call({ cert: bySpiffe }), 'spiffe-bot');
    expect(event.credential).toEqual({ id: SPIFFE_ID, kind: 'mtls' });
  });

  it('identifies every request of one kept-alive connection by its certificate', async () => {
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca.cert, cert: bySpiffe.cert, key: bySpiffe.key });
    try {
      const first = await call({ agent: keepAlive });
      await expectAllowed(first, 'spiffe-bot');
      upstream.seen.length = 0;
      const second = await call({ agent: keepAlive });
      expect(second.reusedSocket).toBe(true);
      await expectAllowed(second, 'spiffe-bot');
    } finally {
      keepAlive.destroy();
    }
  });

  it('refuses a self-signed certificate claiming a bound SPIFFE id with 401 WARDEN_AUTHN_INVALID', async () => {
    const event = await expectRefused(await call({ cert: impostor }), 401, 'WARDEN_AUTHN_INVALID');
    expect(event.credential).toBeUndefined();
  });

  it('refuses a self-signed certificate even when its fingerprint is bound to an agent', async () => {
    // Trust comes from the chain to the client CA; a fingerprint only says which agent it is.
    await expectRefused(await call({ cert: pinnedSelfSigned }), 401, 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a valid certificate bound to no agent with 403 WARDEN_AUTHN_UNREGISTERED and counts it', async () => {
    const before = await unregisteredClients(h.adminUrl, 'mtls');
    const event = await expectRefused(await call({ cert: unbound }), 403, 'WARDEN_AUTHN_UNREGISTERED');
    expect(event.credential).toEqual({ id: unbound.fingerprint, kind: 'mtls' });
    const withSpiffe = await expectRefused(await call({ cert: unboundSpiffe }), 403, 'WARDEN_AUTHN_UNREGISTERED');
    // The SPIFFE id names the workload better than a fingerprint: that is what the record keeps.
    expect(withSpiffe.credential).toEqual({ id: UNBOUND_SPIFFE_ID, kind: 'mtls' });
    expect(await unregisteredClients(h.adminUrl, 'mtls')).toBe(before + 2);
  });

  it('refuses a request with neither certificate nor bearer token with 401 WARDEN_AUTHN_MISSING, whatever headers claim', async () => {
    await expectRefused(await call(), 401, 'WARDEN_AUTHN_MISSING');
    // Identity asserted in headers, as a TLS-terminating proxy would, counts for nothing here.
    const claimed = await call({
      headers: {
        'x-forwarded-client-cert': `By=spiffe://example.org/gateway;URI=${SPIFFE_ID}`,
        'x-ssl-client-dn': 'CN=fingerprint-bot',
        'x-warden-agent': 'fingerprint-bot',
      },
    });
    await expectRefused(claimed, 401, 'WARDEN_AUTHN_MISSING');
  });

  it('refuses the certificate of one agent with the API key of another as 401 WARDEN_AUTHN_AMBIGUOUS', async () => {
    const answer = await call({ cert: byFingerprint, headers: { authorization: `Bearer ${h.keys.key_keybot0001}` } });
    await expectRefused(answer, 401, 'WARDEN_AUTHN_AMBIGUOUS');
  });

  it('allows the certificate and the API key of the same agent together', async () => {
    const answer = await call({ cert: byFingerprint, headers: { authorization: `Bearer ${h.keys.key_fingerprint01}` } });
    const event = await expectAllowed(answer, 'fingerprint-bot');
    expect(JSON.stringify(event)).not.toContain(h.keys.key_fingerprint01!);
  });

  it('refuses an untrusted certificate even beside a valid API key: nothing presented may fail', async () => {
    // A client that sends a certificate the CA never issued is misconfigured or forging one.
    const answer = await call({ cert: impostor, headers: { authorization: `Bearer ${h.keys.key_fingerprint01}` } });
    await expectRefused(answer, 401, 'WARDEN_AUTHN_INVALID');
  });
});
