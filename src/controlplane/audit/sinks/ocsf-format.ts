import { succeeded, type ExportRecord, type Outcome } from './export-record.js';

/**
 * OCSF 1.1.0 API Activity (class 6003, category 6 Application Activity) for audit records.
 *
 * | OCSF                                  | AuditEvent                                          |
 * |---------------------------------------|-----------------------------------------------------|
 * | activity_id / activity_name           | by `http.method`: POST 1 Create, GET/HEAD 2 Read, PUT/PATCH 3 Update, DELETE 4 Delete, else 99 Other |
 * | type_uid / type_name                  | 600300 + activity_id / `API Activity: <activity>`   |
 * | time                                  | `time`, epoch milliseconds                          |
 * | severity_id / severity                | allow 1 Informational, would-deny 2 Low, deny 3 Medium, error 4 High |
 * | status_id / status                    | 1 Success when let through with a status < 400, else 2 Failure |
 * | status_code / status_detail           | `decision.reason` / `decision.rule`                 |
 * | duration                              | `http.durationMs`                                   |
 * | message                               | `<decision> <method> <rawPath>: <reason>`           |
 * | actor.user.uid / name                 | `agent.id` / `agent.name` (actor is `{}` for an unidentified caller) |
 * | actor.authorizations[0]               | decision: `decision.outcome`, policy: {name: rule, version: policyVersion} |
 * | api.operation                         | `api.operation`, else the HTTP method (unrouted call) |
 * | api.service.name                      | `api.name`                                          |
 * | api.request.uid                       | `requestId`                                         |
 * | http_request.http_method / url.path   | `http.method` / `http.rawPath`                      |
 * | http_request.uid                      | `requestId`                                         |
 * | http_response.code / length           | `http.status` / `http.bytesOut`                     |
 * | src_endpoint.ip / location.country    | `src.ip` / `src.country`                            |
 * | metadata.product                      | {name: Warden, vendor_name: Warden, version}        |
 * | metadata.version                      | `1.1.0` (the OCSF schema version)                   |
 * | metadata.uid / sequence               | `id` / `seq`                                        |
 * | metadata.correlation_uid              | `traceId`                                           |
 * | metadata.log_name                     | `audit`                                             |
 * | unmapped.warden                       | everything else: chain fields, roles, owner, credential, API template, sensitivity, data classes, canonical path, query parameter names, bytes in, upstream time, limits, data, context, approval, node |
 */

export const OCSF_SCHEMA_VERSION = '1.1.0';
export const OCSF_API_ACTIVITY_CLASS_UID = 6003;
export const OCSF_APPLICATION_CATEGORY_UID = 6;

const ACTIVITY_BY_METHOD: Readonly<Record<string, readonly [number, string]>> = {
  POST: [1, 'Create'],
  GET: [2, 'Read'],
  HEAD: [2, 'Read'],
  PUT: [3, 'Update'],
  PATCH: [3, 'Update'],
  DELETE: [4, 'Delete'],
};
const OTHER: readonly [number, string] = [99, 'Other'];

const SEVERITY: Readonly<Record<Outcome, readonly [number, string]>> = {
  allow: [1, 'Informational'],
  'would-deny': [2, 'Low'],
  deny: [3, 'Medium'],
  error: [4, 'High'],
};

/** The OCSF attributes this mapping sets; `undefined` members are left out of the JSON. */
export interface OcsfApiActivity {
  readonly class_uid: 6003;
  readonly class_name: 'API Activity';
  readonly category_uid: 6;
  readonly category_name: 'Application Activity';
  readonly activity_id: number;
  readonly activity_name: string;
  readonly type_uid: number;
  readonly type_name: string;
  readonly time: number;
  readonly severity_id: number;
  readonly severity: string;
  readonly status_id: 1 | 2;
  readonly status: 'Success' | 'Failure';
  readonly status_code: string;
  readonly status_detail: string | undefined;
  readonly duration: number;
  readonly message: string;
  readonly actor: {
    readonly user?: { readonly uid: string; readonly name: string };
    readonly authorizations: readonly { readonly decision: string; readonly policy?: { readonly name?: string; readonly version?: string } }[];
  };
  readonly api: {
    readonly operation: string;
    readonly service?: { readonly name: string };
    readonly request: { readonly uid: string };
  };
  readonly http_request: { readonly http_method: string; readonly url: { readonly path: string }; readonly uid: string };
  readonly http_response: { readonly code: number; readonly length: number };
  readonly src_endpoint: { readonly ip: string; readonly location?: { readonly country: string } };
  readonly metadata: {
    readonly product: { readonly name: 'Warden'; readonly vendor_name: 'Warden'; readonly version: string };
    readonly version: string;
    readonly uid: string;
    readonly sequence: number;
    readonly correlation_uid: string | undefined;
    readonly log_name: 'audit';
  };
  readonly unmapped: { readonly warden: Record<string, unknown> };
}

export interface OcsfOptions {
  readonly productVersion: string;
}

/** The OCSF API Activity object for one record. */
export function ocsfApiActivity(record: ExportRecord, options: OcsfOptions): OcsfApiActivity {
  const event = record.event;
  const method = event.http.method.toUpperCase();
  const [activityId, activityName] = ACTIVITY_BY_METHOD[method] ?? OTHER;
  const [severityId, severity] = SEVERITY[event.decision.outcome] ?? SEVERITY.error;
  const ok = succeeded(event);
  const policy = event.decision.rule === undefined && event.decision.policyVersion === undefined ? undefined : { name: event.decision.rule, version: event.decision.policyVersion };
  return {
    class_uid: OCSF_API_ACTIVITY_CLASS_UID,
    class_name: 'API Activity',
    category_uid: OCSF_APPLICATION_CATEGORY_UID,
    category_name: 'Application Activity',
    activity_id: activityId,
    activity_name: activityName,
    type_uid: OCSF_API_ACTIVITY_CLASS_UID * 100 + activityId,
    type_name: `API Activity: ${activityName}`,
    time: Date.parse(event.time),
    severity_id: severityId,
    severity,
    status_id: ok ? 1 : 2,
    status: ok ? 'Success' : 'Failure',
    status_code: event.decision.reason,
    status_detail: event.decision.rule,
    duration: event.http.durationMs,
    message: `${event.decision.outcome} ${event.http.method} ${event.http.rawPath}: ${event.decision.reason}`,
    actor: {
      ...(event.agent ? { user: { uid: event.agent.id, name: event.agent.name } } : {}),
      authorizations: [{ decision: event.decision.outcome, ...(policy ? { policy } : {}) }],
    },
    api: {
      // An undeclared call of a learning API has an empty operation: the method names it then.
      operation: event.api?.operation || event.http.method,
      ...(event.api ? { service: { name: event.api.name } } : {}),
      request: { uid: event.requestId },
    },
    http_request: { http_method: event.http.method, url: { path: event.http.rawPath }, uid: event.requestId },
    http_response: { code: event.http.status, length: event.http.bytesOut },
    src_endpoint: { ip: event.src.ip, ...(event.src.country ? { location: { country: event.src.country } } : {}) },
    metadata: {
      product: { name: 'Warden', vendor_name: 'Warden', version: options.productVersion },
      version: OCSF_SCHEMA_VERSION,
      uid: event.id,
      sequence: record.seq,
      correlation_uid: event.traceId,
      log_name: 'audit',
    },
    unmapped: {
      warden: {
        v: event.v,
        seq: record.seq,
        prevHash: event.prevHash,
        hash: event.hash,
        node: event.node,
        decision: event.decision,
        agent: event.agent ? { roles: event.agent.roles, owner: event.agent.owner } : undefined,
        credential: event.credential,
        api: event.api ? { template: event.api.template, sensitivity: event.api.sensitivity, dataClasses: event.api.dataClasses } : undefined,
        http: { canonicalPath: event.http.canonicalPath, queryParams: event.http.queryParams, bytesIn: event.http.bytesIn, upstreamMs: event.http.upstreamMs },
        limits: event.limits,
        data: event.data,
        context: event.context,
        approval: event.approval,
      },
    },
  };
}
