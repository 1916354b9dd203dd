import type { Command } from 'commander';
import { decide, type DecisionRequest } from '../../policy/decide.js';
import { explainDecision } from '../../policy/explain.js';
import { loadValidFolder } from '../load-snapshot.js';
import { EXIT, UsageError, keyValues, printJson, printLines } from '../output.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerDecide(program: Command): void {
  program
    .command('decide')
    .description('decide one call against a manifest folder and explain why; exit 0 allow, 1 deny')
    .argument('<dir>', 'folder of Warden manifests')
    .requiredOption('--agent <name>', 'the calling agent')
    .requiredOption('--method <method>', 'HTTP method, e.g. GET')
    .requiredOption('--path <path>', 'request path, optionally with ?query')
    .option('--param <k=v>', 'query parameter (repeatable)', collect, [])
    .option('--body <k=v>', 'top-level body field; numbers and booleans are read as JSON (repeatable)', collect, [])
    .option('--context <k=v>', 'task context claim, e.g. customer=C-1001 (repeatable)', collect, [])
    .option('--region <region>', 'region the call is made in, e.g. eu')
    .option('--time <iso>', 'decide as of this time (ISO 8601), default now')
    .option('--json', 'print the decision as JSON')
    .addHelpText('after', '\nExample:\n  warden decide examples --agent support-bot --method GET --path /crm/customers/C-1001 --context customer=C-1001 --region eu')
    .action(async (dir: string, options: { agent: string; method: string; path: string; param: string[]; body: string[]; context: string[]; region?: string; time?: string; json?: boolean }) => {
      const { snapshot } = await loadValidFolder(dir);
      const decision = decide(snapshot, requestFrom(options));
      if (options.json) printJson(decision);
      else printLines(explainDecision(decision));
      process.exitCode = decision.allowed ? EXIT.ok : EXIT.negative;
    });
}

function requestFrom(options: { agent: string; method: string; path: string; param: string[]; body: string[]; context: string[]; region?: string; time?: string }): DecisionRequest {
  const [path = '', queryString] = splitOnce(options.path, '?');
  const query = keyValues([...(queryString ? queryString.split('&').filter(Boolean).map(decodeQueryPair) : []), ...options.param], '--param');
  const body: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(keyValues(options.body, '--body'))) {
    if (Array.isArray(value)) throw new UsageError(`--body ${key} is given twice`, 'give each body field once');
    body[key] = jsonScalar(value);
  }
  const context: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(keyValues(options.context, '--context'))) {
    if (Array.isArray(value)) throw new UsageError(`--context ${key} is given twice`, 'give each context claim once');
    context[key] = value;
  }
  let time: number | undefined;
  if (options.time !== undefined) {
    time = Date.parse(options.time);
    if (Number.isNaN(time)) throw new UsageError(`--time "${options.time}" is not a date`, 'write ISO 8601, e.g. 2026-03-15T09:30:00Z');
  }
  return {
    agent: options.agent,
    method: options.method.toUpperCase(),
    path,
    ...(Object.keys(query).length > 0 ? { query } : {}),
    ...(Object.keys(body).length > 0 ? { body } : {}),
    ...(Object.keys(context).length > 0 ? { context } : {}),
    ...(time !== undefined ? { time } : {}),
    ...(options.region !== undefined ? { region: options.region } : {}),
  };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

function decodeQueryPair(pair: string): string {
  const [key = '', value = ''] = splitOnce(pair, '=');
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
  try {
    return `${decode(key)}=${decode(value)}`;
  } catch {
    throw new UsageError(`query "${pair}" is not valid percent-encoding`, 'fix the query string in --path');
  }
}

function jsonScalar(value: string): unknown {
  if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(value)) return JSON.parse(value);
  return value;
}
