/**
 * The synchronous cost of `enqueue()` against `JSON.stringify` of the same call's wire form, in one
 * process: what a caller's thread pays per queued call, apart from the network. Bundled per copy of the
 * client (bench/build-worker.ts) and run by bench/sync.ts as `node --expose-gc sync-cost.mjs '<json>'`;
 * prints one JSON line.
 *
 * Each round times three loops over the same `size` calls (bench/calls.ts), in an order that rotates
 * from round to round: `client.enqueue(call)` (a client at its defaults), `JSON.stringify(wire call)`
 * (the same call as an object literal in the API's form: the floor), and `prepareCall(call)` alone
 * (validate.ts: the read, check and serialization of one call, without the queue). Between rounds,
 * untimed: `await client.flush()` against a stub `fetch` that answers at once (so the queue is empty
 * again). No GC is forced: the heap is as a running program's (a forced full GC before each loop
 * leaves a small young generation, and then the loop that keeps what it made, `enqueue()`, pays for
 * scavenges the others do not; `forceGc` measures that way, with `--expose-gc`). The time the garbage
 * collector took inside each loop is reported beside it (`gc` performance entries).
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { makeCall, makeWireCall } from './calls.js';

export interface SyncConfig {
  /** Timed rounds. */
  rounds: number;
  /** Untimed rounds first. */
  warmup: number;
  /** Calls per round (each loop). */
  size: number;
  /** A full GC before each timed loop (needs `--expose-gc`). */
  forceGc?: boolean;
}

/** ms per loop of `size` calls, one entry per timed round. */
export interface SyncResult {
  ok: boolean;
  size: number;
  enqueueMs: number[];
  stringifyMs: number[];
  prepareMs: number[];
  /** ms the garbage collector took inside each timed loop, in the same order. */
  enqueueGcMs: number[];
  stringifyGcMs: number[];
  prepareGcMs: number[];
  delivered: number;
  expected: number;
  error?: string;
}

const OK_BODY = '{"success":true,"eventId":"evt_00000001"}';

/** The platform's fetch as the client sees it, answering at once (installed before the client loads). */
async function stubFetch(input: unknown, init?: { body?: unknown }): Promise<Response> {
  if (input instanceof Request) await input.arrayBuffer();
  void init;
  return new Response(OK_BODY, { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(OK_BODY.length) } });
}

const noop = (): void => {};

async function measure(config: SyncConfig): Promise<SyncResult> {
  globalThis.fetch = stubFetch as typeof fetch;
  const { ThriveStack } = await import('../src/index.js');
  const { prepareCall } = (await import('../src/validate.js')) as { prepareCall: (call: unknown) => { json: string } };
  const { size } = config;
  const calls = Array.from({ length: size }, (_, i) => makeCall(i));
  const wires = calls.map((_, i) => makeWireCall(i));
  let failures = 0;
  const client = new ThriveStack({ apiKey: 'bench-key', baseUrl: 'http://127.0.0.1:9', onError: () => failures++ });

  let refused = 0;
  let sink = 0;
  const loops = {
    enqueue(): void {
      for (let i = 0; i < size; i++) if (!client.enqueue(calls[i]!)) refused++;
    },
    stringify(): void {
      for (let i = 0; i < size; i++) sink += JSON.stringify(wires[i]).length;
    },
    prepare(): void {
      for (let i = 0; i < size; i++) sink += prepareCall(calls[i]!).json.length;
    },
  };
  const names = ['enqueue', 'stringify', 'prepare'] as const;
  type Name = (typeof names)[number];
  const times: Record<Name, number[]> = { enqueue: [], stringify: [], prepare: [] };
  const windows: Record<Name, Array<[number, number]>> = { enqueue: [], stringify: [], prepare: [] };
  const gcs: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const gc = config.forceGc ? ((globalThis as { gc?: () => void }).gc ?? noop) : noop;
  let enqueued = 0;
  for (let round = 0; round < config.warmup + config.rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      gc();
      const t0 = performance.now();
      loops[name]();
      const t1 = performance.now();
      if (round >= config.warmup) {
        times[name].push(t1 - t0);
        windows[name].push([t0, t1]);
      }
    }
    enqueued += size;
    await client.flush();
  }
  const report = await client.close({ timeout: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries arrive in a later task
  gcs.push(...observer.takeRecords());
  observer.disconnect();
  const gcIn = (name: Name): number[] =>
    windows[name].map(([t0, t1]) => gcs.filter((e) => e.startTime >= t0 && e.startTime < t1).reduce((sum, e) => sum + e.duration, 0));
  const ok = refused === 0 && failures === 0 && report.delivered === enqueued && sink > 0;
  return {
    ok,
    size,
    enqueueMs: times.enqueue,
    stringifyMs: times.stringify,
    prepareMs: times.prepare,
    enqueueGcMs: gcIn('enqueue'),
    stringifyGcMs: gcIn('stringify'),
    prepareGcMs: gcIn('prepare'),
    delivered: report.delivered,
    expected: enqueued,
    ...(ok ? {} : { error: `${refused} refused, ${failures} failed, ${report.delivered} of ${enqueued} delivered` }),
  };
}

const config = JSON.parse(process.argv[2] ?? '{"rounds":31,"warmup":5,"size":10000}') as SyncConfig;
let result: SyncResult;
try {
  result = await measure(config);
} catch (error) {
  result = { ok: false, size: config.size, enqueueMs: [], stringifyMs: [], prepareMs: [], enqueueGcMs: [], stringifyGcMs: [], prepareGcMs: [], delivered: 0, expected: 0, error: String(error) };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
