/**
 * The queue under misuse (issue 11 #4-#8): lifecycle corners, onError re-entry, many clients, quiet
 * logs, the 400 budget, close({ timeout: Infinity }); and what the importer builds on: per-call tags
 * that come back with every outcome, and a throttle.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BadRequestError, ConfigurationError, QueueError, ThriveStack, type ClientOptions, type DeliveryFailure } from '../src/index.js';
import { BatchQueue } from '../src/queue.js';
import { exitHookHolders } from '../src/exit-hook.js';
import { prepareCall } from '../src/validate.js';
import { startFaultServer, type FaultServer, type FaultServerOptions } from './support/fault-server.js';

const KEY = 'misuse-key';
let server: FaultServer | undefined;
const clients: ThriveStack[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close({ timeout: 200 })));
  await server?.stop();
  server = undefined;
});

function collectingLogger() {
  const lines: string[] = [];
  return { lines, logger: { debug: () => {}, info: () => {}, warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) } };
}

async function setup(serverOptions: Omit<FaultServerOptions, 'apiKey'> = {}, options: ClientOptions = {}) {
  server = await startFaultServer({ apiKey: KEY, ...serverOptions });
  const client = new ThriveStack({ apiKey: KEY, baseUrl: server.url, minRetryDelay: 2, maxRetryDelay: 10, ...options });
  clients.push(client);
  return { s: server, client };
}

const call = (i: number) => ({ groupId: `acct-${i}`, userId: `user-${i}` });

describe('lifecycle (#4)', () => {
  it('flush() after a close() that timed out resolves at once', async () => {
    const { client } = await setup({ plan: () => ({ type: 'hang' }) }, { flushAt: 1, timeout: 60_000, onError: () => {} });
    client.enqueue(call(1));
    const report = await client.close({ timeout: 50 });
    expect(report.timedOut).toBe(true);
    await expect(client.flush()).resolves.toBeUndefined();
    expect(client.queueSize).toBe(0);
  });

  it('flush() after a close() that finished resolves, with nothing pending', async () => {
    const { s, client } = await setup({}, { flushAt: 100, flushInterval: 60_000 });
    client.enqueue(call(1));
    await client.close();
    await expect(client.flush()).resolves.toBeUndefined();
    expect(s.accepted).toHaveLength(1);
  });

  it('messages name the method actually called', async () => {
    const { client } = await setup();
    await client.close();
    expect(() => client.enqueue(call(1))).toThrow(/`enqueue\(\)` after `close\(\)`/);
    const error = await client.enqueueAsync(call(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueError);
    expect((error as Error).message).toMatch(/`enqueueAsync\(\)` after `close\(\)`/);
  });

  it('close({ timeout: Infinity }) waits for a slow server and delivers, arming no overflowing timer', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { s, client } = await setup({ plan: () => ({ type: 'slow', delayMs: 400 }) }, { flushAt: 2 });
      for (let i = 0; i < 4; i++) client.enqueue(call(i));
      const report = await client.close({ timeout: Infinity });
      expect(report).toMatchObject({ timedOut: false, delivered: 4, pending: 0 });
      expect(s.accepted).toHaveLength(4);
      // a finite timeout a timer cannot hold is refused at once, never armed
      expect(() => new ThriveStack({ apiKey: KEY, baseUrl: s.url }).close({ timeout: 2 ** 31 })).toThrow(ConfigurationError);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });
});

describe('onError (#5)', () => {
  it('an onError that re-enqueues dropped calls never nests: the stack stays shallow', async () => {
    const previousLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    let deepest = 0;
    let reentries = 0;
    try {
      const { client } = await setup(
        { plan: () => ({ type: 'hang' }) },
        {
          flushAt: 1,
          maxQueueSize: 1,
          timeout: 60_000,
          onError: (failure) => {
            deepest = Math.max(deepest, new Error().stack!.split('\n').length);
            if (failure.kind === 'dropped' && ++reentries < 5_000) client.enqueue({ groupId: 'again', userId: 'u' });
          },
        },
      );
      client.enqueue(call(1)); // fills the queue (the request hangs)
      client.enqueue(call(2)); // dropped: onError re-enqueues, dropped again, 5,000 times
      await vi.waitFor(() => expect(reentries).toBe(5_000), { timeout: 20_000 });
      await client.close({ timeout: 50 });
    } finally {
      Error.stackTraceLimit = previousLimit;
    }
    expect(deepest).toBeLessThan(60);
  });

  it('an onError that re-enqueues every dropped call forever cannot starve the event loop: timers fire and close() resolves', async () => {
    let reentries = 0;
    const { client } = await setup(
      { plan: () => ({ type: 'hang' }) },
      {
        flushAt: 1,
        maxQueueSize: 1,
        timeout: 60_000,
        onError: (failure) => {
          reentries++;
          if (failure.kind === 'dropped') client.enqueue({ groupId: 'again', userId: 'u' }); // forever, until close()
        },
      },
    );
    client.enqueue(call(1)); // fills the queue (the request hangs)
    client.enqueue(call(2)); // dropped: onError re-enqueues it, and so on without end
    // a timer armed now still fires: the re-enqueueing goes on in tasks, not in one endless run of microtasks
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reentries).toBeGreaterThan(1);
    const report = await client.close({ timeout: 50 });
    expect(report.timedOut).toBe(true);
    const after = reentries;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reentries - after).toBeLessThanOrEqual(1); // enqueue() after close() throws: the loop ends
  });

  it('a throwing onError never breaks the queue: later calls are delivered and flush() resolves', async () => {
    const { lines, logger } = collectingLogger();
    const { s, client } = await setup(
      { isBad: (c) => c.group_id === 'acct-0' },
      { flushAt: 1, logger, onError: () => { throw new Error('hook bug'); } },
    );
    for (let i = 0; i < 5; i++) client.enqueue(call(i));
    await client.flush();
    expect(s.accepted).toHaveLength(4);
    const report = await client.close();
    expect(report).toMatchObject({ delivered: 4, failed: 1 });
    expect(lines.some((l) => /onError hook threw/.test(l))).toBe(true);
  });
});

describe('many clients (#6)', () => {
  it('50 clients holding calls add one beforeExit listener and raise no warning', async () => {
    server = await startFaultServer({ apiKey: KEY, plan: () => ({ type: 'slow', delayMs: 200 }) });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const before = process.listenerCount('beforeExit');
    try {
      const many = Array.from({ length: 50 }, () => new ThriveStack({ apiKey: KEY, baseUrl: server!.url, flushAt: 1 }));
      clients.push(...many);
      for (const [i, client] of many.entries()) client.enqueue(call(i));
      expect(exitHookHolders()).toBe(50);
      expect(process.listenerCount('beforeExit')).toBe(before + 1);
      await Promise.all(many.map((c) => c.flush()));
      expect(process.listenerCount('beforeExit')).toBe(before);
      expect(exitHookHolders()).toBe(0);
      expect(server.accepted).toHaveLength(50);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });
});

describe('quiet by default (#7)', () => {
  it('100,000 drops without onError write a handful of summary lines with the counts', async () => {
    const { lines, logger } = collectingLogger();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { client } = await setup({ plan: () => ({ type: 'hang' }) }, { flushAt: 1, maxQueueSize: 1, timeout: 60_000, logger });
    let accepted = 0;
    for (let i = 0; i < 100_001; i++) if (client.enqueue(call(i))) accepted++;
    expect(accepted).toBe(1);
    const report = await client.close({ timeout: 50 });
    expect(report.dropped).toBe(100_000);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(5);
    const counted = lines.reduce((sum, l) => sum + Number(/([\d,]+) calls? dropped/.exec(l)?.[1]?.replace(/,/g, '') ?? 0), 0);
    expect(counted).toBe(100_000);
    expect(lines.at(-1)).toMatch(/dropped since \d{4}-.*; pass onError to see each/);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('with onError, every failure still reaches it and nothing is logged', async () => {
    const { lines, logger } = collectingLogger();
    const failures: DeliveryFailure[] = [];
    const { client } = await setup({ plan: () => ({ type: 'hang' }) }, { flushAt: 1, maxQueueSize: 1, timeout: 60_000, logger, onError: (f) => failures.push(f) });
    for (let i = 0; i < 1_001; i++) client.enqueue(call(i));
    await client.close({ timeout: 50 });
    expect(failures).toHaveLength(1_000);
    expect(lines).toEqual([]);
  });
});

describe('the 400 budget (#8)', () => {
  it('one bad call in 1,000 still costs about 2·log2(1000) extra requests and lets 999 through', async () => {
    const failures: DeliveryFailure[] = [];
    const { s, client } = await setup({ isBad: (c) => c.group_id === 'acct-500' }, { flushAt: 1_000, maxQueueSize: 1_000, onError: (f) => failures.push(f) });
    for (let i = 0; i < 1_000; i++) client.enqueue(call(i));
    await client.flush();
    expect(s.accepted).toHaveLength(999);
    expect(failures.flatMap((f) => f.calls.map((c) => c.group_id))).toEqual(['acct-500']);
    expect(s.log.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(1_000)));
  });

  it('a server that refuses everything costs at most 1.5 requests per call, with one error saying to upgrade', async () => {
    const failures: DeliveryFailure[] = [];
    const { s, client } = await setup({ isBad: () => true }, { flushAt: 100, onError: (f) => failures.push(f) });
    const total = 10_000;
    for (let i = 0; i < total; i++) await client.enqueueAsync(call(i));
    const report = await client.close({ timeout: Infinity });
    expect(report.failed).toBe(total);
    expect(failures.reduce((n, f) => n + f.calls.length, 0)).toBe(total);
    expect(s.log.length).toBeLessThanOrEqual(1.5 * total);
    const changed = failures.filter((f) => /API changed/.test(f.error.message));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed[0]!.error).toBeInstanceOf(BadRequestError);
    expect(changed[0]!.error.message).toMatch(/Upgrade the package/);
  });

  it('a server that refuses everything with one call per batch still costs at most 1.5 requests per call', async () => {
    const { s, client } = await setup({ isBad: () => true }, { flushAt: 1, onError: () => {} });
    for (let i = 0; i < 500; i++) await client.enqueueAsync(call(i));
    await client.close({ timeout: Infinity });
    expect(s.log.length).toBeLessThanOrEqual(750);
  });

  it('after the server accepts calls again, halving isolates bad calls again', async () => {
    let refuseAll = true;
    const failures: DeliveryFailure[] = [];
    const { s, client } = await setup(
      { isBad: (c) => refuseAll || c.group_id === 'acct-3' },
      { flushAt: 10, maxConcurrentRequests: 1, onError: (f) => failures.push(f) },
    );
    for (let i = 0; i < 100; i++) client.enqueue(call(i));
    await client.flush();
    refuseAll = false;
    for (let i = 0; i < 10; i++) client.enqueue(call(i)); // acct-3 is bad: first this batch fails whole ...
    await client.flush();
    for (let i = 0; i < 10; i++) client.enqueue(call(i + 10)); // ... a good batch resets the budget
    await client.flush();
    for (let i = 0; i < 10; i++) client.enqueue(call(i));
    await client.flush();
    expect(s.accepted.filter((c) => c.group_id !== 'acct-3').length).toBeGreaterThanOrEqual(19);
    const last = failures.at(-1)!;
    expect(last.calls.map((c) => c.group_id)).toEqual(['acct-3']);
    expect(last.error.message).not.toMatch(/API changed/);
  });
});

describe('tags and throttle (what the importer builds on)', () => {
  it('every call’s tag comes back with its outcome: delivered, failed, dropped, pending', async () => {
    const delivered: unknown[] = [];
    const failures: DeliveryFailure[] = [];
    const { client } = await setup(
      { isBad: (c) => c.group_id === 'acct-2' },
      { flushAt: 5, maxQueueSize: 5, onDelivered: (d) => delivered.push(...d.tags), onError: (f) => failures.push(f) },
    );
    for (let i = 0; i < 5; i++) client.enqueue(call(i), { tag: `row-${i}` });
    expect(client.enqueue(call(9), { tag: 'row-9' })).toBe(false);
    await client.flush();
    expect(delivered.sort()).toEqual(['row-0', 'row-1', 'row-3', 'row-4']);
    expect(failures.map((f) => [f.kind, f.tags])).toEqual(expect.arrayContaining([['dropped', ['row-9']], ['failed', ['row-2']]]));
  });

  it('close() lists the tags of calls still pending when it times out', async () => {
    const { client } = await setup({ plan: () => ({ type: 'hang' }) }, { flushAt: 2, timeout: 60_000, onError: () => {} });
    for (let i = 0; i < 3; i++) await client.enqueueAsync(call(i), { tag: i });
    const report = await client.close({ timeout: 50 });
    expect(report.pendingTags.sort()).toEqual([0, 1, 2]);
  });

  it('a throttle limits requests in flight below maxConcurrentRequests', async () => {
    server = await startFaultServer({ apiKey: KEY, plan: () => ({ type: 'slow', delayMs: 20 }) });
    const url = server.url;
    const throttle = { limit: 1, pausedUntil: 0, onRaise: () => () => {} };
    const client = new ThriveStack({ apiKey: KEY, baseUrl: url, flushAt: 5, maxConcurrentRequests: 4, throttle });
    clients.push(client);
    for (let i = 0; i < 50; i++) client.enqueue(call(i));
    await client.flush();
    expect(server.accepted).toHaveLength(50);
    expect(server.maxConcurrent()).toBe(1);
  });

  it('a throttle pause holds every request back until it is lifted, then everything is delivered', async () => {
    server = await startFaultServer({ apiKey: KEY });
    const listeners = new Set<() => void>();
    const throttle = { limit: 4, pausedUntil: Number.MAX_SAFE_INTEGER, onRaise: (l: () => void) => (listeners.add(l), () => listeners.delete(l)) };
    const client = new ThriveStack({ apiKey: KEY, baseUrl: server.url, flushAt: 5, throttle });
    clients.push(client);
    for (let i = 0; i < 20; i++) client.enqueue(call(i));
    const flushed = client.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.log).toHaveLength(0);
    throttle.pausedUntil = 0;
    for (const wake of listeners) wake();
    await flushed;
    expect(server.accepted).toHaveLength(20);
  });

  it('a bare BatchQueue without a log still summarizes through the default logger (stderr), never console.log', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const queue = new BatchQueue(() => Promise.reject(new Error('down')), { flushAt: 1 });
    queue.add(prepareCall(call(1)));
    await queue.close();
    expect(warn.mock.calls.flat().join(' ')).toMatch(/1 call failed since/);
    expect(log).not.toHaveBeenCalled();
    warn.mockRestore();
    log.mockRestore();
  });
});
