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
    /** The agent a key was issued for at run time; null when a manifest binds it. */
    agent: string | null;
    created_by: string | null;
    last_used_at: string | null;
    expiry_warned_at: string | null;
    /** The key that replaced this one in a rotation. */
    replaced_by: string | null;
  };
  agent_records: {
    name: string;
    source: string;
    definition: string | null;
    state: string;
    state_since: string;
    template: string | null;
    created_at: string;
    created_by: string;
  };
  agent_transitions: {
    id: Generated<number>;
    agent: string;
    from_state: string | null;
    to_state: string;
    action: string;
    actor: string;
    reason: string;
    at: string;
  };
  credential_bindings: {
    id: string;
    agent: string;
    binding: string;
    identity: string;
    created_at: string;
    created_by: string;
  };
  runtime_rules: {
    id: string;
    agent: string;
    kind: string;
    rule: string;
    expires_at: string | null;
    source: string;
    source_id: string | null;
    created_at: string;
    created_by: string;
  };
  access_requests: {
    id: string;
    agent: string;
    api: string;
    operation: string;
    reason: string;
    duration_days: number | null;
    status: string;
    risk: string;
    requested_at: string;
    requested_by: string;
    decided_at: string | null;
    decided_by: string | null;
    decision_reason: string | null;
    rule_id: string | null;
  };
  admin_tokens: {
    id: string;
    digest: string;
    subject: string;
    roles: string;
    created_at: string;
    created_by: string;
    expires_at: string;
    revoked_at: string | null;
    last_used_at: string | null;
  };
  admin_events: {
    seq: Generated<number>;
    time: string;
    actor: string;
    roles: string;
    action: string;
    target: string;
    outcome: string;
    detail: string | null;
    before: string | null;
    after: string | null;
  };
  owners: {
    email: string;
    active: number;
    left_at: string | null;
    updated_by: string;
  };
  usage: {
    agent: string;
    api: string;
    operation: string;
    rule: string;
    last_used_at: string;
    calls: number;
  };
  review_decisions: {
    id: Generated<number>;
    agent: string;
    item: string;
    decision: string;
    actor: string;
    reason: string;
    at: string;
  };
  /** Step-up approvals: calls held for a human's decision, each good for one call. */
  approvals: {
    id: string;
    agent: string;
    api: string;
    operation: string;
    method: string;
    path: string;
    query: string;
    parameters: string;
    context: string | null;
    fingerprint: string;
    request_id: string;
    status: string;
    requested_at: string;
    expires_at: string;
    decided_at: string | null;
    decided_by: string | null;
    decided_via: string | null;
    reason: string | null;
    used_at: string | null;
    used_request_id: string | null;
  };
  /** Findings of discovery and their review decisions (migration 0006). */
  discovery_findings: {
    id: string;
    kind: string;
    subject: string;
    details: string;
    status: string;
    reason: string | null;
    decommission_on: string | null;
    decided_by: string | null;
    decided_at: string | null;
    first_reported: string;
    last_reported: string;
  };
  /** One row per discovery import or scan, with the completeness it measured. */
  discovery_runs: {
    id: Generated<number>;
    at: string;
    source: string;
    calls: number;
    observed_endpoints: number;
    documented_owned: number;
  };
  /** Exported detection baselines, one per agent or role (migration 0007). */
  detection_baselines: {
    subject: string;
    state: string;
    updated_at: string;
  };
  /** Alerts about one agent grouped into an incident, and its status. */
  incidents: {
    id: string;
    agent: string;
    status: string;
    severity: string;
    /** JSON array of detector names. */
    detectors: string;
    alert_count: number;
    first_event_at: string;
    detected_at: string;
    contained_at: string | null;
    resolved_at: string | null;
    resolution: string | null;
    hold_id: string | null;
    updated_at: string;
  };
  /** What was done about an incident, in the order it was done. */
  incident_actions: {
    seq: Generated<number>;
    incident: string;
    time: string;
    actor: string;
    action: string;
    detail: string;
    ok: number;
  };
  /** Every alert raised, under its incident; `body` is the whole Alert as JSON. */
  detection_alerts: {
    id: string;
    incident: string;
    agent: string;
    time: string;
    detector: string;
    severity: string;
    body: string;
  };
  /** Time-boxed throttles and step-ups on agents. */
  containments: {
    id: string;
    agent: string;
    kind: string;
    rate: string | null;
    since_at: string;
    until_at: string;
    incident: string | null;
    placed_by: string;
  };
}
