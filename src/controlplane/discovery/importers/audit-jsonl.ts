import type { AuditAgent, AuditApi, AuditCredential, AuditData, AuditDecision, AuditHttp } from '../../../model/audit-event.js';
import { catalogClassesOf } from '../../../policy/pii/pii-classes.js';
import { epochMillis, excerpt, httpMethod, httpStatus, jsonObjectLine, observation, presentString, type ImportedCall } from './imported-call.js';

/** The parts of a stored AuditEvent this importer reads; JSON.stringify drops undefined fields, so most may be absent. */
interface AuditLine {
  readonly v?: unknown;
  readonly time?: unknown;
  readonly agent?: Partial<AuditAgent> | null;
  readonly credential?: Partial<AuditCredential> | null;
  readonly http?: Partial<AuditHttp> | null;
  readonly api?: Partial<AuditApi> | null;
  readonly decision?: Partial<AuditDecision> | null;
  readonly data?: Partial<AuditData> | null;
}

/** Parses one line of a Warden audit log export (AuditEvent v1 JSONL) into a call, or says why it cannot. */
export function parseAuditLine(line: string): ImportedCall | { problem: string } {
  const parsed = jsonObjectLine<AuditLine>(line);
  if ('problem' in parsed) return parsed;
  const record = parsed.record;
  if (record.v !== 1 || typeof record.http !== 'object' || record.http === null || typeof record.decision !== 'object' || record.decision === null) {
    return { problem: 'not a Warden audit record (AuditEvent v1 with `http` and `decision`)' };
  }
  const { http, decision, api } = record;
  const method = httpMethod(http.method);
  if (method === undefined) return { problem: `http.method ${excerpt(String(http.method))} is not an HTTP method` };
  const path = typeof http.canonicalPath === 'string' ? http.canonicalPath : http.rawPath;
  if (typeof path !== 'string' || path.charCodeAt(0) !== 0x2f) return { problem: 'http.rawPath is not a path' };
  const status = httpStatus(http.status);
  if (status === undefined) return { problem: `http.status ${excerpt(String(http.status))} is not a status code` };
  const time = epochMillis(record.time);
  if (Number.isNaN(time)) return { problem: `time ${excerpt(String(record.time))} is not a time` };
  // Data classes describe what came back: only a call that was let through with success returned any.
  const passed = decision.outcome === 'allow' || (decision.outcome === 'would-deny' && decision.monitored === true);
  const dataClasses = passed && status >= 200 && status < 300 ? returnedClasses(api, record.data) : undefined;
  const queryNames = Array.isArray(http.queryParams) && http.queryParams.length > 0 ? http.queryParams : undefined;
  const seen = observation({
    method,
    path,
    queryNames,
    status,
    time,
    client: presentString(record.credential?.id),
    agent: presentString(record.agent?.name),
    api: presentString(api?.name),
    operation: presentString(api?.operation),
    dataClasses,
  });
  return decision.reason === 'WARDEN_AUTHN_UNREGISTERED' ? { observation: seen, unregistered: true } : { observation: seen };
}

/**
 * The data classes a call returned: the catalog's for its operation, and those of the PII the
 * gateway found in the answer (an email address makes it pii, a card number financial), so
 * what the data really holds reaches the inventory even where the catalog says less.
 */
function returnedClasses(api: Partial<AuditApi> | null | undefined, data: Partial<AuditData> | null | undefined): readonly string[] | undefined {
  const classes = new Set<string>(Array.isArray(api?.dataClasses) ? api.dataClasses : []);
  if (Array.isArray(data?.piiClasses)) for (const found of catalogClassesOf(data.piiClasses)) classes.add(found);
  return classes.size > 0 ? [...classes] : undefined;
}
