/** The batching queue: batching rules, bounds, backpressure, 400 isolation, flush and close. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BadRequestError,
  QueueError,
  ServerError,
  ThriveStack,
  UnexpectedResponseError,
  ValidationError,
  type DeliveryFailure,
} from '../src/index.js';
import { startFaultServer, type FaultServer, type FaultServerOptions } from './support/fault-server.js';
import { scaled } from './support/test-scale.js';

const KEY = 'queue-key';
let server: FaultServer | undefined;
const clients: ThriveStack[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeout: 1_000 })));
  await server?.stop();
  server = undefined;
});

async function setup(serverOptions: Omit<FaultServerOptions, 'apiKey'> = {}, options: ConstructorParameters<typeof ThriveStack>[0] = {}) {
  server = await startFaultServer({ apiKey: KEY, ...serverOptions });
  const failures: DeliveryFailure[] = [];
  const client = new ThriveStack({
    apiKey: KEY,
    baseUrl: server.url,
    minRetryDelay: 2,
    maxRetryDelay: 10,
    maxRetryAfter: 20,
    onError: (f) => failures.push(f),
    ...options,
  });
  clients.push(client);
  return { s: server, client, failures };
}

const call = (i: number, extra: Record<string, unknown> = {}) => ({ groupId: `acct-${i}`, userId: `user-${i}`, ...extra });

describe('when batches are sent', () => {
  it('sends a batch as soon as flushAt calls wait, without flush()', async () => {
    const { s, client } = await setup({}, { flushAt: 5, flushInterval: 60_000 });
    for (let i = 0; i < 4; i++) client.enqueue(call(i));
    await new Promise((r) => setTimeout(r, 50));
    expect(s.log).toHaveLength(0);
    client.enqueue(call(4));
    await vi.waitFor(() => expect(s.accepted).toHaveLength(5));
    expect(s.log).toHaveLength(1);
  });

  it('sends waiting calls once flushInterval has passed since the oldest', async () => {
    const { s, client } = await setup({}, { flushAt: 100, flushInterval: 100 });
    client.enqueue(call(1));
    client.enqueue(call(2));
    await vi.waitFor(() => expect(s.accepted).toHaveLength(2), { timeout: 3_000 });
    expect(s.log).toHaveLength(1);
  });

  it('puts at most 1,000 calls in a request', async () => {
    const { s, client } = await setup({}, { flushAt: 1_000, maxQueueSize: 5_000 });
    for (let i = 0; i < 2_500; i++) client.enqueue(call(i));
    await client.flush();
    expect(s.log.map((r) => r.calls).sort((a, b) => b - a)).toEqual([1_000, 1_000, 500]);
    expect(new Set(s.accepted.map((c) => c.group_id)).size).toBe(2_500);
  });

  it('flushAt says when, not how much: a backlog leaves in full requests at the default options', async () => {
    // the defaults (flushAt 100, maxBatchSize 1,000): with every request answered slowly, calls pile up
    const { s, client } = await setup({ plan: () => ({ type: 'slow', delayMs: 50 }) }, { maxQueueSize: 10_000 });
    for (let i = 0; i < 5_000; i++) await client.enqueueAsync(call(i));
    await client.flush();
    const sizes = s.log.map((r) => r.calls);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5_000);
    expect(Math.max(...sizes)).toBe(1_000);
    expect(s.log.length).toBeLessThanOrEqual(12); // not the 50 requests of flushAt calls each
  });

  it('a send that starts takes everything waiting, in as many requests as it needs (flushAt above maxBatchSize)', async () => {
    const { s, client } = await setup({}, { flushAt: 2_500, maxBatchSize: 1_000, maxQueueSize: 5_000, flushInterval: 600_000 });
    for (let i = 0; i < 2_500; i++) client.enqueue(call(i));
    // no flush(), and the interval is ten minutes away: the 2,500th call started the send of all of them
    await vi.waitFor(() => expect(s.accepted.length).toBe(2_500), { timeout: 10_000 });
    expect(s.log.map((r) => r.calls).sort((a, b) => b - a)).toEqual([1_000, 1_000, 500]);
  });

  it('maxQueueBytes bounds the JSON held: past it enqueue() drops (saying so) and enqueueAsync() waits; a call alone always fits', async () => {
    const { s, client, failures } = await setup({ plan: () => ({ type: 'slow', delayMs: 30 }) }, { maxQueueBytes: 2_000_000, flushAt: 1 });
    const big = (i: number) => call(i, { traits: { description: 'x'.repeat(900_000) } });
    expect(client.enqueue(big(1))).toBe(true);
    expect(client.enqueue(big(2))).toBe(true);
    expect(client.enqueue(big(3))).toBe(false); // 2.7 million characters would be held
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(failures[0]!.kind).toBe('dropped');
    expect(failures[0]!.error.message).toMatch(/characters of JSON waiting or in flight; maxQueueBytes is 2,000,000/);
    await client.enqueueAsync(big(4)); // waits for room, then is queued
    await client.flush();
    expect(s.accepted.map((c) => c.group_id).sort()).toEqual(['acct-1', 'acct-2', 'acct-4']);
  });

  it('maxBatchSize caps every request', async () => {
    const { s, client } = await setup({}, { flushAt: 1, maxBatchSize: 10, maxConcurrentRequests: 1 });
    for (let i = 0; i < 95; i++) client.enqueue(call(i));
    await client.flush();
    expect(Math.max(...s.log.map((r) => r.calls))).toBeLessThanOrEqual(10);
    expect(s.accepted).toHaveLength(95);
  });

  it('splits by measured bytes: no request body exceeds 2,000,000 bytes', async () => {
    const { s, client } = await setup({}, { flushAt: 1_000 });
    const big = 'é'.repeat(150_000); // 300,000 bytes of UTF-8, 150,000 UTF-16 units
    for (let i = 0; i < 20; i++) client.enqueue(call(i, { traits: { description: big } }));
    await client.flush();
    expect(s.accepted).toHaveLength(20);
    for (const request of s.log) expect(request.bytes).toBeLessThanOrEqual(2_000_000);
    expect(Math.max(...s.log.map((r) => r.calls))).toBe(6); // 6 × ~300 kB fit, 7 do not
  });

  it('keeps at most maxConcurrentRequests requests in flight', async () => {
    const { s, client } = await setup({ plan: () => ({ type: 'slow', delayMs: 50 }) }, { flushAt: 10, maxConcurrentRequests: 3 });
    for (let i = 0; i < 200; i++) client.enqueue(call(i));
    await client.flush();
    expect(s.accepted).toHaveLength(200);
    expect(s.maxConcurrent()).toBe(3);
  });
});

describe('bounds and backpressure', () => {
  it('refuses calls past maxQueueSize, returning false and reporting each to onError', async () => {
    const { s, client, failures } = await setup({ plan: () => ({ type: 'slow', delayMs: 100 }) }, { flushAt: 5, maxQueueSize: 10 });
    const results = Array.from({ length: 13 }, (_, i) => client.enqueue(call(i)));
    expect(results.filter((r) => r)).toHaveLength(10);
    expect(results.slice(10)).toEqual([false, false, false]);
    await Promise.resolve(); // onError runs as a microtask, outside enqueue()'s call stack
    expect(failures.map((f) => f.kind)).toEqual(['dropped', 'dropped', 'dropped']);
    expect(failures.map((f) => f.calls[0]!.group_id)).toEqual(['acct-10', 'acct-11', 'acct-12']);
    expect(failures[0]!.error).toBeInstanceOf(QueueError);
    expect(failures[0]!.error.message).toMatch(/enqueueAsync/);
    const report = await client.close();
    expect(report).toMatchObject({ delivered: 10, dropped: 3, failed: 0, pending: 0 });
    expect(s.accepted).toHaveLength(10);
  });

  const backfill = scaled(1_000_000, 100_000);
  it(`enqueueAsync waits for room: ${backfill.toLocaleString('en-US')} calls from a tight loop, all delivered, never more than maxQueueSize held`, async () => {
    const total = backfill;
    const { s, client, failures } = await setup({ keepCalls: false }, { flushAt: 1_000, maxQueueSize: 5_000, maxConcurrentRequests: 4 });
    let maxHeld = 0;
    for (let i = 0; i < total; i++) {
      await client.enqueueAsync({ groupId: `a${i}`, userId: 'u' });
      if (client.queueSize > maxHeld) maxHeld = client.queueSize;
    }
    const report = await client.close();
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ delivered: total, failed: 0, dropped: 0, pending: 0 });
    expect(s.acceptedCount()).toBe(total);
    expect(maxHeld).toBeLessThanOrEqual(5_000);
  }, 180_000);
});

describe('400 isolation', () => {
  it('halves a refused batch until exactly the bad calls are left, delivering every good one', async () => {
    const isBad = (c: Record<string, unknown>) => c.group_id === 'acct-7' || c.group_id === 'acct-31';
    const { s, client, failures } = await setup({ isBad }, { flushAt: 50 });
    for (let i = 0; i < 50; i++) client.enqueue(call(i));
    await client.flush();
    const good = s.accepted.map((c) => c.group_id);
    expect(good).toHaveLength(48);
    expect(new Set(good).size).toBe(48);
    expect(good).not.toContain('acct-7');
    expect(failures.flatMap((f) => f.calls.map((c) => c.group_id)).sort()).toEqual(['acct-31', 'acct-7']);
    for (const f of failures) {
      expect(f.kind).toBe('failed');
      expect(f.error).toBeInstanceOf(BadRequestError);
    }
    const report = await client.close();
    expect(report).toMatchObject({ delivered: 48, failed: 2 });
  });
});

describe('flush()', () => {
  it('waits for requests already in flight', async () => {
    const { s, client } = await setup({ plan: () => ({ type: 'slow', delayMs: 300 }) }, { flushAt: 5 });
    for (let i = 0; i < 5; i++) client.enqueue(call(i)); // flushAt reached: the request leaves now
    await vi.waitFor(() => expect(s.log).toHaveLength(1));
    await client.flush();
    expect(client.queueSize).toBe(0);
    expect(s.accepted).toHaveLength(5);
  });

  it('resolves at once when nothing is queued, and never rejects when delivery fails', async () => {
    const { client, failures } = await setup({ plan: () => ({ type: 'status', status: 500 }) }, { maxRetries: 1 });
    await client.flush();
    client.enqueue(call(1));
    await expect(client.flush()).resolves.toBeUndefined();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toBeInstanceOf(ServerError);
    expect(failures[0]!.calls).toEqual([{ group_id: 'acct-1', user_id: 'user-1' }]);
  });

  it('does not count a 200 with an odd body as delivered: the calls go to onError as failed (most likely accepted)', async () => {
    const delivered: unknown[] = [];
    const { s, client, failures } = await setup({ plan: () => ({ type: 'malformed' }) }, { onDelivered: (d) => delivered.push(...d.tags) });
    client.enqueue(call(1), { tag: 'row-1' });
    const report = await client.close();
    expect(report).toMatchObject({ delivered: 0, failed: 1, pending: 0 });
    expect(delivered).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ kind: 'failed', tags: ['row-1'], calls: [{ group_id: 'acct-1', user_id: 'user-1' }] });
    expect(failures[0]!.error).toBeInstanceOf(UnexpectedResponseError);
    expect(failures[0]!.error.message).toMatch(/most likely accepted.*Do not resend blindly; check baseUrl/s);
    expect(s.log).toHaveLength(1); // neither retried nor halved
  });
});

describe('enqueue()', () => {
  it('validates synchronously, and a bad call leaves the rest of the queue alone', async () => {
    const { s, client } = await setup({}, { flushAt: 100 });
    client.enqueue(call(1));
    expect(() => client.enqueue({ groupId: 'x', userId: '', traits: { employees: 'many' } as never })).toThrow(ValidationError);
    client.enqueue(call(2));
    await client.flush();
    expect(s.accepted.map((c) => c.group_id)).toEqual(['acct-1', 'acct-2']);
  });

  it('a throwing onError hook does not break delivery, and is logged through the client logger', async () => {
    const lines: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (l: string) => lines.push(l), error: () => {} };
    const { s, client } = await setup(
      { isBad: (c) => c.group_id === 'acct-1' },
      { onError: () => { throw new Error('hook bug'); }, flushAt: 2, logger },
    );
    client.enqueue(call(1));
    client.enqueue(call(2));
    client.enqueue(call(3));
    client.enqueue(call(4));
    await client.flush();
    expect(s.accepted.map((c) => c.group_id).sort()).toEqual(['acct-2', 'acct-3', 'acct-4']);
    expect(lines.join('\n')).toMatch(/onError hook threw .*hook bug/);
  });

  it('without onError, failures are summarized through the client logger, never silently lost', async () => {
    server = await startFaultServer({ apiKey: KEY, plan: () => ({ type: 'status', status: 401 }) });
    const lines: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const logger = { debug: () => {}, info: () => {}, warn: (l: string) => lines.push(l), error: () => {} };
    const client = new ThriveStack({ apiKey: KEY, baseUrl: server.url, logger });
    client.enqueue(call(1));
    await client.close();
    expect(lines.join(' ')).toMatch(/1 call failed since .*ThriveStack refused the API key.*pass onError to see each/);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});

describe('close()', () => {
  it('flushes, reports, and refuses enqueue afterwards', async () => {
    const { s, client } = await setup({}, { flushAt: 100, flushInterval: 60_000 });
    for (let i = 0; i < 3; i++) client.enqueue(call(i));
    const report = await client.close();
    expect(report).toEqual({ delivered: 3, failed: 0, dropped: 0, pending: 0, failures: [], pendingCalls: [], pendingTags: [], timedOut: false });
    expect(s.accepted).toHaveLength(3);
    expect(() => client.enqueue(call(9))).toThrow(QueueError);
    await expect(client.enqueueAsync(call(9))).rejects.toBeInstanceOf(QueueError);
    expect(await client.close()).toBe(report); // idempotent
  });

  it('against a server that hangs, resolves within its timeout and lists the calls still pending', async () => {
    const { client } = await setup({ plan: () => ({ type: 'hang' }) }, { flushAt: 2, timeout: 60_000 });
    for (let i = 0; i < 5; i++) client.enqueue(call(i));
    const started = Date.now();
    const report = await client.close({ timeout: 300 });
    const elapsed = Date.now() - started;
    expect(report.timedOut).toBe(true);
    expect(report.pending).toBe(5);
    expect(report.pendingCalls.map((c) => c.group_id).sort()).toEqual(['acct-0', 'acct-1', 'acct-2', 'acct-3', 'acct-4']);
    expect(report.delivered).toBe(0);
    expect(elapsed).toBeLessThan(5_000); // a hang would run into the test timeout instead
  });

  it('rejects producers still waiting for room, so they know their call was not queued', async () => {
    const { client } = await setup({ plan: () => ({ type: 'hang' }) }, { flushAt: 1, maxQueueSize: 1, timeout: 60_000 });
    await client.enqueueAsync(call(1));
    const waiting = client.enqueueAsync(call(2)).then(() => 'queued', (error: unknown) => error);
    const report = await client.close({ timeout: 100 });
    expect(await waiting).toBeInstanceOf(QueueError);
    expect(report.pending).toBe(1);
  });
});

describe('queue options', () => {
  it('a flushAt above maxQueueSize still sends once the queue is full', async () => {
    const { s, client } = await setup({}, { flushAt: 500, maxQueueSize: 3, flushInterval: 60_000 });
    for (let i = 0; i < 3; i++) client.enqueue(call(i));
    await vi.waitFor(() => expect(s.accepted).toHaveLength(3));
  });

  it.each([
    [{ flushAt: 0 }, /flushAt/],
    [{ maxQueueSize: -1 }, /maxQueueSize/],
    [{ maxConcurrentRequests: 1.5 }, /maxConcurrentRequests/],
    [{ flushInterval: Number.NaN }, /flushInterval/],
  ])('refuses %o', (options, message) => {
    expect(() => new ThriveStack({ apiKey: 'k', ...options })).toThrow(message);
  });
});
