import type { AuditEvent } from '../../model/audit-event.js';
import type { DetectionCatalog } from './detection-catalog.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** 1970-01-01 was a Thursday: shift so that slot 0 is Monday 00:00 UTC. */
const WEEK_SHIFT_HOURS = 3 * 24;
/** IP → [network, wide network] memo; cleared when full rather than evicting one by one. */
const NETWORK_MEMO_CAP = 20_000;
/** Interned keys (operations, transitions); cleared when full. */
const KEY_MEMO_CAP = 50_000;

/**
 * Sensitive data classes: touching one the subject never touched raises severity, and their
 * daily volume is watched per API. Lower-case, compared as given by the catalog.
 */
export const SENSITIVE_CLASSES: ReadonlySet<string> = new Set(['pii', 'financial', 'finance', 'health', 'phi', 'credentials', 'secrets', 'hr', 'salary', 'payroll', 'payment', 'pci']);

/**
 * What the detectors need from one audit record, worked out once: the parsed time, the
 * operation key, the catalog's view of the API, the source networks, a numeric id from the
 * path. One instance is refilled for every record, so observing allocates almost nothing.
 */
export class EventFacts {
  event!: AuditEvent;
  timeMs = 0;
  /** Epoch hour, epoch UTC day, and hour of the week (0 = Monday 00:00 UTC). */
  hour = 0;
  day = 0;
  hourOfWeek = 0;
  /** `api.operation` (`api.` for an undeclared path), or `''` without an API. */
  opKey = '';
  apiName = '';
  sensitivity = '';
  dataClasses: readonly string[] = [];
  /** The API is confidential or restricted, or the operation handles a sensitive data class. */
  sensitive = false;
  write = false;
  /** The call reached the upstream or was allowed to: anything but an outright refusal. */
  executed = false;
  /** Refused or flagged (monitor mode) by authorisation: an attempt outside what the roles grant. */
  denied = false;
  error = false;
  records = 0;
  bytes = 0;
  /** /24 (IPv4) or /48 (IPv6) of the source. */
  network = '';
  /** /16 (IPv4) or /32 (IPv6) of the source: two of these interleaved is two places. */
  wideNetwork = '';
  country: string | undefined = undefined;
  customer: string | undefined = undefined;
  /** The last numeric id among the path's template parameters, or -1. */
  numericId = -1;

  /** `previous>current` operation transition, or `''` (set by the engine, which knows the previous operation). */
  transition = '';

  readonly #networks = new Map<string, readonly [string, string]>();
  /**
   * Keys built from two strings, interned: one string object per operation (and transition)
   * means no concatenation per record, and its hash is computed once for every map it keys.
   */
  readonly #keys = new Map<string, Map<string, string>>();
  #keyCount = 0;

  /** The interned `first + separator + second`. */
  key(first: string, separator: string, second: string): string {
    let inner = this.#keys.get(first);
    if (inner === undefined) {
      if (this.#keyCount >= KEY_MEMO_CAP) {
        this.#keys.clear();
        this.#keyCount = 0;
      }
      inner = new Map();
      this.#keys.set(first, inner);
    }
    let key = inner.get(second);
    if (key === undefined) {
      key = first + separator + second;
      inner.set(second, key);
      this.#keyCount++;
    }
    return key;
  }

  /** Refills from `event`; false when its time cannot be read (the record is then ignored). */
  fill(event: AuditEvent, catalog: DetectionCatalog | undefined): boolean {
    const timeMs = Date.parse(event.time);
    if (!Number.isFinite(timeMs) || timeMs < 0) return false;
    this.event = event;
    this.timeMs = timeMs;
    this.hour = Math.floor(timeMs / HOUR_MS);
    this.day = Math.floor(timeMs / DAY_MS);
    this.hourOfWeek = (this.hour + WEEK_SHIFT_HOURS) % 168;
    const api = event.api;
    const decision = event.decision;
    this.executed = decision.outcome !== 'deny';
    this.denied = (decision.outcome === 'deny' || decision.outcome === 'would-deny') && decision.reason.startsWith('WARDEN_AUTHZ_');
    this.error = decision.outcome === 'error' || event.http.status >= 500;
    this.records = event.data?.records ?? 0;
    this.bytes = event.http.bytesOut;
    this.country = event.src.country;
    this.customer = event.context?.customer;
    this.numericId = -1;
    if (api === undefined) {
      this.opKey = '';
      this.apiName = '';
      this.sensitivity = '';
      this.dataClasses = EMPTY;
      this.sensitive = false;
      this.write = false;
    } else {
      this.apiName = api.name;
      this.opKey = this.key(api.name, '.', api.operation);
      const catalogApi = catalog?.apis.get(api.name);
      const catalogOp = api.undeclared ? undefined : catalog?.operations.get(this.opKey);
      this.sensitivity = catalogApi?.sensitivity ?? api.sensitivity;
      this.dataClasses = catalogOp?.dataClasses ?? api.dataClasses;
      this.sensitive = this.sensitivity === 'restricted' || this.sensitivity === 'confidential' || hasSensitiveClass(this.dataClasses);
      this.write = catalogOp !== undefined ? catalogOp.effect === 'write' : !READ_METHODS.has(event.http.method);
      const path = event.http.canonicalPath;
      if (path !== undefined && api.template.includes('{')) this.numericId = lastNumericParameter(path, api.template);
    }
    const ip = event.src.ip;
    let networks = this.#networks.get(ip);
    if (networks === undefined) {
      if (this.#networks.size >= NETWORK_MEMO_CAP) this.#networks.clear();
      networks = networksOf(ip);
      this.#networks.set(ip, networks);
    }
    this.network = networks[0];
    this.wideNetwork = networks[1];
    return true;
  }
}

const EMPTY: readonly string[] = [];

/** Whether any of `dataClasses` is sensitive (a loop, not `some`: this runs for every record). */
function hasSensitiveClass(dataClasses: readonly string[]): boolean {
  for (let i = 0; i < dataClasses.length; i++) {
    const dataClass = dataClasses[i]!;
    // toLowerCase returns the same string when there is nothing to lower: no allocation in the usual case.
    if (SENSITIVE_CLASSES.has(dataClass) || SENSITIVE_CLASSES.has(dataClass.toLowerCase())) return true;
  }
  return false;
}
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The /24 and /16 of an IPv4 address, or the /48 and /32 of an IPv6 one. */
export function networksOf(ip: string): readonly [string, string] {
  const address = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (!address.includes(':')) {
    const third = address.lastIndexOf('.');
    const second = address.lastIndexOf('.', third - 1);
    if (third <= 0 || second <= 0) return [address, address];
    return [address.slice(0, third), address.slice(0, second)];
  }
  const lower = address.toLowerCase();
  const gap = lower.indexOf('::');
  const head = (gap === -1 ? lower : lower.slice(0, gap)).split(':').filter((group) => group !== '');
  while (head.length < 3) head.push('0');
  const groups = head.map((group) => group.replace(/^0+(?=.)/, ''));
  return [`${groups[0]}:${groups[1]}:${groups[2]}::`, `${groups[0]}:${groups[1]}::`];
}

/**
 * The trailing digits of the last path segment that sits where the template has a
 * `{parameter}` (`/customers/{id}` and `/customers/C-1042` give 1042), or -1. Walks both
 * strings segment by segment without splitting them.
 */
export function lastNumericParameter(path: string, template: string): number {
  let found = -1;
  let p = 0;
  let t = 0;
  while (p <= path.length && t <= template.length) {
    let pathEnd = path.indexOf('/', p);
    if (pathEnd === -1) pathEnd = path.length;
    let templateEnd = template.indexOf('/', t);
    if (templateEnd === -1) templateEnd = template.length;
    if (template.charCodeAt(t) === 123 /* { */) {
      let start = pathEnd;
      while (start > p && isDigit(path.charCodeAt(start - 1))) start--;
      const digits = pathEnd - start;
      if (digits > 0 && digits <= 15) found = Number(path.slice(start, pathEnd));
    }
    if (pathEnd === path.length || templateEnd === template.length) break;
    p = pathEnd + 1;
    t = templateEnd + 1;
  }
  return found;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
