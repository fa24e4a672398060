/**
 * `npm run bench:stages`: micro-timings of each stage of one call, in process, without a network: a
 * stub stands in for the platform's `fetch` (installed before the client loads, so the client takes the
 * same path as with the real one) and answers at once. Each stage is shown beside its floor, so the
 * client's own cost per call is visible apart from the HTTP round trip. µs per call: the median of
 * REPS rounds (after one untimed round) in which each stage of a group runs once, in rotating order.
 *
 * A queued call: prepareCall (validate.ts) = the generated one-pass reader (readGroupCall) + JSON.stringify
 * of the copy it made; then the queue admits it (BatchQueue.add); a batch body is joined once per request
 * (fetch encodes it). An immediate call: prepareRequest, openapi-fetch's POST (with the client's light
 * Request class and a fetch that answers at once: openapi-fetch's own cost), the retrying transport
 * (with the stub fetch), and client.group() end to end.
 *
 *   tsx bench/stages.ts [--quick] [--src path/to/a/patched/copy/of/src]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { makeCall, makeWireCall } from './calls.js';
import { table } from './stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, src: { type: 'string' } } });
const QUICK = values.quick!;
const SRC = resolve(values.src ?? fileURLToPath(new URL('../src', import.meta.url)));
/** Calls per timed run, timed runs per stage. */
const N = QUICK ? 500 : 10_000;
const REPS = QUICK ? 1 : 15;
const N_IMMEDIATE = QUICK ? 100 : 2_000;
const N_END_TO_END = QUICK ? 2_000 : 100_000;

const OK_BODY = '{"success":true,"eventId":"evt_00000001"}';
const OK_HEADERS = { 'content-type': 'application/json', 'content-length': String(OK_BODY.length) };
const URL_ = 'http://127.0.0.1:9/api/group';

/** The platform's fetch, answering at once: reads the body it is given, as a server would. */
async function stubFetch(input: unknown, init?: { body?: unknown }): Promise<Response> {
  if (input instanceof Request) await input.arrayBuffer();
  else if (typeof init?.body === 'string') void init.body.length;
  return new Response(OK_BODY, { status: 200, headers: OK_HEADERS });
}
// before the client loads: it then trusts the stub as it trusts the platform's fetch (same path)
globalThis.fetch = stubFetch as typeof fetch;

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = <T = Any>(file: string): Promise<T> => import(pathToFileURL(`${SRC}/${file}`).href) as Promise<T>;
const { ThriveStack } = await load('index.ts');
const { prepareCall, prepareRequest } = await load('validate.ts');
const { readGroupCall } = await load('generated/call.ts');
const { Reading } = await load('json-safety.ts');
const { body: batchBody } = await load('call-bytes.ts');
const { BatchQueue } = await load('queue.ts');
const { openapiFetch } = await load('openapi-client.ts');
const { createTransport, CheckedResponse } = await load('transport.ts');
const { DEFAULT_RETRY_POLICY } = await load('retry-policy.ts');

interface Stage {
  name: string;
  /** Iterations per timed run. */
  n: number;
  body: (i: number) => unknown;
  /** Runs untimed after each timed run (e.g. send what a run queued). */
  after?: () => Promise<void>;
  /** µs per iteration are divided by this (a body that handles 1,000 calls at once). */
  per?: number;
  note?: string;
}

/**
 * µs per call of each stage of a group: one untimed round, then REPS rounds in which every stage runs
 * once, in an order that rotates from round to round (so no stage always runs after the same one); the
 * median per stage.
 */
async function measure(stages: Stage[]): Promise<Row[]> {
  const times: number[][] = stages.map(() => []);
  for (let round = 0; round <= REPS; round++) {
    for (let k = 0; k < stages.length; k++) {
      const at = (k + round) % stages.length;
      const { n, body, after, per = 1 } = stages[at]!;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const r = body(i);
        if (r instanceof Promise) await r;
      }
      const us = ((performance.now() - t0) * 1000) / n / per;
      await after?.();
      if (round > 0) times[at]!.push(us);
    }
  }
  return stages.map((stage, i) => {
    const sorted = times[i]!.sort((a, b) => a - b);
    return [stage.name, sorted[sorted.length >> 1]!, stage.note ?? ''];
  });
}

const calls = Array.from({ length: N }, (_, i) => makeCall(i));
const literals = Array.from({ length: N }, (_, i) => makeWireCall(i));
const walk = new Reading();
const copies = calls.map((c) => {
  walk.reset();
  return readGroupCall(c, walk, walk.issues, 'call');
});
const prepared = calls.map((c) => prepareCall(c));

type Row = [stage: string, us: number, note: string];
const endToEnd: Row[] = [];

// --- one queued call
// admit only: flushAt at the queue's size (and under 2 MB waiting), so nothing is sent inside the timed
// loop; the calls are sent (untimed) after each run
const ADMIT = Math.min(N, 5_000);
const admitOnly = new BatchQueue(() => Promise.resolve(), { flushAt: ADMIT, maxQueueSize: ADMIT });
const atDefaults = new BatchQueue(() => Promise.resolve(), { maxQueueSize: ADMIT });
const jsons = prepared.slice(0, 1_000).map((p: { json: string }) => p.json);
const wires = literals.slice(0, 1_000);
const BODIES = Math.max(1, Math.floor(N / 1_000));
const queued = await measure([
  { name: 'floor: JSON.stringify(the call as a wire-form object literal)', n: N, body: (i) => JSON.stringify(literals[i]), note: 'the floor' },
  { name: 'prepareCall (validate.ts), total', n: N, body: (i) => prepareCall(calls[i]) },
  {
    name: '  readGroupCall (generated one pass: read, check, copy)',
    n: N,
    body: (i) => {
      walk.reset();
      return readGroupCall(calls[i], walk, walk.issues, 'call');
    },
  },
  { name: '  JSON.stringify(the copy readGroupCall made)', n: N, body: (i) => JSON.stringify(copies[i]) },
  { name: 'queue admit: BatchQueue.add(prepared call), no send started', n: ADMIT, body: (i) => admitOnly.add(prepared[i]), after: () => admitOnly.flush(), note: `runs of ${ADMIT.toLocaleString('en-US')}` },
  {
    name: 'queue admit at the defaults (flushAt 100: the 4 sends it starts included)',
    n: ADMIT,
    body: (i) => atDefaults.add(prepared[i]),
    after: () => atDefaults.flush(),
    note: `runs of ${ADMIT.toLocaleString('en-US')}`,
  },
  { name: 'batch body: body(1,000 call texts), per call', n: BODIES, per: 1_000, body: () => batchBody(jsons), note: 'joined once per request (fetch encodes it)' },
  { name: '  floor: JSON.stringify(1,000 wire calls), per call', n: BODIES, per: 1_000, body: () => JSON.stringify(wires) },
]);
await admitOnly.close();
await atDefaults.close();

// --- one immediate call
let immediate: Row[];
{
  const client = new ThriveStack({ apiKey: 'bench-key', baseUrl: 'http://127.0.0.1:9' });
  const bodies = literals.map((l) => JSON.stringify([l]));
  const headers = { accept: '*/*', 'content-type': 'application/json', 'x-api-key': 'bench-key' };
  // openapi-fetch as the client uses it: a light Request class, the body passed through, a fetch that answers at once
  class Outbound {
    readonly url: string;
    readonly body: unknown;
    constructor(url: string, init: { body: unknown }) {
      this.url = url;
      this.body = init.body;
    }
  }
  const answer = new CheckedResponse(200, new Headers(), { success: true, eventId: 'evt_00000001' });
  const wire = openapiFetch({
    baseUrl: 'http://127.0.0.1:9',
    Request: Outbound,
    bodySerializer: (b: unknown) => b,
    fetch: () => Promise.resolve(answer),
  });
  const encoded = bodies;
  const send = createTransport({ redact: (t: string) => t });
  const attempt = { ...DEFAULT_RETRY_POLICY, timeout: 10_000, keepAlive: true };
  const n = N_IMMEDIATE;
  immediate = await measure([
    {
      name: 'floor: bare fetch(url, { body: JSON.stringify([call]) }) + text() + JSON.parse',
      n,
      body: async (i) => JSON.parse(await (await fetch(URL_, { method: 'POST', headers, body: JSON.stringify([literals[i]]) })).text()),
      note: 'stub fetch',
    },
    { name: 'client.group(call), total', n, body: (i) => client.group(calls[i]), note: 'stub fetch' },
    { name: '  prepareRequest (validate.ts)', n, body: (i) => prepareRequest(calls[i]) },
    { name: '  openapi-fetch POST (light Request, answer ready): its own cost', n, body: (i) => wire.POST('/api/group', { body: encoded[i] }) },
    { name: '  transport send (timeout, answer read and checked) + stub fetch', n, body: (i) => send({ url: URL_, headers, body: encoded[i] }, attempt), note: 'stub fetch' },
    { name: '  floor of the transport: stub fetch(url, init) + text()', n, body: async (i) => (await fetch(URL_, { method: 'POST', headers, body: encoded[i] })).text(), note: 'stub fetch' },
  ]);
  await client.close();
}

// --- the queue end to end, at the defaults, against the stub
{
  let t0 = performance.now();
  const client = new ThriveStack({ apiKey: 'bench-key', baseUrl: 'http://127.0.0.1:9' });
  for (let i = 0; i < N_END_TO_END; i++) await client.enqueueAsync(makeCall(i));
  const report = await client.close();
  if (report.delivered !== N_END_TO_END) throw new Error(`the stub got ${report.delivered} of ${N_END_TO_END} calls`);
  endToEnd.push([`client at its defaults: enqueueAsync × ${N_END_TO_END.toLocaleString('en-US')} + close (incl. makeCall)`, ((performance.now() - t0) * 1000) / N_END_TO_END, 'stub fetch']);
  t0 = performance.now();
  const headers = { 'content-type': 'application/json', 'x-api-key': 'bench-key' };
  for (let s = 0; s < N_END_TO_END; s += 1_000) {
    const batch = [];
    for (let i = s; i < Math.min(s + 1_000, N_END_TO_END); i++) batch.push(makeWireCall(i));
    await (await fetch(URL_, { method: 'POST', headers, body: JSON.stringify(batch) })).text();
  }
  endToEnd.push(['floor: 1,000-call arrays, JSON.stringify + stub fetch (incl. makeWireCall)', ((performance.now() - t0) * 1000) / N_END_TO_END, 'stub fetch']);
}

const show = (rows: Row[]): string => table(['Stage', 'µs per call', 'Note'], rows.map(([s, us, note]) => [s, us.toFixed(2), note]));
console.log(`Stages of one call (src: ${SRC}); µs per call, median of ${REPS} rotating round(s) of ${N.toLocaleString('en-US')} (immediate: ${N_IMMEDIATE.toLocaleString('en-US')}); Node ${process.version}\n`);
console.log(`A queued call\n\n${show(queued)}\n`);
console.log(`An immediate call\n\n${show(immediate)}\n`);
console.log(`The queue end to end\n\n${show(endToEnd)}`);
