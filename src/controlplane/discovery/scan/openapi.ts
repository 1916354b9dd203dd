import { parseDocument } from 'yaml';
import { fingerprint } from './fingerprint.js';
import { isRecord, isUsable, parseJson, type Detected, type Send } from './probe.js';
import type { DiscoveredOperation } from './types.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const ACCEPT = 'application/json, application/yaml;q=0.9, application/vnd.oai.openapi;q=0.9, text/yaml;q=0.8, */*;q=0.1';

/** GETs a location and recognises an OpenAPI 3.x or Swagger 2.0 document there. */
export async function probeOpenApi(url: string, send: Send): Promise<Detected | undefined> {
  const exchange = await send({ method: 'GET', url, headers: { accept: ACCEPT } });
  if (!isUsable(exchange)) return undefined;
  const document = parseSpecText(exchange.body.toString('utf8'), exchange.contentType);
  return document === undefined ? undefined : describeOpenApi(document, exchange.url);
}

/** Parses a body as JSON or YAML; undefined for anything that is plainly not a spec (an HTML page). */
export function parseSpecText(text: string, contentType: string): unknown {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  // SPA catch-all routes answer every path with their index page: not worth a YAML parse.
  if (contentType.includes('html') || trimmed.startsWith('<') || trimmed === '') return undefined;
  if (trimmed.startsWith('{')) {
    const json = parseJson(trimmed);
    if (json !== undefined) return json;
  }
  try {
    const document = parseDocument(trimmed, { prettyErrors: false });
    if (document.errors.length > 0) return undefined;
    // The alias cap keeps a "billion laughs" document from blowing up in memory.
    return document.toJS({ maxAliasCount: 100 }) as unknown;
  } catch {
    return undefined;
  }
}

/** Recognises a parsed value as an OpenAPI document and summarises it; undefined when it is not one. */
export function describeOpenApi(document: unknown, documentUrl: string): Detected | undefined {
  if (!isRecord(document) || !isRecord(document.paths)) return undefined;
  const specVersion = typeof document.openapi === 'string' && /^3\.\d+(\.\d+)?$/.test(document.openapi)
    ? document.openapi
    // An unquoted `swagger: 2.0` is the number 2 in YAML 1.2.
    : document.swagger === '2.0' || document.swagger === 2 ? '2.0' : undefined;
  if (specVersion === undefined) return undefined;
  const info = isRecord(document.info) ? document.info : {};
  const operations: DiscoveredOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isRecord(operation)) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        ...(typeof operation.operationId === 'string' ? { operationId: operation.operationId } : {}),
        deprecated: operation.deprecated === true,
      });
    }
  }
  return {
    finding: {
      kind: 'openapi',
      url: documentUrl,
      ...(typeof info.title === 'string' ? { title: info.title } : {}),
      ...(typeof info.version === 'string' || typeof info.version === 'number' ? { version: String(info.version) } : {}),
      specVersion,
      servers: specVersion === '2.0' ? swaggerServers(document, documentUrl) : openApiServers(document, documentUrl),
      operations,
      document,
    },
    fingerprint: fingerprint(document),
  };
}

/** OpenAPI 3 `servers[].url`, relative ones resolved against the document's URL as the spec says; `/` when none. */
function openApiServers(document: Record<string, unknown>, documentUrl: string): string[] {
  const urls = Array.isArray(document.servers)
    ? document.servers.flatMap((server) => (isRecord(server) && typeof server.url === 'string' ? [server.url] : []))
    : [];
  return (urls.length > 0 ? urls : ['/']).map((url) => {
    // A templated URL ({region}) would come out percent-encoded and wrong: keep it as written.
    if (url.includes('{')) return url;
    try {
      return new URL(url, documentUrl).href;
    } catch {
      return url;
    }
  });
}

/** Swagger 2 `schemes` × `host` + `basePath`, defaulting to the scheme and host that served the document. */
function swaggerServers(document: Record<string, unknown>, documentUrl: string): string[] {
  const served = new URL(documentUrl);
  const host = typeof document.host === 'string' && document.host !== '' ? document.host : served.host;
  const basePath = typeof document.basePath === 'string' ? document.basePath.replace(/\/+$/, '') : '';
  const schemes = Array.isArray(document.schemes) ? document.schemes.filter((scheme): scheme is string => typeof scheme === 'string') : [];
  return (schemes.length > 0 ? schemes : [served.protocol.slice(0, -1)]).map((scheme) => `${scheme}://${host}${basePath}`);
}
