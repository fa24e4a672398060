/** group() against the fault-injecting server: retries, timeouts, aborts and typed errors. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  RateLimitError,
  RequestAbortedError,
  ServerError,
  ThriveStack,
  TimeoutError,
  UnexpectedResponseError,
  RedirectError,
  MAX_ANSWER_BYTES,
  type DebugEvent,
} from '../src/index.js';
import { startFaultServer, type FaultAction, type FaultServer } from './support/fault-server.js';
import { freePort } from '../scripts/prism.js';

const KEY = 'fault-server-key';
const call = { groupId: 'acct-1', userId: 'user-1', traits: { plan: 'pro' } };
let server: FaultServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function withPlan(actions: FaultAction[]): Promise<FaultServer> {
  server = await startFaultServer({ apiKey: KEY, plan: ({ index }) => actions[index] ?? { type: 'ok' } });
  return server;
}

function client(url: string, options: ConstructorParameters<typeof ThriveStack>[0] = {}) {
  const events: DebugEvent[] = [];
  const c = new ThriveStack({
    apiKey: KEY,
    baseUrl: url,
    minRetryDelay: 5,
    maxRetryDelay: 20,
    maxRetryAfter: 2_000,
    timeout: 2_000,
    debug: (e) => events.push(e),
    ...options,
  });
  return { c, events, retries: () => events.filter((e) => e.type === 'retry') as Extract<DebugEvent, { type: 'retry' }>[] };
}

describe('retries', () => {
  it.each([429, 500, 502, 503, 408])('retries %i and then succeeds', async (status) => {
    const s = await withPlan([{ type: 'status', status }]);
    const { c } = client(s.url);
    await expect(c.group(call)).resolves.toEqual({ success: true, eventId: 'evt_1' });
    expect(s.log.map((r) => r.action)).toEqual(['status', 'ok']);
    expect(s.accepted).toHaveLength(1);
  });

  it('waits as long as Retry-After (seconds) says', async () => {
    const s = await withPlan([{ type: 'status', status: 429, headers: { 'Retry-After': '1' } }]);
    const { c, retries } = client(s.url);
    await c.group(call);
    expect(retries().map((r) => r.delayMs)).toEqual([1_000]);
  });

  it('honours retry-after-ms and an HTTP-date Retry-After', async () => {
    const date = new Date(Date.now() + 60_000).toUTCString();
    const s = await withPlan([
      { type: 'status', status: 503, headers: { 'retry-after-ms': '40' } },
      { type: 'status', status: 429, headers: { 'Retry-After': date } },
    ]);
    const { c, retries } = client(s.url, { maxRetryAfter: 50 });
    await c.group(call);
    const delays = retries().map((r) => r.delayMs);
    expect(delays[0]).toBe(40);
    expect(delays[1]).toBe(50); // a minute asked for, capped at maxRetryAfter
  });

  it('backs off exponentially (with jitter) when no Retry-After is given', async () => {
    const s = await withPlan([500, 500, 500].map((status) => ({ type: 'status', status }) as FaultAction));
    const { c, retries } = client(s.url, { minRetryDelay: 20, maxRetryDelay: 1_000 });
    await c.group(call);
    const delays = retries().map((r) => r.delayMs);
    expect(delays).toHaveLength(3);
    [20, 40, 80].forEach((full, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(full * 0.75);
      expect(delays[i]).toBeLessThanOrEqual(full);
    });
  });

  it('retries a connection reset mid-request, sending the whole body again', async () => {
    const s = await withPlan([{ type: 'reset' }, { type: 'reset' }]);
    const { c } = client(s.url);
    await c.group([call, { ...call, groupId: 'acct-2' }]);
    expect(s.log.map((r) => r.action)).toEqual(['reset', 'reset', 'ok']);
    expect(s.accepted.map((x) => x.group_id)).toEqual(['acct-1', 'acct-2']);
  });

  it('throws the typed error of the last attempt, saying how many attempts were made', async () => {
    const s = await withPlan([503, 503, 503].map((status) => ({ type: 'status', status }) as FaultAction));
    const { c } = client(s.url, { maxRetries: 2 });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error.status).toBe(503);
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('after 3 attempts');
    expect(s.log).toHaveLength(3);
  });

  it('gives RateLimitError with the parsed retryAfter when 429s outlast the retries', async () => {
    const s = await withPlan([1, 2].map(() => ({ type: 'status', status: 429, headers: { 'Retry-After': '0' } }) as FaultAction));
    const { c } = client(s.url, { maxRetries: 1 });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfter).toBe(0);
    expect(error.attempts).toBe(2);
  });

  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, APIError],
    [404, APIError],
    [413, APIError],
    [422, APIError],
  ])('never retries %i', async (status, type) => {
    const s = await withPlan([{ type: 'status', status }]);
    const { c } = client(s.url);
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(type);
    expect(error.status).toBe(status);
    expect(error.attempts).toBe(1);
    expect(s.log).toHaveLength(1);
  });

  it('a wrong API key gives AuthenticationError', async () => {
    server = await startFaultServer({ apiKey: 'the-right-key' });
    const { c } = client(server.url);
    await expect(c.group(call)).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('timeouts and aborts', () => {
  it('times out an attempt that never gets an answer, and retries it', async () => {
    const s = await withPlan([{ type: 'hang' }]);
    const { c } = client(s.url, { timeout: 200 });
    await expect(c.group(call)).resolves.toMatchObject({ success: true });
    expect(s.log.map((r) => r.action)).toEqual(['hang', 'ok']);
  });

  it('throws TimeoutError when every attempt times out', async () => {
    const s = await withPlan([{ type: 'hang' }, { type: 'hang' }]);
    const { c } = client(s.url, { timeout: 150, maxRetries: 1 });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.attempts).toBe(2);
    expect(error.message).toContain('within 150 ms (2 attempts)');
  });

  it('a per-call timeout overrides the client default', async () => {
    const s = await withPlan([{ type: 'slow', delayMs: 400 }]);
    const { c } = client(s.url, { timeout: 5_000 });
    await expect(c.group(call, { timeout: 100, maxRetries: 0 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('a slow answer within the timeout is fine', async () => {
    const s = await withPlan([{ type: 'slow', delayMs: 100 }]);
    const { c } = client(s.url, { timeout: 2_000 });
    await expect(c.group(call)).resolves.toEqual({ success: true, eventId: 'evt_0' });
    expect(s.log).toHaveLength(1);
  });

  /** Starts a call, aborts it once the server has its first request, and returns what it threw. */
  async function abortAfterFirstRequest(s: FaultServer, c: ThriveStack): Promise<unknown> {
    const controller = new AbortController();
    const pending = c.group(call, { signal: controller.signal });
    while (s.log.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    return pending.catch((e) => e);
  }

  it("the caller's AbortSignal cancels a pending retry at once", async () => {
    const s = await withPlan([{ type: 'status', status: 503, headers: { 'Retry-After': '3600' } }]);
    const { c } = client(s.url, { maxRetryAfter: 3_600_000 });
    expect(await abortAfterFirstRequest(s, c)).toBeInstanceOf(RequestAbortedError);
    expect(s.log).toHaveLength(1);
  });

  it("the caller's AbortSignal cancels a request in flight", async () => {
    const s = await withPlan([{ type: 'hang' }]);
    const { c } = client(s.url, { timeout: 60_000 });
    expect(await abortAfterFirstRequest(s, c)).toBeInstanceOf(RequestAbortedError);
    expect(s.log).toHaveLength(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const s = await withPlan([]);
    const { c } = client(s.url);
    await expect(c.group(call, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(RequestAbortedError);
    expect(s.log).toHaveLength(0);
  });

  it('ConnectionError when nothing listens at baseUrl', async () => {
    const port = await freePort();
    const { c } = client(`http://127.0.0.1:${port}`, { maxRetries: 1 });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).not.toBeInstanceOf(TimeoutError);
    expect(error.attempts).toBe(2);
    expect(error.message).toMatch(/Could not reach ThriveStack at http:\/\/127\.0\.0\.1:\d+ \(2 attempts\).*ECONNREFUSED/);
  });
});

describe('odd answers', () => {
  it('a 200 whose body is not the documented JSON is UnexpectedResponseError, not retried', async () => {
    const s = await withPlan([{ type: 'malformed' }]);
    const { c } = client(s.url);
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.status).toBe(200);
    expect(error.message).toMatch(/most likely accepted/);
    expect(s.log).toHaveLength(1);
  });
});

describe('resources', () => {
  it('removes every abort listener it adds once a call settles (a leak would keep each request body alive)', async () => {
    const live = new Set<unknown>();
    const add = vi.spyOn(AbortSignal.prototype, 'addEventListener');
    const remove = vi.spyOn(AbortSignal.prototype, 'removeEventListener');
    add.mockImplementation(function (this: AbortSignal, type, listener, options) {
      // only the client's own listeners: undici adds (and manages) some of its own
      const caller = (new Error().stack ?? '').split('\n').slice(1).find((frame) => !/transport\.test\.ts|node_modules/.test(frame));
      if (type === 'abort' && /src[\\/]transport\.ts/.test(caller ?? '')) live.add(listener);
      return EventTarget.prototype.addEventListener.call(this, type, listener, options);
    });
    remove.mockImplementation(function (this: AbortSignal, type, listener, options) {
      if (type === 'abort') live.delete(listener);
      return EventTarget.prototype.removeEventListener.call(this, type, listener, options);
    });
    try {
      const s = await withPlan([{ type: 'status', status: 503 }, { type: 'ok' }, { type: 'ok' }]);
      const { c } = client(s.url);
      const caller = new AbortController();
      for (let i = 0; i < 2; i++) await c.group(call, { signal: caller.signal });
      expect(add).toHaveBeenCalled();
      expect([...live]).toEqual([]);
    } finally {
      add.mockRestore();
      remove.mockRestore();
    }
  });
});

describe('messages of retried statuses', () => {
  it('a 408 that outlasts the retries says to retry later, not that it is never retried', async () => {
    const s = await withPlan([1, 2].map(() => ({ type: 'status', status: 408 }) as FaultAction));
    const { c } = client(s.url, { maxRetries: 1 });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error.attempts).toBe(2);
    expect(error.message).toContain('after 2 attempts');
    expect(error.message).not.toContain('not retried');
  });
});

describe('a debug hook that throws', () => {
  /** Runs `work` while recording the timers src/transport.ts arms and clears. */
  async function trackingTimers<T>(work: () => Promise<T>): Promise<{ result: T; armed: unknown[]; cleared: Set<unknown> }> {
    const armed: unknown[] = [];
    const cleared = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...args: unknown[]) => {
      const handle = realSet(fn, ms, ...args);
      if (ms === 60_000 && /src[\\/]transport\.ts/.test(new Error().stack ?? '')) armed.push(handle);
      return handle;
    }) as typeof setTimeout);
    const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: Parameters<typeof clearTimeout>[0]) => {
      cleared.add(handle);
      return realClear(handle);
    }) as typeof clearTimeout);
    try {
      return { result: await work(), armed, cleared };
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  }

  it.each(['request', 'response'] as const)('on %s: the result is unchanged and the attempt timer is cleared', async (when) => {
    const s = await withPlan([]);
    const c = new ThriveStack({
      apiKey: KEY,
      baseUrl: s.url,
      timeout: 60_000,
      debug: (event) => {
        if (event.type === when) throw new Error(`hook failed on ${when}`);
      },
    });
    const { result, armed, cleared } = await trackingTimers(() => c.group(call));
    expect(result).toEqual({ success: true, eventId: 'evt_0' });
    expect(armed).toHaveLength(1);
    expect(cleared.has(armed[0])).toBe(true);
    expect(s.log).toHaveLength(1);
  });

  it.each(['request', 'response', 'error', 'retry'] as const)('on %s: queued calls are still delivered', async (when) => {
    const s = await withPlan([when === 'error' ? { type: 'reset' } : { type: 'status', status: 503 }]);
    const c = new ThriveStack({
      apiKey: KEY,
      baseUrl: s.url,
      minRetryDelay: 1,
      debug: (event) => {
        if (event.type === when) throw new Error('hook failed');
      },
    });
    c.enqueue(call);
    expect(await c.close({ timeout: 10_000 })).toMatchObject({ delivered: 1, failed: 0 });
  });
});

describe('bounded answers', () => {
  it('a 2xx body over the cap is UnexpectedResponseError (most likely accepted), not retried', async () => {
    const s = await withPlan([]);
    const c = new ThriveStack({
      apiKey: KEY,
      baseUrl: s.url,
      fetch: async () => new Response(`{"success":true,"eventId":"${'e'.repeat(MAX_ANSWER_BYTES)}"}`, { status: 200 }),
    });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.attempts).toBe(1);
    expect(error.message).toMatch(/most likely accepted.*larger than 65536 bytes/s);
  });

  it('an error body over the cap keeps its first part for the message', async () => {
    const c = new ThriveStack({
      apiKey: KEY,
      baseUrl: 'https://api.example.com',
      maxRetries: 0,
      fetch: async () => new Response(`first part ${'z'.repeat(MAX_ANSWER_BYTES * 4)}`, { status: 500 }),
    });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error.serverMessage).toMatch(/^first part z+… \(\d+ more characters\)$/);
  });

  it("a fetch polyfill's answer without a web stream body is cut after text()", async () => {
    const likeResponse = { status: 200, ok: true, type: 'basic', url: '', redirected: false, headers: new Headers(), body: {}, text: async () => `{"success":true,"eventId":"${'e'.repeat(1_000_000)}"}` };
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch: async () => likeResponse as unknown as Response });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.message).toMatch(/larger than 65536 bytes/);
  });

  it('an endless body is cut off, not read to the end', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16_384).fill(120));
      },
    });
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', maxRetries: 0, fetch: async () => new Response(endless, { status: 502 }) });
    await expect(c.group(call)).rejects.toBeInstanceOf(ServerError);
    expect(pulled).toBeLessThan(10);
  });
});

describe('x-should-retry and request ids', () => {
  it('x-should-retry: false on a 503 stops retries', async () => {
    const s = await withPlan([{ type: 'status', status: 503, headers: { 'x-should-retry': 'false' } }]);
    const error = await client(s.url).c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error.attempts).toBe(1);
    expect(s.log).toHaveLength(1);
  });

  it('x-should-retry: true on a 400 is not honoured: a 400 is final (sent again unchanged, it fails again)', async () => {
    const s = await withPlan([{ type: 'status', status: 400, headers: { 'x-should-retry': 'true', 'retry-after-ms': '0' } }]);
    const error = await client(s.url).c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.attempts).toBe(1);
    expect(s.log.map((r) => r.action)).toEqual(['status']);
  });

  it('x-should-retry: true still retries a status that is otherwise final (a 404)', async () => {
    const s = await withPlan([{ type: 'status', status: 404, headers: { 'x-should-retry': 'true' } }]);
    await expect(client(s.url).c.group(call)).resolves.toMatchObject({ success: true });
    expect(s.log.map((r) => r.action)).toEqual(['status', 'ok']);
  });

  it('a redirect is never retried, whatever x-should-retry says', async () => {
    const s = await withPlan([{ type: 'status', status: 307, headers: { 'x-should-retry': 'true', location: 'http://127.0.0.1:9/api/group' } }]);
    const error = await client(s.url).c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(s.log).toHaveLength(1);
  });

  it.each(['x-request-id', 'request-id', 'x-amzn-requestid', 'cf-ray'])('%s becomes requestId, in the message and the debug event', async (header) => {
    const s = await withPlan([{ type: 'status', status: 401, headers: { [header]: 'req_8f2e' } }]);
    const { c, events } = client(s.url);
    const error = await c.group(call).catch((e) => e);
    expect(error.requestId).toBe('req_8f2e');
    expect(error.message).toContain('(request id req_8f2e: quote it to ThriveStack support)');
    expect(events.find((e) => e.type === 'response')).toMatchObject({ requestId: 'req_8f2e' });
  });
});

describe("odd things a caller's fetch can do", () => {
  it('Response.error() is a ConnectionError (retried), not an answer', async () => {
    let calls = 0;
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', maxRetries: 1, minRetryDelay: 1, fetch: async () => (calls++, Response.error()) });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain('network error');
    expect(calls).toBe(2);
  });

  it('an error whose every property throws is still summarized, not thrown raw', async () => {
    const hostile = new Proxy(new Error('x'), {
      get() {
        throw new Error('no reading me');
      },
    });
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', maxRetries: 0, fetch: async () => Promise.reject(hostile) });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.cause).toMatchObject({ message: 'an error that could not be read' });
  });
});

describe('the answer of group() is server text like any other (issue 18)', () => {
  it('eventId is cleaned of escapes and control characters and redacted; extra fields are not passed through', async () => {
    const fetch = async (request: Request): Promise<Response> => {
      const key = request.headers.get('x-api-key')!;
      const body = JSON.stringify({ success: true, eventId: `evt\u001b[2J\u001b]0;X\u0007 key=${key}`, echo: key, nested: { key } });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch });
    const answer = await c.group(call);
    expect(Object.keys(answer).sort()).toEqual(['eventId', 'success']);
    expect(answer.success).toBe(true);
    expect(answer.eventId).not.toContain(KEY);
    expect(answer.eventId).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(answer.eventId).toBe('evt key=[REDACTED]');
  });
});
