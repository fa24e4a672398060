/**
 * `npm run bench:profile`: where the client spends its time. Runs runners of bench/contenders.ts
 * (bench/worker.ts, bundled as for `npm run bench`) under `node --cpu-prof` against the sink, maps every
 * sample to its source module (by the `// path` markers esbuild writes into an unminified bundle) and
 * prints, per runner, the busy time by module (self; native functions such as `JSON.stringify` by
 * name) and by stage (inclusive: the stage is on the synchronous stack, so time after an `await`
 * counts for the stage that resumed, not for its caller), in µs per call.
 *
 *   tsx bench/profile.ts [--quick] [--src path/to/src] [--calls N] [runner ...]
 *     runners: immediate-client immediate-fetch batched-default batched-tuned batched-fetch segment
 *     (default: all but segment); --quick: a few thousand calls each (the CI smoke)
 *   BENCH_SRC=/tmp/copy/src tsx bench/profile.ts     (profile a patched copy of src/, as --src)
 * Profiles are kept in bench/results/profiles/<runner>/ (open them in Chrome DevTools).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_SRC, buildWorker } from './build-worker.js';
import { GROUP_PATH, SEGMENT_PATH, startSink } from './sink.js';
import { runner, RUNNERS } from './contenders.js';
import type { WorkerConfig, WorkerResult } from './worker.js';

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

/** Line ranges of the bundle → the module they came from (`src/validate.ts`, `bench/calls.ts`); a copy of src/ counts as src/. */
function moduleMap(bundle: string, src: string | undefined): (line: number) => string {
  const starts: Array<[number, string]> = [];
  bundle.split('\n').forEach((text, i) => {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(text);
    if (m) {
      // esbuild names modules relative to the working directory
      const path = resolve(m[1]!);
      starts.push([i, src && path.startsWith(`${src}/`) ? `src/${path.slice(src.length + 1)}` : relative(ROOT, path)]);
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
  if (frame.url.startsWith('node:')) return 'node internals (streams, net, events, AbortSignal)';
  // V8 builtins and runtime functions (JSON.stringify, Array.prototype.join, TextEncoder.encode, ...)
  if (frame.url === '') return `native: ${frame.functionName || '(anonymous)'}`;
  return frame.url;
}

/** Stages of a call, in the client's terms: a sample counts once for each stage on its stack. */
const STAGES: Array<[string, (module: string, fn: string) => boolean, 'self'?]> = [
  ['client.ts (group, enqueueAsync, #post), all it calls', (m) => m === 'src/client.ts'],
  ['read + check + serialize a call (validate.ts: prepareCall / prepareRequest)', (m) => m === 'src/validate.ts'],
  ['  generated one-pass reader (generated/call.ts)', (m) => m === 'src/generated/call.ts'],
  ['  careful path (json-safety.ts, call-reading.ts, wire.ts)', (m) => m === 'src/json-safety.ts' || m === 'src/call-reading.ts' || m === 'src/wire.ts'],
  ['  date / date-time formats (formats.ts)', (m) => m === 'src/formats.ts'],
  ['  JSON.stringify, any caller', (m) => m === 'native: stringify'],
  ['batching queue (queue.ts and the sends it starts)', (m) => m === 'src/queue.ts'],
  ['  batch bodies: join (call-bytes.ts)', (m) => m === 'src/call-bytes.ts'],
  ['openapi-fetch (coreFetch and what it calls)', (m) => m === 'openapi-fetch'],
  ['retrying transport (transport.ts, answer.ts and the fetch they call)', (m) => m === 'src/transport.ts' || m === 'src/answer.ts'],
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
  const functions = new Map<string, number>();
  const stages = new Map<string, number>();
  for (const [id, w] of weight) {
    const node = byId.get(id)!;
    const module = moduleOf(node.callFrame, inBundle);
    if (module === '(idle)') continue;
    busy += w;
    self.set(module, (self.get(module) ?? 0) + w);
    const fn = `${node.callFrame.functionName || '(anonymous)'} (${module})`;
    functions.set(fn, (functions.get(fn) ?? 0) + w);
    const hit = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const m = moduleOf(frame, inBundle);
      for (const [stage, match, only] of STAGES) if ((at === id || only !== 'self') && match(m, frame.functionName)) hit.add(stage);
    }
    for (const stage of hit) stages.set(stage, (stages.get(stage) ?? 0) + w);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { busy, self: sorted(self), functions: sorted(functions), stages: STAGES.map(([s]) => [s, stages.get(s) ?? 0] as const) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { quick: { type: 'boolean', default: false }, src: { type: 'string' }, calls: { type: 'string' } },
  });
  const names = positionals.length ? positionals : Object.keys(RUNNERS).filter((n) => n !== 'segment');
  const src = values.src ? resolve(values.src) : BENCH_SRC;
  await buildWorker(WORKER, { src });
  const inBundle = moduleMap(readFileSync(WORKER, 'utf8'), src);
  const sink = await startSink();
  let failed = false;
  try {
    for (const name of names) {
      const run = runner(name);
      const dir = `${RESULTS}profiles/${name}`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const immediate = run.section === 'immediate';
      const calls = Number(values.calls ?? (immediate ? (values.quick ? 200 : 2_000) : values.quick ? 5_000 : 100_000));
      const config: WorkerConfig = {
        url: sink.url,
        calls,
        warmup: immediate ? Math.ceil(calls / 10) : 0,
        batchSize: 1_000,
        concurrency: 4,
        groupPath: GROUP_PATH,
        segmentPath: SEGMENT_PATH,
        ...(run.clientOptions ? { clientOptions: run.clientOptions } : {}),
      };
      await sink.reset();
      const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, WORKER, run.contender, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      const result = JSON.parse(output.trim().split('\n').pop() || '{}') as Partial<WorkerResult>;
      const count = await sink.count();
      if (code !== 0 || !result.ok) {
        console.error(`${name}: the worker failed (exit ${String(code)}): ${JSON.stringify(result)}`);
        failed = true;
        continue;
      }
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
      const { busy, self, functions, stages } = summarize(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Profile, inBundle);
      const sent = calls + config.warmup;
      const per = (w: number): string => `${(w / sent).toFixed(2).padStart(8)} µs/call ${((100 * w) / busy).toFixed(1).padStart(5)}%`;
      console.log(
        `\n${name}: ${sent.toLocaleString('en-US')} calls (µs/call below: the whole process's samples ÷ these) in ${count.requests.toLocaleString('en-US')} requests, ${result.ms!.toFixed(0)} ms timed ` +
          `(${result.cpuMs!.toFixed(0)} ms CPU); whole process busy ${(busy / 1000).toFixed(0)} ms incl. start-up (profiled, so slower)`,
      );
      console.log('  self time by module:');
      for (const [module, w] of self.slice(0, 14)) console.log(`  ${per(w)}  ${module}`);
      console.log('  self time by function:');
      for (const [fn, w] of functions.slice(0, 16)) console.log(`  ${per(w)}  ${fn}`);
      console.log('  inclusive time by stage:');
      for (const [stage, w] of stages) if (w > 0) console.log(`  ${per(w)}  ${stage}`);
    }
  } finally {
    await sink.stop();
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
