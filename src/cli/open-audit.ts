import { AuditService } from '../controlplane/audit/audit-service.js';
import { loadCheckpointSigner } from '../controlplane/audit/signing-key.js';
import type { SqlStore } from '../controlplane/store/sql-store.js';
import type { GatewayConfig } from '../model/config/gateway-config.js';

/**
 * The audit log of a store, with the configured signing key, segment size and retention. It
 * follows the log rather than appending to it: the append worker of `warden start` (or nobody,
 * for a CLI command) writes, and this instance catches up before it answers.
 */
/** `sign: false` (read-only commands): use the signing key if there is one, never make one. */
export function openAudit(store: SqlStore, audit: GatewayConfig['audit'], dataDirectory: string, env: NodeJS.ProcessEnv, options: { readonly sign: boolean } = { sign: true }): AuditService {
  if (store.sqlite === undefined) throw new Error('the audit log needs the SQLite store');
  if (!Number.isInteger(Math.log2(audit.segmentSize))) throw new Error(`audit.segmentSize ${audit.segmentSize} is not a power of two; use 65536 (or 256, 512, 1024, …)`);
  const signer = options.sign ? loadCheckpointSigner(audit.signingKey, dataDirectory, env) : loadCheckpointSigner(audit.signingKey, dataDirectory, env, { create: false });
  return new AuditService(store.sqlite, { ...(signer !== undefined ? { signer } : {}), segmentSize: audit.segmentSize, follow: true, retention: audit.retention });
}
