/**
 * A careless caller's fetch, and a server's absurd Retry-After: `group()` always settles with a
 * `ThriveStackError` subclass whose message says what happened, never a raw TypeError; the same URL
 * written another way is not a redirect; a redirect within the API's own origin says so.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionError, RateLimitError, RedirectError, ThriveStack, ThriveStackError } from '../src/index.js';
import { sendJson, startHostileServer } from './support/hostile-server.js';

const call = { groupId: 'acct-1', userId: 'user-1' };
const ok = JSON.stringify({ success: true, eventId: 'evt_1' });

function withFetch(fetch: (request: Request) => unknown) {
  return new ThriveStack({ apiKey: 'tsk_odd_fetch_KEY', fetch: fetch as (request: Request) => Promise<Response>, maxRetries: 0, logLevel: 'off' });
}

async function outcome(client: ThriveStack): Promise<unknown> {
  return client.group(call).then(
    (result) => ({ resolved: result }),
    (error: unknown) => error,
  );
}

describe("a caller's fetch resolving with something odd", () => {
  it.each([
    ['undefined', () => undefined, /resolved with undefined instead of a Response/],
    ['null', () => null, /resolved with null instead of a Response/],
    ['{}', () => ({}), /resolved with an object instead of a Response/],
    ['a string', () => ok, /resolved with string instead of a Response/],
    ['text() giving a number', () => ({ status: 200, ok: true, headers: new Headers(), text: async () => 42 }), /text\(\) gave number, not a string/],
    ['unreadable headers', () => ({ status: 200, ok: true, headers: 42, text: async () => ok }), /Headers|header/],
  ])('%s: ConnectionError with a clear message', async (_label, make, message) => {
    const error = await outcome(withFetch(async () => make()));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(message);
  });

  it('a polyfill-like answer with plain-object headers is read like a Response', async () => {
    const result = await outcome(withFetch(async () => ({ status: 200, ok: true, headers: { 'content-type': 'application/json' }, text: async () => ok })));
    expect(result).toEqual({ resolved: { success: true, eventId: 'evt_1' } });
  });

  it('a polyfill-like 500 with Map headers is a ServerError; its Retry-After in the Map is read', async () => {
    const error = await outcome(withFetch(async () => ({ status: 429, ok: false, headers: new Map([['retry-after', '7']]), text: async () => 'slow down' })));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(7);
    const server = await outcome(withFetch(async () => ({ status: 500, ok: false, headers: new Map(), text: async () => 'err' })));
    expect((server as Error).name).toBe('ServerError');
  });

  it("a polyfill's Response class (private fields, its own Headers class) is read as it is", async () => {
    class PolyHeaders {
      readonly #map = new Map([['content-type', 'application/json']]);
      get(name: string): string | null {
        return this.#map.get(name.toLowerCase()) ?? null;
      }
      has(name: string): boolean {
        return this.#map.has(name.toLowerCase());
      }
      forEach(each: (value: string, name: string) => void): void {
        this.#map.forEach((value, name) => each(value, name));
      }
    }
    class PolyResponse {
      readonly #status: number;
      readonly #text: string;
      constructor(text: string, status: number) {
        this.#text = text;
        this.#status = status;
      }
      get status(): number {
        return this.#status;
      }
      get ok(): boolean {
        return this.#status >= 200 && this.#status < 300;
      }
      readonly headers = new PolyHeaders();
      async text(): Promise<string> {
        return this.#text;
      }
    }
    expect(await outcome(withFetch(async () => new PolyResponse(ok, 200)))).toEqual({ resolved: { success: true, eventId: 'evt_1' } });
    const error = await outcome(withFetch(async () => new PolyResponse('{"message":"down"}', 503)));
    expect((error as Error).name).toBe('ServerError');
    expect((error as Error).message).toContain('down');
  });

  it('nothing odd ever escapes as a raw TypeError', async () => {
    const makes: Array<() => unknown> = [() => 0, () => [], () => ({ status: '200' }), () => ({ status: 200, headers: null, text: 'x' }), () => Symbol('x')];
    for (const make of makes) {
      const error = await outcome(withFetch(async () => make()));
      expect(error).toBeInstanceOf(ThriveStackError);
    }
  });
});

describe("a caller's fetch whose Response.url is the request's URL written another way", () => {
  const answeringFrom = (rewrite: (url: string) => string) =>
    withFetch(async (request) => {
      const response = new Response(ok, { status: 200 });
      Object.defineProperty(response, 'url', { value: rewrite(request.url) });
      return response;
    });

  it.each([
    ['a trailing ?', (url: string) => `${url}?`],
    ['a fragment', (url: string) => `${url}#x`],
    ['percent-encoded letters', (url: string) => url.replace('/api/group', '/api/%67roup')],
  ])('%s: the same URL, the API answer is taken', async (_label, rewrite) => {
    expect(await outcome(answeringFrom(rewrite))).toEqual({ resolved: { success: true, eventId: 'evt_1' } });
  });

  it('another path on the same origin: RedirectError that says the origin is the same', async () => {
    const error = await outcome(answeringFrom((url) => url.replace('/api/group', '/elsewhere')));
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as Error).message).toMatch(/a redirect to another address on the same origin, https:\/\/api\.app\.thrivestack\.ai /);
  });
});

describe('a 429 with an absurd Retry-After', () => {
  it('says the server asked for an unreasonable wait and what the client honours, not "Wait 99999999999s"', async () => {
    const server = await startHostileServer((res) => sendJson(res, 429, { success: false, message: 'slow down' }, { 'retry-after': '99999999999' }));
    try {
      const client = new ThriveStack({ apiKey: 'tsk_odd_fetch_KEY', baseUrl: server.url, maxRetries: 0 });
      const error = (await outcome(client)) as RateLimitError;
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error.message).not.toContain('Wait 99999999999s');
      expect(error.message).toMatch(/unreasonable 99999999999s wait \(`maxRetryAfter` is 60s\): wait a while/);
      expect(error.retryAfter).toBe(99999999999);
    } finally {
      await server.stop();
    }
  });

  it('a reasonable one is quoted as it is', async () => {
    const server = await startHostileServer((res) => sendJson(res, 429, { success: false, message: 'slow down' }, { 'retry-after': '2' }));
    try {
      const error = (await outcome(new ThriveStack({ apiKey: 'tsk_odd_fetch_KEY', baseUrl: server.url, maxRetries: 0 }))) as RateLimitError;
      expect(error.message).toMatch(/Wait 2s before sending again/);
    } finally {
      await server.stop();
    }
  });
});
