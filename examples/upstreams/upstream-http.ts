import type { IncomingMessage, ServerResponse } from 'node:http';

/** What node:http calls for every request of a demo upstream. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export type JsonObject = Record<string, unknown>;

/** A handler's answer: a status and a JSON body. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export interface RouteInput {
  /** The decoded value of a path parameter of the route's template. */
  readonly param: (name: string) => string;
  readonly query: URLSearchParams;
  /** The parsed JSON object body, or undefined when the request carried none. */
  readonly body: JsonObject | undefined;
}

/** One operation: method, full path template (`/crm/customers/{customerId}`) and its handler. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly handle: (input: RouteInput) => Reply;
}

/** Request bodies above this size are refused with 413, like a real service would. */
const BODY_LIMIT_BYTES = 1024 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Thrown by handlers and helpers for an expected client error; the router turns it into a problem reply. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function ok(body: unknown): Reply {
  return { status: 200, body };
}

export function created(body: unknown): Reply {
  return { status: 201, body };
}

/** Stops the handler with a client error. */
export function fail(status: number, detail: string): never {
  throw new HttpError(status, detail);
}

/** Builds a handler that matches the routes, reads JSON bodies and answers problem JSON on errors. */
export function createRouter(routes: readonly Route[]): RequestHandler {
  const compiled = routes.map((route) => ({ route, segments: route.path.split('/') }));
  return (req, res) => {
    const target = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (!target.startsWith('/')) return sendProblem(res, 400, 'only origin-form request targets ("/path?query") are served');
    // Prefixed rather than resolved against a base, so "//host/…" stays a path and never names a host.
    const url = new URL(`http://upstream${target}`);
    const pathSegments = url.pathname.split('/');
    const onPath = compiled.flatMap(({ route, segments }) => {
      const params = matchSegments(segments, pathSegments);
      return params ? [{ route, params }] : [];
    });
    if (onPath.length === 0) return sendProblem(res, 404, `no route for ${method} ${url.pathname}`);
    const match = onPath.find(({ route }) => route.method === method);
    if (!match) {
      res.setHeader('allow', onPath.map(({ route }) => route.method).join(', '));
      return sendProblem(res, 405, `${method} is not supported on ${url.pathname}`);
    }
    const { route, params } = match;
    if (params instanceof HttpError) return sendProblem(res, params.status, params.message);
    const body = METHODS_WITH_BODY.has(method) ? readJsonBody(req) : Promise.resolve(undefined);
    body
      .then((parsed) => sendReply(res, route.handle({ param: (name) => pathParam(params, name), query: url.searchParams, body: parsed })))
      .catch((error: unknown) => sendError(res, error));
  };
}

/** Reads a JSON object body of at most BODY_LIMIT_BYTES; an empty body is undefined. */
function readJsonBody(req: IncomingMessage): Promise<JsonObject | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > BODY_LIMIT_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        // Stop buffering but keep draining, so the client can finish sending and read the 413.
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > BODY_LIMIT_BYTES) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        const parsed: unknown = JSON.parse(text);
        if (!isJsonObject(parsed)) return reject(new HttpError(400, 'the request body must be a JSON object'));
        resolve(parsed);
      } catch {
        reject(new HttpError(400, 'the request body is not valid JSON'));
      }
    });
  });
}

function pathParam(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined) throw new Error(`route has no path parameter {${name}}`);
  return value;
}

function tooLarge(): HttpError {
  return new HttpError(413, `the request body exceeds ${BODY_LIMIT_BYTES} bytes`);
}

/** Returns the path parameters when the path fits the template, an HttpError when a parameter is badly encoded, else undefined. */
function matchSegments(template: readonly string[], path: readonly string[]): Record<string, string> | HttpError | undefined {
  if (template.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const actual = path[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (actual === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(actual);
      } catch {
        return new HttpError(400, `path segment "${actual}" is not valid percent-encoding`);
      }
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    // After a 413 the rest of the body is not worth reading: close the connection when done.
    if (error.status === 413) res.setHeader('connection', 'close');
    return sendProblem(res, error.status, error.message);
  }
  sendProblem(res, 500, 'internal error in the demo upstream');
}

function sendProblem(res: ServerResponse, status: number, detail: string): void {
  send(res, status, 'application/problem+json', { status, title: statusTitle(status), detail });
}

function sendReply(res: ServerResponse, reply: Reply): void {
  send(res, reply.status, 'application/json; charset=utf-8', reply.body);
}

/** Sends a JSON body, the one place where a response leaves a demo upstream. */
export function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function statusTitle(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    413: 'Content Too Large',
    422: 'Unprocessable Content',
  };
  return titles[status] ?? 'Internal Server Error';
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A required non-empty string field of a body (or the body itself missing): 400 otherwise. */
export function requiredString(body: JsonObject | undefined, name: string): string {
  const value = body?.[name];
  if (typeof value !== 'string' || value.trim() === '') fail(400, `body field "${name}" is required and must be a non-empty string`);
  return value;
}

/** An optional string field of a body: 400 when present but not a string. */
export function optionalString(body: JsonObject | undefined, name: string): string | undefined {
  const value = body?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(400, `body field "${name}" must be a string`);
  return value;
}

/** A required positive money amount: a JSON number or a plain decimal string, at most two decimals. */
export function requiredAmount(body: JsonObject | undefined, name: string): number {
  const value = body?.[name];
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d+(\.\d{1,2})?$/.test(text) || Number(text) <= 0) {
    fail(400, `body field "${name}" is required and must be a positive amount with at most two decimals`);
  }
  return Number(text);
}

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30). */
function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
}

/** A date from a body field or query parameter, required or optional, validated as YYYY-MM-DD. */
export function dateParam(value: unknown, name: string, required: true): string;
export function dateParam(value: unknown, name: string, required: false): string | undefined;
export function dateParam(value: unknown, name: string, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) fail(400, `"${name}" is required (a date, YYYY-MM-DD)`);
    return undefined;
  }
  if (typeof value !== 'string' || !isIsoDate(value)) fail(400, `"${name}" must be a date, YYYY-MM-DD`);
  return value;
}

/** The `limit` query parameter: a whole number from 1 to max, `fallback` when absent. */
export function limitParam(query: URLSearchParams, fallback: number, max: number): number {
  const text = query.get('limit');
  if (text === null) return fallback;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > max) fail(400, `"limit" must be a whole number from 1 to ${max}`);
  return limit;
}

/** Current time as ISO 8601, for records the demo creates (seeded records carry fixed times). */
export function now(): string {
  return new Date().toISOString();
}
