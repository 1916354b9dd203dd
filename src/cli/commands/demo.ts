import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Command } from 'commander';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { startDemoUpstreams, type DemoApi } from '../../../examples/upstreams/demo-upstreams.js';
import { inclusionProof } from '../../controlplane/audit/audit-proofs.js';
import { scanAudit, summarizeAccess } from '../../controlplane/audit/audit-query.js';
import { checkProof } from '../../controlplane/audit/proof-check.js';
import { defaultGatewayConfig } from '../../controlplane/config/gateway-config-file.js';
import { discoverFromTraffic } from '../../controlplane/discovery/discover-traffic.js';
import { findingsOf } from '../../controlplane/discovery/discovery-findings.js';
import { registeredClients } from '../../controlplane/discovery/registered-clients.js';
import { policyInForce } from '../../controlplane/manifests/policy-in-force.js';
import { issueApiKey } from '../../controlplane/credentials/issue-api-key.js';
import { dataOption } from '../data-option.js';
import { ordinaryHistory, storeBaselinesOf, type OrdinaryWork } from './demo-history.js';
import { startGatewayRuntime, type GatewayRuntime } from '../gateway-runtime.js';
import { counted, printLines, UsageError } from '../output.js';
import { packageRoot } from '../package-root.js';

const IDP_ISSUER = 'https://login.example.com/';
const ORCHESTRATOR_ISSUER = 'https://orchestrator.demo.local/';
const AUDIENCE = 'warden';

/** Upstream secrets of the example APIs: made up per run, injected by the gateway, never seen by agents. */
const UPSTREAM_SECRETS: readonly { api: DemoApi; env: string; header: string; scheme: string }[] = [
  { api: 'crm', env: 'CRM_API_TOKEN', header: 'authorization', scheme: 'Bearer ' },
  { api: 'hr', env: 'HR_API_KEY', header: 'x-api-key', scheme: '' },
  { api: 'finance', env: 'FINANCE_API_TOKEN', header: 'authorization', scheme: 'Bearer ' },
  { api: 'payments', env: 'PAYMENTS_API_TOKEN', header: 'authorization', scheme: 'Bearer ' },
];

/** The IT agent's ordinary work: a look at the compute fleet every one to three minutes, round the clock. */
const ITOPS_POLLING = (endMs: number): OrdinaryWork => ({
  agent: { id: 'itops-agent', name: 'itops-agent', roles: ['it-operations'], owner: 'jonas.berg@example.com' },
  credential: 'key_itopsagent01',
  api: { name: 'it-ops', operation: 'listInstances', template: '/itops/compute/instances', sensitivity: 'internal', dataClasses: [] },
  path: () => '/itops/compute/instances',
  records: 3,
  days: 14,
  gapMs: [60_000, 180_000],
  endMs,
});

interface Call {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the gateway with the example fleet, demo upstream services and a guided walkthrough (what `npm start` does)')
    .option('--examples <dir>', 'manifest folder to serve', path.join(packageRoot(), 'examples'))
    .option('--port <port>', 'agent port of the gateway', '8080')
    .option('--admin-port <port>', 'admin port (admin API, health, metrics)', '8081')
    .option('--once', 'exit after the walkthrough instead of serving until Ctrl-C')
    .addOption(dataOption)
    .action(async (options: { examples: string; port: string; adminPort: string; once?: boolean; data: string }) => {
      // The demo keeps its own store and starts from the example fleet as written on every run:
      // a key revoked or an agent suspended while trying things last time does not spoil the tour.
      const dataDirectory = path.join(path.resolve(options.data), 'demo');
      await rm(dataDirectory, { recursive: true, force: true });
      const env: NodeJS.ProcessEnv = { ...process.env };
      const credentials: Partial<Record<DemoApi, { header: string; value: string }>> = {};
      for (const secret of UPSTREAM_SECRETS) {
        const value = randomBytes(18).toString('base64url');
        env[secret.env] = value;
        credentials[secret.api] = { header: secret.header, value: `${secret.scheme}${value}` };
      }
      const demoDirectory = path.join(dataDirectory, 'keys');
      await mkdir(demoDirectory, { recursive: true });
      const idp = await signingKey(path.join(demoDirectory, 'login.example.com.jwks.json'));
      const orchestrator = await signingKey(path.join(demoDirectory, 'orchestrator.jwks.json'));

      const upstreams = await startDemoUpstreams({ credentials });
      const issuer = (name: string, jwksFile: string) => ({ issuer: name, audiences: [AUDIENCE], keys: { jwksFile } });
      const config = defaultGatewayConfig({
        // The demo gateway runs in the EU region: the support bot may call from eu and us.
        gateway: { host: '127.0.0.1', port: port(options.port, '--port'), region: 'eu' },
        admin: { host: '127.0.0.1', port: port(options.adminPort, '--admin-port') },
        audit: { jsonl: 'audit.jsonl' },
        identity: {
          jwt: [issuer(IDP_ISSUER, 'keys/login.example.com.jwks.json')],
          context: [issuer(ORCHESTRATOR_ISSUER, 'keys/orchestrator.jwks.json')],
        },
      });
      const keys: Record<string, string> = {};
      let runtime: GatewayRuntime;
      try {
        runtime = await startGatewayRuntime({
          loaded: { config, baseDirectory: dataDirectory },
          dataDirectory,
          manifests: options.examples,
          appliedBy: 'demo',
          env,
          async prepare(store) {
            for (const id of ['key_supportbot01', 'key_itopsagent01', 'key_supervisor01']) keys[id] = (await issueApiKey(store, id)).key;
            // Two weeks of the IT agent's ordinary polling, so detection knows its normal pace.
            await storeBaselinesOf(store, ordinaryHistory(ITOPS_POLLING(Date.now() - 10 * 60_000)), config.detection.learningDays);
          },
        });
      } catch (error) {
        await upstreams.close();
        throw error;
      }
      const gateway = `http://127.0.0.1:${runtime.addresses.agent.port}`;
      // A security officer's admin token for the governance part of the tour, issued in-process.
      const officer = await runtime.governance.tokens.issue(runtime.governance.context, { subject: 'warden demo', roles: ['admin'] }, { subject: 'security.officer@example.com', roles: ['security', 'admin'], ttlDays: 1 });
      const admin = `http://127.0.0.1:${runtime.addresses.admin.port}`;
      // The orchestrator signs each task's context: the customer and ticket it binds, and what it is for.
      const taskContext = (purpose: string) =>
        new SignJWT({ customer: 'C-1001', ticket: 'T-77', purpose })
          .setProtectedHeader({ alg: 'ES256', kid: orchestrator.kid })
          .setIssuer(ORCHESTRATOR_ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('support-bot')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(orchestrator.privateKey);
      const context = await taskContext('support');
      const trainingContext = await taskContext('training');
      const analystToken = await new SignJWT({ scope: 'finance.read' })
        .setProtectedHeader({ alg: 'ES256', kid: idp.kid })
        .setIssuer(IDP_ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('finance-analyst-svc')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(idp.privateKey);

      try {
        printLines([
          'Warden demo — an API gateway for AI agents',
          '',
          `Gateway (agents):      ${gateway}`,
          `Admin API (humans):    ${admin}/openapi.json  ${admin}/healthz  ${admin}/readyz  ${admin}/metrics`,
          `Demo upstreams:        ${Object.entries(upstreams.urls).map(([api, url]) => `${api} ${url}`).join(', ')}`,
          `Policy:                ${path.relative(process.cwd(), options.examples) || '.'} applied to ${path.relative(process.cwd(), dataDirectory) || '.'}/warden.db`,
          ...runtime.warnings.map((warning) => `warning: ${warning}`),
          '',
          'Each agent holds only its own Warden credential. Upstream secrets live in the gateway.',
          '',
        ]);
        await walkthrough(gateway, admin, runtime, { supportKey: keys.key_supportbot01!, itopsKey: keys.key_itopsagent01!, context, trainingContext, analystToken, adminToken: officer.token });
        printLines([
          'Try it yourself (keys are shown once; the store keeps only their SHA-256 digests):',
          `  export GW=${gateway}`,
          `  export SUPPORT_KEY=${keys.key_supportbot01}`,
          `  export CONTEXT=${context}`,
          `  export ANALYST_TOKEN=${analystToken}`,
          `  export ITOPS_KEY=${keys.key_itopsagent01}`,
          `  export ADMIN=${admin} ADMIN_TOKEN=${officer.token}   # a security officer's admin token`,
          `  curl -s $GW/crm/customers/C-1001 -H "Authorization: Bearer $SUPPORT_KEY" -H "Warden-Context: $CONTEXT"`,
          `  curl -s $GW/crm/customers/C-1001/orders -H "Authorization: Bearer $SUPPORT_KEY" -H "Warden-Context: $CONTEXT"`,
          `  curl -s $GW/payments/refunds -H "Authorization: Bearer $SUPPORT_KEY" -H 'Content-Type: application/json' -d '{"orderId":"O-1001-1","amount":250,"currency":"EUR"}'`,
          `  curl -s "$GW/finance/transactions?from=2026-09-01&to=2026-09-30" -H "Authorization: Bearer $ANALYST_TOKEN"`,
          `  curl -s ${admin}/metrics | grep warden_requests_total`,
          '  curl -s $ADMIN/agents -H "Authorization: Bearer $ADMIN_TOKEN"          # or: WARDEN_ADMIN_URL=$ADMIN WARDEN_ADMIN_TOKEN=$ADMIN_TOKEN npx warden agents list',
          '  curl -s $ADMIN/review-queue -H "Authorization: Bearer $ADMIN_TOKEN"',
          `  tail -n 3 ${path.relative(process.cwd(), path.join(dataDirectory, 'audit.jsonl'))}`,
          `  npx warden audit query --data ${path.relative(process.cwd(), dataDirectory) || '.'} --agent support-bot --summary`,
          `  npx warden audit verify --data ${path.relative(process.cwd(), dataDirectory) || '.'}`,
          `  npx warden report program-metrics --data ${path.relative(process.cwd(), dataDirectory) || '.'}`,
          '',
          'Run the same gateway against real upstreams: warden start --config warden.yaml (docs/gateway.md);',
          'govern agents, keys and access with the admin API and the warden CLI (docs/governance.md).',
        ]);
        if (options.once) return;
        printLines(['', 'Serving until Ctrl-C.']);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        printLines(['', 'Draining in-flight requests and flushing the audit log…']);
      } finally {
        await runtime.close();
        await upstreams.close();
      }
    });
}

/** The guided tour: real calls through the real gateway, each showing one thing Warden does. */
async function walkthrough(gateway: string, admin: string, runtime: GatewayRuntime, secrets: { supportKey: string; itopsKey: string; context: string; trainingContext: string; analystToken: string; adminToken: string }): Promise<void> {
  const support = { authorization: `Bearer ${secrets.supportKey}`, 'warden-context': secrets.context };
  const analyst = { authorization: `Bearer ${secrets.analystToken}` };
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const before = runtime.audit.log.size();
  let step = 0;
  // Each call through the gateway is one audit record; admin calls are logged elsewhere.
  let gatewayCalls = 0;
  const viaGateway = (method: string, target: string, headers: Record<string, string>, json?: unknown) => {
    gatewayCalls++;
    return request(gateway, method, target, headers, json);
  };
  const show = (title: string, shell: string, call: Call, lines: string[]) => {
    step++;
    printLines([`${step}. ${title}`, `   $ ${shell}`, `   → ${call.status} ${lines[0] ?? ''}`, ...lines.slice(1).map((line) => `     ${line}`), '']);
  };

  let call = await viaGateway('GET', '/crm/customers/C-1001', support);
  const customer = parse(call.body);
  show('The support bot reads the customer of its current ticket (bound by its Warden-Context token)', 'curl $GW/crm/customers/C-1001 -H "Authorization: Bearer $SUPPORT_KEY" -H "Warden-Context: $CONTEXT"', call, [
    `name ${String(customer.name)}, email ${String(customer.email)}, phone ${String(customer.phone)} (masked by the grant), dateOfBirth ${customer.dateOfBirth === undefined ? 'dropped' : 'present'}`,
  ]);

  call = await viaGateway('GET', '/crm/customers/C-2002', support);
  show('A prompt-injected support bot asks for another customer (BOLA)', 'curl $GW/crm/customers/C-2002 …same credentials…', call, problemLines(call));

  call = await viaGateway('GET', '/crm/customers/C-1001', { ...support, 'warden-context': secrets.trainingContext });
  show('The same read for a model-training task: a DataPolicy never lets personal data be read for training', 'curl $GW/crm/customers/C-1001 … -H "Warden-Context: $TRAINING_CONTEXT"   (purpose: training)', call, problemLines(call));

  call = await viaGateway('GET', '/hr/employees/E-7', support);
  show('The support bot reaches for HR data: forbidden, and told what it may use instead', 'curl $GW/hr/employees/E-7 …', call, problemLines(call));

  call = await viaGateway('GET', `/finance/transactions?from=${day(-120)}&to=${day(0)}`, analyst);
  show('The finance analyst (OIDC access token) asks for 120 days of ledger; its grant allows 90', `curl "$GW/finance/transactions?from=${day(-120)}&to=${day(0)}" -H "Authorization: Bearer $ANALYST_TOKEN"`, call, problemLines(call));

  call = await viaGateway('GET', `/finance/transactions?from=${day(-30)}&to=${day(0)}`, analyst);
  const transactions = parse(call.body);
  show('…and gets 30 days', `curl "$GW/finance/transactions?from=${day(-30)}&to=${day(0)}" …`, call, [`${Array.isArray(transactions.transactions) ? transactions.transactions.length : Array.isArray(transactions) ? (transactions as unknown[]).length : '?'} transactions`]);

  call = await viaGateway('GET', '/warehouse/export', analyst);
  // The record is written when the response closes and flushed within 50 ms.
  const recorded = (await waitForAudit(runtime, before, gatewayCalls)).at(-1);
  show('Monitor mode: the legacy warehouse is being rolled out, so an ungranted export still passes — and is recorded', 'curl $GW/warehouse/export -H "Authorization: Bearer $ANALYST_TOKEN"', call, [
    `(passed through) audit: decision ${recorded?.decision.outcome} ${recorded?.decision.reason}`,
  ]);

  const tables: Call[] = [];
  for (const table of ['customers', 'orders', 'refunds', 'transactions']) tables.push(await viaGateway('GET', `/warehouse/tables/${table}`, analyst));
  show('The warehouse learns paths nobody declared (discovery: learn): in monitor mode they pass, recorded against it', 'curl $GW/warehouse/tables/customers …  (and orders, refunds, transactions)', tables[0]!, [
    `${String(parse(tables[0]!.body).count)} customer rows from an undocumented read; the four answered ${tables.map((table) => table.status).join(' ')}`,
  ]);

  call = await viaGateway('GET', '/crm/customers/C-1001/..%2FC-2002', support);
  show('A path trick to reach another customer is refused before routing; the CRM never sees it', 'curl --path-as-is "$GW/crm/customers/C-1001/..%2FC-2002" …', call, problemLines(call));

  call = await viaGateway('GET', '/crm/customers/C-1001', {});
  show('No credential, no access', 'curl $GW/crm/customers/C-1001', call, problemLines(call));

  const officer = { authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' };
  call = await request(admin, 'POST', '/agents/support-bot/actions/suspend', officer, { reason: 'demo: suspected prompt injection in ticket T-77' });
  const suspended = parse(call.body);
  const denied = await viaGateway('GET', '/crm/customers/C-1001', support);
  show('A security officer suspends the support bot (admin API); its very next call is refused', 'curl -X POST $ADMIN/agents/support-bot/actions/suspend -H "Authorization: Bearer $ADMIN_TOKEN" -d \'{"reason":"…"}\'', call, [
    `suspended: new policy in the gateway ${Number(suspended.propagationMs ?? Number.NaN).toFixed(1)} ms after the change`,
    `next call: ${denied.status} ${problemLines(denied)[0]}`,
  ]);
  call = await request(admin, 'POST', '/agents/support-bot/actions/reinstate', officer, { reason: 'demo: ticket reviewed, no injection' });
  show('…and reinstates it', 'curl -X POST $ADMIN/agents/support-bot/actions/reinstate …', call, [`state ${String((parse(call.body).agent as Record<string, unknown> | undefined)?.state)}`]);

  call = await viaGateway('POST', '/.warden/access-requests', { authorization: support.authorization, 'content-type': 'application/json' }, { api: 'crm', operation: 'searchCustomers', reason: 'customers who write in without a ticket number must be found by e-mail', durationDays: 7 });
  const asked = parse(call.body);
  const risk = (asked.risk ?? {}) as Record<string, unknown>;
  show('The support bot asks for access it lacks, at the link every denial gives (requestAccess)', 'curl -X POST $GW/.warden/access-requests -H "Authorization: Bearer $SUPPORT_KEY" -d \'{"api":"crm","operation":"searchCustomers","reason":"…","durationDays":7}\'', call, [
    `${String(asked.status)}: ${String(asked.id)} waits for security, risk ${String(risk.level)} (${String(risk.score)})`,
  ]);
  call = await request(admin, 'POST', `/access-requests/${String(asked.id)}/approve`, officer, { reason: 'demo: needed for walk-in customers' });
  const searched = await viaGateway('GET', '/crm/customers?q=martin', support);
  show('Security approves it for 7 days; the search works at once', `curl -X POST $ADMIN/access-requests/${String(asked.id)}/approve …`, call, [
    `${String(parse(call.body).status)} until ${String(parse(call.body).grantExpiresAt)}; then $GW/crm/customers?q=martin → ${searched.status}, ${String(parse(searched.body).total)} customer(s)`,
  ]);

  const contact = { phone: '+49 30 5550 1001' };
  const writer = { ...support, 'content-type': 'application/json' };
  call = await viaGateway('PATCH', '/crm/customers/C-1001', writer, contact);
  const approval = (parse(call.body).approval ?? {}) as Record<string, unknown>;
  show('Changing a customer\'s phone needs a person\'s approval (stepUp): the call is held, not forwarded', 'curl -X PATCH $GW/crm/customers/C-1001 … -d \'{"phone":"+49 30 5550 1001"}\'', call, [
    `${String(parse(call.body).code)}: approval ${String(approval.id)}, poll ${String(approval.poll)}`,
  ]);
  call = await request(admin, 'POST', `/approvals/${String(approval.id)}/approve`, officer, { reason: 'demo: customer confirmed the new number on the phone' });
  const approved = await viaGateway('PATCH', '/crm/customers/C-1001', { ...writer, 'warden-approval': String(approval.id) }, contact);
  const replayed = await viaGateway('PATCH', '/crm/customers/C-1001', { ...writer, 'warden-approval': String(approval.id) }, contact);
  show('The officer approves it; the same call with Warden-Approval goes through once, a replay does not', `curl -X POST $ADMIN/approvals/${String(approval.id)}/approve …; then the PATCH again with -H "Warden-Approval: ${String(approval.id)}"`, call, [
    `${String(parse(call.body).status)} by ${String(parse(call.body).decidedBy)}; the call → ${approved.status}; sent again → ${replayed.status} ${String(parse(replayed.body).code)}`,
  ]);

  // small-refunds allows 5 a minute per agent.
  const refunds: Call[] = [];
  for (let index = 0; index < 6; index++) refunds.push(await viaGateway('POST', '/payments/refunds', writer, { orderId: 'O-5021', amount: 1, currency: 'EUR' }));
  const limited = refunds.at(-1)!;
  show('Six small refunds in a row: the grant allows 5 a minute per agent', 'for i in 1 2 3 4 5 6; do curl -X POST $GW/payments/refunds … -d \'{"orderId":"O-5021","amount":1,"currency":"EUR"}\'; done', limited, [
    `${String(parse(limited.body).code)}, Retry-After ${String(limited.headers['retry-after'])} s (the six answered ${refunds.map((refund) => refund.status).join(' ')})`,
    `RateLimit-Policy: ${String(limited.headers['ratelimit-policy'])}`,
  ]);

  // The IT agent's key in the wrong hands: reads at machine speed, every one within the grant's
  // 100/s rate limit, but far above the agent's learned pace of a poll every minute or two.
  const itops = { authorization: `Bearer ${secrets.itopsKey}` };
  const burst: Call[] = [];
  do burst.push(await viaGateway('GET', '/itops/compute/instances', itops));
  while (burst.length < 100 && burst.at(-1)!.status === 200);
  await runtime.detection?.settled();
  const incidents = parse((await request(admin, 'GET', '/incidents?agent=itops-agent', officer)).body).incidents as { id: string; status: string; detectors: string[]; severity: string; actions: { action: string; detail: string }[] }[] | undefined;
  const incident = incidents?.[0];
  const throttled = burst.at(-1)!;
  show('The IT agent\'s key, stolen, reads at machine speed — under its rate limit, far above its learned pace: detected, and the default playbook throttles it', 'for i in $(seq 100); do curl $GW/itops/compute/instances -H "Authorization: Bearer $ITOPS_KEY"; done', throttled, [
    `${throttled.status === 200 ? 'never refused' : problemLines(throttled)[0]} (after ${burst.length - 1} calls that passed)`,
    incident === undefined ? 'no incident was opened' : `incident ${incident.id} (${incident.status}): ${incident.detectors.join(', ')}, ${incident.severity}; ${incident.actions.filter((action) => action.action !== 'hold').map((action) => `${action.action}: ${action.detail}`).join('; ')}; its records are on legal hold`,
    'the agent is told it is limited, never what fired; see it all: warden incidents show|timeline ' + (incident?.id ?? 'ID'),
  ]);
  if (incident !== undefined) {
    call = await request(admin, 'POST', `/incidents/${incident.id}/status`, officer, { status: 'false_positive', reason: 'demo: the burst was the tour' });
    const after = await viaGateway('GET', '/itops/compute/instances', itops);
    show('The officer marks it a false positive: the throttle lifts at once', `curl -X POST $ADMIN/incidents/${incident.id}/status … -d '{"status":"false_positive","reason":"…"}'`, call, [`${String((parse(call.body).incident as Record<string, unknown> | undefined)?.status)}; the next read → ${after.status}`]);
  }

  const events = await waitForAudit(runtime, before, gatewayCalls);
  const last = events[events.length - 1];
  printLines([
    `${step + 1}. Every gateway call above is one audit record, hash-chained: ${events.length} new records, last seq ${last?.seq} hash ${last?.hash?.slice(0, 23)}…`,
    '   (in the store and in audit.jsonl; no key, token or query value is ever written;',
    '   the admin actions are in the admin log: curl $ADMIN/admin-events -H "Authorization: Bearer $ADMIN_TOKEN")',
    '',
  ]);
  step++;

  // The log is a Merkle tree: sign a checkpoint, prove one record, verify everything, answer the auditor.
  const audit = runtime.audit;
  const checkpoint = audit.checkpoint() ?? audit.checkpoints.latest()!;
  const proof = inclusionProof(audit.log, audit.checkpoints, last?.seq ?? 1);
  const proofHolds = checkProof(proof, audit.signer!.publicKey).length === 0;
  const verified = audit.verify();
  const today = new Date().toISOString().slice(0, 10);
  const pii = summarizeAccess(scanAudit(audit.log, { dataClass: 'pii', from: new Date(`${today}T00:00:00Z`), to: new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000) }));
  printLines([
    `${step + 1}. The audit log is a Merkle tree with signed checkpoints (docs/audit.md)`,
    `   $ warden audit checkpoint && warden audit inclusion ${proof.seq} --json > proof.json && warden audit check-proof proof.json --public-key audit.pub.pem`,
    `   checkpoint: ${checkpoint.treeSize} records, root ${checkpoint.root.slice(0, 16)}…, Ed25519 key ${checkpoint.keyId}`,
    `   record ${proof.seq}: ${proof.path.length} hashes prove it is in that tree — ${proofHolds ? 'the proof holds' : 'THE PROOF FAILS'}`,
    `   $ warden audit verify   →   ${verified.ok ? `intact: ${verified.checked} records re-hashed, ${verified.checkpointsChecked} signed roots match` : `TAMPERED at record ${verified.firstBad!.seq}: ${verified.firstBad!.problem}`}`,
    `   $ warden audit query --data-class pii --on ${today} --summary   (who accessed personal data today, and what did they read?)`,
    ...pii.flatMap((agent) => [`     ${agent.agent}: ${counted(agent.calls, 'call')}, ${agent.allowed} allowed, ${agent.refused} refused`, ...agent.operations.slice(0, 3).map((operation) => `       ${operation.operation}: ${counted(operation.calls, 'call')}`)]),
    '',
  ]);
  step++;
  printLines([`${step + 1}. Discovery reads the same log against the catalog (docs/discovery.md)`, '   $ warden discover import --audit', ...(await discoveryLines(runtime, before)), '']);
}

/** Discovery over this tour's audit records, recorded as findings like `warden discover import --audit`. */
async function discoveryLines(runtime: GatewayRuntime, afterSeq: number): Promise<string[]> {
  const policy = await policyInForce(runtime.store);
  const registered = await registeredClients(runtime.store, policy?.set.agents ?? []);
  const auditLines = (function* () {
    for (const match of scanAudit(runtime.audit.log, {}, { afterSeq })) yield match.json;
  })();
  const { inventory } = await discoverFromTraffic({ files: [], format: 'auto', specs: [], catalog: policy?.set.apis ?? [], registered, auditLines });
  const now = new Date();
  await runtime.store.discovery.reportFindings(findingsOf(inventory), now);
  const completeness = inventory.completeness;
  await runtime.store.discovery.recordDiscoveryRun({ at: now.toISOString(), source: 'audit', calls: inventory.calls, observedEndpoints: completeness.observed, documentedOwned: completeness.documentedAndOwned });
  const count = (classification: string) => inventory.endpoints.filter((endpoint) => endpoint.classification === classification).length;
  return [
    ...inventory.endpoints.filter((endpoint) => endpoint.classification === 'shadow').map((endpoint) => `   shadow  ${endpoint.method} ${endpoint.template}: ${counted(endpoint.hits, 'call')}, in no manifest, answered anyway`),
    ...inventory.endpoints.filter((endpoint) => endpoint.zombie !== undefined).map((endpoint) => `   zombie  ${endpoint.method} ${endpoint.template} (${endpoint.api}.${endpoint.operationId}): ${endpoint.zombie!.detail}, still ${endpoint.zombie!.state}`),
    `   documented ${count('documented')}, orphan ${count('orphan')} (declared, not called in this tour), unknown ${count('unknown')} (never answered 2xx)`,
    `   observed endpoints documented and owned: ${completeness.documentedAndOwned} of ${completeness.observed}; review the findings with: warden discover findings`,
  ];
}

function problemLines(call: Call): string[] {
  const body = parse(call.body);
  const lines = [`${String(body.code)}: ${String(body.detail)}`];
  const alternatives = Array.isArray(body.alternatives) ? (body.alternatives as { method: string; path: string; summary?: string }[]) : [];
  for (const alternative of alternatives.slice(0, 3)) lines.push(`may use instead: ${alternative.method} ${alternative.path}${alternative.summary ? ` — ${alternative.summary}` : ''}`);
  return lines;
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A raw HTTP request, so the target reaches the gateway exactly as written (fetch would normalise it). */
function request(base: string, method: string, target: string, headers: Record<string, string>, json?: unknown): Promise<Call> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = http.request({ host: url.hostname, port: url.port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(json === undefined ? undefined : JSON.stringify(json));
  });
}

/** The records after `afterSeq`, once there are `count` of them (or after 3 s). */
async function waitForAudit(runtime: GatewayRuntime, afterSeq: number, count: number) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const events = runtime.audit.log.eventsAfter(afterSeq);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A fresh ES256 key pair; the public half is written as a JWKS file the gateway trusts. */
async function signingKey(jwksFile: string): Promise<{ privateKey: CryptoKey; kid: string }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomBytes(8).toString('hex');
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }, null, 2));
  return { privateKey, kid };
}

function port(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new UsageError(`${option} ${text} is not a port number`, `give a number from 0 to 65535, e.g. ${option} 8080`);
  return value;
}
