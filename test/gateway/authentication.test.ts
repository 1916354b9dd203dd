import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/controlplane/credentials/issue-api-key.js';
import { gatewayState } from '../../src/dataplane/gateway-state.js';
import type { AuditEvent } from '../../src/model/audit-event.js';
import { compile } from '../../src/policy/compile.js';
import { loadManifests } from '../../src/policy/load/load-manifests.js';
import { startEchoUpstream, startHarness, type Harness } from '../support/gateway-harness.js';
import { createTestIssuer, hmacWithPublicKey, nowSeconds, tamperedPayload, unsecuredToken, type TestIssuer } from '../support/test-tokens.js';
import { CRM_API, READER_ROLE } from '../support/crm-reader-manifests.js';

const CHALLENGE = 'Bearer realm="warden"';
const INVALID_TOKEN = 'Bearer realm="warden", error="invalid_token"';
const IDP = 'https://idp.test.example/';
const OTHER_IDP = 'https://other-idp.test.example/';

/** One agent manifest; `credentials` is a YAML flow list. */
function agent(name: string, credentials: string, state = 'active'): string {
  return `apiVersion: warden.dev/v1
kind: Agent
metadata: { name: ${name} }
spec:
  owner: owner@example.com
  purpose: Reads customers in the authentication tests
  roles: [reader]
  state: ${state}
  credentials: ${credentials}
`;
}

const AGENTS = [
  agent('support-bot', '[{ type: apiKey, id: key_supportbot01 }, { type: apiKey, id: key_expired001 }, { type: apiKey, id: key_revoked001 }]'),
  agent('suspended-bot', '[{ type: apiKey, id: key_suspended01 }]', 'suspended'),
  agent('analyst-bot', `[{ type: jwt, issuer: "${IDP}", subject: analyst-svc }]`),
  agent('reporting-bot', `[{ type: jwt, issuer: "${IDP}", subject: reporting-client }]`),
].join('---\n');

type Upstream = Awaited<ReturnType<typeof startEchoUpstream>>;

/** The problem document's `code` and the response headers that matter here. */
async function problemOf(response: Response): Promise<{ code: string }> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as { code: string };
}

/** Counts a Prometheus counter sample on the admin port. */
async function unregisteredClients(adminUrl: string, kind: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const match = new RegExp(`^warden_unregistered_clients_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Sends requests and checks refusals against the promises users depend on: the status and
 * code, the challenge on 401s, nothing forwarded, and exactly one audit record per request
 * that names the reason and never holds the presented secret.
 */
class Client {
  sent = 0;
  constructor(private readonly h: Harness, private readonly upstream: Upstream) {}

  async get(authorization?: string, target = '/crm/customers/c-1'): Promise<Response> {
    this.sent++;
    return fetch(`${this.h.url}${target}`, { headers: authorization === undefined ? {} : { authorization } });
  }

  /** The one audit record of this response's request, after checking it is the only one. */
  async recordOf(response: Response): Promise<AuditEvent> {
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    // Every request so far has exactly one record: no more, no fewer.
    const all = await this.h.auditEvents(this.sent);
    expect(all).toHaveLength(this.sent);
    const mine = all.filter((event) => event.requestId === requestId);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  }

  async expectRefused(response: Response, expected: { status: 401 | 403; code: string; challenge?: string; secrets: readonly string[] }): Promise<AuditEvent> {
    expect(response.status).toBe(expected.status);
    expect((await problemOf(response)).code).toBe(expected.code);
    // RFC 9110 §11.6.1: a 401 carries a challenge; a 403 is not about credentials, so none.
    expect(response.headers.get('www-authenticate')).toBe(expected.status === 401 ? expected.challenge : null);
    expect(this.upstream.seen).toEqual([]);
    const event = await this.recordOf(response);
    expect(event.decision.outcome).toBe('deny');
    expect(event.decision.reason).toBe(expected.code);
    expect(event.http.status).toBe(expected.status);
    const json = JSON.stringify(event);
    for (const secret of expected.secrets) expect(json).not.toContain(secret);
    return event;
  }

  async expectAllowed(response: Response, agentName: string, secret: string): Promise<AuditEvent> {
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(this.upstream.seen).toHaveLength(1);
    // The agent's own credential is never passed on to the upstream.
    expect(JSON.stringify(this.upstream.seen[0]!.rawHeaders)).not.toContain(secret);
    const event = await this.recordOf(response);
    expect(event.decision).toMatchObject({ outcome: 'allow', reason: 'GRANTED' });
    expect(event.agent?.name).toBe(agentName);
    expect(JSON.stringify(event)).not.toContain(secret);
    return event;
  }
}

describe('API keys', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;
  let expiredKey: string;
  let revokedKey: string;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    h = await startHarness({
      manifests: { 'api.yaml': CRM_API, 'role.yaml': READER_ROLE, 'agents.yaml': AGENTS },
      upstreamUrl: upstream.url,
      apiKeys: ['key_supportbot01', 'key_suspended01', 'key_unbound001'],
    });
    // The harness issues keys before the gateway starts; keys in other states are issued
    // here and handed to the running gateway the way the control plane does, as a new state.
    expiredKey = (await issueApiKey(h.store, 'key_expired001', { now: new Date(Date.now() - 2 * 86_400_000), ttlDays: 1 })).key;
    const revoked = await issueApiKey(h.store, 'key_revoked001');
    revokedKey = revoked.key;
    await h.store.putApiKey({ ...revoked.record, revokedAt: new Date() });
    h.gateway.update(gatewayState(h.gateway.state!.snapshot, await h.store.listApiKeys()));
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  it('forwards a valid key of an active agent and records the key by id only', async () => {
    const key = h.keys.key_supportbot01!;
    const event = await client.expectAllowed(await client.get(`Bearer ${key}`), 'support-bot', key);
    expect(event.credential).toEqual({ id: 'key_supportbot01', kind: 'apiKey' });
  });

  it('answers a request without any credential with 401 WARDEN_AUTHN_MISSING and a plain Bearer challenge', async () => {
    const event = await client.expectRefused(await client.get(), { status: 401, code: 'WARDEN_AUTHN_MISSING', challenge: CHALLENGE, secrets: [] });
    expect(event.agent).toBeUndefined();
    expect(event.credential).toBeUndefined();
  });

  it('refuses an Authorization header of another scheme as malformed', async () => {
    const basic = `Basic ${Buffer.from('support-bot:hunter2').toString('base64')}`;
    await client.expectRefused(await client.get(basic), { status: 401, code: 'WARDEN_AUTHN_INVALID', challenge: INVALID_TOKEN, secrets: [basic, 'hunter2'] });
  });

  it('refuses a Bearer header whose token contains a space as malformed', async () => {
    const key = h.keys.key_supportbot01!;
    // A valid key followed by junk must not be accepted by looking only at the first word.
    await client.expectRefused(await client.get(`Bearer ${key} extra`), { status: 401, code: 'WARDEN_AUTHN_INVALID', challenge: INVALID_TOKEN, secrets: [key] });
  });

  it('refuses a well-formed key whose id was never issued', async () => {
    const key = `wdn_nosuchkey01_${'A'.repeat(43)}`;
    const event = await client.expectRefused(await client.get(`Bearer ${key}`), { status: 401, code: 'WARDEN_AUTHN_INVALID', challenge: INVALID_TOKEN, secrets: [key, 'A'.repeat(43)] });
    expect(event.credential).toBeUndefined();
  });

  it('refuses the right key id with a wrong secret, without naming the key as valid', async () => {
    const secret = 'x'.repeat(43);
    const key = `wdn_supportbot01_${secret}`;
    const event = await client.expectRefused(await client.get(`Bearer ${key}`), { status: 401, code: 'WARDEN_AUTHN_INVALID', challenge: INVALID_TOKEN, secrets: [key, secret] });
    // A guessed secret must not be told apart from an unknown key, in the answer or the record.
    expect(event.credential).toBeUndefined();
    expect(event.agent).toBeUndefined();
  });

  it('refuses an expired key even with the right secret', async () => {
    const event = await client.expectRefused(await client.get(`Bearer ${expiredKey}`), { status: 401, code: 'WARDEN_AUTHN_EXPIRED', challenge: INVALID_TOKEN, secrets: [expiredKey, expiredKey.slice(-43)] });
    expect(event.credential).toEqual({ id: 'key_expired001', kind: 'apiKey' });
    expect(event.agent).toBeUndefined();
  });

  it('refuses a revoked key even with the right secret', async () => {
    const event = await client.expectRefused(await client.get(`Bearer ${revokedKey}`), { status: 401, code: 'WARDEN_AUTHN_EXPIRED', challenge: INVALID_TOKEN, secrets: [revokedKey, revokedKey.slice(-43)] });
    expect(event.credential).toEqual({ id: 'key_revoked001', kind: 'apiKey' });
  });

  it('refuses a valid key bound to no agent with 403 WARDEN_AUTHN_UNREGISTERED and counts the unregistered client', async () => {
    const key = h.keys.key_unbound001!;
    const before = await unregisteredClients(h.adminUrl, 'apiKey');
    const event = await client.expectRefused(await client.get(`Bearer ${key}`), { status: 403, code: 'WARDEN_AUTHN_UNREGISTERED', secrets: [key, key.slice(-43)] });
    expect(event.credential).toEqual({ id: 'key_unbound001', kind: 'apiKey' });
    expect(await unregisteredClients(h.adminUrl, 'apiKey')).toBe(before + 1);
  });

  it('refuses a suspended agent with 403 WARDEN_AGENT_NOT_ACTIVE and records who it was', async () => {
    const key = h.keys.key_suspended01!;
    const event = await client.expectRefused(await client.get(`Bearer ${key}`), { status: 403, code: 'WARDEN_AGENT_NOT_ACTIVE', secrets: [key, key.slice(-43)] });
    expect(event.agent?.name).toBe('suspended-bot');
    expect(event.credential).toEqual({ id: 'key_suspended01', kind: 'apiKey' });
  });
});

describe('JWT access tokens from a JWKS file', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;
  let idp: TestIssuer;
  let otherIdp: TestIssuer;
  let attacker: TestIssuer;

  beforeAll(async () => {
    [idp, otherIdp, attacker] = await Promise.all([createTestIssuer(IDP), createTestIssuer(OTHER_IDP), createTestIssuer('https://attacker.example/')]);
    upstream = await startEchoUpstream();
    h = await startHarness({
      manifests: { 'api.yaml': CRM_API, 'role.yaml': READER_ROLE, 'agents.yaml': AGENTS },
      upstreamUrl: upstream.url,
      files: { 'idp-jwks.json': JSON.stringify(idp.jwks), 'other-idp-jwks.json': JSON.stringify(otherIdp.jwks) },
      config: {
        identity: {
          // Both issuers are trusted (default clock skew: 30 s); only agents of the first are bound.
          jwt: [
            { issuer: IDP, audiences: ['warden'], keys: { jwksFile: 'idp-jwks.json' }, algorithms: ['RS256'] },
            { issuer: OTHER_IDP, audiences: ['warden'], keys: { jwksFile: 'other-idp-jwks.json' }, algorithms: ['RS256'] },
          ],
        },
      },
    });
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  const refuseToken = (token: string, code: 'WARDEN_AUTHN_INVALID' | 'WARDEN_AUTHN_EXPIRED') =>
    client.get(`Bearer ${token}`).then((response) => client.expectRefused(response, { status: 401, code, challenge: INVALID_TOKEN, secrets: [token, token.split('.')[2]!].filter(Boolean) }));

  it('maps a valid token to the agent bound to its issuer and subject', async () => {
    const token = await idp.sign({ sub: 'analyst-svc' });
    const event = await client.expectAllowed(await client.get(`Bearer ${token}`), 'analyst-bot', token);
    expect(event.credential).toEqual({ id: `${IDP}#analyst-svc`, kind: 'jwt' });
  });

  it('maps a valid token to the agent bound to its client_id when the subject is bound to none', async () => {
    // Client-credentials tokens of some IdPs carry the application in client_id, a user in sub.
    const token = await idp.sign({ sub: 'user-4711', client_id: 'reporting-client' });
    await client.expectAllowed(await client.get(`Bearer ${token}`), 'reporting-bot', token);
  });

  it('refuses a token whose subject and client_id are bound to different agents', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc', client_id: 'reporting-client' }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a valid token whose subject is bound to no agent as unregistered and counts it', async () => {
    const token = await idp.sign({ sub: 'nobody-svc' });
    const before = await unregisteredClients(h.adminUrl, 'jwt');
    const event = await client.expectRefused(await client.get(`Bearer ${token}`), { status: 403, code: 'WARDEN_AUTHN_UNREGISTERED', secrets: [token] });
    expect(event.credential).toEqual({ id: `${IDP}#nobody-svc`, kind: 'jwt' });
    expect(await unregisteredClients(h.adminUrl, 'jwt')).toBe(before + 1);
  });

  it('refuses an expired token', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { expiresIn: -3600 }), 'WARDEN_AUTHN_EXPIRED');
  });

  it('refuses a token that expired longer ago than the clock skew allows', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { expiresIn: -45 }), 'WARDEN_AUTHN_EXPIRED');
  });

  it('accepts a token that expired within the clock skew', async () => {
    const token = await idp.sign({ sub: 'analyst-svc' }, { expiresIn: -10 });
    await client.expectAllowed(await client.get(`Bearer ${token}`), 'analyst-bot', token);
  });

  it('refuses a token whose nbf is further in the future than the clock skew', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { notBefore: 120 }), 'WARDEN_AUTHN_EXPIRED');
  });

  it('accepts a token whose nbf is in the future within the clock skew', async () => {
    const token = await idp.sign({ sub: 'analyst-svc' }, { notBefore: 10 });
    await client.expectAllowed(await client.get(`Bearer ${token}`), 'analyst-bot', token);
  });

  it('refuses a token without exp, which would be valid forever', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { withoutExpiry: true }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a token issued for another audience', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { audience: 'some-other-api' }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a token claiming another trusted issuer than the one whose key signed it', async () => {
    // Signed with the first IdP's key, but iss names the second: its keys must be the ones checked.
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { issuer: OTHER_IDP }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a token from an issuer that is not trusted', async () => {
    await refuseToken(await attacker.sign({ sub: 'analyst-svc' }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses an unsigned token (alg: none)', async () => {
    await refuseToken(unsecuredToken(IDP, { sub: 'analyst-svc' }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses an HS256 token signed with the issuer\'s public RSA key as HMAC secret', async () => {
    await refuseToken(await hmacWithPublicKey(idp, { sub: 'analyst-svc' }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a token that brings its own key in the jwk header, signed by that key', async () => {
    // The attacker's token claims the trusted issuer and kid, and embeds the attacker's public key.
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const attackerJwk = await exportJWK(publicKey);
    const now = nowSeconds();
    const token = await new SignJWT({ iss: IDP, aud: 'warden', sub: 'analyst-svc', iat: now, exp: now + 300 })
      .setProtectedHeader({ alg: 'RS256', kid: idp.kid, jwk: attackerJwk })
      .sign(privateKey);
    await refuseToken(token, 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a token whose kid is not in the issuer\'s JWKS', async () => {
    await refuseToken(await idp.sign({ sub: 'analyst-svc' }, { header: { kid: 'kid-unknown' } }), 'WARDEN_AUTHN_INVALID');
  });

  it('refuses a validly signed token whose payload was changed afterwards', async () => {
    // A token of an unbound subject, rewritten to name the analyst.
    const token = tamperedPayload(await idp.sign({ sub: 'nobody-svc' }), { sub: 'analyst-svc' });
    await refuseToken(token, 'WARDEN_AUTHN_INVALID');
  });
});

describe('JWT access tokens from a JWKS URL', () => {
  let upstream: Upstream;
  let h: Harness;
  let client: Client;
  let idp: TestIssuer;
  let jwksServer: http.Server;
  let jwksFetches = 0;

  beforeAll(async () => {
    idp = await createTestIssuer(IDP);
    // A real HTTP server publishing the issuer's keys, counting how often the gateway asks.
    jwksServer = http.createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(idp.jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    upstream = await startEchoUpstream();
    h = await startHarness({
      manifests: { 'api.yaml': CRM_API, 'role.yaml': READER_ROLE, 'agents.yaml': AGENTS },
      upstreamUrl: upstream.url,
      // No clock skew, so a token's expiry is observable within a test.
      config: { identity: { jwt: [{ issuer: IDP, audiences: ['warden'], keys: { jwksUri }, algorithms: ['RS256'], clockSkewSeconds: 0 }] } },
    });
    client = new Client(h, upstream);
  });
  afterAll(async () => {
    await h?.close();
    await upstream?.close();
    jwksServer.closeAllConnections();
    await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  });
  beforeEach(() => {
    upstream.seen.length = 0;
  });

  it('fetches the keys on first use and verifies many tokens with one fetch', async () => {
    expect(jwksFetches).toBe(0);
    for (const sub of ['analyst-svc', 'reporting-client', 'analyst-svc']) {
      upstream.seen.length = 0;
      const token = await idp.sign({ sub, jti: `${sub}-${Math.random()}` });
      const response = await client.get(`Bearer ${token}`);
      await client.expectAllowed(response, sub === 'analyst-svc' ? 'analyst-bot' : 'reporting-bot', token);
    }
    expect(jwksFetches).toBe(1);
  });

  it('serves a verified token again but refuses it once it has expired', async () => {
    const token = await idp.sign({ sub: 'analyst-svc' }, { expiresIn: 2 });
    const expiresAt = decodeJwt(token).exp!;
    await client.expectAllowed(await client.get(`Bearer ${token}`), 'analyst-bot', token);
    upstream.seen.length = 0;
    await client.expectAllowed(await client.get(`Bearer ${token}`), 'analyst-bot', token);
    upstream.seen.length = 0;
    // The verified-token cache must not outlive exp.
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await client.expectRefused(await client.get(`Bearer ${token}`), { status: 401, code: 'WARDEN_AUTHN_EXPIRED', challenge: INVALID_TOKEN, secrets: [token] });
  });

  it('re-checks the agent binding of a cached token against the current policy', async () => {
    const token = await idp.sign({ sub: 'analyst-svc' });
    await client.expectAllowed(await client.get(`Bearer ${token}`), 'analyst-bot', token);
    upstream.seen.length = 0;
    // The policy changes: analyst-bot loses its token binding. The cache holds a verified
    // signature, not an identity, so the same token now belongs to no agent.
    const manifests = path.join(h.directory, 'manifests-unbound');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'api.yaml'), CRM_API.replaceAll('${UPSTREAM}', upstream.url));
    await writeFile(path.join(manifests, 'role.yaml'), READER_ROLE);
    await writeFile(path.join(manifests, 'agents.yaml'), agent('analyst-bot', '[]'));
    const loaded = await loadManifests(manifests);
    expect(loaded.problems).toEqual([]);
    const previous = h.gateway.state!;
    h.gateway.update(gatewayState(compile(loaded.set), await h.store.listApiKeys()));
    try {
      await client.expectRefused(await client.get(`Bearer ${token}`), { status: 403, code: 'WARDEN_AUTHN_UNREGISTERED', secrets: [token] });
    } finally {
      h.gateway.update(previous);
    }
  });
});
