import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { agentAccessRequests } from '../controlplane/access/agent-access-requests.js';
import { AdminAuthenticator } from '../controlplane/admin-api/admin-authenticator.js';
import { createAdminServer } from '../controlplane/admin-api/admin-server.js';
import { agentApprovals } from '../controlplane/approvals/agent-approvals.js';
import { AdminLog } from '../controlplane/audit/admin-log.js';
import type { AuditService } from '../controlplane/audit/audit-service.js';
import { WorkerAppender } from '../controlplane/audit/audit-appender.js';
import { AuditWriter } from '../controlplane/audit/audit-writer.js';
import { ExportThread } from '../controlplane/audit/sinks/export-thread.js';
import type { SinkStatus } from '../controlplane/audit/sinks/sink-worker.js';
import { packageRoot } from './package-root.js';
import { openAudit } from './open-audit.js';
import { startAuditJobs } from '../controlplane/audit/audit-jobs.js';
import type { LoadedGatewayConfig } from '../controlplane/config/gateway-config-file.js';
import { resolveSecret } from '../controlplane/config/secret-ref.js';
import { pseudonymKey } from './pseudonym-key.js';
import { DetectionEngine } from '../controlplane/detection/detection-engine.js';
import { DetectionService } from '../controlplane/detection/detection-service.js';
import { Governance } from '../controlplane/governance/governance.js';
import { GovernanceJobs } from '../controlplane/governance/governance-jobs.js';
import { applyManifests } from '../controlplane/manifests/apply-manifests.js';
import { notifierFromConfig } from '../controlplane/notify/configured-notifier.js';
import { PolicyPublisher, type PublishedPolicy } from '../controlplane/publish/policy-publisher.js';
import { openSqliteStore, sqliteFileIn } from '../controlplane/store/sqlite-store.js';
import type { Store } from '../controlplane/store/store.js';
import { UsageTracker } from '../controlplane/usage/usage-tracker.js';
import type { AuditSink } from '../dataplane/audit-sink.js';
import { UpstreamCredentials } from '../dataplane/filters/forward/upstream-credentials.js';
import { Gateway } from '../dataplane/gateway.js';
import { gatewayState } from '../dataplane/gateway-state.js';
import type { AuditEvent } from '../model/audit-event.js';
import type { UpstreamAuth } from '../policy/snapshot.js';
import { loadValidFolder } from './load-snapshot.js';

/** A running all-in-one Warden: gateway, control plane (admin API, governance, jobs), store and audit. */
export interface GatewayRuntime {
  readonly gateway: Gateway;
  readonly governance: Governance;
  readonly addresses: { readonly agent: AddressInfo; readonly admin: AddressInfo };
  readonly store: Store;
  readonly audit: AuditService;
  /** The SIEM export sinks' state (empty without `audit.sinks`). */
  auditSinks(): Promise<SinkStatus[]>;
  /** The first admin token's file when this start created it. */
  readonly adminTokenFile: string | undefined;
  /** Problems worth a warning at start (unresolvable upstream credentials, no policy yet). */
  readonly warnings: readonly string[];
  readonly jobs: GovernanceJobs;
  /** Live detection; undefined when `detection.enabled` is false. */
  readonly detection: DetectionService | undefined;
  /** Drains the gateway, stops the admin API and jobs, flushes usage and the audit log, closes the store. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly loaded: LoadedGatewayConfig;
  readonly dataDirectory: string;
  /** A manifest folder to apply before serving (else the config's `manifests`, else the policy in force). */
  readonly manifests?: string;
  readonly appliedBy: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs once the store is open, before the gateway starts (the demo issues its keys here). */
  readonly prepare?: (store: Store) => Promise<void>;
  /** The clock of governance (expiry, reviews); tests move it. */
  readonly now?: () => Date;
}

/** Starts the all-in-one process of DESIGN.md §2 (`warden start`). */
export async function startGatewayRuntime(options: RuntimeOptions): Promise<GatewayRuntime> {
  const { config, baseDirectory } = options.loaded;
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const warnings: string[] = [];
  const folder = options.manifests ?? (config.manifests === undefined ? undefined : path.resolve(baseDirectory, config.manifests));
  const loaded = folder === undefined ? undefined : await loadValidFolder(folder);
  const store = await openSqliteStore(sqliteFileIn(options.dataDirectory));
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    if (loaded !== undefined) await applyManifests(store, loaded.loaded.set, { appliedBy: options.appliedBy, message: `warden start: ${folder}` });
    await options.prepare?.(store);

    const credentials = new UpstreamCredentials(env);
    let gateway: Gateway | undefined;
    let detection: DetectionService | undefined;
    const publisher = new PolicyPublisher(store, {
      now,
      onPublish: (policy: PublishedPolicy) => {
        gateway?.update(gatewayState(policy.snapshot, policy.keys));
        detection?.policyChanged(policy.snapshot);
      },
      onWarning: (warning) => process.emitWarning(`warden: policy: ${warning}`),
    });
    closers.push(async () => publisher.stop());
    const first = await publisher.publish();
    publisher.follow(2000);
    if (first === undefined) warnings.push('no policy has been applied yet: the gateway answers 503 until `warden apply` puts one in force (then restart)');
    else {
      warnings.push(...first.warnings);
      for (const api of first.snapshot.apis.values()) {
        if (api.upstreamAuth === undefined) continue;
        for (const problem of credentials.problems([api.upstreamAuth as UpstreamAuth])) warnings.push(`API ${api.name}: ${problem}; its calls will fail with 502 until it is set`);
      }
    }

    const audit = openAudit(store, config.audit, options.dataDirectory, env);
    const auditJobs = startAuditJobs(audit, config.audit, { now, onError: (error) => process.emitWarning(`warden: audit: ${error.message}`) });
    closers.push(async () => auditJobs.stop());
    const auditWarning = (message: string) => process.emitWarning(`warden: audit: ${message}`);
    // Records are hashed and stored on a worker thread: the request thread only serialises them.
    const appender = new WorkerAppender(
      path.join(packageRoot(), 'dist/src/controlplane/audit/audit-append-worker.js'),
      { databaseFile: sqliteFileIn(options.dataDirectory), segmentSize: config.audit.segmentSize, jsonlFile: config.audit.jsonl === undefined ? undefined : path.resolve(baseDirectory, config.audit.jsonl) },
      { onWarning: auditWarning },
    );
    await appender.start();
    // SIEM export on a thread of its own; a sink it cannot feed (bad field, unreadable CA, missing secret) stops the start.
    const exportThread = config.audit.sinks.length === 0 ? undefined : await ExportThread.start(
      path.join(packageRoot(), 'dist/src/controlplane/audit/sinks/export-thread-worker.js'),
      { databaseFile: sqliteFileIn(options.dataDirectory), segmentSize: config.audit.segmentSize, sinks: config.audit.sinks, baseDirectory, env },
      auditWarning,
    );
    if (exportThread !== undefined) closers.push(() => exportThread.stop());
    const writer = new AuditWriter(appender, { flushIntervalMs: config.audit.flushIntervalMs, onError: (error) => auditWarning(error.message), ...(exportThread !== undefined ? { onAppended: () => exportThread.nudge() } : {}) });
    closers.push(() => writer.close());
    const usage = new UsageTracker(store);
    const usageTimer = setInterval(() => void usage.flush().catch((error: Error) => process.emitWarning(`warden: usage: ${error.message}`)), 5000);
    usageTimer.unref();
    closers.push(async () => {
      clearInterval(usageTimer);
      await usage.flush();
    });

    const notifier = notifierFromConfig(config.notify, env, (error) => process.emitWarning(`warden: notify: ${error.message}`), baseDirectory);
    closers.push(() => notifier.flush());
    const governance = new Governance({
      store,
      publisher,
      log: new AdminLog(store.governance, now),
      notifier,
      now,
      settings: { ...config.governance, maxKeyTtlDays: 365 },
    }, { stepUp: config.stepUp, audit });
    const callbackSecret = config.stepUp.callbackSecret === undefined ? undefined : resolveSecret(config.stepUp.callbackSecret, env);
    if (typeof callbackSecret === 'object') throw new Error(`stepUp.callbackSecret: ${callbackSecret.unavailable}`);
    if (config.detection.enabled) {
      const engine = new DetectionEngine({ learningDays: config.detection.learningDays, grantGraceDays: config.detection.grantGraceDays });
      detection = await DetectionService.start({ engine, governance, saveEveryMs: config.detection.baselineSaveSeconds * 1000, onError: (error) => process.emitWarning(`warden: ${error.message}`) });
      const running = detection;
      closers.push(() => running.close());
    }
    const adminTokenFile = await governance.tokens.bootstrap(path.join(options.dataDirectory, 'admin-token'), config.admin.bootstrapSubject, now());

    gateway = new Gateway({
      config,
      baseDirectory,
      sink: observedBy(writer, usage, detection),
      accessRequests: agentAccessRequests(governance.access),
      approvals: agentApprovals(governance.approvals),
      credentials,
      adminListener: false,
      pseudonymKey: await pseudonymKey(config.dataProtection.pseudonymKey, options.dataDirectory, env),
      ...(first !== undefined ? { state: gatewayState(first.snapshot, first.keys) } : {}),
    });
    const live = gateway;
    const admin = await createAdminServer({
      governance,
      authenticator: new AdminAuthenticator(governance.tokens, config.admin.oidc, baseDirectory, now),
      ops: (req, res) => live.ops(req, res),
      audit,
      ...(exportThread !== undefined ? { auditSinks: () => exportThread.status() } : {}),
      ...(callbackSecret !== undefined ? { approvalCallbackSecret: callbackSecret } : {}),
    });
    closers.push(() => admin.close());
    const addresses = await live.listen();
    closers.push(() => live.close());
    // Closed first (closers run in reverse): calls held open for a decision end before the gateway drains.
    closers.push(async () => governance.approvals.close());
    await admin.listen({ port: config.admin.port, host: config.admin.host });
    const jobs = new GovernanceJobs(governance, { everyMs: config.governance.jobsEveryMinutes * 60_000, onError: (error) => process.emitWarning(`warden: governance jobs: ${error.message}`) });
    jobs.start();
    closers.push(() => jobs.stop());

    return {
      gateway: live,
      governance,
      addresses: { agent: addresses.agent, admin: admin.server.address() as AddressInfo },
      store,
      audit,
      auditSinks: async () => exportThread?.status() ?? [],
      adminTokenFile,
      warnings,
      jobs,
      detection,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The audit writer, with the usage tracker and detection looking at every record on its way in. */
function observedBy(writer: AuditWriter, usage: UsageTracker, detection: DetectionService | undefined): AuditSink {
  return {
    write(event: AuditEvent) {
      writer.write(event);
      usage.observe(event);
      detection?.observe(event);
    },
    writeDurably(event: AuditEvent) {
      usage.observe(event);
      detection?.observe(event);
      return writer.writeDurably(event);
    },
    pending: () => writer.pending(),
  };
}
