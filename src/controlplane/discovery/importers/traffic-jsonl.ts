import { epochMillis, excerpt, httpMethod, httpStatus, jsonObjectLine, observation, presentString, type ImportedCall } from './imported-call.js';
import { normalizeHost, splitTarget } from './split-target.js';

interface TrafficLine {
  readonly method?: unknown;
  readonly path?: unknown;
  readonly url?: unknown;
  readonly status?: unknown;
  readonly time?: unknown;
  readonly host?: unknown;
  readonly client?: unknown;
}

/**
 * Parses one line of plain traffic JSONL (`{"method","path" or "url","status","time"?,"host"?,
 * "client"?}`) into a call, or says why it cannot. Query values are dropped.
 */
export function parseTrafficJsonLine(line: string): ImportedCall | { problem: string } {
  const parsed = jsonObjectLine<TrafficLine>(line);
  if ('problem' in parsed) return parsed;
  const record = parsed.record;
  const method = httpMethod(record.method);
  if (method === undefined) return { problem: record.method === undefined ? 'no `method`' : `method ${excerpt(String(record.method))} is not an HTTP method` };
  const target = typeof record.path === 'string' ? record.path : record.url;
  if (typeof target !== 'string') return { problem: 'no `path` or `url`' };
  const parts = splitTarget(target);
  if (typeof parts === 'string') return { problem: parts };
  const status = httpStatus(record.status);
  if (status === undefined) return { problem: record.status === undefined ? 'no `status`' : `status ${excerpt(String(record.status))} is not a status code` };
  const time = epochMillis(record.time);
  if (Number.isNaN(time)) return { problem: `time ${excerpt(String(record.time))} is neither an ISO 8601 time nor an epoch number` };
  const host = presentString(record.host);
  return {
    observation: observation({
      method,
      path: parts.path,
      queryNames: parts.queryNames,
      status,
      time,
      host: host === undefined ? parts.host : normalizeHost(host),
      client: presentString(record.client),
    }),
  };
}
