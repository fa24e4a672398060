/**
 * The API key never leaks: a canary key is sent through every error path, and every message, stack,
 * cause, JSON.stringify and util.inspect output, debug event and console line is searched for it.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, ThriveStack, type DebugEvent } from '../src/index.js';
import { startFaultServer, type FaultAction, type FaultServer } from './support/fault-server.js';
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
