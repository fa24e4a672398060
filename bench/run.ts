/**
 * `npm run bench`: the client against its floors and a peer SDK, side by side in one run.
 *
 * Every contender runs in a fresh child process per round (bench/worker.ts, bundled with esbuild so no
 * TypeScript loader is in the measured process) against one sink process (bench/sink.ts); contenders
 * alternate from round to round. Prints a table, writes bench/results/latest.json.
 *
 *   tsx bench/run.ts [--rounds N] [--quick] [--only immediate,batched,peer,size] [--out NAME]
 *   BENCH_SRC=/tmp/copy/src tsx bench/run.ts --out patched    (measure a patched copy of src/)
 */
import { execFileSync, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GROUP_PATH, SEGMENT_PATH, startSink, type RunningSink } from './sink.js';
import { measureSize, readBudget } from './size.js';
import { BENCH_SRC, buildWorker } from './build-worker.js';
import type { Contender, WorkerConfig, WorkerResult } from './worker.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const WORKER = `${RESULTS}.build/worker.mjs`;

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const quick = args.includes('--quick');
const ROUNDS = Number(arg('--rounds') ?? (quick ? 2 : 5));
const OUT_NAME = arg('--out') ?? 'latest';
const ONLY = new Set((arg('--only') ?? 'immediate,batched,peer,size').split(','));
const IMMEDIATE_CALLS = 2_000;
const IMMEDIATE_WARMUP = 200;
const BATCHED_CALLS = 100_000;
const BATCH_SIZE = 1_000;
const CONCURRENCY = 4;
const WORKER_TIMEOUT_MS = 300_000;
/** Measure a patched copy of the client instead of src/: BENCH_SRC=/path/to/copy/of/src npm run bench. */
const SRC = BENCH_SRC;

const GOALS = {
  immediateRatio: 1.1,
  batchedRatio: 1.3,
  peerSpeedup: 10,
  peerRssFraction: 0.2,
  gzipBytes: 10_000,
};

interface Stats {
  median: number;
  min: number;
  max: number;
  values: number[];
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, values };
}

/** Runs one contender in a fresh process; checks the sink's count against what it should have got. */
async function runWorker(sink: RunningSink, contender: Contender, config: WorkerConfig, expected: number): Promise<WorkerResult & { sinkCalls: number; sinkRequests: number }> {
  await sink.reset();
  const child = fork(WORKER, [contender, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
  const result = await new Promise<WorkerResult>((resolve) => {
    let got: WorkerResult | undefined;
    child.on('message', (message: WorkerResult) => (got = message));
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve(got ?? { ok: false, contender, ms: NaN, calls: config.calls, delivered: 0, maxRssMB: NaN, cpuMs: NaN, error: `exited with ${signal ?? code} before reporting` });
    });
  });
  const count = await sink.count();
  const ok = result.ok && count.calls === expected && count.rejected === 0;
  if (!ok && result.ok && count.calls > expected && contender === 'segment') {
    // Nothing lost, but Segment re-sent batches (its request timeout fired): note it, do not fail.
    console.error(`  ! ${contender}: sink counted ${count.calls} calls for ${expected} sent (re-sent batches)`);
    return { ...result, sinkCalls: count.calls, sinkRequests: count.requests };
  }
  if (!ok) {
    console.error(`  ✗ ${contender}: sink counted ${count.calls} of ${expected} calls (${count.rejected} rejected), worker said ${JSON.stringify(result)}`);
  }
  return { ...result, ok, sinkCalls: count.calls, sinkRequests: count.requests };
}

/** Rounds of the contenders, rotated each round so none always goes first. */
async function alternate(
  sink: RunningSink,
  contenders: Contender[],
  config: WorkerConfig,
  expected: number,
): Promise<Record<string, Array<WorkerResult & { sinkCalls: number; sinkRequests: number }>>> {
  const runs: Record<string, Array<WorkerResult & { sinkCalls: number; sinkRequests: number }>> = {};
  for (const c of contenders) runs[c] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const contender of order) {
      const result = await runWorker(sink, contender, config, expected);
      runs[contender]!.push(result);
      const rate = result.calls / (result.ms / 1000);
      console.log(
        `  round ${round + 1}/${ROUNDS} ${contender.padEnd(16)} ${result.ms.toFixed(0).padStart(6)} ms  ${Math.round(rate).toLocaleString('en-US').padStart(9)} calls/s  ${result.maxRssMB.toFixed(0).padStart(5)} MB  ${result.cpuMs.toFixed(0).padStart(6)} ms CPU${result.ok ? '' : '  FAILED'}`,
      );
    }
  }
  return runs;
}

const fmt = {
  int: (n: number): string => Math.round(n).toLocaleString('en-US'),
  x: (n: number): string => `${n.toFixed(2)}×`,
  spread: (s: Stats, f: (n: number) => string): string => `${f(s.min)} – ${f(s.max)}`,
};

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  await buildWorker(WORKER);
  if (SRC) console.log(`bench: measuring the client in ${SRC} (BENCH_SRC) instead of src/`);

  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  console.log(`bench: ${ROUNDS} round(s); ${machine.cpus} CPUs (${machine.cpu}), ${machine.memoryGB} GB, Node ${machine.node}`);

  const rows: string[][] = [];
  const goals: Array<{ goal: string; target: string; measured: string; pass: boolean }> = [];
  const json: Record<string, unknown> = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    src: SRC ?? 'src/',
    machine,
    rounds: ROUNDS,
    config: { IMMEDIATE_CALLS, IMMEDIATE_WARMUP, BATCHED_CALLS, BATCH_SIZE, CONCURRENCY },
    goals: GOALS,
  };
  let failed = false;

  const sink = await startSink();
  try {
    const base = { url: sink.url, batchSize: BATCH_SIZE, concurrency: CONCURRENCY, groupPath: GROUP_PATH, segmentPath: SEGMENT_PATH };

    if (ONLY.has('immediate')) {
      console.log(`\nImmediate: ${IMMEDIATE_CALLS} sequential calls (after ${IMMEDIATE_WARMUP} untimed), client.group() vs bare fetch`);
      const config = { ...base, calls: IMMEDIATE_CALLS, warmup: IMMEDIATE_WARMUP };
      const runs = await alternate(sink, ['immediate-client', 'immediate-fetch'], config, IMMEDIATE_CALLS + IMMEDIATE_WARMUP);
      const client = runs['immediate-client']!;
      const floor = runs['immediate-fetch']!;
      failed ||= [...client, ...floor].some((r) => !r.ok);
      const perCall = (rs: WorkerResult[]): Stats => stats(rs.map((r) => (r.ms * 1000) / r.calls));
      const ratio = stats(client.map((r, i) => r.ms / floor[i]!.ms));
      const [c, f] = [perCall(client), perCall(floor)];
      rows.push(['Immediate', 'client.group()', `${fmt.int(c.median)} µs/call`, fmt.spread(c, fmt.int), `${fmt.int(stats(client.map((r) => r.maxRssMB)).median)} MB`]);
      rows.push(['Immediate', 'bare fetch (floor)', `${fmt.int(f.median)} µs/call`, fmt.spread(f, fmt.int), `${fmt.int(stats(floor.map((r) => r.maxRssMB)).median)} MB`]);
      const cpuRatio = stats(client.map((r, i) => r.cpuMs / floor[i]!.cpuMs));
      rows.push(['Immediate', 'ratio client/floor (time)', fmt.x(ratio.median), fmt.spread(ratio, fmt.x), '']);
      rows.push(['Immediate', 'ratio client/floor (CPU time)', fmt.x(cpuRatio.median), fmt.spread(cpuRatio, fmt.x), '']);
      goals.push({ goal: 'Immediate: client/floor time', target: `≤ ${GOALS.immediateRatio}`, measured: fmt.x(ratio.median), pass: ratio.median <= GOALS.immediateRatio });
      json.immediate = { clientMicrosPerCall: c, floorMicrosPerCall: f, ratio, cpuRatio, runs };
    }

    if (ONLY.has('batched') || ONLY.has('peer')) {
      const withPeer = ONLY.has('peer');
      console.log(`\n${withPeer ? 'Batched and peer' : 'Batched'}: ${fmt.int(BATCHED_CALLS)} calls, batches of ${BATCH_SIZE}, ${CONCURRENCY} requests in flight`);
      const config = { ...base, calls: BATCHED_CALLS, warmup: 0 };
      const contenders: Contender[] = withPeer ? ['batched-client', 'batched-fetch', 'segment'] : ['batched-client', 'batched-fetch'];
      const runs = await alternate(sink, contenders, config, BATCHED_CALLS);
      const client = runs['batched-client']!;
      const floor = runs['batched-fetch']!;
      failed ||= Object.values(runs).flat().some((r) => !r.ok);
      const rate = (rs: WorkerResult[]): Stats => stats(rs.map((r) => r.calls / (r.ms / 1000)));
      const rss = (rs: WorkerResult[]): Stats => stats(rs.map((r) => r.maxRssMB));
      const rssCell = (s: Stats): string => `${fmt.int(s.median)} MB (${fmt.int(s.min)} – ${fmt.int(s.max)})`;
      const [cr, fr] = [rate(client), rate(floor)];
      const [cm, fm] = [rss(client), rss(floor)];
      const ratio = stats(client.map((r, i) => r.ms / floor[i]!.ms));
      rows.push(['Batched', 'client enqueueAsync + close', `${fmt.int(cr.median)} calls/s`, fmt.spread(cr, fmt.int), rssCell(cm)]);
      rows.push(['Batched', 'bare fetch, 1,000-call arrays (floor)', `${fmt.int(fr.median)} calls/s`, fmt.spread(fr, fmt.int), rssCell(fm)]);
      const cpuRatio = stats(client.map((r, i) => r.cpuMs / floor[i]!.cpuMs));
      rows.push(['Batched', 'ratio client/floor (time)', fmt.x(ratio.median), fmt.spread(ratio, fmt.x), '']);
      rows.push(['Batched', 'ratio client/floor (CPU time)', fmt.x(cpuRatio.median), fmt.spread(cpuRatio, fmt.x), '']);
      goals.push({ goal: 'Batched: client/floor time', target: `≤ ${GOALS.batchedRatio}`, measured: fmt.x(ratio.median), pass: ratio.median <= GOALS.batchedRatio });
      json.batched = { clientCallsPerSec: cr, floorCallsPerSec: fr, ratio, cpuRatio, clientRssMB: cm, floorRssMB: fm };
      if (withPeer) {
        const peer = runs['segment']!;
        const [pr, pm] = [rate(peer), rss(peer)];
        const speedup = stats(client.map((r, i) => peer[i]!.ms / r.ms));
        const rssFraction = stats(client.map((r, i) => r.maxRssMB / peer[i]!.maxRssMB));
        rows.push(['Peer', '@segment/analytics-node 3.1.0', `${fmt.int(pr.median)} calls/s`, fmt.spread(pr, fmt.int), rssCell(pm)]);
        rows.push(['Peer', 'client speed-up over Segment', fmt.x(speedup.median), fmt.spread(speedup, fmt.x), `client RSS ${fmt.x(rssFraction.median)} Segment's`]);
        goals.push({ goal: 'Peer: calls/s vs Segment', target: `≥ ${GOALS.peerSpeedup}×`, measured: fmt.x(speedup.median), pass: speedup.median >= GOALS.peerSpeedup });
        goals.push({ goal: 'Peer: peak RSS vs Segment', target: `≤ ${GOALS.peerRssFraction}×`, measured: fmt.x(rssFraction.median), pass: rssFraction.median <= GOALS.peerRssFraction });
        json.peer = { segmentCallsPerSec: pr, segmentRssMB: pm, speedup, rssFraction, segmentRequestsPerRound: peer.map((r) => r.sinkRequests) };
      }
      json.throughputRuns = runs;
    }

    if (ONLY.has('size')) {
      const size = await measureSize(SRC ? `${SRC}/index.ts` : undefined);
      const budget = readBudget();
      rows.push(['Size', `${SRC ? `${SRC}/index.ts` : 'src/index.ts'}, esbuild browser esm, minified`, `${(size.gzipBytes / 1000).toFixed(2)} kB gzip`, `${(size.minifiedBytes / 1000).toFixed(1)} kB min`, `budget ${budget.gzipBytes} B`]);
      goals.push({ goal: 'Size: min+gzip', target: `≤ ${GOALS.gzipBytes / 1000} kB`, measured: `${(size.gzipBytes / 1000).toFixed(2)} kB`, pass: size.gzipBytes <= GOALS.gzipBytes });
      json.size = { ...size, budget: budget.gzipBytes };
    }
  } finally {
    await sink.stop();
  }

  const table = (header: string[], body: string[][]): string => {
    const lines = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
    return lines.join('\n');
  };
  console.log(`\nMedian of ${ROUNDS} round(s), spread = min – max; ${machine.cpus} CPUs, ${machine.memoryGB} GB, Node ${machine.node}\n`);
  console.log(table(['Benchmark', 'Contender', 'Median', 'Spread', 'Peak RSS'], rows));
  console.log('');
  console.log(table(['Goal', 'Target', 'Measured (median)', 'Met'], goals.map((g) => [g.goal, g.target, g.measured, g.pass ? 'yes' : 'no'])));
  json.table = rows;
  json.goalResults = goals;
  json.allDelivered = !failed;
  writeFileSync(`${RESULTS}${OUT_NAME}.json`, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote bench/results/${OUT_NAME}.json${failed ? '\nFAILED: a contender did not deliver every call (see above)' : ''}`);
  // Goals are reported, not enforced (a shared machine is noisy); lost calls are a failure.
  process.exitCode = failed ? 1 : 0;
}

await main();
