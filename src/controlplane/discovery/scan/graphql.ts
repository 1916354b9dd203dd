import { fingerprint } from './fingerprint.js';
import { isRecord, isUsable, parseJson, type Detected, type Send } from './probe.js';

/**
 * Just enough introspection to recognise a GraphQL server and size its API: root type names
 * and field names, not the full schema (arguments, descriptions, input types), which can be
 * megabytes. Deprecated fields are asked for too: they can still be called.
 */
const INTROSPECTION_QUERY =
  'query WardenDiscovery { __schema { queryType { name } mutationType { name } types { name kind fields(includeDeprecated: true) { name } } } }';

/** POSTs a small introspection query and recognises a GraphQL schema in the answer. */
export async function probeGraphql(url: string, send: Send): Promise<Detected | undefined> {
  const exchange = await send({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9' },
    body: JSON.stringify({ query: INTROSPECTION_QUERY, operationName: 'WardenDiscovery' }),
  });
  if (!isUsable(exchange)) return undefined;
  return describeGraphql(parseJson(exchange.body.toString('utf8')), exchange.url);
}

/** Recognises an introspection answer (`data.__schema`) and counts the root types' fields. */
function describeGraphql(answer: unknown, url: string): Detected | undefined {
  const schema = isRecord(answer) && isRecord(answer.data) ? answer.data.__schema : undefined;
  if (!isRecord(schema) || !Array.isArray(schema.types)) return undefined;
  const types = schema.types;
  const fieldCount = (root: unknown): number => {
    const name = isRecord(root) ? root.name : undefined;
    if (typeof name !== 'string') return 0;
    const type = types.find((candidate) => isRecord(candidate) && candidate.name === name);
    return isRecord(type) && Array.isArray(type.fields) ? type.fields.length : 0;
  };
  return {
    finding: { kind: 'graphql', url, graphql: { queries: fieldCount(schema.queryType), mutations: fieldCount(schema.mutationType) } },
    fingerprint: fingerprint(schema),
  };
}
