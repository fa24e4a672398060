/**
 * `npm run bench`: the client at its default options (as users run it) and tuned, against its floors
 * (bare `fetch`) and a peer SDK (Segment), side by side in one run; `--vs` measures another copy of the
 * client beside this one.
 *
 * Every contender (bench/contenders.ts) runs in a fresh child process per round (bench/worker.ts,
 * bundled with esbuild once per copy of the client, so no TypeScript loader is in the measured process)
 * against one sink process (bench/sink.ts), which counts the calls and requests it receives; contenders
 * alternate from round to round. The sync section measures `enqueue()`'s synchronous cost in process
 * (bench/sync.ts), the size section the browser bundle (bench/size.ts). Prints the tables, writes
 * bench/results/<out>.json and (a full run) the "bench" section of docs/benchmarks.md.
 *
 *   tsx bench/run.ts [--rounds N] [--quick] [--only immediate,batched,peer,sync,size] [--vs path/to/other/src]
 *                    [--out NAME] [--no-docs]      (docs/benchmarks.md: not with --quick, --only or --no-docs)
 *   BENCH_SRC=/tmp/copy/src tsx bench/run.ts --out patched    (measure a patched copy of src/)
 *
 * Goals are reported, never enforced by the exit code (a shared machine is noisy); a contender that
 * loses calls fails the run (exit 1).
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GROUP_PATH, SEGMENT_PATH, startSink, type RunningSink } from './sink.js';
import { measureSize, readBudget, type SizeResult } from './size.js';
import { BENCH_SRC, OWN_SRC, buildWorker } from './build-worker.js';
import { RUNNERS, type Runner, type RunnerName } from './contenders.js';
import { measureSync, syncTable, SYNC_DEFAULTS, type SyncSummary } from './sync.js';
import { fmt, ratios, stats, table, type Stats } from './stats.js';
import { commandLine, commitOf, machine, runFacts, took, writeDocsSection } from './docs-page.js';
import type { WorkerConfig, WorkerResult } from './worker.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const ARGS = process.argv.slice(2);
const { values } = parseArgs({
  args: ARGS,
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    vs: { type: 'string' },
    out: { type: 'string', default: 'latest' },
    'no-docs': { type: 'boolean', default: false },
  },
});
const QUICK = values.quick!;
const ROUNDS = Number(values.rounds ?? (QUICK ? 2 : 5));
const ALL_SECTIONS = ['immediate', 'batched', 'peer', 'sync', 'size'];
const ONLY = new Set((values.only ?? ALL_SECTIONS.join(',')).split(','));
const IMMEDIATE_CALLS = 2_000;
const IMMEDIATE_WARMUP = 200;
const BATCHED_CALLS = 100_000;
const BATCH_SIZE = 1_000;
const CONCURRENCY = 4;
const WORKER_TIMEOUT_MS = 300_000;
const PER_100K = 100_000;

const GOALS = {
  defaultRequestsPer100k: 110,
  batchedRatio: 1.25,
  immediateRatio: 1.1,
  peerSpeedup: 12,
  peerRssFraction: 0.2,
  syncRatio: 2,
  gzipBytes: 16_000,
};

interface Source {
  label: string;
  src: string;
  worker: string;
}

/** One contender, for one copy of the client when it runs the client. */
interface Job {
  key: string;
  name: RunnerName;
  runner: Runner;
  source: Source;
}

type Run = WorkerResult & { sinkCalls: number; sinkRequests: number };

/** Runs one job in a fresh process; checks the sink's count against what it should have got. */
async function runWorker(sink: RunningSink, job: Job, config: WorkerConfig, expected: number): Promise<Run> {
  await sink.reset();
  const jobConfig: WorkerConfig = { ...config, ...(job.runner.clientOptions ? { clientOptions: job.runner.clientOptions } : {}) };
  const child = fork(job.source.worker, [job.runner.contender, JSON.stringify(jobConfig)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
  const result = await new Promise<WorkerResult>((resolve) => {
    let got: WorkerResult | undefined;
    child.on('message', (message: WorkerResult) => (got = message));
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve(got ?? { ok: false, contender: job.key, ms: NaN, calls: config.calls, delivered: 0, maxRssMB: NaN, cpuMs: NaN, error: `exited with ${signal ?? code} before reporting` });
    });
  });
  const count = await sink.count();
  const ok = result.ok && count.calls === expected && count.rejected === 0;
  if (!ok && result.ok && count.calls > expected && job.runner.contender === 'segment') {
    // Nothing lost, but Segment re-sent batches (its request timeout fired): note it, do not fail.
    console.error(`  ! ${job.key}: sink counted ${count.calls} calls for ${expected} sent (re-sent batches)`);
    return { ...result, sinkCalls: count.calls, sinkRequests: count.requests };
  }
  if (!ok) console.error(`  ✗ ${job.key}: sink counted ${count.calls} of ${expected} calls (${count.rejected} rejected), worker said ${JSON.stringify(result)}`);
  return { ...result, ok, sinkCalls: count.calls, sinkRequests: count.requests };
}

/** Rounds of the jobs, rotated each round so none always goes first. */
async function alternate(sink: RunningSink, jobs: Job[], config: WorkerConfig, expected: number): Promise<Map<string, Run[]>> {
  const runs = new Map<string, Run[]>(jobs.map((j) => [j.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < jobs.length; k++) {
      const job = jobs[(k + round) % jobs.length]!;
      const r = await runWorker(sink, job, config, expected);
      runs.get(job.key)!.push(r);
      console.log(
        `  round ${round + 1}/${ROUNDS} ${job.key.padEnd(22)} ${r.ms.toFixed(0).padStart(6)} ms ${fmt.int(r.calls / (r.ms / 1000)).padStart(9)} calls/s ` +
          `${r.cpuMs.toFixed(0).padStart(6)} ms CPU ${r.maxRssMB.toFixed(0).padStart(5)} MB ${String(r.sinkRequests).padStart(6)} requests${r.ok ? '' : '  FAILED'}`,
      );
    }
  }
  return runs;
}

/** The jobs of one section: client runners once per source, the others once (with the first source's worker). */
function jobsOf(section: Runner['section'], sources: Source[], withPeer: boolean): Job[] {
  const jobs: Job[] = [];
  for (const [name, runner] of Object.entries(RUNNERS) as Array<[RunnerName, Runner]>) {
    if (runner.section !== section || (runner.contender === 'segment' && !withPeer)) continue;
    if (runner.client) for (const source of sources) jobs.push({ key: `${name}@${source.label}`, name, runner, source });
    else jobs.push({ key: name, name, runner, source: sources[0]! });
  }
  return jobs;
}

interface Figures {
  ms: number[];
  cpuMs: number[];
  rssMB: number[];
  requests: number[];
  calls: number;
}

const figures = (runs: Run[]): Figures => ({
  ms: runs.map((r) => r.ms),
  cpuMs: runs.map((r) => r.cpuMs),
  rssMB: runs.map((r) => r.maxRssMB),
  requests: runs.map((r) => r.sinkRequests),
  calls: runs[0]?.calls ?? NaN,
});

async function main(): Promise<void> {
  const started = Date.now();
  const date = new Date().toISOString();
  const own = resolve(BENCH_SRC ?? OWN_SRC);
  const sources: Source[] = [{ label: 'new', src: own, worker: `${RESULTS}.build/worker-new.mjs` }];
  if (values.vs) sources.push({ label: 'old', src: resolve(values.vs), worker: `${RESULTS}.build/worker-old.mjs` });
  for (const s of sources) await buildWorker(s.worker, { src: s.src });
  const versus = sources.length > 1;
  const writeDocs = !values['no-docs'] && !QUICK && values.only === undefined;
  const m = machine();
  console.log(`bench: ${ROUNDS} round(s); ${m.cpus} CPUs (${m.cpu}), ${m.memoryGB} GB, Node ${m.node}`);
  for (const s of sources) console.log(`  ${s.label}: the client in ${s.src}`);

  const json: Record<string, unknown> = {
    date,
    command: commandLine('bench', ARGS),
    sources: sources.map((s) => ({ label: s.label, src: s.src, commit: commitOf(s.src === OWN_SRC ? undefined : s.src) })),
    machine: m,
    rounds: ROUNDS,
    config: { IMMEDIATE_CALLS, IMMEDIATE_WARMUP, BATCHED_CALLS, BATCH_SIZE, CONCURRENCY },
    goals: GOALS,
  };
  const md: string[] = [];
  const goals: Array<{ goal: string; target: string; measured: string; old?: string; pass: boolean }> = [];
  let failed = false;
  const label = (job: Job): string => (job.runner.client ? job.source.label : '');
  const newKey = (name: RunnerName): string => `${name}@new`;

  const sink = await startSink();
  try {
    const base = { url: sink.url, batchSize: BATCH_SIZE, concurrency: CONCURRENCY, groupPath: GROUP_PATH, segmentPath: SEGMENT_PATH };

    if (ONLY.has('immediate')) {
      console.log(`\nImmediate: ${IMMEDIATE_CALLS} sequential calls (after ${IMMEDIATE_WARMUP} untimed), client.group() vs bare fetch`);
      const jobs = jobsOf('immediate', sources, false);
      const runs = await alternate(sink, jobs, { ...base, calls: IMMEDIATE_CALLS, warmup: IMMEDIATE_WARMUP }, IMMEDIATE_CALLS + IMMEDIATE_WARMUP);
      failed ||= [...runs.values()].flat().some((r) => !r.ok);
      const floor = figures(runs.get('immediate-fetch')!);
      const rows = jobs.map((job) => {
        const f = figures(runs.get(job.key)!);
        const us = (ms: number[]): Stats => stats(ms.map((x) => (x * 1000) / f.calls));
        const isFloor = job.name === 'immediate-fetch';
        return [
          job.runner.title,
          label(job),
          fmt.spread(us(f.ms), fmt.int),
          fmt.int(us(f.cpuMs).median),
          fmt.int(stats(f.rssMB).median),
          isFloor ? '1.00×' : fmt.spread(ratios(f.ms, floor.ms), fmt.x),
          isFloor ? '1.00×' : fmt.x(ratios(f.cpuMs, floor.cpuMs).median),
        ];
      });
      const section = table(['Contender', 'src', 'µs per call, wall (median, min – max)', 'CPU µs per call', 'Peak RSS MB', 'Time ÷ floor (pair by pair)', 'CPU ÷ floor'], rows);
      md.push(`### Immediate: ${fmt.int(IMMEDIATE_CALLS)} sequential calls, one per request\n\nAfter ${IMMEDIATE_WARMUP} untimed calls each; the floor posts pre-serialized one-call bodies with bare \`fetch\`.\n\n${section}`);
      const ratio = (key: string): Stats => ratios(runs.get(key)!.map((r) => r.ms), floor.ms);
      const cpuRatio = (key: string): Stats => ratios(runs.get(key)!.map((r) => r.cpuMs), floor.cpuMs);
      const cell = (key: string): string => `${fmt.x(ratio(key).median)} (CPU ${fmt.x(cpuRatio(key).median)})`;
      const immediateNew = ratio(newKey('immediate-client'));
      goals.push({
        goal: 'Immediate `group()` time ÷ bare `fetch` (CPU time ÷ in brackets)',
        target: `≤ ${GOALS.immediateRatio.toFixed(2)}×`,
        measured: cell(newKey('immediate-client')),
        ...(versus ? { old: cell('immediate-client@old') } : {}),
        pass: immediateNew.median <= GOALS.immediateRatio,
      });
      json.immediate = Object.fromEntries([...runs].map(([k, r]) => [k, figures(r)]));
    }

    if (ONLY.has('batched') || ONLY.has('peer')) {
      const withPeer = ONLY.has('peer');
      console.log(`\nBatched${withPeer ? ' and peer' : ''}: ${fmt.int(BATCHED_CALLS)} calls through \`await enqueueAsync()\` + close(); floor: ${BATCH_SIZE}-call arrays, ${CONCURRENCY} in flight`);
      const jobs = jobsOf('batched', sources, withPeer);
      const runs = await alternate(sink, jobs, { ...base, calls: BATCHED_CALLS, warmup: 0 }, BATCHED_CALLS);
      failed ||= [...runs.values()].flat().some((r) => !r.ok);
      const floor = figures(runs.get('batched-fetch')!);
      const rate = (f: Figures): Stats => stats(f.ms.map((ms) => f.calls / (ms / 1000)));
      const per100k = (f: Figures): Stats => stats(f.requests.map((n) => (n * PER_100K) / f.calls));
      const rows = jobs.map((job) => {
        const f = figures(runs.get(job.key)!);
        const isFloor = job.name === 'batched-fetch';
        const client = job.runner.client;
        return [
          job.runner.title,
          label(job),
          fmt.spread(rate(f), fmt.int),
          fmt.fixed(stats(f.cpuMs.map((ms) => (ms * 1000) / f.calls)).median, 2),
          fmt.spread(stats(f.rssMB), fmt.int),
          fmt.int(per100k(f).median),
          isFloor ? '1.00×' : client ? fmt.spread(ratios(f.ms, floor.ms), fmt.x) : fmt.x(ratios(f.ms, floor.ms).median),
          isFloor ? '1.00×' : fmt.x(ratios(f.cpuMs, floor.cpuMs).median),
        ];
      });
      md.push(
        `### Batched: ${fmt.int(BATCHED_CALLS)} calls through \`await client.enqueueAsync(call)\`, then \`close()\`\n\n` +
          `Every contender sends the same calls (bench/calls.ts) to the same local sink, which counts what it receives. The floor serializes them ` +
          `into ${fmt.int(BATCH_SIZE)}-call arrays and posts them with bare \`fetch\`, ${CONCURRENCY} in flight.\n\n` +
          table(['Contender', 'src', 'calls/s (median, min – max)', 'CPU µs per call', 'Peak RSS MB (median, min – max)', 'Requests per 100,000 calls', 'Time ÷ floor (pair by pair)', 'CPU ÷ floor'], rows),
      );
      const defaultNew = figures(runs.get(newKey('batched-default'))!);
      const requestsNew = per100k(defaultNew).median;
      const requestsOld = versus ? per100k(figures(runs.get('batched-default@old')!)).median : NaN;
      goals.push({
        goal: 'Requests per 100,000 calls at the default options',
        target: `≤ ~${GOALS.defaultRequestsPer100k}`,
        measured: fmt.int(requestsNew),
        ...(versus ? { old: fmt.int(requestsOld) } : {}),
        pass: requestsNew <= GOALS.defaultRequestsPer100k,
      });
      const floorRatio = (key: string): Stats => ratios(runs.get(key)!.map((r) => r.ms), floor.ms);
      const floorCpuRatio = (key: string): Stats => ratios(runs.get(key)!.map((r) => r.cpuMs), floor.cpuMs);
      const cell = (key: string): string => `${fmt.x(floorRatio(key).median)} (CPU ${fmt.x(floorCpuRatio(key).median)})`;
      goals.push({
        goal: 'Batched at the default options: time ÷ floor (CPU time ÷ in brackets)',
        target: `≤ ${GOALS.batchedRatio.toFixed(2)}×`,
        measured: cell(newKey('batched-default')),
        ...(versus ? { old: cell('batched-default@old') } : {}),
        pass: floorRatio(newKey('batched-default')).median <= GOALS.batchedRatio,
      });
      json.batched = Object.fromEntries([...runs].map(([k, r]) => [k, figures(r)]));
      json.defaultRequestsPer100k = { new: requestsNew, ...(versus ? { old: requestsOld } : {}) };

      if (versus) {
        const pairs = jobs.filter((j) => j.runner.client && j.source.label === 'new');
        const vsRows = pairs.map((job) => {
          const n = figures(runs.get(job.key)!);
          const o = figures(runs.get(`${job.name}@old`)!);
          return [
            job.runner.title,
            fmt.spread(ratios(o.ms, n.ms), fmt.x),
            fmt.x(ratios(n.cpuMs, o.cpuMs).median),
            fmt.x(ratios(n.rssMB, o.rssMB).median),
            `${fmt.int(per100k(n).median)} / ${fmt.int(per100k(o).median)}`,
          ];
        });
        md.push(
          `### New ÷ old, batched, pair by pair (same round)\n\n` +
            table(['Contender', 'calls/s new ÷ old (median, min – max)', 'CPU new ÷ old', 'Peak RSS new ÷ old', 'Requests per 100,000 calls, new / old'], vsRows),
        );
      }

      if (withPeer) {
        const peer = figures(runs.get('segment')!);
        const speedup = (key: string): Stats => ratios(peer.ms, runs.get(key)!.map((r) => r.ms));
        const rssFraction = (key: string): Stats => ratios(runs.get(key)!.map((r) => r.maxRssMB), peer.rssMB);
        const peerRows = jobs
          .filter((j) => j.runner.client)
          .map((job) => [job.runner.title, job.source.label, fmt.spread(speedup(job.key), fmt.x), fmt.spread(rssFraction(job.key), fmt.x)]);
        md.push(`### Against Segment, pair by pair (same round)\n\n${table(["Contender", 'src', "calls/s ÷ Segment's", "Peak RSS ÷ Segment's"], peerRows)}`);
        const key = newKey('batched-default');
        goals.push({
          goal: "Default options: calls/s ÷ Segment's",
          target: `≥ ${GOALS.peerSpeedup}×`,
          measured: fmt.x(speedup(key).median),
          ...(versus ? { old: fmt.x(speedup('batched-default@old').median) } : {}),
          pass: speedup(key).median >= GOALS.peerSpeedup,
        });
        goals.push({
          goal: "Default options: peak RSS ÷ Segment's",
          target: `≤ ${GOALS.peerRssFraction}×`,
          measured: fmt.x(rssFraction(key).median),
          ...(versus ? { old: fmt.x(rssFraction('batched-default@old').median) } : {}),
          pass: rssFraction(key).median <= GOALS.peerRssFraction,
        });
      }
    }
  } finally {
    await sink.stop();
  }

  if (ONLY.has('sync')) {
    const options = QUICK ? { ...SYNC_DEFAULTS, processes: 1 } : SYNC_DEFAULTS;
    console.log(`\nSync: enqueue() vs JSON.stringify in one process, ${options.rounds} rounds of ${fmt.int(options.size)} calls, ${options.processes} process(es) per src`);
    const summaries: SyncSummary[] = await measureSync(
      sources.map((s) => ({ label: s.label, src: s.src })),
      options,
    );
    failed ||= summaries.some((s) => !s.ok);
    for (const s of summaries) if (!s.ok) console.error(`  ✗ sync ${s.label}: ${s.errors.join('; ')}`);
    md.push(
      `### Synchronous cost of \`enqueue()\`, in one process\n\n` +
        `Rounds of ${fmt.int(options.size)} \`client.enqueue(call)\` (a client at its defaults), \`JSON.stringify\` of the same calls' wire form, ` +
        `and \`prepareCall\` alone, in an order that rotates each round; \`await client.flush()\` between rounds (untimed, against a stub ` +
        `\`fetch\` that answers at once). ${options.rounds} rounds after ${options.warmup} untimed, in ${options.processes} process(es) per src, pooled.\n\n` +
        syncTable(summaries),
    );
    const mine = summaries.find((s) => s.label === 'new')!;
    const theirs = summaries.find((s) => s.label === 'old');
    goals.push({
      goal: '`enqueue()` synchronous cost ÷ `JSON.stringify`',
      target: `≤ ${GOALS.syncRatio}×`,
      measured: fmt.x(mine.enqueueRatio.median),
      ...(theirs ? { old: fmt.x(theirs.enqueueRatio.median) } : {}),
      pass: mine.enqueueRatio.median <= GOALS.syncRatio,
    });
    json.sync = summaries;
  }

  if (ONLY.has('size')) {
    const budget = readBudget();
    const sizes: Array<[Source, SizeResult]> = [];
    for (const s of sources) sizes.push([s, await measureSize(`${s.src}/index.ts`)]);
    const rows = sizes.map(([s, size]) => [s.label, `${(size.gzipBytes / 1000).toFixed(2)} kB`, `${(size.minifiedBytes / 1000).toFixed(1)} kB`]);
    md.push(
      `### Main bundle (\`src/index.ts\`: esbuild, browser, ESM, minified, gzip level 9)\n\n` +
        `${table(['src', 'min+gzip', 'minified'], rows)}\n\nThe budget CI enforces (\`bench/size-budget.json\`): ${fmt.int(budget.gzipBytes)} bytes.`,
    );
    const mine = sizes[0]![1];
    goals.push({
      goal: 'Main bundle, min+gzip',
      target: `≤ ${GOALS.gzipBytes / 1000} kB`,
      measured: `${(mine.gzipBytes / 1000).toFixed(2)} kB`,
      ...(versus ? { old: `${(sizes[1]![1].gzipBytes / 1000).toFixed(2)} kB` } : {}),
      pass: mine.gzipBytes <= GOALS.gzipBytes,
    });
    json.size = Object.fromEntries(sizes.map(([s, size]) => [s.label, { gzipBytes: size.gzipBytes, minifiedBytes: size.minifiedBytes }]));
  }

  goals.push({ goal: 'Every call delivered (the sink counted them all)', target: 'all', measured: failed ? 'NO: calls were lost (see the log)' : 'yes', pass: !failed });
  const goalTable = table(
    ['Goal (issue 17)', 'Target', 'Measured, new (median)', ...(versus ? ['Old'] : []), 'Met'],
    goals.map((g) => [g.goal, g.target, g.measured, ...(versus ? [g.old ?? ''] : []), g.pass ? 'yes' : 'no']),
  );
  console.log(`\n${md.join('\n\n')}\n\n### Goals\n\n${goalTable}`);

  json.goalResults = goals;
  json.allDelivered = !failed;
  json.markdown = md;
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${values.out}.json`, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote bench/results/${values.out}.json`);

  if (writeDocs) {
    const commits: Array<[string, string]> = sources.map((s) => [`Commit (${s.label}, ${s.src === OWN_SRC ? 'src/' : relative(process.cwd(), s.src) || s.src})`, commitOf(s.src === OWN_SRC ? undefined : s.src)]);
    const facts = runFacts(m, { date, command: commandLine('bench', ARGS), commits, took: took(Date.now() - started) });
    const intro =
      `## \`npm run bench\`\n\n${facts}\n\nMedians of ${ROUNDS} rounds (min – max), each contender in a fresh process per round, in an order that ` +
      `rotates each round. The goals are judged on wall time, as issue 17 states them; on a shared 2-core machine the CPU-time ratios (beside them) move much less from run to run.${versus ? ' "new" is this repository\'s `src/`, "old" the copy given to `--vs`; ratios between them are taken pair by pair, in the same round.' : ''}`;
    writeDocsSection('bench', `${intro}\n\n### Goals\n\n${goalTable}\n\n${md.join('\n\n')}`);
    console.log('wrote the "bench" section of docs/benchmarks.md');
  } else console.log('docs/benchmarks.md not written (only a full run writes it: no --quick, --only or --no-docs)');
  if (failed) console.error('FAILED: a contender did not deliver every call (see above)');
  process.exitCode = failed ? 1 : 0;
}

await main();
