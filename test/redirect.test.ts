/**
 * The key goes nowhere but `baseUrl`: redirects are never followed. A second server on another port
 * stands for another origin; it answers every request with the API's success answer, so a client
 * that followed a redirect there would resolve (and count the calls delivered). Each case checks that
 * the other origin saw nothing, that the call failed with RedirectError, and that nothing counts as
 * delivered, for `group()`, `enqueue()`, a caller's own fetch, and an https → http downgrade.
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedirectError, ThriveStack, type DebugEvent } from '../src/index.js';
import type { DeliveryFailure } from '../src/index.js';
import { sendAccepted, startHostileServer, type HostileServer } from './support/hostile-server.js';

const KEY = 'tsk_redirect_CANARY_51d0';
const call = { groupId: 'acct-1', userId: 'user-1' };
const STATUSES = [301, 302, 303, 307, 308] as const;
const TEST_CA = readFileSync(new URL('./fixtures/tls/localhost-cert.pem', import.meta.url));

let other: HostileServer; // another origin: would accept anything
let api: HostileServer; // answers every request with the redirect the path asks for
let tlsApi: HostileServer; // the same over https, redirecting to plain http
const target = (): string => `${other.url}/api/group`;

/** `/api/group?status=307` is not how the client calls; the status is chosen by a header instead. */
function redirecting(): Parameters<typeof startHostileServer>[0] {
  return (res, seen) => {
    const status = Number(seen.headers['x-test-status'] ?? 307);
    res.writeHead(status, { location: String(seen.headers['x-test-location'] ?? target()), 'content-type': 'text/plain' });
    res.end('moved');
  };
}

beforeAll(async () => {
  other = await startHostileServer((res, _seen, index) => sendAccepted(res, `evt_other_${index}`));
  api = await startHostileServer(redirecting());
  tlsApi = await startHostileServer(redirecting(), { tls: true });
});
afterAll(async () => {
  await Promise.all([other?.stop(), api?.stop(), tlsApi?.stop()]);
});

function client(baseUrl: string, status: number, extra: ConstructorParameters<typeof ThriveStack>[0] = {}, location = target()) {
  return new ThriveStack({
    apiKey: KEY,
    baseUrl,
    maxRetries: 3,
    minRetryDelay: 1,
    defaultHeaders: { 'x-test-status': String(status), 'x-test-location': location },
    ...extra,
  });
}

function expectNothingReachedTheOtherOrigin(): void {
  expect(other.seen).toEqual([]);
}

describe.each(STATUSES)('%i to another origin', (status) => {
  it('group() rejects with RedirectError after one request, and the other origin sees nothing', async () => {
    const before = api.seen.length;
    const error = await client(api.url, status).group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.status).toBe(status);
    expect(error.attempts).toBe(1); // never retried
    expect(error.location).toBe(other.url);
    expect(error.message).toContain(`redirect to ${other.url}`);
    expect(error.message).toMatch(/nothing was sent there.*not delivered.*`baseUrl`/s);
    expect(api.seen.length - before).toBe(1);
    expectNothingReachedTheOtherOrigin();
  });

  it('enqueue() reports the call to onError as failed, never delivered', async () => {
    const failures: DeliveryFailure[] = [];
    const c = client(api.url, status, { onError: (f) => failures.push(f) });
    c.enqueue(call);
    const report = await c.close({ timeout: 10_000 });
    expect(report).toMatchObject({ delivered: 0, failed: 1 });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toBeInstanceOf(RedirectError);
    expectNothingReachedTheOtherOrigin();
  });

  it("a caller's fetch is handed a Request with redirect: 'manual' and gets the same protection", async () => {
    const modes: string[] = [];
    const c = client(api.url, status, { fetch: (request) => (modes.push(request.redirect), globalThis.fetch(request)) });
    await expect(c.group(call)).rejects.toBeInstanceOf(RedirectError);
    expect(modes).toEqual(['manual']);
    expectNothingReachedTheOtherOrigin();
  });

  it('https → plain http: refused, nothing sent in clear text', async () => {
    // The test server's certificate is self-signed: trust it for these requests only (an undici Agent
    // with it as the CA, with undici's own fetch: a dispatcher does not cross undici copies on every
    // Node version), never for the process (NODE_TLS_REJECT_UNAUTHORIZED would warn and trust all).
    const dispatcher = new Agent({ connect: { ca: TEST_CA } });
    try {
      const fetch = async (request: Request): Promise<Response> => {
        const { url, method, headers, redirect, signal } = request;
        const body = await request.arrayBuffer();
        return (await undiciFetch(url, { method, headers, body, redirect, signal, dispatcher })) as unknown as Response;
      };
      const error = await client(tlsApi.url, status, { fetch }).group(call).catch((e) => e);
      expect(error, String(error?.stack)).toBeInstanceOf(RedirectError);
      expect(error.location).toBe(other.url);
      expect(error.location).toMatch(/^http:/);
      expectNothingReachedTheOtherOrigin();
      expect(tlsApi.seen.at(-1)!.headers['x-api-key']).toBe(KEY); // the https server did get the request
    } finally {
      await dispatcher.close();
    }
  });
});

describe('a redirect within the same origin, or to a relative path', () => {
  it('is refused too: only the request’s own URL counts', async () => {
    const error = await client(api.url, 308, {}, '/api/group/v2').group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.location).toBe(api.url);
  });
});

describe('a fetch that follows redirects although asked not to', () => {
  // A caller's fetch that drops `redirect: 'manual'`: the client cannot stop what that fetch sends,
  // but it never counts the answer as a delivery, and it says what happened.
  const following = async (request: Request): Promise<Response> =>
    globalThis.fetch(request.url, { method: request.method, headers: request.headers, body: await request.text(), redirect: 'follow' });

  it.each(STATUSES)('%i: the answer from elsewhere is a RedirectError, not a delivery', async (status) => {
    const lines: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (line: string) => lines.push(line) };
    const c = client(api.url, status, { fetch: following, logger });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.location).toBe(other.url);
    expect(error.message).toMatch(/followed a redirect.*may have been sent there.*not counted as delivered/s);
    expect(lines.join('\n')).toMatch(/followed a redirect/);
    expect(lines.join('\n')).not.toContain(KEY);
    other.seen.length = 0;
  });
});

describe("a browser's opaque redirect (status 0)", () => {
  it('is a RedirectError, never retried', async () => {
    let calls = 0;
    const opaque = async (): Promise<Response> => {
      calls++;
      const response = new Response(null, { status: 200 });
      Object.defineProperty(response, 'type', { value: 'opaqueredirect' });
      Object.defineProperty(response, 'status', { value: 0 });
      Object.defineProperty(response, 'ok', { value: false });
      return response;
    };
    const events: DebugEvent[] = [];
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch: opaque, maxRetries: 3, debug: (e) => events.push(e) });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.message).toContain('opaque redirect');
    expect(calls).toBe(1);
  });
});

describe('an answer from another URL, without `redirected` set (a proxying fetch)', () => {
  it('is a RedirectError, not a delivery', async () => {
    const elsewhere = async (): Promise<Response> => {
      const response = new Response('{"success":true,"eventId":"evt_elsewhere"}', { status: 200 });
      Object.defineProperty(response, 'url', { value: 'https://other.example/api/group' });
      return response;
    };
    const failures: DeliveryFailure[] = [];
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch: elsewhere, onError: (f) => failures.push(f), logLevel: 'off' });
    const error = await c.group(call).catch((e) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error.location).toBe('https://other.example');
    c.enqueue(call);
    expect(await c.close({ timeout: 5_000 })).toMatchObject({ delivered: 0, failed: 1 });
    expect(failures[0]!.error).toBeInstanceOf(RedirectError);
  });

  it('the same URL spelled differently (upper-case host) is the request’s own', async () => {
    const same = async (request: Request): Promise<Response> => {
      const response = new Response('{"success":true,"eventId":"evt_same"}', { status: 200 });
      Object.defineProperty(response, 'url', { value: request.url });
      return response;
    };
    const c = new ThriveStack({ apiKey: KEY, baseUrl: 'https://API.Example.com', fetch: same });
    await expect(c.group(call)).resolves.toEqual({ success: true, eventId: 'evt_same' });
  });
});
