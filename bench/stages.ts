/**
 * `npm run bench:stages`: micro-timings of each stage of a call, in process, without a network
 * (a stub `fetch` answers at once), so the client's own cost per call is visible apart from the
 * HTTP round trip. Median of 5 repetitions, µs per call.
 *
 *   tsx bench/stages.ts [path/to/src]    (default: ../src; point it at a patched copy to compare)
 */
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { makeCall, makeWireCall } from './calls.js';

const SRC = resolve(process.argv[2] ?? fileURLToPath(new URL('../src', import.meta.url)));
const load = <T>(file: string): Promise<T> => import(pathToFileURL(`${SRC}/${file}`).href) as Promise<T>;

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const index = await load<Any>('index.ts');
const validate = await load<Any>('validate.ts');
const wire = await load<Any>('wire.ts');
const safety = await load<Any>('json-safety.ts');
const generated = await load<Any>('generated/validate.js');
const wireClientModule = await load<Any>('wire-client.ts');

const OK_BODY = '{"success":true,"eventId":"evt_00000001"}';
const stubFetch = async (request: Request): Promise<Response> => {
  await request.text();
  return new Response(OK_BODY, { status: 200, headers: { 'content-type': 'application/json' } });
};

/** µs per iteration: median of `reps` timed runs of `n` iterations, after one untimed run. */
async function time(n: number, body: (i: number) => unknown, reps = 5): Promise<number> {
  const run = async (): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = body(i);
      if (r instanceof Promise) await r;
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  await run();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await run());
  times.sort((a, b) => a - b);
  return times[reps >> 1]!;
}

const N = 20_000;
const calls = Array.from({ length: N }, (_, i) => makeCall(i));
const wires = calls.map((c) => wire.toWireCall(c, 'call', []));
const literals = Array.from({ length: N }, (_, i) => makeWireCall(i));
const jsons = wires.map((w) => JSON.stringify(w));

const rows: Array<[string, number]> = [];
const add = async (name: string, n: number, body: (i: number) => unknown): Promise<void> => {
  rows.push([name, await time(n, body)]);
};

// --- one call for the queue: prepareCall and its parts
await add('makeCall (the benchmark building a call; not client cost)', N, (i) => makeCall(i));
await add('prepareCall, total', N, (i) => validate.prepareCall(calls[i]));
await add('  toWireCall (camelCase → wire)', N, (i) => wire.toWireCall(calls[i], 'call', []));
await add('  unfaithfulValues (JSON-safety walk)', N, (i) => safety.unfaithfulValues(wires[i]));
await add('  generated validator on [call]', N, (i) => generated.validateGroupRequest([wires[i]]));
await add('  JSON.stringify(wire call from toWireCall)', N, (i) => JSON.stringify(wires[i]));
await add('  utf8Length(json)', N, (i) => safety.utf8Length(jsons[i]));
await add('  (for comparison) JSON.stringify(same call as an object literal)', N, (i) => JSON.stringify(literals[i]));

// --- the queue, end to end, with a stub fetch
{
  const n = 100_000;
  const t0 = performance.now();
  const client = new index.ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: stubFetch, flushAt: 1000 });
  for (let i = 0; i < n; i++) await client.enqueueAsync(makeCall(i));
  await client.close();
  rows.push(['queue: enqueueAsync + close, 100k calls, stub fetch (incl. makeCall)', ((performance.now() - t0) * 1000) / n]);
  const t1 = performance.now();
  for (let s = 0; s < n; s += 1000) {
    const batch = [];
    for (let i = s; i < s + 1000; i++) batch.push(makeWireCall(i));
    await stubFetch(new Request('http://127.0.0.1:9/api/group', { method: 'POST', body: JSON.stringify(batch) }));
  }
  rows.push(['floor: 1,000-call arrays, JSON.stringify + stub fetch (incl. makeWireCall)', ((performance.now() - t1) * 1000) / n]);
}

// --- one immediate call with a stub fetch
{
  const client = new index.ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: stubFetch });
  const wireClient = wireClientModule.createWireClient({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: stubFetch });
  const bodies = literals.map((l) => JSON.stringify([l]));
  const n = 5_000;
  await add('immediate: client.group(), stub fetch', n, (i) => client.group(calls[i]));
  await add('  prepareRequest (validate + map + serialize)', n, (i) => validate.prepareRequest(calls[i]));
  await add('  openapi-fetch POST, prebuilt body, stub fetch', n, (i) =>
    wireClient.POST('/api/group', { body: [] as never, bodySerializer: () => bodies[i] }),
  );
  await add('  Request, then text() + new Request(url, {body, signal}) per attempt, stub fetch', n, async (i) => {
    const request = new Request('http://127.0.0.1:9/api/group', { method: 'POST', body: bodies[i], headers: { 'content-type': 'application/json' } });
    const body = await request.text();
    return stubFetch(new Request(request.url, { method: request.method, headers: request.headers, body, signal: new AbortController().signal }));
  });
  await add('floor: new Request(body) + stub fetch', n, (i) =>
    stubFetch(new Request('http://127.0.0.1:9/api/group', { method: 'POST', body: bodies[i], headers: { 'content-type': 'application/json' } })),
  );
}

console.log(`stages of a call (src: ${SRC}), µs per call, median of 5 runs; Node ${process.version}\n`);
for (const [name, us] of rows) console.log(`${us.toFixed(2).padStart(9)} µs  ${name}`);
