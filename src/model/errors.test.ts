import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';

/** Rows of the table in docs/errors.md: code → [status, meaning, next]. */
function documentedCodes(): Map<string, [number, string, string]> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, [number, string, string]>();
  for (const line of text.split('\n')) {
    const match = /^\| `(WARDEN_[A-Z_]+)` \| (\d{3}) \| (.+?) \| (.+?) \|$/.exec(line);
    if (match) rows.set(match[1]!, [Number(match[2]), match[3]!, match[4]!.replace(/\\\|/g, '|')]);
  }
  return rows;
}

describe('error registry', () => {
  it('is documented in docs/errors.md row for row, with the same status, meaning and advice', () => {
    const documented = documentedCodes();
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, definition] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), code).toEqual([definition.status, definition.meaning, definition.next]);
    }
  });

  it('names every code WARDEN_<AREA>_<WHAT> with an HTTP error status (202 only for a call held for approval)', () => {
    for (const [code, definition] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^WARDEN_[A-Z]+(_[A-Z]+)+$/);
      if (code === 'WARDEN_STEP_UP_PENDING') continue;
      expect(definition.status).toBeGreaterThanOrEqual(400);
      expect(definition.status).toBeLessThan(600);
    }
    expect(ERROR_CODES.WARDEN_STEP_UP_PENDING.status).toBe(202);
  });
});
