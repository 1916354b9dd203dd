import { Readable } from 'node:stream';
import type { CompiledResponseRules } from '../../../policy/data-rules.js';
import { CONTINUE, type Filter, type Verdict } from '../../pipeline/filter.js';
import type { RequestContext, UpstreamResponse } from '../../pipeline/request-context.js';
import { isJsonMediaType } from '../../media-type.js';
import { upstreamBodyFailure } from '../forward/upstream-failure.js';
import { decoded, decoderFor } from './decoded-body.js';
import { JsonArraySplitter, looksLikeJsonArray } from './json-array-splitter.js';
import { deniedDetail } from '../../pii-scan.js';
import { ResponseShaper, ShapeFindings, WITHHELD } from './response-shaper.js';

/** Answers up to this size are parsed whole; a larger JSON array is filtered record by record. */
const WHOLE_BYTES = 1 << 20;

export interface ResponseFilterOptions {
  /** The largest answer filtered whole (a non-array JSON answer), and the largest record of a streamed list. */
  readonly maxBytes: number;
  /** Key of the `hash` masking style's pseudonyms. */
  readonly pseudonymKey: Buffer;
}

/**
 * Filter: applies the allowing grant's response rules (rows, allow, drop, mask, PII) to a
 * JSON answer. Only answers under rules are read; the rest stream untouched. Compressed
 * answers are decoded (and sent on decoded). Up to 1 MiB the answer is parsed whole; a larger
 * top-level array is filtered record by record as it arrives, so memory stays bounded by one
 * record. What cannot be filtered (not JSON, an unknown encoding, too large) is withheld with
 * a 502 rather than passed unfiltered — data protection fails closed — unless the grant says
 * `otherContent: pass` for answers that are not JSON.
 */
export function responseFilter(options: ResponseFilterOptions): Filter {
  async function filterBody(ctx: RequestContext, upstream: UpstreamResponse, rules: CompiledResponseRules): Promise<Verdict> {
    // A part of an answer is no record: the gateway asked for the whole (no Range is forwarded).
    if (upstream.status === 206) return withhold(ctx, 'the upstream answered with a part of the answer (206), which field rules cannot filter');
    const contentType = String(upstream.headers['content-type'] ?? '');
    if (!isJsonMediaType(contentType)) {
      if (rules.otherContent === 'pass') return CONTINUE;
      return withhold(ctx, `the upstream answered ${contentType.split(';')[0]!.trim() || 'without a content type'}, which field rules cannot filter`);
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return withhold(ctx, `the upstream answered JSON in ${charset}; JSON is read as UTF-8 (RFC 8259)`);
    const decoding = decoderFor(upstream.headers['content-encoding']);
    if (decoding === undefined) return withhold(ctx, `the upstream answered with content encoding ${String(upstream.headers['content-encoding'])}, which the gateway cannot read`);
    const findings = new ShapeFindings();
    const shaper = new ResponseShaper(rules, options.pseudonymKey, ctx.context, findings, upstream.status >= 200 && upstream.status < 300);
    // Most answers are small and say their length: read them with plain events, not an async iterator.
    const declared = Number(upstream.headers['content-length']);
    if (decoding.decoder === null && declared <= WHOLE_BYTES) {
      let bytes: Buffer;
      try {
        bytes = await smallBody(upstream.body);
      } catch (error) {
        return failedBody(ctx, upstream, error as Error);
      }
      return filterWhole(ctx, upstream, bytes, shaper, findings);
    }
    const source = decoded(upstream.body, decoding.decoder)[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let size = 0;
    try {
      for (let next = await source.next(); !next.done; next = await source.next()) {
        head.push(next.value);
        size += next.value.length;
        if (size > WHOLE_BYTES) return streamList(ctx, upstream, head, source, shaper, findings);
      }
    } catch (error) {
      // The upstream broke off or stalled, or its compressed body is corrupt.
      return failedBody(ctx, upstream, error as Error);
    }
    return filterWhole(ctx, upstream, Buffer.concat(head, size), shaper, findings);
  }

  /**
   * A large answer: filtered as it arrives when it is a JSON array, else withheld once it
   * outgrows maxBytes. A record that fails (malformed, too large, a denied PII class) after the
   * first bytes went out can only cut the answer off; the failure is recorded as the outcome.
   */
  async function streamList(ctx: RequestContext, upstream: UpstreamResponse, head: Buffer[], source: AsyncIterator<Buffer>, shaper: ResponseShaper, findings: ShapeFindings): Promise<Verdict> {
    if (!startsAsArray(head)) {
      let size = head.reduce((total, chunk) => total + chunk.length, 0);
      try {
        for (let next = await source.next(); !next.done; next = await source.next()) {
          size += next.value.length;
          if (size > options.maxBytes) return withhold(ctx, `the upstream answer is larger than ${options.maxBytes} bytes and not a JSON array, the most field rules filter whole`);
          head.push(next.value);
        }
      } catch (error) {
        return failedBody(ctx, upstream, error as Error);
      }
      // Only just over the whole-answer size: the caller's path again, from the bytes read.
      return filterWhole(ctx, upstream, Buffer.concat(head), shaper, findings);
    }
    const splitter = new JsonArraySplitter(options.maxBytes);
    let first = true;
    const shape = (texts: string[]): string => {
      let out = '';
      for (let i = 0; i < texts.length; i++) {
        const shaped = shaper.record(JSON.parse(texts[i]!));
        if (shaped === WITHHELD) {
          findings.withheld++;
          continue;
        }
        findings.records++;
        out += first ? JSON.stringify(shaped) : `,${JSON.stringify(shaped)}`;
        first = false;
      }
      // Kept current, so a client that leaves mid-list still has what it was sent recorded (and counted by record quotas).
      note(ctx, findings);
      if (findings.denied !== undefined) throw new StreamRefusal('WARDEN_DATA_PII_DENIED', deniedDetail(findings));
      return out;
    };
    // The megabyte already read is filtered before anything is sent: a failure in it is still a clean refusal.
    let opening = '[';
    try {
      for (const chunk of head) opening += shape(splitter.push(chunk));
    } catch (error) {
      note(ctx, findings);
      if (error instanceof StreamRefusal) {
        upstream.body.destroy();
        return { kind: 'respond', status: 403, code: error.code, detail: error.message };
      }
      return withhold(ctx, notFilterable(error as Error));
    }
    async function* filtered(): AsyncGenerator<string> {
      try {
        yield opening;
        for (let next = await source.next(); !next.done; next = await source.next()) yield shape(splitter.push(next.value));
        splitter.end();
        yield ']';
      } catch (error) {
        // Noted before the stream fails, so the gateway records this rather than an upstream fault.
        if (error instanceof StreamRefusal) ctx.failure = { code: error.code, detail: error.message };
        else if (isBrokenJson(error as Error)) ctx.failure = { code: 'WARDEN_RESPONSE_NOT_FILTERABLE', detail: notFilterable(error as Error) };
        throw error;
      } finally {
        note(ctx, findings);
        upstream.body.destroy();
      }
    }
    ctx.upstream = { status: upstream.status, headers: rewrittenHeaders(upstream.headers), body: Readable.from(filtered(), { objectMode: false }) };
    return CONTINUE;
  }

  function filterWhole(ctx: RequestContext, upstream: UpstreamResponse, bytes: Buffer, shaper: ResponseShaper, findings: ShapeFindings): Verdict {
    let document: unknown;
    try {
      document = JSON.parse(bytes.toString('utf8'));
    } catch {
      return withhold(ctx, 'the upstream answer is not valid JSON');
    }
    let shaped: ReturnType<ResponseShaper['document']>;
    let body: Buffer;
    try {
      shaped = shaper.document(document);
      body = shaped.ok ? Buffer.from(JSON.stringify(shaped.value)) : EMPTY;
    } catch (error) {
      // Nesting deep enough to exhaust the stack: not something field rules can walk.
      if (error instanceof RangeError) return withhold(ctx, 'the upstream answer is nested too deeply to filter');
      throw error;
    }
    note(ctx, findings);
    if (!shaped.ok) return { kind: 'respond', status: 403, code: shaped.code, detail: shaped.detail };
    ctx.responseBody = body;
    ctx.upstream = { status: upstream.status, headers: rewrittenHeaders(upstream.headers), body: upstream.body };
    return CONTINUE;
  }

  return {
    name: 'response',
    onResponse(ctx) {
      const obligations = ctx.decision?.allowed ? ctx.decision.obligations : undefined;
      // A quota on records read needs the answer counted even where no field is filtered.
      const rules = obligations?.response ?? (obligations?.countsRecords === true ? COUNT_ONLY : undefined);
      const upstream = ctx.upstream;
      // Without rules the answer streams through untouched (and without an await), and an
      // answer without a body (HEAD, 204, 304, empty) has no fields to filter.
      if (rules === undefined || upstream === undefined || hasNoBody(ctx, upstream)) return CONTINUE;
      return filterBody(ctx, upstream, rules);
    },
  };
}

/** The whole of a body whose declared length is at most WHOLE_BYTES (more is an error: undici would not let it through either). */
function smallBody(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > WHOLE_BYTES) body.destroy(new Error(`the answer is longer than its Content-Length`));
      else chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    body.once('error', reject);
  });
}

const EMPTY = Buffer.alloc(0);

function isBrokenJson(error: Error): boolean {
  return error instanceof SyntaxError || error instanceof RangeError || error.name === 'JsonArrayError';
}

/**
 * Why a streamed list could not be filtered. The splitter's messages name byte positions only;
 * JSON.parse's quote the record around the fault, which may be personal data, so they are not passed on.
 */
function notFilterable(error: Error): string {
  const why = error.name === 'JsonArrayError' ? error.message : error instanceof RangeError ? 'a record is nested too deeply' : 'a record is not valid JSON';
  return `the upstream answer is not a well-formed JSON array within the limits: ${why}`;
}

/** Whether the first non-whitespace byte of the bytes read so far opens an array. */
function startsAsArray(head: readonly Buffer[]): boolean {
  for (const chunk of head) {
    const verdict = looksLikeJsonArray(chunk);
    if (verdict !== undefined) return verdict;
  }
  return false;
}

/** A failure found in a streamed list, with the code the agent's record carries. */
class StreamRefusal extends Error {
  constructor(
    readonly code: 'WARDEN_DATA_PII_DENIED',
    detail: string,
  ) {
    super(detail);
  }
}

/** No field rules: the answer is read and its records counted, nothing removed. */
const COUNT_ONLY: CompiledResponseRules = Object.freeze({ records: undefined, allow: undefined, drop: [], mask: [], pii: undefined, rows: undefined, otherContent: 'refuse' });

function note(ctx: RequestContext, findings: ShapeFindings): void {
  ctx.records = findings.records;
  ctx.maskedFields = [...findings.masked];
  ctx.piiClasses = [...findings.classes];
  ctx.withheld = findings.withheld;
}

/** The upstream's headers for a body the gateway rewrote: decoded, and of another length. */
function rewrittenHeaders(headers: UpstreamResponse['headers']): UpstreamResponse['headers'] {
  const rewritten: UpstreamResponse['headers'] = {};
  for (const name in headers) if (!REWRITTEN.has(name)) rewritten[name] = headers[name];
  return rewritten;
}

// Describe the upstream's bytes, which the agent no longer receives.
const REWRITTEN = new Set(['content-length', 'content-encoding', 'content-range', 'content-md5', 'digest', 'repr-digest', 'content-digest', 'etag', 'last-modified']);

function hasNoBody(ctx: RequestContext, upstream: UpstreamResponse): boolean {
  return ctx.req.method === 'HEAD' || upstream.status === 204 || upstream.status === 304 || upstream.headers['content-length'] === '0';
}

/** The upstream broke off or stalled (its failure), or the gateway could not decode what it sent. */
function failedBody(ctx: RequestContext, upstream: UpstreamResponse, error: Error): Verdict {
  if (upstream.body.errored !== null) return upstreamBodyFailure(error, ctx.route!.operation.api.name);
  return withhold(ctx, `the upstream's ${String(upstream.headers['content-encoding'])} answer could not be decoded`);
}

function withhold(ctx: RequestContext, detail: string): Verdict {
  ctx.upstream?.body.destroy();
  return { kind: 'respond', status: 502, code: 'WARDEN_RESPONSE_NOT_FILTERABLE', detail };
}
