import { epochMillis, excerpt, httpMethod, httpStatus, jsonObjectLine, observation, presentString, type ImportedCall } from './imported-call.js';
import { normalizeHost, splitTarget } from './split-target.js';

/** The keys read, as Istio's default JSON access log and common `json_format` configs spell them. */
interface EnvoyLine {
  readonly start_time?: unknown;
  readonly method?: unknown;
  readonly ':method'?: unknown;
  readonly path?: unknown;
  readonly ':path'?: unknown;
  readonly authority?: unknown;
  readonly ':authority'?: unknown;
  readonly response_code?: unknown;
  readonly downstream_peer_uri_san?: unknown;
}

/**
 * Parses one line of an Envoy JSON access log into a call, or says why it cannot. Envoy writes
 * `-` or null for what it does not know; response_code 0 (no response) is kept as status 0.
 */
export function parseEnvoyLine(line: string): ImportedCall | { problem: string } {
  const parsed = jsonObjectLine<EnvoyLine>(line);
  if ('problem' in parsed) return parsed;
  const record = parsed.record;
  const rawMethod = presentString(record.method) ?? presentString(record[':method']);
  // A TCP proxy's entries have neither method nor path.
  if (rawMethod === undefined) return { problem: 'no HTTP method (a TCP connection, or a log format without `method`)' };
  const method = httpMethod(rawMethod);
  if (method === undefined) return { problem: `method ${excerpt(rawMethod)} is not an HTTP method` };
  const target = presentString(record.path) ?? presentString(record[':path']);
  if (target === undefined) return { problem: 'no `path`' };
  const parts = splitTarget(target);
  if (typeof parts === 'string') return { problem: parts };
  const code = record.response_code;
  const status = code === null || code === undefined || code === '-' ? 0 : httpStatus(code);
  if (status === undefined) return { problem: `response_code ${excerpt(String(code))} is not a status code` };
  const time = epochMillis(record.start_time);
  if (Number.isNaN(time)) return { problem: `start_time ${excerpt(String(record.start_time))} is not a time` };
  const authority = presentString(record.authority) ?? presentString(record[':authority']);
  return {
    observation: observation({
      method,
      path: parts.path,
      queryNames: parts.queryNames,
      status,
      time,
      host: authority === undefined ? parts.host : normalizeHost(authority),
      // The SPIFFE id of a mesh peer is an identity, not a secret.
      client: presentString(record.downstream_peer_uri_san),
    }),
  };
}
