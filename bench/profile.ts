/**
 * `npm run bench:profile`: where the client spends its time. Runs contenders of bench/worker.ts
 * (bundled as for `npm run bench`) under `node --cpu-prof` against the sink, maps every sample to its
 * source module (by the `// path` markers esbuild writes into an unminified bundle) and prints, per
 * contender, the busy time by module (self) and by stage (inclusive: the stage is on the synchronous
 * stack, so time after an `await` counts for the stage that resumed, not for its caller).
 *
 *   tsx bench/profile.ts [immediate-client immediate-fetch batched-client batched-fetch ...]
 *   BENCH_SRC=/tmp/copy/src tsx bench/profile.ts     (profile a patched copy of src/)
 * Profiles are kept in bench/results/profiles/<contender>/ (open them in Chrome DevTools).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative, resolve } from 'node:path';
import { BENCH_SRC, buildWorker } from './build-worker.js';
import { GROUP_PATH, SEGMENT_PATH, startSink } from './sink.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const WORKER = `${RESULTS}.build/worker-profile.mjs`;

/** Line ranges of the bundle → the module they came from (`src/validate.ts`, `bench/calls.ts`). */
function moduleMap(bundle: string): (line: number) => string {
  const starts: Array<[number, string]> = [];
  bundle.split('\n').forEach((text, i) => {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(text);
    if (m) {
      // esbuild names modules relative to the working directory; a BENCH_SRC copy counts as src/
      const path = resolve(m[1]!);
      starts.push([i, BENCH_SRC && path.startsWith(`${BENCH_SRC}/`) ? `src/${path.slice(BENCH_SRC.length + 1)}` : relative(ROOT, path)]);
    }
  });
  return (line) => {
    let found = '(bundle)';
    for (const [start, name] of starts) {
      if (start > line) break;
      found = name;
    }
    return found;
  };
}

function moduleOf(frame: CallFrame, inBundle: (line: number) => string): string {
  if (frame.functionName.startsWith('(')) return frame.functionName; // (garbage collector), (idle), (program)
  if (frame.url.endsWith('worker-profile.mjs')) return inBundle(frame.lineNumber);
  if (frame.url.includes('node_modules/')) return frame.url.slice(frame.url.lastIndexOf('node_modules/') + 13).split('/').slice(0, frame.url.includes('node_modules/@') ? 2 : 1).join('/');
  if (frame.url.includes('undici')) return 'undici (Node fetch)';
  if (frame.url.startsWith('node:') || frame.url === '') return frame.url ? 'node internals (streams, net, events, AbortSignal)' : '(native: builtins, syscalls)';
  return frame.url;
}

/** Stages of a call, in the client's terms: a sample counts once for each stage on its stack. */
const STAGES: Array<[string, (module: string, fn: string) => boolean, 'self'?]> = [
  ['prepare: validate + map + serialize (validate.ts, all it calls)', (m) => m === 'src/validate.ts'],
  ['  camelCase → wire mapping (wire.ts)', (m) => m === 'src/wire.ts'],
  ['  generated schema validator', (m) => m === 'src/generated/validate.js'],
  ['  date / date-time formats (formats.ts)', (m) => m === 'src/formats.ts'],
  ['  JSON-safety walk, UTF-8 length (json-safety.ts)', (m) => m === 'src/json-safety.ts'],
  ['client.ts (group, enqueueAsync, #post)', (m) => m === 'src/client.ts'],
  ['openapi-fetch (coreFetch and what it calls)', (m) => m === 'openapi-fetch'],
  ['retrying transport (transport.ts and the fetch it calls)', (m) => m === 'src/transport.ts'],
  ['batching queue (queue.ts and the sends it starts)', (m) => m === 'src/queue.ts'],
  ['undici (Node fetch), any caller', (m) => m === 'undici (Node fetch)'],
  ['benchmark code itself (building calls, the loop; self time)', (m) => m.startsWith('bench/'), 'self'],
  ['garbage collector', (m) => m === '(garbage collector)'],
];

export function summarize(profile: Profile, inBundle: (line: number) => string) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const weight = new Map<number, number>();
  profile.samples.forEach((id, i) => weight.set(id, (weight.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let busy = 0;
  const self = new Map<string, number>();
  const stages = new Map<string, number>();
  for (const [id, w] of weight) {
    const node = byId.get(id)!;
    const module = moduleOf(node.callFrame, inBundle);
    if (module === '(idle)') continue;
    busy += w;
    self.set(module, (self.get(module) ?? 0) + w);
    const hit = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const m = moduleOf(frame, inBundle);
      for (const [stage, match, only] of STAGES) if ((at === id || only !== 'self') && match(m, frame.functionName)) hit.add(stage);
    }
    for (const stage of hit) stages.set(stage, (stages.get(stage) ?? 0) + w);
  }
  return { busy, self: [...self].sort((a, b) => b[1] - a[1]), stages: STAGES.map(([s]) => [s, stages.get(s) ?? 0] as const) };
}

async function main(): Promise<void> {
  const contenders = process.argv.slice(2).length ? process.argv.slice(2) : ['immediate-client', 'immediate-fetch', 'batched-client', 'batched-fetch'];
  await buildWorker(WORKER);
  const inBundle = moduleMap(readFileSync(WORKER, 'utf8'));
  const sink = await startSink();
  try {
    for (const contender of contenders) {
      const dir = `${RESULTS}profiles/${contender}`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const immediate = contender.startsWith('immediate');
      const config = { url: sink.url, calls: immediate ? 2_000 : 100_000, warmup: immediate ? 200 : 0, batchSize: 1_000, concurrency: 4, groupPath: GROUP_PATH, segmentPath: SEGMENT_PATH };
      await sink.reset();
      const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, WORKER, contender, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await new Promise((resolve) => child.once('exit', resolve));
      const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { ms: number; cpuMs: number; calls: number };
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
      const { busy, self, stages } = summarize(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Profile, inBundle);
      const per = (w: number): string => `${((w / 1000) * 1000 / result.calls).toFixed(2).padStart(8)} µs/call ${((100 * w) / busy).toFixed(1).padStart(5)}%`;
      console.log(`\n${contender}: ${result.calls} calls, ${result.ms.toFixed(0)} ms timed (${result.cpuMs.toFixed(0)} ms CPU); whole process busy ${(busy / 1000).toFixed(0)} ms incl. start-up (profiled, so slower)`);
      console.log('  self time by module:');
      for (const [name, w] of self.slice(0, 12)) console.log(`  ${per(w)}  ${name}`);
      console.log('  inclusive time by stage:');
      for (const [name, w] of stages) if (w > 0) console.log(`  ${per(w)}  ${name}`);
    }
  } finally {
    await sink.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
