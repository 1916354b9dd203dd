import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pseudonymKey } from './pseudonym-key.js';

describe('pseudonymKey', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'warden-pseudonym-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('makes a key once in the data directory, readable by its owner only, and keeps it across restarts', async () => {
    const first = await pseudonymKey(undefined, directory, {});
    expect(first).toHaveLength(32);
    expect((await stat(path.join(directory, 'pseudonym-key'))).mode & 0o777).toBe(0o600);
    expect((await pseudonymKey(undefined, directory, {})).equals(first)).toBe(true);
  });

  it('gives two gateways starting at once the same key', async () => {
    const [a, b] = await Promise.all([pseudonymKey(undefined, directory, {}), pseudonymKey(undefined, directory, {})]);
    expect(a.equals(b)).toBe(true);
  });

  it('refuses a damaged key file rather than use a weak key', async () => {
    await writeFile(path.join(directory, 'pseudonym-key'), 'not a key\n');
    await expect(pseudonymKey(undefined, directory, {})).rejects.toThrow(/does not hold a pseudonym key/);
  });

  it('takes a configured key, which must be long enough, and never writes one then', async () => {
    const configured = 'k'.repeat(40);
    expect((await pseudonymKey('env:WARDEN_PSEUDONYM_KEY', directory, { WARDEN_PSEUDONYM_KEY: configured })).toString('utf8')).toBe(configured);
    await expect(readFile(path.join(directory, 'pseudonym-key'))).rejects.toThrow(/ENOENT/);
    await expect(pseudonymKey('env:WARDEN_PSEUDONYM_KEY', directory, { WARDEN_PSEUDONYM_KEY: 'short' })).rejects.toThrow(/at least 32/);
    await expect(pseudonymKey('env:WARDEN_PSEUDONYM_KEY', directory, {})).rejects.toThrow(/not set/);
  });
});
