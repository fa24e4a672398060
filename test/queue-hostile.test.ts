/**
 * The queue's promises against hostile hooks, throttles, servers and callers (the adversarial
 * review of the batching queue): hooks that throw values that cannot be described, throttles with
 * unusable limits, endless pauses and broken onRaise, close() reports after 400 halving, runs of bad
 * calls next to good ones, a 2xx without the documented body, un-awaited enqueueAsync(), and 50
 * requests in flight at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BadRequestError,
  QueueError,
  ThriveStack,
  UnexpectedResponseError,
  type ClientOptions,
  type DeliveryFailure,
} from '../src/index.js';
import { BatchQueue, describeThrown } from '../src/queue.js';
import { MAX_THROTTLE_PAUSE } from '../src/queue-options.js';
import { prepareCall } from '../src/validate.js';

const KEY = 'hostile-queue-key';
const clients: ThriveStack[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((c) => c.close({ timeout: 200 })));
});

const call = (i: number, bad = false) => ({ groupId: `acct-${i}`, userId: `user-${i}`, traits: bad ? { bad: true } : { plan: 'pro' } });
const ok = (): Response => new Response(JSON.stringify({ success: true, eventId: 'evt_1' }), { status: 200, headers: { 'content-type': 'application/json' } });
const refused = (): Response =>
  new Response(JSON.stringify({ success: false, message: 'Invalid request' }), { status: 400, headers: { 'content-type': 'application/json' } });

/** An in-process API: refuses (400) any request holding a bad call, accepts the rest; counts requests and what it accepted. */
function api(isBad: (wire: { group_id: string; traits?: { bad?: boolean } }) => boolean = (w) => w.traits?.bad === true) {
  const state = { requests: 0, accepted: [] as string[], inFlight: 0, maxInFlight: 0, delayMs: 0 };
  const fetch = async (request: Request): Promise<Response> => {
    state.requests++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const calls = JSON.parse(await request.text()) as Array<{ group_id: string; traits?: { bad?: boolean } }>;
      if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (calls.some(isBad)) return refused();
      state.accepted.push(...calls.map((c) => c.group_id));
      return ok();
    } finally {
      state.inFlight--;
    }
  };
  return { state, fetch };
}

function client(options: ClientOptions): ThriveStack {
  const c = new ThriveStack({ apiKey: KEY, minRetryDelay: 1, maxRetryDelay: 5, ...options });
  clients.push(c);
  return c;
}

function collectingLogger() {
  const lines: string[] = [];
  return { lines, logger: { debug: () => {}, info: () => {}, warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) } };
}

/** Values a hook can throw that break naive `String(value)` or `value.message.split`. */
function oddThrownValues(): Array<[string, () => unknown]> {
  const numberMessage = new Error('x');
  (numberMessage as unknown as { message: number }).message = 42;
  const throwingMessage = new Error('x');
  Object.defineProperty(throwingMessage, 'message', {
    get() {
      throw new Error('no message for you');
    },
  });
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return [
    ['a null-prototype object', () => Object.create(null)],
    ['an Error whose message is a number', () => numberMessage],
    ['an Error whose message getter throws', () => throwingMessage],
    ['a revoked Proxy', () => proxy],
    ['an object whose toString throws', () => ({ toString: () => { throw new Error('nope'); } })],
    ['a Symbol', () => Symbol('odd')],
    ['a 1 MB string with line breaks', () => `${'x'.repeat(1_000_000)}\nsecond line`],
  ];
}

describe('hooks that throw values that cannot be described (C1)', () => {
  it('describeThrown never throws, and says something for every value', () => {
    for (const [, make] of oddThrownValues()) {
      const text = describeThrown(make());
      expect(typeof text).toBe('string');
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThanOrEqual(300);
      expect(text).not.toContain('\n');
    }
    expect(describeThrown(new Error('first\nsecond'))).toBe('first');
  });

  it.each(oddThrownValues())('an onError that throws %s: logged, the queue goes on, nothing crashes', async (_name, make) => {
    const thrown = make();
    const { lines, logger } = collectingLogger();
    const { fetch } = api();
    const c = client({ fetch, flushInterval: 0, maxRetries: 0, logger, onError: () => { throw thrown; } });
    c.enqueue(call(1, true));
    await c.flush();
    c.enqueue(call(2));
    await c.flush();
    const report = await c.close();
    expect(report).toMatchObject({ delivered: 1, failed: 1 });
    expect(lines.join('\n')).toMatch(/the onError hook threw \(ignored; the queue goes on\)/);
  });

  it.each(oddThrownValues())('an onDelivered that throws %s: logged, the queue goes on, nothing crashes', async (_name, make) => {
    const thrown = make();
    const { lines, logger } = collectingLogger();
    const { fetch, state } = api();
    const c = client({ fetch, flushInterval: 0, logger, onDelivered: () => { throw thrown; } });
    c.enqueue(call(1));
    await c.flush();
    c.enqueue(call(2));
    const report = await c.close();
    expect(report.delivered).toBe(2);
    expect(state.accepted).toEqual(['acct-1', 'acct-2']);
    expect(lines.join('\n')).toMatch(/the onDelivered hook threw/);
  });

  it('a send that rejects with an undescribable value fails the calls with a ThriveStackError, no unhandled rejection', async () => {
    const failures: DeliveryFailure[] = [];
    const queue = new BatchQueue(() => Promise.reject(Object.create(null)), { flushAt: 1, onError: (f) => failures.push(f) });
    queue.add(prepareCall(call(1)));
    const report = await queue.close();
    expect(report.failed).toBe(1);
    await Promise.resolve();
    expect(failures[0]!.error.message).toMatch(/cannot be shown/);
  });
});

describe('a hook that throws every time does not flood the log', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('a throttle getter that throws on every send: one line, then the rest counted, told once by close()', async () => {
    const { lines, logger } = collectingLogger();
    const { fetch, state } = api();
    const throttle = {
      get limit(): number {
        throw new Error('limit getter bug');
      },
      pausedUntil: 0,
      onRaise: () => () => {},
    };
    const c = client({ fetch, flushAt: 1, maxBatchSize: 1, maxConcurrentRequests: 1, logger, throttle });
    for (let i = 0; i < 40; i++) await c.enqueueAsync(call(i));
    const report = await c.close();
    expect(report.delivered).toBe(40);
    expect(state.requests).toBe(40);
    const said = lines.filter((l) => /the throttle hook threw/.test(l));
    expect(said).toHaveLength(2);
    expect(said[0]).toBe('thrivestack: the throttle hook threw (ignored; the queue goes on): limit getter bug');
    // every later throw counted, none lost: at least one per request after the first
    const more = /^thrivestack: the throttle hook threw ([\d,]+) more times \(ignored; not logged each\), the last: limit getter bug$/.exec(said[1]!);
    expect(Number(more?.[1]?.replace(/,/g, ''))).toBeGreaterThanOrEqual(39);
  });

  it('each different error is logged once per interval (a new one is not hidden by a repeated one); repeats are counted', async () => {
    const { lines, logger } = collectingLogger();
    const { fetch } = api();
    const errors = ['benign first', 'benign first', 'IMPORTANT: disk full', 'IMPORTANT: disk full', 'benign last'];
    let n = 0;
    const c = client({ fetch, flushAt: 1, maxBatchSize: 1, logger, onDelivered: () => { throw new Error(errors[n++]); } });
    for (let i = 0; i < errors.length; i++) {
      c.enqueue(call(i));
      await c.flush();
    }
    await c.close();
    expect(lines.filter((l) => /onDelivered hook threw/.test(l))).toEqual([
      'thrivestack: the onDelivered hook threw (ignored; the queue goes on): benign first',
      'thrivestack: the onDelivered hook threw (ignored; the queue goes on): IMPORTANT: disk full',
      'thrivestack: the onDelivered hook threw (ignored; the queue goes on): benign last',
      'thrivestack: the onDelivered hook threw 2 more times (ignored; not logged each), the last: IMPORTANT: disk full',
    ]);
  });

  it('an error that changes every time (a counter in it) is logged 5 times per interval at most, the rest counted', async () => {
    const { lines, logger } = collectingLogger();
    const { fetch } = api();
    let n = 0;
    const c = client({ fetch, flushAt: 1, maxBatchSize: 1, logger, onDelivered: () => { throw new Error(`bug #${++n}`); } });
    for (let i = 0; i < 30; i++) {
      c.enqueue(call(i));
      await c.flush();
    }
    await c.close();
    const said = lines.filter((l) => /onDelivered hook threw/.test(l));
    expect(said).toHaveLength(6);
    expect(said[5]).toBe('thrivestack: the onDelivered hook threw 25 more times (ignored; not logged each), the last: bug #30');
  });

  it('over more than the interval: the count is told when it ends, then the error is logged again; a wall clock set back changes nothing', async () => {
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const { lines, logger } = collectingLogger();
    const { fetch } = api();
    const c = client({ fetch, flushAt: 1, maxBatchSize: 1, logger, onDelivered: () => { throw new Error('hook bug'); } });
    const deliver = async (i: number): Promise<void> => {
      c.enqueue(call(i));
      await c.flush();
    };
    for (let i = 0; i < 10; i++) await deliver(i);
    vi.setSystemTime(Date.now() - 3_600_000); // an hour back on the wall clock: not the interval's clock
    now += 5_000;
    await deliver(10);
    await c.close();
    expect(lines.filter((l) => /onDelivered hook threw/.test(l))).toEqual([
      'thrivestack: the onDelivered hook threw (ignored; the queue goes on): hook bug',
      'thrivestack: the onDelivered hook threw 9 more times (ignored; not logged each), the last: hook bug',
      'thrivestack: the onDelivered hook threw (ignored; the queue goes on): hook bug',
    ]);
  });

  it('a client that is never closed still tells the count, when the interval ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { lines, logger } = collectingLogger();
    const { fetch } = api();
    const c = client({ fetch, flushAt: 1, maxBatchSize: 1, logger, onDelivered: () => { throw new Error('hook bug'); } });
    for (let i = 0; i < 4; i++) {
      c.enqueue(call(i));
      await c.flush();
    }
    expect(lines.filter((l) => /onDelivered hook threw/.test(l))).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    expect(lines.filter((l) => /onDelivered hook threw/.test(l))).toEqual([
      'thrivestack: the onDelivered hook threw (ignored; the queue goes on): hook bug',
      'thrivestack: the onDelivered hook threw 3 more times (ignored; not logged each), the last: hook bug',
    ]);
  });
});

describe('a throttle whose values are unusable (C2)', () => {
  const throttles: Array<[string, () => unknown, number]> = [
    // [name, throttle, the most requests in flight it should allow (maxConcurrentRequests is 3)]
    ['no limit, no pausedUntil', () => ({ onRaise: () => () => {} }), 3],
    ['limit NaN', () => ({ limit: Number.NaN, pausedUntil: 0, onRaise: () => () => {} }), 3],
    ['limit 0', () => ({ limit: 0, pausedUntil: 0, onRaise: () => () => {} }), 1],
    ['limit -5', () => ({ limit: -5, pausedUntil: 0, onRaise: () => () => {} }), 1],
    ['limit "2" (a string)', () => ({ limit: '2', pausedUntil: 0, onRaise: () => () => {} }), 3],
    ['limit Infinity', () => ({ limit: Infinity, pausedUntil: 0, onRaise: () => () => {} }), 3],
    ['limit 1.7', () => ({ limit: 1.7, pausedUntil: 0, onRaise: () => () => {} }), 1],
    ['pausedUntil NaN', () => ({ limit: 3, pausedUntil: Number.NaN, onRaise: () => () => {} }), 3],
    ['pausedUntil "soon" (a string)', () => ({ limit: 3, pausedUntil: 'soon', onRaise: () => () => {} }), 3],
    ['onRaise returning 42', () => ({ limit: 3, pausedUntil: 0, onRaise: () => 42 }), 3],
    ['onRaise that throws', () => ({ limit: 3, pausedUntil: 0, onRaise: () => { throw new Error('onRaise boom'); } }), 3],
    ['onRaise whose stop function throws', () => ({ limit: 3, pausedUntil: 0, onRaise: () => () => { throw new Error('stop boom'); } }), 3],
    ['onRaise that calls its listener at once', () => ({ limit: 3, pausedUntil: 0, onRaise: (wake: () => void) => (wake(), () => {}) }), 3],
    [
      'getters that throw',
      () => ({
        get limit(): number {
          throw new Error('limit boom');
        },
        get pausedUntil(): number {
          throw Object.create(null);
        },
        onRaise: () => () => {},
      }),
      3,
    ],
  ];

  it.each(throttles)('%s: enqueue() never throws, every call is delivered, flush() and close() resolve', async (_name, make, most) => {
    const { fetch, state } = api();
    state.delayMs = 5;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const c = client({ fetch, flushAt: 2, maxConcurrentRequests: 3, throttle: make() as never, logger: collectingLogger().logger });
      for (let i = 0; i < 20; i++) expect(c.enqueue(call(i))).toBe(true);
      await c.flush();
      expect(state.accepted).toHaveLength(20);
      c.enqueue(call(20));
      const report = await c.close({ timeout: 5_000 });
      expect(report).toMatchObject({ delivered: 21, failed: 0, pending: 0, timedOut: false });
      expect(state.maxInFlight).toBeLessThanOrEqual(most);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it.each([
    ['Infinity', Infinity],
    ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ])(`a pause until %s holds requests back for MAX_THROTTLE_PAUSE (${MAX_THROTTLE_PAUSE} ms) at most, then flush() finishes`, async (_name, until) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    let sent = 0;
    const queue = new BatchQueue(
      () => {
        sent++;
        return Promise.resolve();
      },
      { flushAt: 1, throttle: { limit: 1, pausedUntil: until, onRaise: () => () => {} } },
    );
    queue.add(prepareCall(call(1)));
    let flushed = false;
    void queue.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(MAX_THROTTLE_PAUSE - 1_000);
    expect(sent).toBe(0); // the pause is honoured ...
    await vi.advanceTimersByTimeAsync(1_001);
    expect(sent).toBe(1); // ... for MAX_THROTTLE_PAUSE at most
    expect(flushed).toBe(true);
    // a call enqueued once the queue drained meets the pause anew: held back again, for the cap at most
    queue.add(prepareCall(call(2)));
    await vi.advanceTimersByTimeAsync(MAX_THROTTLE_PAUSE - 1_000);
    expect(sent).toBe(1);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(sent).toBe(2);
    const report = await queue.close();
    expect(report.delivered).toBe(2);
  });

  it('a pause that ends before the cap is honoured to its end', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let sent = 0;
    const throttle = { limit: 1, pausedUntil: Date.now() + 5_000, onRaise: () => () => {} };
    const queue = new BatchQueue(() => (sent++, Promise.resolve()), { flushAt: 1, throttle });
    queue.add(prepareCall(call(1)));
    await vi.advanceTimersByTimeAsync(4_990);
    expect(sent).toBe(0);
    await vi.advanceTimersByTimeAsync(20);
    expect(sent).toBe(1);
    await queue.close();
  });
});

describe('close() after 400 halving (Q1)', () => {
  it('lists as pending exactly the calls neither delivered nor failed', async () => {
    // a batch of 10 with one bad call: the first half is delivered, then every request hangs
    let okCount = 0;
    const fetch = async (request: Request): Promise<Response> => {
      const body = await request.text();
      if (body.includes('"bad":true')) return refused();
      if (++okCount === 1) return ok();
      return new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
    };
    const delivered: unknown[] = [];
    const failed: unknown[] = [];
    const c = client({ fetch, flushAt: 10, maxRetries: 0, timeout: 60_000, onError: (f) => failed.push(...f.tags), onDelivered: (d) => delivered.push(...d.tags) });
    for (let i = 0; i < 10; i++) c.enqueue(call(i, i === 9), { tag: i });
    // wait until the first half was delivered and the second half hangs
    while (delivered.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await c.close({ timeout: 50 });
    expect(report.timedOut).toBe(true);
    expect(delivered).toEqual([0, 1, 2, 3, 4]);
    expect(report.pendingTags).toEqual([5, 6, 7, 8, 9]);
    expect(report.pendingCalls.map((w) => w.group_id)).toEqual(['acct-5', 'acct-6', 'acct-7', 'acct-8', 'acct-9']);
    expect(report.pending).toBe(5);
    expect(report.delivered + report.failed + report.pending).toBe(10);
  });

  it('a call that failed during halving is not pending either', async () => {
    let answered = 0;
    const fetch = async (request: Request): Promise<Response> => {
      const calls = JSON.parse(await request.text()) as unknown[];
      if (calls.length > 1 || answered++ === 0) return refused(); // the first single call is refused, then all hang
      return new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
    };
    const failed: unknown[] = [];
    const c = client({ fetch, flushAt: 4, maxRetries: 0, timeout: 60_000, onError: (f) => failed.push(...f.tags) });
    for (let i = 0; i < 4; i++) c.enqueue(call(i), { tag: i });
    while (failed.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await c.close({ timeout: 50 });
    expect(failed).toEqual([0]);
    expect(report.pendingTags).toEqual([1, 2, 3]);
    expect(report).toMatchObject({ failed: 1, pending: 3, delivered: 0 });
  });
});

describe('the 400 budget: runs of bad calls among good ones, and a server that refuses everything (Q2)', () => {
  async function sendThousand(isBad: (i: number) => boolean, flushAt: number) {
    const { fetch, state } = api();
    const failedTags: number[] = [];
    const c = client({ fetch, flushAt, maxQueueSize: 1_000, onError: (f) => failedTags.push(...(f.tags as number[])) });
    for (let i = 0; i < 1_000; i++) c.enqueue(call(i, isBad(i)), { tag: i });
    const report = await c.close({ timeout: Infinity });
    await Promise.resolve();
    const bad = Array.from({ length: 1_000 }, (_, i) => i).filter(isBad);
    return { state, report, failedTags: failedTags.sort((a, b) => a - b), bad };
  }

  it.each([
    ['30 contiguous bad calls', (i: number) => i >= 100 && i < 130],
    ['100 contiguous bad calls', (i: number) => i >= 250 && i < 350],
    ['21 contiguous bad calls at the start', (i: number) => i <= 20],
    ['25 bad calls spread out', (i: number) => i % 40 === 7],
  ])('%s among 1,000: every good call is delivered, only the bad ones fail', async (_name, isBad) => {
    for (const flushAt of [1_000, 100, 10]) {
      const { state, report, failedTags, bad } = await sendThousand(isBad, flushAt);
      expect(failedTags, `flushAt ${flushAt}`).toEqual(bad);
      expect(report.delivered, `flushAt ${flushAt}`).toBe(1_000 - bad.length);
      expect(new Set(state.accepted).size).toBe(1_000 - bad.length);
    }
  });

  it('one bad call in 1,000 still costs about 2·log2(1000) extra requests and lets 999 through', async () => {
    const { state, report, failedTags } = await sendThousand((i) => i === 737, 1_000);
    expect(failedTags).toEqual([737]);
    expect(report.delivered).toBe(999);
    expect(state.requests).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(1_000)));
  });

  it.each([
    [1, 4],
    [2, 4],
    [3, 4],
    [10, 4],
    [100, 4], // the default
    [1_000, 4],
    [2, 1_000],
  ])('a server that refuses everything: flushAt %i, %i requests in flight, at most 1.5 requests per call over 10,000 calls', async (flushAt, maxConcurrentRequests) => {
    const { fetch, state } = api(() => true);
    const failures: DeliveryFailure[] = [];
    const c = client({ fetch, flushAt, maxConcurrentRequests, maxQueueSize: 10_000, onError: (f) => failures.push(f) });
    const total = 10_000;
    for (let i = 0; i < total; i++) c.enqueue(call(i));
    const report = await c.close({ timeout: Infinity });
    await Promise.resolve();
    expect(report.failed).toBe(total);
    expect(state.requests).toBeLessThanOrEqual(1.5 * total);
    if (flushAt > 1) {
      const changed = failures.filter((f) => /API changed/.test(f.error.message));
      expect(changed.length).toBeGreaterThan(0);
      expect(changed[0]!.error).toBeInstanceOf(BadRequestError);
      expect(changed[0]!.error.message).toMatch(/refused \(400\) \d+ batches in a row, whole.*Upgrade the package/s);
    }
  });
});

describe('the 400 budget holds for batches already in flight when refusals begin', () => {
  it.each([
    ['at the defaults (flushAt 100, full requests)', {}],
    ['flushAt 1,000', { flushAt: 1_000 }],
  ])('a server that refuses everything while 4 full batches are in flight, %s: at most 0.5 requests per call, not 2', async (_name, options) => {
    const { fetch, state } = api(() => true);
    const c = client({ fetch, maxQueueSize: 4_000, onError: () => {}, ...options });
    for (let i = 0; i < 4_000; i++) c.enqueue(call(i)); // a backlog: 4 requests of 1,000 in flight at once
    const report = await c.close({ timeout: Infinity });
    expect(report.failed).toBe(4_000);
    expect(state.maxInFlight).toBe(4);
    expect(state.requests / 4_000).toBeLessThanOrEqual(0.5);
  });

  it('a 400 saying x-should-retry: true (with retry-after-ms: 0) is not retried: the budget counts one request per refusal, even with 10 retries', async () => {
    let requests = 0;
    const fetch = async (request: Request): Promise<Response> => {
      requests++;
      await request.text();
      return new Response(JSON.stringify({ success: false, message: 'Invalid request' }), {
        status: 400,
        headers: { 'content-type': 'application/json', 'x-should-retry': 'true', 'retry-after-ms': '0' },
      });
    };
    const c = client({ fetch, flushAt: 1_000, maxRetries: 10, maxQueueSize: 10_000, onError: () => {} });
    for (let i = 0; i < 10_000; i++) c.enqueue(call(i));
    const report = await c.close({ timeout: Infinity });
    expect(report.failed).toBe(10_000);
    expect(requests / 10_000).toBeLessThanOrEqual(1.5);
  });

  it('mixed batches in flight together: runs of bad calls among good ones still deliver every good call', async () => {
    const isBad = (i: number): boolean => i % 1_000 < 40; // each 1,000-call batch starts with 40 bad calls
    const { fetch, state } = api((w) => isBad(Number(w.group_id.slice(5))));
    const failedTags: number[] = [];
    const c = client({ fetch, maxQueueSize: 4_000, onError: (f) => failedTags.push(...(f.tags as number[])) });
    for (let i = 0; i < 4_000; i++) c.enqueue(call(i), { tag: i });
    const report = await c.close({ timeout: Infinity });
    await Promise.resolve();
    expect(report.delivered).toBe(4_000 - 160);
    expect(new Set(state.accepted).size).toBe(4_000 - 160);
    expect(failedTags.sort((a, b) => a - b)).toEqual(Array.from({ length: 4_000 }, (_, i) => i).filter(isBad));
  });
});

describe('close() twice', () => {
  it('a second close() with a shorter timeout is honoured, and both resolve with the same report', async () => {
    const fetch = (request: Request): Promise<Response> =>
      new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
    const c = client({ fetch, timeout: 60_000, maxRetries: 0, onError: () => {} });
    c.enqueue(call(1));
    void c.flush();
    const first = c.close({ timeout: Infinity });
    const started = Date.now();
    const second = await c.close({ timeout: 100 });
    expect(Date.now() - started).toBeLessThan(30_000); // not the first close's Infinity
    expect(second).toMatchObject({ timedOut: true, pending: 1, delivered: 0 });
    expect(await first).toEqual(second);
  });
});

describe('a 2xx without the documented body (Q3)', () => {
  it('a web front end answering 200 HTML: every call goes to onError as failed, none counted delivered', async () => {
    let requests = 0;
    const fetch = async (request: Request): Promise<Response> => {
      requests++;
      await request.text();
      return new Response('<!doctype html><html><body>Welcome to our app</body></html>', { status: 200, headers: { 'content-type': 'text/html' } });
    };
    const failures: DeliveryFailure[] = [];
    const delivered: unknown[] = [];
    const c = client({ fetch, flushAt: 5, onError: (f) => failures.push(f), onDelivered: (d) => delivered.push(...d.tags) });
    for (let i = 0; i < 12; i++) c.enqueue(call(i), { tag: i });
    const report = await c.close();
    await Promise.resolve();
    expect(report).toMatchObject({ delivered: 0, failed: 12, pending: 0 });
    expect(delivered).toEqual([]);
    expect(failures.every((f) => f.kind === 'failed' && f.error instanceof UnexpectedResponseError)).toBe(true);
    expect(failures.flatMap((f) => f.tags).sort((a, b) => Number(a) - Number(b))).toEqual([...Array(12).keys()]);
    expect(failures[0]!.error.message).toMatch(/answered 200 \(the calls were most likely accepted\).*check baseUrl/s);
    expect(requests).toBe(3); // not retried, not halved
  });
});

describe('un-awaited enqueueAsync() (Q4)', () => {
  it('at most maxQueueSize producers wait for room; beyond that enqueueAsync rejects at once, reported as dropped', async () => {
    const never = (): Promise<Response> => new Promise(() => {});
    const failures: DeliveryFailure[] = [];
    const c = client({ fetch: never, flushAt: 10, maxQueueSize: 10, timeout: 60_000, onError: (f) => failures.push(f) });
    const outcomes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 100; i++) {
      outcomes.push(c.enqueueAsync(call(i), { tag: i }).then(() => 'queued', (e: unknown) => e));
    }
    // 10 queued at once, 10 waiting for room, 80 refused at once
    const settled = await Promise.all(outcomes.slice(0, 10).concat(outcomes.slice(20)));
    expect(settled.slice(0, 10)).toEqual(Array(10).fill('queued'));
    const refusedNow = settled.slice(10) as Error[];
    expect(refusedNow).toHaveLength(80);
    for (const error of refusedNow) {
      expect(error).toBeInstanceOf(QueueError);
      expect(error.message).toMatch(/10 calls already wait for room.*`await` each `enqueueAsync\(\)`/s);
    }
    await Promise.resolve();
    expect(failures.filter((f) => f.kind === 'dropped').flatMap((f) => f.tags)).toEqual(Array.from({ length: 80 }, (_, i) => i + 20));
    const report = await c.close({ timeout: 0 });
    expect(report.dropped).toBe(80);
    expect(report.pending).toBe(10);
    // the 10 that waited learn at close() that their call was not queued
    const waited = await Promise.all(outcomes.slice(10, 20));
    expect(waited.every((e) => e instanceof QueueError)).toBe(true);
  });

  it('enqueueAsync() calls that nobody awaits raise no unhandled rejection: refused ones, and waiting ones close() rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const { lines, logger } = collectingLogger();
    try {
      const never = (): Promise<Response> => new Promise(() => {});
      const c = client({ fetch: never, flushAt: 5, maxQueueSize: 5, timeout: 60_000, logger, onError: () => {} });
      for (let i = 0; i < 5; i++) void c.enqueueAsync(call(i)); // queued
      for (let i = 0; i < 5; i++) void c.enqueueAsync(call(i + 5)); // waiting for room, never awaited
      for (let i = 0; i < 50; i++) void c.enqueueAsync(call(i + 10)); // refused, never awaited
      await new Promise((resolve) => setTimeout(resolve, 20));
      await c.close({ timeout: 0 });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    // not silent: close() says how many waiting calls it did not queue
    expect(lines.join('\n')).toMatch(/close\(\): 5 calls waiting in enqueueAsync\(\) for room not queued \(rejected with QueueError\)/);
  });
});

describe('many requests in flight (one signal per request)', () => {
  it('50 concurrent requests raise no MaxListenersExceededWarning, and a timed-out close() aborts each', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    let inFlight = 0;
    let aborted = 0;
    const release: Array<() => void> = [];
    const fetch = (request: Request): Promise<Response> =>
      new Promise((resolve, reject) => {
        inFlight++;
        request.signal.addEventListener('abort', () => (aborted++, reject(request.signal.reason)));
        release.push(() => resolve(ok()));
      });
    try {
      const c = client({ fetch, flushAt: 1, maxBatchSize: 1, maxConcurrentRequests: 50, timeout: 60_000, maxRetries: 0, onError: () => {} });
      for (let i = 0; i < 100; i++) c.enqueue(call(i));
      const flushed = c.flush();
      while (inFlight < 50) await new Promise((resolve) => setTimeout(resolve, 5));
      for (const done of release.splice(0)) done(); // the first 50 answer ...
      while (inFlight < 100) await new Promise((resolve) => setTimeout(resolve, 5));
      const report = await c.close({ timeout: 20 }); // ... the next 50 are abandoned
      expect(report).toMatchObject({ delivered: 50, pending: 50, timedOut: true });
      expect(aborted).toBe(50);
      await flushed;
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });
});
