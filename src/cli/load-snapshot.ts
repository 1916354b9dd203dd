import { existsSync } from 'node:fs';
import { compile } from '../policy/compile.js';
import { formatProblem } from '../policy/load/problem.js';
import { loadManifests, type LoadResult } from '../policy/load/load-manifests.js';
import type { Snapshot } from '../policy/snapshot.js';
import { UsageError } from './output.js';

/** Loads and compiles a folder, or stops with its problems: commands never act on invalid policy. */
export async function loadValidFolder(dir: string): Promise<{ loaded: LoadResult; snapshot: Snapshot }> {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such file or folder`, 'give the folder that holds your manifests, e.g. examples');
  const loaded = await loadManifests(dir);
  if (loaded.problems.length > 0) {
    throw new UsageError(`${dir} has ${loaded.problems.length} problem(s):\n${loaded.problems.map(formatProblem).join('\n')}`, `fix them (warden check ${dir}) and run the command again`);
  }
  return { loaded, snapshot: compile(loaded.set) };
}
