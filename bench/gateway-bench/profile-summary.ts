/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench:gateway -- --profile DIR`):
 * where the non-idle time goes, by file (Warden's sources, each package, Node internals, GC)
 * and by function, self and inclusive. Usage: node dist/bench/gateway-bench/profile-summary.js
 * <file.cpuprofile> [--top N]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A short place for a script URL: `src/dataplane/gateway.ts`, `undici`, `node:internal/…`. */
function place(url: string): string {
  if (url === '') return '(native)';
  const dist = /\/dist\/((?:src|bench)\/.*)\.js$/.exec(url);
  if (dist) return `${dist[1]}.ts`;
  const modules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules) return modules[1]!;
  return url.replace(/^file:\/\//, '');
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url === '') return functionName;
  return `${functionName || '(anonymous)'} ${place(url)}:${lineNumber + 1}`;
}

function main(): void {
  const fileName = process.argv[2];
  if (fileName === undefined) {
    process.stderr.write('usage: profile-summary.js <file.cpuprofile> [--top N]\n');
    process.exit(2);
  }
  const topAt = process.argv.indexOf('--top');
  const top = topAt === -1 ? 25 : Number(process.argv[topAt + 1] ?? 25);
  const profile = JSON.parse(readFileSync(fileName, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByFunction = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const delta = profile.timeDeltas[i] ?? 0;
    if (node.callFrame.functionName === '(idle)') {
      idle += delta;
      continue;
    }
    busy += delta;
    const name = label(node);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    const where = node.callFrame.url === '' ? node.callFrame.functionName : place(node.callFrame.url);
    selfByPlace.set(where, (selfByPlace.get(where) ?? 0) + delta);
    // Inclusive: each function on the stack once, however often it recurses.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      if (frame.callFrame.functionName === '(root)') continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
    }
  }

  const share = (value: number) => `${((100 * value) / busy).toFixed(1).padStart(5)}%`;
  const list = (title: string, map: Map<string, number>, count: number) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, value] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) process.stdout.write(`  ${share(value)}  ${name}\n`);
  };
  process.stdout.write(`${fileName}: ${(busy / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle (shares below are of busy time)\n`);
  list('self time by file or package', selfByPlace, top);
  list('self time by function', selfByFunction, top);
  list('inclusive time by function', inclusive, top);
}

main();
