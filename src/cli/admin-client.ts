import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT, UsageError, printJson } from './output.js';

/** Where `warden start` serves the admin API unless its config says otherwise. */
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081';
const TIMEOUT_MS = 30_000;

/** The options every admin API command takes. */
export interface AdminOptions {
  readonly adminUrl: string;
  readonly tokenFile?: string;
  readonly data: string;
  readonly json?: boolean;
}

/** A refusal of the admin API: its problem document (RFC 9457) with the stable code. */
export class AdminApiError extends Error {
  override name = 'AdminApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** Lifecycle actions that apply, for an illegal transition. */
    readonly legal: readonly string[] | undefined,
    readonly problem: Readonly<Record<string, unknown>>,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** Adds `--admin-url`, `--token-file`, `--data` and `--json` to an admin API command. */
export function withAdminOptions(command: Command): Command {
  return command
    .addOption(new Option('--admin-url <url>', 'admin API of `warden start`').env('WARDEN_ADMIN_URL').default(DEFAULT_ADMIN_URL))
    .option('--token-file <file>', 'file holding your admin token (default: $WARDEN_ADMIN_TOKEN, else <data>/admin-token)')
    .addOption(new Option('--data <dir>', 'data directory of `warden start`, which writes the first admin token to <dir>/admin-token').env('WARDEN_DATA').default('.warden'))
    .option('--json', 'print the admin API\'s JSON answer');
}

/** Where the token came from, so a refusal can say which one was not accepted. */
interface TokenSource {
  readonly token: string;
  readonly from: string;
}

/**
 * The token, in order: `--token-file` when given on the command line (the most specific
 * choice), else `WARDEN_ADMIN_TOKEN`, else `<data>/admin-token` as `warden start` wrote it.
 */
function resolveToken(options: AdminOptions, env: NodeJS.ProcessEnv): TokenSource {
  if (options.tokenFile !== undefined) return { token: readTokenFile(options.tokenFile, '--token-file'), from: `--token-file ${options.tokenFile}` };
  const fromEnv = env.WARDEN_ADMIN_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, from: 'WARDEN_ADMIN_TOKEN' };
  const file = path.join(options.data, 'admin-token');
  return { token: readTokenFile(file, 'the default token file'), from: file };
}

function readTokenFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(
        `no admin token: ${what} ${file} does not exist`,
        'set WARDEN_ADMIN_TOKEN, pass --token-file FILE, or --data DIR of the `warden start` that wrote DIR/admin-token on its first start',
      );
    }
    throw new UsageError(`cannot read the admin token in ${file} (${code ?? (error as Error).message})`, 'check the file and its permissions (it is written with mode 0600)');
  }
  const token = text.trim();
  if (token.length === 0) throw new UsageError(`the admin token file ${file} is empty`, 'write the token (wda_…) into it, or set WARDEN_ADMIN_TOKEN');
  return token;
}

function baseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--admin-url "${text}" is not a URL`, `write e.g. --admin-url ${DEFAULT_ADMIN_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--admin-url "${text}" is not an http(s) URL`, `write e.g. --admin-url ${DEFAULT_ADMIN_URL}`);
  // Relative route paths are resolved under the base, so an admin API behind a path prefix works too.
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  url.search = '';
  url.hash = '';
  return url;
}

type Query = Readonly<Record<string, string | number | undefined>>;

/** A small client of the admin API: JSON in, JSON out, problem documents as AdminApiError. */
export class AdminClient {
  constructor(
    readonly base: URL,
    readonly tokenSource: TokenSource,
  ) {}

  get<T = any>(route: string, query: Query = {}): Promise<T> {
    return this.#request('GET', route, query, undefined);
  }

  post<T = any>(route: string, body: unknown): Promise<T> {
    return this.#request('POST', route, {}, body);
  }

  delete<T = any>(route: string): Promise<T> {
    return this.#request('DELETE', route, {}, undefined);
  }

  async #request<T>(method: string, route: string, query: Query, body: unknown): Promise<T> {
    const url = new URL(route.replace(/^\/+/, ''), this.base);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.tokenSource.token}`, accept: 'application/json, application/problem+json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      throw unreachable(this.base, error);
    }
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      throw new UsageError(`${this.base.origin} answered ${method} ${url.pathname} with ${response.status} and no JSON`, 'is --admin-url (WARDEN_ADMIN_URL) the admin port of `warden start`, not the agent port?');
    }
    if (response.ok) return parsed as T;
    const problem = parsed as Record<string, unknown> | undefined;
    if (problem === undefined || typeof problem !== 'object' || typeof problem.code !== 'string') {
      throw new UsageError(`${this.base.origin} answered ${method} ${url.pathname} with ${response.status} and no problem document`, 'is --admin-url (WARDEN_ADMIN_URL) the admin port of `warden start`?');
    }
    const legal = Array.isArray(problem.legal) ? problem.legal.filter((action): action is string => typeof action === 'string') : undefined;
    throw new AdminApiError(response.status, problem.code, typeof problem.detail === 'string' ? problem.detail : String(problem.title ?? ''), legal, problem);
  }
}

function unreachable(base: URL, error: unknown): UsageError {
  const failure = error as Error & { cause?: { code?: string; message?: string } };
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') {
    return new UsageError(`the admin API at ${base.href} did not answer within ${TIMEOUT_MS / 1000} s`, 'check that `warden start` is running and healthy (GET /healthz on the admin port)');
  }
  const why = failure.cause?.code ?? failure.cause?.message ?? failure.message;
  return new UsageError(
    `cannot reach the admin API at ${base.href} (${why})`,
    'start the control plane with `warden start` (admin API on 127.0.0.1:8081 by default), or point --admin-url / WARDEN_ADMIN_URL at it',
  );
}

/** The client for one command's options: base URL and token resolved, or a UsageError saying what is missing. */
export function connect(options: AdminOptions, env: NodeJS.ProcessEnv = process.env): AdminClient {
  const base = baseUrl(options.adminUrl);
  return new AdminClient(base, resolveToken(options, env));
}

/**
 * Wraps an admin API command's action: connects, runs it, and turns a refusal into
 * `warden: CODE: detail` on stderr (with the legal actions of an illegal transition), the
 * problem document on stdout with `--json`, and exit 1 (exit 2 for a failure of the server).
 */
export function adminAction<O extends AdminOptions>(handler: (client: AdminClient, options: O, args: readonly string[]) => Promise<void>): (...received: unknown[]) => Promise<void> {
  return async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const options = withParentOptions<O>(command);
    const args = received.slice(0, -2) as string[];
    const client = connect(options);
    try {
      await handler(client, options, args);
    } catch (error) {
      if (!(error instanceof AdminApiError)) throw error;
      reportRefusal(error, client, options.json === true);
    }
  };
}

/**
 * The command's options, with those given on the command line to a parent command of the
 * same name (`warden review --token-file F confirm …`) where the command itself was not given them.
 */
function withParentOptions<O>(command: Command): O {
  const options: Record<string, unknown> = { ...command.opts() };
  const own = new Set(command.options.map((option) => option.attributeName()));
  for (let parent = command.parent; parent !== null; parent = parent.parent) {
    for (const [name, value] of Object.entries(parent.opts())) {
      if (own.has(name) && parent.getOptionValueSource(name) === 'cli' && command.getOptionValueSource(name) !== 'cli') options[name] = value;
    }
  }
  return options as O;
}

function reportRefusal(error: AdminApiError, client: AdminClient, json: boolean): void {
  if (json) printJson(error.problem);
  const lines = [`warden: ${error.code}: ${error.detail}`];
  if (error.legal !== undefined) {
    const state = typeof error.problem.state === 'string' ? ` from ${error.problem.state}` : '';
    lines.push(error.legal.length > 0 ? `  legal actions${state}: ${error.legal.join(', ')}` : `  no action applies${state}: it is final`);
  }
  if (error.status === 401) lines.push(`  the admin token from ${client.tokenSource.from} was not accepted (unknown, expired or revoked); an admin issues tokens with \`warden tokens issue\``);
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exitCode = error.status >= 500 ? EXIT.failure : EXIT.negative;
}

/** Parses a whole number of at least `min` for an option, as commander argument parser. */
export function wholeNumber(min = 1): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`give a whole number of at least ${min}.`);
    return Number(value);
  };
}

/** Collects a repeatable option; commas separate values too (`--role a,b` or `--role a --role b`). */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((part) => part.trim()).filter((part) => part.length > 0)];
}

/** A route path segment: names, ids and e-mail addresses are percent-encoded. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
