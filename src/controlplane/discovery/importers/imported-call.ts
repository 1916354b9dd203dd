import type { Observation } from '../observation.js';

/** One call read from a traffic file, with what the source said beyond the Observation. */
export interface ImportedCall {
  readonly observation: Observation;
  /** The gateway refused the call's credential as bound to no registered agent (audit logs only). */
  readonly unregistered?: true;
}

/** What parsing one line gives: a call, a reason to skip it, or undefined for a blank or comment line. */
export type ParsedLine = ImportedCall | { readonly problem: string } | undefined;

/** Lines longer than this (in UTF-16 units, about bytes for the ASCII of logs) are skipped as problems. */
export const MAX_LINE_LENGTH = 1024 * 1024;

/**
 * An Observation with every field present in one fixed order, so that all of them share one
 * object shape: discovery aggregates millions and a monomorphic shape keeps that fast.
 */
export function observation(fields: Observation): Observation {
  return {
    method: fields.method,
    path: fields.path,
    queryNames: fields.queryNames,
    status: fields.status,
    time: fields.time,
    host: fields.host,
    client: fields.client,
    agent: fields.agent,
    api: fields.api,
    operation: fields.operation,
    responseShape: fields.responseShape,
    dataClasses: fields.dataClasses,
  };
}

const METHOD = /^[A-Za-z]{1,16}$/;
const COMMON_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** The upper-case method, or undefined when the value is not a plausible HTTP method token. */
export function httpMethod(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  if (COMMON_METHODS.has(raw)) return raw;
  return METHOD.test(raw) ? raw.toUpperCase() : undefined;
}

/** The status as an integer 0–999, from a number or a string of digits; undefined otherwise. */
export function httpStatus(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 && raw <= 999 ? raw : undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 3) return undefined;
  let status = 0;
  for (let i = 0; i < raw.length; i++) {
    const digit = raw.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    status = status * 10 + digit;
  }
  return status;
}

const DIGITS = /^[0-9]{1,20}(\.[0-9]+)?$/;

/**
 * Epoch milliseconds from an ISO 8601 string, or from epoch seconds, milliseconds,
 * microseconds or nanoseconds (a number or a string of digits), told apart by magnitude:
 * the ranges meet in the years 1973 and 5138, far from any real log. Undefined when absent
 * (null, `-`, empty), NaN when present but not a time.
 */
export function epochMillis(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '-' || raw === '') return undefined;
  if (typeof raw === 'number') return scaledEpoch(raw);
  if (typeof raw !== 'string') return Number.NaN;
  const iso = isoMillis(raw);
  if (!Number.isNaN(iso)) return iso;
  return DIGITS.test(raw) ? scaledEpoch(Number(raw)) : Date.parse(raw);
}

/**
 * Epoch ms of the ISO 8601 shape that logs write (`2026-03-15T09:00:00.123Z`, with `+01:00`,
 * or without a zone), read by hand at a fraction of Date.parse's cost; NaN for any other
 * shape, which Date.parse is then left to read.
 */
function isoMillis(text: string): number {
  const length = text.length;
  if (length < 19 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return Number.NaN;
  const separator = text.charCodeAt(10);
  if (separator !== 0x54 /* T */ && separator !== 0x20) return Number.NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hours = digitsAt(text, 11, 2);
  const minutes = digitsAt(text, 14, 2);
  const seconds = digitsAt(text, 17, 2);
  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 0x2e /* . */) {
    const start = ++at;
    while (at < length && isDigit(text.charCodeAt(at))) at++;
    // Date.parse keeps milliseconds and drops finer digits.
    for (let i = start; i < start + 3; i++) millis = millis * 10 + (i < at ? text.charCodeAt(i) - 0x30 : 0);
    if (at === start) return Number.NaN;
  }
  let offset = 0;
  const zone = text.charCodeAt(at);
  // No zone: read as UTC, not as this machine's local time, so that an import gives the same
  // result wherever it runs (Python's naive isoformat() writes such times).
  if (at === length || (zone === 0x5a /* Z */ && at + 1 === length)) offset = 0;
  else if ((zone === 0x2b || zone === 0x2d) && at + 6 === length && text.charCodeAt(at + 3) === 0x3a) {
    offset = (digitsAt(text, at + 1, 2) * 60 + digitsAt(text, at + 4, 2)) * (zone === 0x2d ? -60_000 : 60_000);
  } else return Number.NaN;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 59) return Number.NaN;
  return utcMillis(year, month, day, hours, minutes, seconds) + millis - offset;
}

/**
 * Epoch ms of a UTC date and time (month 1–12), by arithmetic (days from the civil calendar,
 * H. Hinnant's algorithm): several times cheaper than Date.UTC, and called once per line.
 */
export function utcMillis(year: number, month: number, day: number, hours: number, minutes: number, seconds: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146097 + dayOfEra - 719468;
  return ((days * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000;
}

/** The decimal number of `length` digits at `text[start]`, or NaN. */
export function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return Number.NaN;
    value = value * 10 + code - 0x30;
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function scaledEpoch(value: number): number {
  if (!Number.isFinite(value) || value < 0) return Number.NaN;
  if (value < 1e11) return Math.round(value * 1000);
  if (value < 1e14) return Math.round(value);
  if (value < 1e17) return Math.round(value / 1000);
  return Math.round(value / 1e6);
}

/**
 * A short, quoted excerpt of untrusted text for a problem message: cut at `?` so that no
 * query value (which may carry PII) reaches the message, and at 40 characters; control
 * characters and quotes are shown as `\xHH`, the way nginx writes them.
 */
export function excerpt(text: string): string {
  const query = text.indexOf('?');
  const cut = query === -1 ? text : text.slice(0, query + 1);
  const short = cut.length > 40 ? `${cut.slice(0, 40)}…` : cut;
  return `"${short.replace(/[\x00-\x1f\x7f"]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

/** A string field's value, or undefined for the ways logs spell "none" (absent, null, `-`, empty). */
export function presentString(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw.length > 0 && raw !== '-' ? raw : undefined;
}

/** One line of a JSON-lines log as an object, or why it is not one (wrapped: a log line may well have a `problem` field). */
export function jsonObjectLine<T extends object>(line: string): { readonly record: T } | { readonly problem: string } {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { problem: 'not JSON' };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { problem: 'not a JSON object' };
  return { record: record as T };
}
