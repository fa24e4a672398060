/**
 * The API key never leaks: a canary key is sent through every error path, and every message, stack,
 * cause, JSON.stringify and util.inspect output, debug event and console line is searched for it.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerResponse } from 'node:http';
import { APIError, ConfigurationError, ConnectionError, ThriveStack, type DebugEvent } from '../src/index.js';
import { startFaultServer, type FaultAction, type FaultServer } from './support/fault-server.js';
import { sendJson, startHostileServer, type HostileServer, type Seen } from './support/hostile-server.js';
import { freePort } from '../scripts/prism.js';

const CANARY = 'tsk_live_CANARY_7f3a9b2c1d';
let server: FaultServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Everything a thrown value exposes, through every way a user or a logger might print it. */
function exposures(value: unknown): string[] {
  const out: string[] = [];
  let current: unknown = value;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) out.push(current.message, String(current.stack));
    out.push(JSON.stringify(current) ?? '', inspect(current, { depth: Infinity, showHidden: true }), String(current));
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

function expectNoKey(texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(CANARY);
}

describe('a canary key through every error path', () => {
  const paths: Array<[string, FaultAction | 'refused' | 'abort' | 'validation' | 'wrong-key']> = [
    ['400', { type: 'status', status: 400, message: `bad request from key ${CANARY}` }],
    ['401', { type: 'status', status: 401, message: `key ${CANARY} is not valid` }],
    ['429', { type: 'status', status: 429, headers: { 'Retry-After': '0' } }],
    ['500 echoing the key', { type: 'echo-key' }],
    ['timeout', { type: 'hang' }],
    ['connection reset', { type: 'reset' }],
    ['malformed 200', { type: 'malformed' }],
    ['connection refused', 'refused'],
    ['abort', 'abort'],
    ['validation', 'validation'],
    ['wrong key', 'wrong-key'],
  ];

  it.each(paths)('%s', async (_name, action) => {
    const events: DebugEvent[] = [];
    const logged: unknown[] = [];
    const spies = (['log', 'warn', 'error', 'info', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(...args)),
    );
    try {
      server = await startFaultServer({ apiKey: action === 'wrong-key' ? 'another-key' : CANARY, plan: () => (typeof action === 'object' ? action : { type: 'ok' }) });
      const baseUrl = action === 'refused' ? `http://127.0.0.1:${await freePort()}` : server.url;
      const client = new ThriveStack({ apiKey: CANARY, baseUrl, timeout: 100, maxRetries: 1, minRetryDelay: 1, maxRetryAfter: 1, debug: (e) => events.push(e) });
      const input = action === 'validation' ? { groupId: CANARY, userId: 5 as never } : { groupId: 'g', userId: 'u' };
      const error = await client.group(input, action === 'abort' ? { signal: AbortSignal.abort() } : {}).catch((e) => e);
      expect(error).toBeInstanceOf(Error);

      // the queue's path: onError and the close() report
      const failures: unknown[] = [];
      const queued = new ThriveStack({ apiKey: CANARY, baseUrl, timeout: 100, maxRetries: 0, onError: (f) => failures.push(f) });
      if (action !== 'validation') queued.enqueue({ groupId: 'g', userId: 'u' });
      const report = await queued.close({ timeout: 2_000 });

      expectNoKey([
        ...exposures(error),
        ...failures.flatMap(exposures),
        ...exposures(report),
        ...events.map((e) => JSON.stringify(e)),
        ...logged.map((l) => inspect(l, { depth: Infinity })),
        inspect(client, { depth: Infinity, showHidden: true }),
        JSON.stringify(client),
        String(client),
      ]);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
  });

  it('the debug hook shows x-api-key redacted', async () => {
    server = await startFaultServer({ apiKey: CANARY });
    const events: DebugEvent[] = [];
    await new ThriveStack({ apiKey: CANARY, baseUrl: server.url, debug: (e) => events.push(e) }).group({ groupId: 'g', userId: 'u' });
    const request = events.find((e) => e.type === 'request') as Extract<DebugEvent, { type: 'request' }>;
    expect(request.headers['x-api-key']).toBe('[REDACTED]');
    expect(request.body).toBe('[{"group_id":"g","user_id":"u"}]');
  });

  it('a configuration error holds no key', () => {
    const error = (() => {
      try {
        new ThriveStack({ apiKey: CANARY, baseUrl: `http://${CANARY}.example.com` });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    // the host is the user's own text; the key itself is never added to it
    expect((error as Error).message).toContain('plain http://');
  });
});

describe('HTTPS', () => {
  it('refuses plain http:// for a non-loopback host', () => {
    expect(() => new ThriveStack({ apiKey: 'k', baseUrl: 'http://api.example.com' })).toThrow(/clear text.*allowInsecureHttp/s);
  });
  it('allows it with allowInsecureHttp: true', () => {
    expect(new ThriveStack({ apiKey: 'k', baseUrl: 'http://proxy.internal:8080', allowInsecureHttp: true }).baseUrl).toBe('http://proxy.internal:8080');
  });
  it.each(['http://localhost:4010', 'http://127.0.0.1:4010', 'http://[::1]:4010'])('allows loopback %s', (baseUrl) => {
    expect(new ThriveStack({ apiKey: 'k', baseUrl }).baseUrl).toBe(baseUrl);
  });
  it('defaults to the HTTPS API address', () => {
    expect(new ThriveStack({ apiKey: 'k' }).baseUrl).toBe('https://api.app.thrivestack.ai');
  });
  it('refuses other schemes and non-URLs', () => {
    expect(() => new ThriveStack({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(ConfigurationError);
    expect(() => new ThriveStack({ apiKey: 'k', baseUrl: 'not a url' })).toThrow(/not a URL/);
  });
});

describe('the API key option', () => {
  afterEach(() => vi.unstubAllEnvs());
  it('a missing key is a clear error at construction', () => {
    vi.stubEnv('THRIVESTACK_API_KEY', '');
    expect(() => new ThriveStack()).toThrow(ConfigurationError);
    expect(() => new ThriveStack()).toThrow(/pass `apiKey`.*THRIVESTACK_API_KEY/s);
  });
  it('falls back to THRIVESTACK_API_KEY', async () => {
    vi.stubEnv('THRIVESTACK_API_KEY', 'from-env');
    let seen: string | null = null;
    const client = new ThriveStack({
      baseUrl: 'http://127.0.0.1:9',
      fetch: async (r) => ((seen = r.headers.get('x-api-key')), new Response('{"success":true,"eventId":"e"}')),
    });
    await client.group({ groupId: 'g', userId: 'u' });
    expect(seen).toBe('from-env');
  });
  it('cannot be overridden through defaultHeaders', () => {
    expect(() => new ThriveStack({ apiKey: 'k', defaultHeaders: { 'X-API-Key': 'other' } })).toThrow(/not in `defaultHeaders`/);
  });
});

describe('a canary key with trailing whitespace, reflected in bodies and headers', () => {
  // A key read from a secrets file keeps its newline; fetch sends it trimmed, and a hostile server
  // reflects what it received in the body and in every header it can. Both forms must stay hidden.
  const KEYS = [`${CANARY}\n`, `${CANARY} `, `\t${CANARY}\r\n`];
  const ANSWERS: Array<[string, number, 'json' | 'text-across-cut']> = [
    ['400', 400, 'json'],
    ['401', 401, 'json'],
    ['429', 429, 'json'],
    ['500', 500, 'json'],
    ['500, plain text with the key across the 300-character cut', 500, 'text-across-cut'],
  ];
  let hostile: HostileServer | undefined;
  afterEach(async () => {
    await hostile?.stop();
    hostile = undefined;
  });

  function reflecting(status: number, shape: 'json' | 'text-across-cut') {
    return (res: ServerResponse, seen: Seen): void => {
      const key = String(seen.headers['x-api-key']);
      const headers = {
        'x-echo-key': key,
        'x-request-id': `req-${key}`,
        'www-authenticate': `ApiKey key="${key}"`,
        'set-cookie': `session=${key}`,
        'retry-after': '0',
      };
      if (shape === 'json') return sendJson(res, status, { success: false, message: `refused key ${key} (${status})`, error: key }, headers);
      res.writeHead(status, { ...headers, 'content-type': 'text/plain' });
      res.end(`${'x'.repeat(295)}${key} and more text after it`);
    };
  }

  it.each(KEYS.flatMap((key) => ANSWERS.map(([name, status, shape]) => [JSON.stringify(key), name, key, status, shape] as const)))(
    'key %s, answer %s',
    async (_keyName, _answer, key, status, shape) => {
      hostile = await startHostileServer(reflecting(status, shape));
      const events: DebugEvent[] = [];
      const lines: string[] = [];
      const logger = { debug: (l: string) => lines.push(l), info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
      const logged: unknown[] = [];
      const spies = (['log', 'warn', 'error', 'info', 'debug'] as const).map((m) =>
        vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(...args)),
      );
      try {
        const options = { apiKey: key, baseUrl: hostile.url, maxRetries: 1, minRetryDelay: 1, maxRetryAfter: 1 };
        const client = new ThriveStack({ ...options, debug: (e) => events.push(e), logLevel: 'debug', logger });
        const error = await client.group({ groupId: 'g', userId: 'u' }).catch((e) => e);
        expect(error).toBeInstanceOf(APIError);
        expect(hostile.seen[0]!.headers['x-api-key']).toBe(CANARY); // the server did get (and reflect) the key

        const failures: unknown[] = [];
        const queued = new ThriveStack({ ...options, maxRetries: 0, onError: (f) => failures.push(f) });
        queued.enqueue({ groupId: 'g', userId: 'u' });
        const report = await queued.close({ timeout: 5_000 });
        const quiet = new ThriveStack({ ...options, maxRetries: 0 }); // no onError: the console line
        quiet.enqueue({ groupId: 'g', userId: 'u' });
        const quietReport = await quiet.close({ timeout: 5_000 });

        expect(failures).toHaveLength(1);
        expect(events.some((e) => e.type === 'response')).toBe(true);
        expect(lines.length).toBeGreaterThan(0);
        expectNoKey([
          ...exposures(error),
          ...failures.flatMap(exposures),
          ...exposures(report),
          ...exposures(quietReport),
          JSON.stringify(report),
          ...events.map((e) => JSON.stringify(e)),
          ...lines,
          ...logged.map((l) => (typeof l === 'string' ? l : inspect(l, { depth: Infinity }))),
        ]);
      } finally {
        spies.forEach((s) => s.mockRestore());
      }
    },
  );
});

describe("a custom fetch whose error carries the request (ky, undici, axios style)", () => {
  it('keeps a redacted summary as cause, never the error or the request', async () => {
    const fetch = async (request: Request): Promise<Response> => {
      const error = Object.assign(new TypeError(`request with key ${request.headers.get('x-api-key')} failed`), {
        code: 'ECONNRESET',
        request,
        config: { headers: { 'x-api-key': request.headers.get('x-api-key') } },
        cause: Object.assign(new Error(`socket closed (${request.headers.get('x-api-key')})`), { code: 'UND_ERR_SOCKET' }),
      });
      throw error;
    };
    const client = new ThriveStack({ apiKey: `${CANARY}\n`, baseUrl: 'https://api.example.com', fetch, maxRetries: 0 });
    const error = await client.group({ groupId: 'g', userId: 'u' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.cause).toMatchObject({ name: 'TypeError', code: 'ECONNRESET', cause: { code: 'UND_ERR_SOCKET' } });
    expect(error.cause).not.toHaveProperty('request');
    expect(error.cause).not.toHaveProperty('config');
    expect(error.message).toContain('[REDACTED]');
    expectNoKey(exposures(error));
    expect(JSON.parse(JSON.stringify(error)).cause.message).toContain('[REDACTED]');
  });
});

describe('a careless caller who puts the key into a call (issue 18)', () => {
  const long = `${CANARY}_${'z'.repeat(40)}`; // longer than the 40 characters a message quotes
  const client = (key: string): ThriveStack => new ThriveStack({ apiKey: key, baseUrl: 'http://127.0.0.1:9', fetch: async () => new Response('{"success":true,"eventId":"e"}') });
  const cases = (key: string): Array<[string, unknown]> => [
    ['timestamp', { groupId: 'g', userId: 'u', timestamp: key }],
    ['context.source', { groupId: 'g', userId: 'u', context: { source: key } }],
    ['traits.employees', { groupId: 'g', userId: 'u', traits: { employees: key } }],
    ['a trait name', { groupId: 'g', userId: 'u', traits: { [key]: 1, Plan: 'a', plan: 'b' } }],
    ['a field name', { groupId: 'g', userId: 'u', [key]: 1 }],
    ['the call itself', key],
    ['traits.created_at', { groupId: 'g', userId: 'u', traits: { created_at: key } }],
  ];

  it.each([
    ['a key', CANARY],
    ['a key longer than what messages quote', long],
  ])('%s in a field, a name or in place of the call never comes back in the ValidationError', async (_, key) => {
    const c = client(key);
    for (const [where, call] of cases(key)) {
      const fromGroup = await c.group(call as never).catch((e) => e);
      let fromEnqueue: unknown;
      try {
        c.enqueue(call as never);
      } catch (error) {
        fromEnqueue = error;
      }
      for (const error of [fromGroup, fromEnqueue]) {
        expect(error, where).toBeInstanceOf(Error);
        for (const text of exposures(error)) expect(text, where).not.toContain(key.slice(0, 20));
      }
    }
    await c.close({ timeout: 100 });
  });
});
