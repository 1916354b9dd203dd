import { fingerprint } from './fingerprint.js';
import { header, type Exchange } from './http-client.js';
import { isRecord, isUsable, parseJson, type Detected, type Send } from './probe.js';
import { SseReader } from './sse.js';

/** The MCP revision the scanner speaks; a server may answer with another it supports. */
const MCP_PROTOCOL_VERSION = '2025-06-18';
/** tools/list pages followed: enough for any real server, bounded for a looping cursor. */
const MAX_TOOL_PAGES = 5;
const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * Speaks MCP Streamable HTTP to a location: `initialize`, the `initialized` notification, then
 * `tools/list`; recognises a server that lists tools. A session the server opens is ended
 * with DELETE afterwards, so a scan leaves nothing behind.
 */
export async function probeMcp(url: string, send: Send, clientVersion: string): Promise<Detected | undefined> {
  const initialize = await call(send, url, 1, 'initialize', {
    protocolVersion: MCP_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'warden-discovery', version: clientVersion },
  }, {});
  if (initialize === undefined) return undefined;
  const result = initialize.reply.result;
  if (!isRecord(result) || typeof result.protocolVersion !== 'string') return undefined;
  // Later requests go where the server answered, after any same-origin redirect.
  const endpoint = initialize.exchange.url;
  const sessionId = header(initialize.exchange.headers, 'mcp-session-id');
  const session: Record<string, string> = { 'mcp-protocol-version': result.protocolVersion, ...(sessionId !== undefined ? { 'mcp-session-id': sessionId } : {}) };

  // Servers may refuse requests until the client confirms initialization (the Python SDK does).
  await send({ method: 'POST', url: endpoint, headers: { ...BASE_HEADERS, ...session }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  const tools = await listTools(send, endpoint, session);
  if (sessionId !== undefined) await send({ method: 'DELETE', url: endpoint, headers: session });
  if (tools === undefined) return undefined;

  const serverInfo = isRecord(result.serverInfo) ? result.serverInfo : {};
  return {
    finding: {
      kind: 'mcp',
      url: endpoint,
      ...(typeof serverInfo.name === 'string' ? { title: serverInfo.name } : {}),
      ...(typeof serverInfo.version === 'string' ? { version: serverInfo.version } : {}),
      specVersion: result.protocolVersion,
      tools,
    },
    fingerprint: fingerprint({ serverInfo, tools }),
  };
}

/** Tool names over up to MAX_TOOL_PAGES pages; undefined when the first page is not a tools list. */
async function listTools(send: Send, url: string, session: Record<string, string>): Promise<string[] | undefined> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const answer = await call(send, url, 2 + page, 'tools/list', cursor !== undefined ? { cursor } : {}, session);
    const result = answer !== undefined && isRecord(answer.reply.result) ? answer.reply.result : undefined;
    if (result === undefined || !Array.isArray(result.tools)) return page === 0 ? undefined : names;
    for (const tool of result.tools) if (isRecord(tool) && typeof tool.name === 'string') names.push(tool.name);
    cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return names;
}

/** One JSON-RPC request; the reply with the same id, from a JSON body or from an SSE stream. */
async function call(
  send: Send,
  url: string,
  id: number,
  method: string,
  params: Record<string, unknown>,
  session: Record<string, string>,
): Promise<{ reply: Record<string, unknown>; exchange: Extract<Exchange, { kind: 'answer' }> } | undefined> {
  const reader = new SseReader();
  let reply: Record<string, unknown> | undefined;
  const exchange = await send({
    method: 'POST',
    url,
    headers: { ...BASE_HEADERS, ...session },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    stopWhen: (chunk, contentType) => {
      if (!contentType.startsWith('text/event-stream')) return false;
      reply ??= findReply(reader.feed(chunk), id);
      return reply !== undefined;
    },
  });
  if (!isUsable(exchange)) return undefined;
  if (exchange.contentType.startsWith('text/event-stream')) reply ??= findReply(reader.end(), id);
  else reply = findReply([exchange.body.toString('utf8')], id);
  return reply === undefined ? undefined : { reply, exchange };
}

/** The JSON-RPC response to `id` among messages (each may be a single message or a batch). */
function findReply(payloads: readonly string[], id: number): Record<string, unknown> | undefined {
  for (const payload of payloads) {
    const parsed = parseJson(payload);
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (isRecord(message) && message.jsonrpc === '2.0' && message.id === id && ('result' in message || 'error' in message)) return message;
    }
  }
  return undefined;
}
