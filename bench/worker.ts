/**
 * One contender, one run, in a fresh process: `node worker.mjs <contender> '<json config>'`, forked by
 * bench/run.ts (bundled with esbuild first, so no TypeScript loader sits in the measured process).
 * Sends `{ ok, ms, calls, delivered, maxRssMB, ... }` to the parent over IPC and exits.
 *
 * Contenders:
 *   immediate-client  N sequential `await client.group(call)`
 *   immediate-fetch   N sequential bare `fetch` POSTs of pre-serialized one-call bodies (the floor)
 *   batched-client    N `await client.enqueueAsync(call)` (backpressure), then `close()`, with the
 *                     client's defaults (`new ThriveStack({ apiKey, baseUrl, onError })`) plus the
 *                     config's `clientOptions` (e.g. `{ flushAt: 1000 }`)
 *   batched-fetch     the same calls serialized into 1,000-call arrays, POSTed with bare fetch at the
 *                     same concurrency (the floor)
 *   segment           N `analytics.group(call)` through @segment/analytics-node, then `closeAndFlush()`
 */
// The client and Segment are imported by the contenders that use them only, so that no contender's
// peak RSS includes another one's code.
import { makeCall, makeSegmentCall, makeWireCall } from './calls.js';

export interface WorkerConfig {
  url: string;
  calls: number;
  /** Untimed calls sent first (immediate benchmarks only), so both contenders are measured warm. */
  warmup: number;
  batchSize: number;
  concurrency: number;
  groupPath: string;
  segmentPath: string;
  /** Options given to the client beside `apiKey`, `baseUrl` and `onError` (batched-client only); none: its defaults. */
  clientOptions?: Record<string, unknown>;
}

export interface WorkerResult {
  ok: boolean;
  contender: string;
  ms: number;
  calls: number;
  /** What the contender itself says it delivered. */
  delivered: number;
  maxRssMB: number;
  /** CPU time (user + system) of the process during the timed part, ms. */
  cpuMs: number;
  error?: string;
  detail?: Record<string, unknown>;
}

const API_KEY = 'bench-key';

/** Starts the clock: wall time and the process's CPU time (user + system), in ms. */
function clock(): () => { ms: number; cpuMs: number } {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
}

async function immediateClient(c: WorkerConfig): Promise<Omit<WorkerResult, 'contender' | 'maxRssMB' | 'ok'>> {
  const { ThriveStack } = await import('../src/index.js');
  const client = new ThriveStack({ apiKey: API_KEY, baseUrl: c.url });
  const calls = Array.from({ length: c.warmup + c.calls }, (_, i) => makeCall(i));
  for (let i = 0; i < c.warmup; i++) await client.group(calls[i]!);
  let delivered = 0;
  const stop = clock();
  for (let i = c.warmup; i < calls.length; i++) {
    const result = await client.group(calls[i]!);
    if (result.success) delivered++;
  }
  const { ms, cpuMs } = stop();
  await client.close();
  return { ms, cpuMs, calls: c.calls, delivered };
}

async function immediateFetch(c: WorkerConfig): Promise<Omit<WorkerResult, 'contender' | 'maxRssMB' | 'ok'>> {
  const url = c.url + c.groupPath;
  const headers = { 'content-type': 'application/json', accept: '*/*', 'x-api-key': API_KEY };
  const bodies = Array.from({ length: c.warmup + c.calls }, (_, i) => JSON.stringify([makeWireCall(i)]));
  const post = async (body: string): Promise<boolean> => {
    const res = await fetch(url, { method: 'POST', headers, body });
    const data = (await res.json()) as { success?: boolean };
    return res.ok && data.success === true;
  };
  for (let i = 0; i < c.warmup; i++) await post(bodies[i]!);
  let delivered = 0;
  const stop = clock();
  for (let i = c.warmup; i < bodies.length; i++) if (await post(bodies[i]!)) delivered++;
  const { ms, cpuMs } = stop();
  return { ms, cpuMs, calls: c.calls, delivered };
}

async function batchedClient(c: WorkerConfig): Promise<Omit<WorkerResult, 'contender' | 'maxRssMB' | 'ok'>> {
  const failures: string[] = [];
  const { ThriveStack } = await import('../src/index.js');
  const client = new ThriveStack({
    ...c.clientOptions,
    apiKey: API_KEY,
    baseUrl: c.url,
    onError: (failure) => failures.push(`${failure.kind}: ${failure.error.message}`),
  });
  const stop = clock();
  for (let i = 0; i < c.calls; i++) await client.enqueueAsync(makeCall(i));
  const report = await client.close({ timeout: 120_000 });
  const { ms, cpuMs } = stop();
  return {
    ms,
    cpuMs,
    calls: c.calls,
    delivered: report.delivered,
    detail: { failed: report.failed, dropped: report.dropped, pending: report.pending, timedOut: report.timedOut, failures: failures.slice(0, 3) },
  };
}

async function batchedFetch(c: WorkerConfig): Promise<Omit<WorkerResult, 'contender' | 'maxRssMB' | 'ok'>> {
  const url = c.url + c.groupPath;
  const headers = { 'content-type': 'application/json', accept: '*/*', 'x-api-key': API_KEY };
  let delivered = 0;
  const inFlight = new Set<Promise<void>>();
  const stop = clock();
  for (let start = 0; start < c.calls; start += c.batchSize) {
    const end = Math.min(start + c.batchSize, c.calls);
    const batch = [];
    for (let i = start; i < end; i++) batch.push(makeWireCall(i));
    const body = JSON.stringify(batch);
    const request: Promise<void> = fetch(url, { method: 'POST', headers, body })
      .then(async (res) => {
        const data = (await res.json()) as { success?: boolean };
        if (res.ok && data.success === true) delivered += end - start;
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
    if (inFlight.size >= c.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const { ms, cpuMs } = stop();
  return { ms, cpuMs, calls: c.calls, delivered };
}

async function segment(c: WorkerConfig): Promise<Omit<WorkerResult, 'contender' | 'maxRssMB' | 'ok'>> {
  const { Analytics } = await import('@segment/analytics-node');
  const analytics = new Analytics({
    writeKey: API_KEY,
    host: c.url,
    path: c.segmentPath,
    // Its largest batch: Segment caps a batch at 480 KB, so at ~1 KB per enriched call this is reached first.
    flushAt: c.batchSize,
    maxRetries: 3,
    // Segment sends every batch at once (no concurrency limit); on a busy machine its default 10 s
    // request timeout then fires and it re-sends batches the sink already counted.
    httpRequestTimeout: 120_000,
  });
  let delivered = 0;
  let errors = 0;
  analytics.on('error', () => errors++);
  const stop = clock();
  for (let i = 0; i < c.calls; i++) {
    analytics.group(makeSegmentCall(i), (err) => {
      if (!err) delivered++;
    });
  }
  await analytics.closeAndFlush({ timeout: 120_000 });
  const { ms, cpuMs } = stop();
  return { ms, cpuMs, calls: c.calls, delivered, detail: { errors } };
}

const CONTENDERS = {
  'immediate-client': immediateClient,
  'immediate-fetch': immediateFetch,
  'batched-client': batchedClient,
  'batched-fetch': batchedFetch,
  segment,
} as const;

export type Contender = keyof typeof CONTENDERS;

async function main(): Promise<void> {
  // Stop with the parent, whatever happens to it.
  process.on('disconnect', () => process.exit(1));
  const contender = process.argv[2] as Contender;
  const config = JSON.parse(process.argv[3] ?? '{}') as WorkerConfig;
  let result: WorkerResult;
  try {
    const run = CONTENDERS[contender];
    if (!run) throw new Error(`unknown contender ${contender}`);
    const r = await run(config);
    result = { ok: r.delivered === r.calls, contender, ...r, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  } catch (error) {
    result = { ok: false, contender, ms: NaN, calls: config.calls, delivered: 0, maxRssMB: process.resourceUsage().maxRSS / 1024, cpuMs: NaN, error: String(error) };
  }
  if (process.send) process.send(result, () => process.exit(0));
  else {
    console.log(JSON.stringify(result));
    process.exit(0);
  }
}

void main();
