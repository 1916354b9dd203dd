import { Agent } from 'undici';
import { wardenVersion } from '../reports/report-context.js';
import { HostClient, HostStopped, type HostClientOptions } from './scan/http-client.js';
import { probeGraphql } from './scan/graphql.js';
import { planProbes, type PlannedProbe } from './scan/locations.js';
import { probeMcp } from './scan/mcp.js';
import { probeOpenApi } from './scan/openapi.js';
import type { Detected, Send } from './scan/probe.js';
import { parseTarget, ScanTargetError, type ScanTarget } from './scan/targets.js';
import type { Finding, HostReport, ScanOptions, ScanProgress, ScanReport, SkippedProbe } from './scan/types.js';

export { PROBE_LOCATIONS } from './scan/locations.js';
export { ScanTargetError } from './scan/targets.js';
export type { DiscoveredOperation, Finding, FindingKind, HostReport, ScanOptions, ScanProgress, ScanReport, SkippedProbe } from './scan/types.js';

const DEFAULTS = { maxRequestsPerHost: 40, delayMs: 100, hostConcurrency: 4, timeoutMs: 5000, maxBodyBytes: 5 * 1024 * 1024 };
// Framing and connection headers belong to the HTTP client; an operator value could only break requests.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The result of one probed location, shared by every target on the same origin that plans it. */
interface ProbeOutcome {
  readonly detected?: Detected;
  readonly skipped: SkippedProbe[];
}

/**
 * Probes each target's host for self-described APIs (OpenAPI/Swagger documents, GraphQL
 * introspection, MCP servers) at well-known locations and reports what answered as candidates.
 */
export async function scanHosts(targets: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const parsed = parseTargets(targets);
  const settings = { ...DEFAULTS, ...definedOf(options) };
  checkSettings(settings);
  const version = options.version ?? wardenVersion();
  const headers = {
    'user-agent': `warden-discovery/${version} (+scan)`,
    accept: 'application/json, */*;q=0.1',
    ...operatorHeaders(options.headers ?? {}),
  };
  options.signal?.throwIfAborted();

  // One controller for the whole scan: the caller's abort, or a bug in one host's scan, stops every host.
  const stop = new AbortController();
  const forwardAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forwardAbort, { once: true });
  const timeoutMs = settings.timeoutMs;
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const clientOptions: HostClientOptions = {
    dispatcher,
    maxRequests: settings.maxRequestsPerHost,
    delayMs: settings.delayMs,
    timeoutMs,
    maxBodyBytes: settings.maxBodyBytes,
    headers,
    signal: stop.signal,
  };

  // Targets on one origin share a client (budget, pacing, one request at a time) and are scanned in turn.
  const byOrigin = new Map<string, number[]>();
  parsed.forEach((target, index) => byOrigin.set(target.origin, [...(byOrigin.get(target.origin) ?? []), index]));
  const groups = [...byOrigin.entries()];
  const reports: HostReport[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const [origin, indexes] = groups[next++]!;
      const client = new HostClient(origin, clientOptions);
      const memo = new Map<string, Promise<ProbeOutcome>>();
      for (const index of indexes) {
        reports[index] = await scanTarget(parsed[index]!, client, memo, version, options.onProgress);
      }
    }
  };
  try {
    const results = await Promise.allSettled(Array.from({ length: Math.min(settings.hostConcurrency, groups.length) }, () => worker().catch((error: unknown) => {
      stop.abort(error);
      throw error;
    })));
    options.signal?.throwIfAborted();
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    options.signal?.removeEventListener('abort', forwardAbort);
    await dispatcher.destroy();
  }
  return { hosts: reports };
}

async function scanTarget(
  target: ScanTarget,
  client: HostClient,
  memo: Map<string, Promise<ProbeOutcome>>,
  version: string,
  onProgress: ((event: ScanProgress) => void) | undefined,
): Promise<HostReport> {
  const progress = (event: Omit<ScanProgress, 'target'>): void => onProgress?.({ target: target.input, ...event });
  const findings = new Map<string, Finding & { alsoAt: string[] }>();
  const skipped: SkippedProbe[] = [];
  let requests = 0;
  let error: string | undefined;
  const send: Send = async (probe) => {
    const exchange = await client.send(probe, (url, status) => {
      requests++;
      progress({ url, ...(status !== undefined ? { status } : {}) });
    });
    if (exchange.kind === 'skipped') progress({ url: probe.url, skipped: exchange.reason });
    return exchange;
  };

  for (const planned of planProbes(target)) {
    const key = `${planned.kind} ${planned.url}`;
    let outcome = memo.get(key);
    if (outcome === undefined) {
      outcome = runProbe(planned, send, version);
      memo.set(key, outcome);
    }
    let result: ProbeOutcome;
    try {
      result = await outcome;
    } catch (failure) {
      if (!(failure instanceof HostStopped)) throw failure;
      error = failure.message;
      break;
    }
    skipped.push(...result.skipped);
    if (result.detected === undefined) continue;
    const { finding, fingerprint } = result.detected;
    const same = findings.get(`${finding.kind} ${fingerprint}`);
    if (same === undefined) findings.set(`${finding.kind} ${fingerprint}`, { ...finding, alsoAt: [] });
    else if (same.url !== finding.url && !same.alsoAt.includes(finding.url)) same.alsoAt.push(finding.url);
    progress({ url: finding.url, finding: summarise(finding) });
  }
  return {
    target: target.input,
    reachable: client.answered,
    ...(error !== undefined ? { error } : {}),
    requests,
    findings: [...findings.values()],
    skipped,
  };
}

/** Probes one location and collects the probes it could not complete. */
async function runProbe(planned: PlannedProbe, send: Send, version: string): Promise<ProbeOutcome> {
  const skipped: SkippedProbe[] = [];
  const recording: Send = async (probe) => {
    const exchange = await send(probe);
    if (exchange.kind === 'skipped') skipped.push({ url: probe.url, reason: exchange.reason });
    return exchange;
  };
  const detected = planned.kind === 'openapi' ? await probeOpenApi(planned.url, recording)
    : planned.kind === 'graphql' ? await probeGraphql(planned.url, recording)
    : await probeMcp(planned.url, recording, version);
  return detected === undefined ? { skipped } : { detected, skipped };
}

/** One line for a progress display: `openapi "Pets" 1.0.0, 3 operations`. */
function summarise(finding: Omit<Finding, 'alsoAt'>): string {
  const named = [finding.kind, finding.title !== undefined ? JSON.stringify(finding.title) : undefined, finding.version].filter(Boolean).join(' ');
  if (finding.operations) return `${named}, ${finding.operations.length} operations`;
  if (finding.graphql) return `${named}, ${finding.graphql.queries} queries, ${finding.graphql.mutations} mutations`;
  return `${named}, ${finding.tools?.length ?? 0} tools`;
}

/** Every target parsed, or one error naming every bad one: a typo should not leave a half-done scan. */
function parseTargets(targets: readonly string[]): ScanTarget[] {
  const problems: string[] = [];
  const parsed = targets.flatMap((target) => {
    try {
      return [parseTarget(target)];
    } catch (error) {
      if (!(error instanceof ScanTargetError)) throw error;
      problems.push(error.message);
      return [];
    }
  });
  if (problems.length > 0) throw new ScanTargetError(problems.join('; '));
  return parsed;
}

function definedOf(options: ScanOptions): Partial<typeof DEFAULTS> {
  const picked: Partial<typeof DEFAULTS> = {};
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = options[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

function checkSettings(settings: typeof DEFAULTS): void {
  const minimum: Record<keyof typeof DEFAULTS, number> = { maxRequestsPerHost: 1, delayMs: 0, hostConcurrency: 1, timeoutMs: 1, maxBodyBytes: 1 };
  for (const [key, least] of Object.entries(minimum) as [keyof typeof DEFAULTS, number][]) {
    const value = settings[key];
    if (!Number.isSafeInteger(value) || value < least) throw new RangeError(`scan option ${key} must be a whole number of at least ${least}, not ${value}`);
  }
}

/** The operator's headers with lower-case names; messages name a bad header, never its value. */
function operatorHeaders(supplied: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(supplied)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw new RangeError(`header name "${name.slice(0, 60)}" is not a valid HTTP header name`);
    if (RESERVED_HEADERS.has(lower)) throw new RangeError(`header ${name} is set by the scanner itself and cannot be supplied`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new RangeError(`header ${name} has a value with a line break or NUL; give a single-line value`);
    headers[lower] = value;
  }
  return headers;
}
