import { digitsAt, excerpt, httpMethod, httpStatus, observation, presentString, utcMillis, type ImportedCall } from './imported-call.js';
import { splitTarget } from './split-target.js';

/**
 * The start of a `combined` (or `common`) line, for format detection only: parsing is done by
 * hand below, as regular expressions cost several times more per line.
 */
export const COMBINED_LINE = /^\S+ \S+ \S+ \[[0-9]{2}\/[A-Z][a-z]{2}\/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\] "(?:[^"\\]|\\.)*" [0-9]{3} (?:[0-9]+|-)/;

const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MONTHS = new Map(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((name, index) => [name, index]));
const NOT_COMBINED = { problem: 'not an nginx combined log line (`$remote_addr - $remote_user [$time_local] "$request" $status …`)' } as const;

/**
 * Parses one nginx `combined` line (`$remote_addr - $remote_user [$time_local] "$request"
 * $status $body_bytes_sent "$http_referer" "$http_user_agent"`, with any fields after) into a
 * call, or says why it cannot: a `"-"` request, a TLS handshake or other bytes that are no
 * HTTP request line.
 */
export function parseNginxLine(line: string): ImportedCall | { problem: string } {
  const timeOpen = line.indexOf(' [');
  const addressEnd = line.indexOf(' ');
  // $remote_user is the last field before ` [`; $remote_addr and the `-` of ident come first.
  const userStart = timeOpen <= 0 ? -1 : line.lastIndexOf(' ', timeOpen - 1) + 1;
  if (userStart <= addressEnd + 1) return NOT_COMBINED;
  const timeClose = line.indexOf(']', timeOpen + 2);
  if (timeClose === -1 || line.charCodeAt(timeClose + 1) !== SPACE || line.charCodeAt(timeClose + 2) !== QUOTE) return NOT_COMBINED;
  const requestStart = timeClose + 3;
  const requestEnd = closingQuote(line, requestStart);
  if (requestEnd === -1 || line.charCodeAt(requestEnd + 1) !== SPACE) return NOT_COMBINED;
  const statusStart = requestEnd + 2;
  let statusEnd = line.indexOf(' ', statusStart);
  if (statusEnd === -1) statusEnd = line.length;
  const status = httpStatus(line.slice(statusStart, statusEnd));
  if (status === undefined) return { problem: `the status ${excerpt(line.slice(statusStart, statusEnd))} is not a status code` };
  const time = localTime(line, timeOpen + 2, timeClose);
  if (Number.isNaN(time)) return { problem: `the time ${excerpt(line.slice(timeOpen + 2, timeClose))} is not an nginx $time_local (10/Oct/2000:13:55:36 -0700)` };
  const request = line.slice(requestStart, requestEnd);
  const target = requestTarget(request);
  if (typeof target !== 'string') return target;
  const parts = splitTarget(target);
  if (typeof parts === 'string') return { problem: parts };
  return {
    observation: observation({
      method: request.slice(0, request.indexOf(' ')).toUpperCase(),
      path: parts.path,
      queryNames: parts.queryNames,
      status,
      time,
      host: parts.host,
      // $remote_user names who authenticated; an address alone identifies no client.
      client: presentString(line.slice(userStart, timeOpen)),
    }),
  };
}

/** The target of a request line `METHOD target HTTP/x.y` (or HTTP/0.9's `METHOD target`), or why there is none. */
function requestTarget(request: string): string | { problem: string } {
  if (request === '-' || request.length === 0) return { problem: 'no request line ("-"): the client closed the connection or sent nothing before the timeout' };
  const firstSpace = request.indexOf(' ');
  if (firstSpace <= 0 || httpMethod(request.slice(0, firstSpace)) === undefined) {
    return { problem: `the request line ${excerpt(request)} is not an HTTP request (a TLS handshake sent to a plain-HTTP port, or a probe)` };
  }
  const lastSpace = request.lastIndexOf(' ');
  if (lastSpace === firstSpace) return request.slice(firstSpace + 1);
  if (!request.startsWith('HTTP/', lastSpace + 1) || request.indexOf(' ', firstSpace + 1) !== lastSpace) return { problem: `the request line ${excerpt(request)} is malformed` };
  return request.slice(firstSpace + 1, lastSpace);
}

/** Index of the `"` closing a field that starts at `start`, skipping `\"` (nginx writes `\x22`, Apache `\"`). */
function closingQuote(line: string, start: number): number {
  let quote = line.indexOf('"', start);
  while (quote !== -1 && isEscaped(line, start, quote)) quote = line.indexOf('"', quote + 1);
  return quote;
}

function isEscaped(line: string, start: number, at: number): boolean {
  let backslashes = 0;
  while (at - 1 - backslashes >= start && line.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

/** Epoch ms of an nginx `$time_local` (`10/Oct/2000:13:55:36 -0700`) at `line[start, end)`, or NaN. */
function localTime(line: string, start: number, end: number): number {
  if (end - start !== 26 || line.charCodeAt(start + 2) !== 0x2f || line.charCodeAt(start + 6) !== 0x2f || line.charCodeAt(start + 20) !== SPACE) return Number.NaN;
  const month = MONTHS.get(line.slice(start + 3, start + 6));
  if (month === undefined) return Number.NaN;
  const day = digitsAt(line, start, 2);
  const year = digitsAt(line, start + 7, 4);
  const hours = digitsAt(line, start + 12, 2);
  const minutes = digitsAt(line, start + 15, 2);
  const seconds = digitsAt(line, start + 18, 2);
  const sign = line.charCodeAt(start + 21);
  const offset = (digitsAt(line, start + 22, 2) * 60 + digitsAt(line, start + 24, 2)) * (sign === 0x2d ? -60_000 : 60_000);
  if ((sign !== 0x2b && sign !== 0x2d) || Number.isNaN(day + year + hours + minutes + seconds + offset)) return Number.NaN;
  return utcMillis(year, month + 1, day, hours, minutes, seconds) - offset;
}
