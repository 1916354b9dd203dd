import type { Generated } from 'kysely';

/** Row types of the control-plane database, shared by every SQL dialect. */
export interface Database {
  policy_versions: {
    id: Generated<number>;
    version: string;
    /** ISO-8601 UTC with milliseconds, so text order is time order in every dialect. */
    applied_at: string;
    applied_by: string;
    message: string | null;
    diff: string;
  };
  /** Manifest contents by hash: a manifest unchanged across versions is stored once. */
  manifest_blobs: {
    hash: string;
    content: string;
  };
  policy_manifests: {
    version_id: number;
    key: string;
    blob_hash: string;
    source_file: string | null;
    source_line: number | null;
  };
  api_keys: {
    id: string;
    /** Hex SHA-256 of the key; the key itself is never stored. */
    digest: string;
    created_at: string;
    expires_at: string;
    revoked_at: string | null;
  };
  /** One row per request; `event` is the AuditEvent JSON, the other columns are its indexed fields. */
  audit_events: {
    seq: number;
    id: string;
    time: string;
    request_id: string;
    agent: string | null;
    api: string | null;
    operation: string | null;
    decision: string;
    reason: string;
    status: number;
    event: string;
    hash: string;
  };
}
