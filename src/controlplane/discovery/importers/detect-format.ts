import { COMBINED_LINE } from './nginx-combined.js';

export type TrafficFormat = 'audit' | 'jsonl' | 'har' | 'nginx' | 'envoy';

export const TRAFFIC_FORMATS: readonly TrafficFormat[] = ['audit', 'jsonl', 'har', 'nginx', 'envoy'];

/** How many non-blank lines of the head are looked at before giving up. */
const LINES_EXAMINED = 10;
/** A pretty-printed HAR (Chrome, Firefox) starts `{` then `"log": {` on the next line. */
const HAR_START = /^\{\s*"log"\s*:\s*\{/;

/**
 * The format of a traffic file from its first bytes (`head`, decoded; `complete` when it is
 * the whole file), an Error saying none fits and to pass `--format`, or undefined when the
 * head holds no whole line yet to judge by.
 */
export function detectFormat(head: string, complete: boolean): TrafficFormat | Error | undefined {
  const text = head.trimStart();
  if (HAR_START.test(text)) return 'har';
  const lines = text.split('\n');
  // The last line of a head cut short is partial: it could look like anything.
  if (!complete) lines.pop();
  if (lines.length === 0) return undefined;
  let examined = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.length === 0 || line.charCodeAt(0) === 0x23 /* # */) continue;
    const format = lineFormat(line);
    if (format !== undefined) return format;
    if (++examined === LINES_EXAMINED) break;
  }
  return new Error(
    'could not tell the format of the traffic file from its first lines: they are none of Warden audit JSONL (`warden audit query --format jsonl`), ' +
      'traffic JSONL (objects with method, path or url, status), HAR (a browser\'s "Save all as HAR"), nginx combined access logs, or Envoy JSON access logs; ' +
      `pass --format ${TRAFFIC_FORMATS.join('|')}`,
  );
}

function lineFormat(line: string): TrafficFormat | undefined {
  if (line.charCodeAt(0) !== 0x7b /* { */) return COMBINED_LINE.test(line) ? 'nginx' : undefined;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const has = (key: string) => key in record;
  const log = (record as { log?: unknown }).log;
  if (typeof log === 'object' && log !== null && Array.isArray((log as { entries?: unknown }).entries)) return 'har';
  if ((record as { v?: unknown }).v === 1 && has('http') && has('decision')) return 'audit';
  if (has('response_code') || (has('start_time') && (has('path') || has(':path')))) return 'envoy';
  if (has('method') && (has('path') || has('url'))) return 'jsonl';
  return undefined;
}
