/** Exit codes every command shares, so scripts can tell "no" from "broken". */
export const EXIT = {
  ok: 0,
  /** The command worked and the answer is negative: problems found, call denied. */
  negative: 1,
  /** Bad input or a failure to run: fix the command line or the environment. */
  failure: 2,
} as const;

/** Writes `value` as one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** A failure the user can fix: printed as `warden: <message>` plus what to do, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `k=v` pairs from repeated options into a record; a repeated key becomes a list, as in a query string. */
export function keyValues(pairs: readonly string[], option: string): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = Object.create(null);
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`${option} "${pair}" is not key=value`, `write ${option} customerId=C-1001`);
    const key = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    const existing = record[key];
    record[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return record;
}

/** `1 call`, `3 calls`. */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Prints how far a long file read has got to stderr, about once a second; quick reads print nothing. */
export function progressPrinter(): (file: string, bytesRead: number, totalBytes: number) => void {
  let last = Date.now();
  return (file, bytesRead, totalBytes) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    const percent = totalBytes > 0 ? Math.floor((bytesRead / totalBytes) * 100) : 100;
    process.stderr.write(`reading ${file}: ${(bytesRead / 1048576).toFixed(0)} of ${(totalBytes / 1048576).toFixed(0)} MiB (${percent} %)\n`);
  };
}
