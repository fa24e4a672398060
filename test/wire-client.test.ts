/**
 * `createWireClient` keeps the key on `baseUrl` too: its address is checked as `new ThriveStack()`
 * checks it, and no request follows a redirect. A second server stands for another origin and would
 * accept anything; every case checks that it saw nothing (or, for a caller's fetch that follows
 * anyway, that the call is refused rather than returned as the API's success).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, RedirectError, ThriveStack, createWireClient } from '../src/index.js';
import { SPLIT_KEY_TEXT } from '../src/safe-text.js';
import { sendAccepted, startHostileServer, type HostileServer } from './support/hostile-server.js';

const KEY = 'tsk_wire_CANARY_7e21';
const body = [{ group_id: 'g', user_id: 'u' }];

let other: HostileServer;
let api: HostileServer;

beforeAll(async () => {
  other = await startHostileServer((res, _seen, index) => sendAccepted(res, `evt_other_${index}`));
  api = await startHostileServer((res, seen) => {
    const status = Number(seen.headers['x-test-status'] ?? 307);
    // localhost: another origin than 127.0.0.1 (the platform fetch would forward x-api-key there)
    res.writeHead(status, { location: `${other.url.replace('127.0.0.1', 'localhost')}/steal` });
    res.end();
  });
});
afterAll(async () => {
  await Promise.all([other?.stop(), api?.stop()]);
});

describe('createWireClient never follows a redirect', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`platform fetch: a ${status} comes back as the API's non-ok answer, and the other origin sees nothing`, async () => {
      const before = other.seen.length;
      const wire = createWireClient({ apiKey: KEY, baseUrl: api.url, headers: { 'x-test-status': String(status) } });
      const { data, response } = await wire.POST('/api/group', { body });
      expect(response.status).toBe(status);
      expect(response.ok).toBe(false);
      expect(response.headers.get('location')).toMatch(/\/steal$/);
      expect(data).toBeUndefined();
      expect(other.seen.length).toBe(before);
    });
  }

  it("a per-call `redirect: 'follow'` cannot turn it back on", async () => {
    const before = other.seen.length;
    const wire = createWireClient({ apiKey: KEY, baseUrl: api.url });
    const { response } = await wire.POST('/api/group', { body, redirect: 'follow' } as never);
    expect(response.status).toBe(307);
    expect(other.seen.length).toBe(before);
  });

  it("a caller's fetch is handed requests with redirect: 'manual'; a 3xx it returns comes back as is", async () => {
    const modes: string[] = [];
    const wire = createWireClient({
      apiKey: KEY,
      baseUrl: api.url,
      fetch: (request) => {
        modes.push(request.redirect);
        return globalThis.fetch(request);
      },
    });
    const { response } = await wire.POST('/api/group', { body });
    expect(modes).toEqual(['manual']);
    expect(response.status).toBe(307);
  });

  it("a caller's fetch that follows anyway: RedirectError, never the other origin's success", async () => {
    const wire = createWireClient({
      apiKey: KEY,
      baseUrl: api.url,
      fetch: (request) => globalThis.fetch(new Request(request, { redirect: 'follow' })),
    });
    const error = await wire.POST('/api/group', { body }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as RedirectError).location).toMatch(/^http:\/\/localhost:\d+$/);
    expect((error as Error).message).toMatch(/followed a redirect/);
    expect(JSON.stringify(error)).not.toContain(KEY);
  });

  it("a caller's fetch answering from another origin (response.url): RedirectError, the key redacted from its origin", async () => {
    const fetch = async (): Promise<Response> => {
      const response = new Response(JSON.stringify({ success: true, eventId: 'evil' }), { status: 200 });
      Object.defineProperty(response, 'url', { value: `https://${KEY.toLowerCase()}.evil.example/api/group` });
      return response;
    };
    const wire = createWireClient({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch });
    const error = await wire.POST('/api/group', { body }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as RedirectError).location).toBe('https://[REDACTED].evil.example');
    expect(JSON.stringify(error).toLowerCase()).not.toContain(KEY.toLowerCase());
  });

  it("a RedirectError's headers are server text: escapes stripped, a key split by an invisible character not shown", async () => {
    const fetch = async (): Promise<Response> => {
      // header bytes read as latin-1: the UTF-8 bytes of U+200E (E2 80 8E) and of an ANSI escape
      const split = `${KEY.slice(0, 8)}\xe2\x80\x8e${KEY.slice(8)}`;
      const response = new Response('{}', { status: 200, headers: { 'x-note': `\x1b[2J\x1b[31m${split}`, 'x-other': '\x1b[31mred' } });
      Object.defineProperty(response, 'url', { value: 'https://elsewhere.example/api/group' });
      return response;
    };
    const wire = createWireClient({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch });
    const error = await wire.POST('/api/group', { body }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as RedirectError).headers['x-note']).toBe(SPLIT_KEY_TEXT);
    expect((error as RedirectError).headers['x-other']).toBe('red');
  });

  it("a caller's fetch answering from the request's own URL (with a trailing '?') is the API's answer", async () => {
    const fetch = async (request: Request): Promise<Response> => {
      const response = new Response(JSON.stringify({ success: true, eventId: 'own' }), { status: 200 });
      Object.defineProperty(response, 'url', { value: `${request.url}?` });
      return response;
    };
    const wire = createWireClient({ apiKey: KEY, baseUrl: 'https://api.example.com', fetch });
    const { data } = await wire.POST('/api/group', { body });
    expect(data).toEqual({ success: true, eventId: 'own' });
  });
});

describe("createWireClient checks baseUrl as new ThriveStack() does", () => {
  it.each([
    ['http://user:pw@example.com', /user name or password/],
    ['https://user:pw@api.example.com', /user name or password/],
    ['http://api.example.com', /clear text.*allowInsecureHttp/s],
    ['ftp://api.example.com', /https:\/\//],
    ['not a url', /not a URL/],
  ])('refuses %s', (baseUrl, message) => {
    expect(() => createWireClient({ apiKey: KEY, baseUrl })).toThrow(ConfigurationError);
    expect(() => createWireClient({ apiKey: KEY, baseUrl })).toThrow(message);
  });

  it('allows https, http:// to loopback, and http:// elsewhere with allowInsecureHttp', () => {
    expect(() => createWireClient({ apiKey: KEY, baseUrl: 'https://api.example.com/' })).not.toThrow();
    expect(() => createWireClient({ apiKey: KEY, baseUrl: 'http://127.0.0.1:4010' })).not.toThrow();
    expect(() => createWireClient({ apiKey: KEY, baseUrl: 'http://localhost:4010' })).not.toThrow();
    expect(() => createWireClient({ apiKey: KEY, baseUrl: 'http://proxy.internal:8080', allowInsecureHttp: true })).not.toThrow();
    expect(() => createWireClient({ apiKey: KEY })).not.toThrow();
  });
});

describe('createWireClient: per-call options and middleware cannot take the key elsewhere', () => {
  it.each([
    ['fetch', { fetch: (request: Request) => globalThis.fetch(request), redirect: 'follow' }],
    ['baseUrl', { baseUrl: 'http://other-host.example' }],
    ['Request', { Request: class extends Request {} }],
  ])('a per-call `%s` is refused before anything is sent', async (name, extra) => {
    const before = other.seen.length;
    const apiBefore = api.seen.length;
    const wire = createWireClient({ apiKey: KEY, baseUrl: api.url });
    expect(() => wire.POST('/api/group', { body, ...extra } as never)).toThrow(ConfigurationError);
    expect(() => wire.POST('/api/group', { body, ...extra } as never)).toThrow(new RegExp(`per-call \`${name}\` is refused`));
    expect(() => wire.request('post', '/api/group', { body, ...extra } as never)).toThrow(ConfigurationError);
    expect(other.seen.length).toBe(before);
    expect(api.seen.length).toBe(apiBefore);
  });

  it('a middleware that points the request at another origin is refused; one that asks to follow redirects is overruled', async () => {
    const before = other.seen.length;
    const wire = createWireClient({ apiKey: KEY, baseUrl: api.url });
    const elsewhere = { onRequest: ({ request }: { request: Request }) => new Request(`${other.url}/api/group`, request) };
    wire.use(elsewhere);
    await expect(wire.POST('/api/group', { body })).rejects.toThrow(/outside `baseUrl`/);
    wire.eject(elsewhere);
    wire.use({ onRequest: ({ request }: { request: Request }) => new Request(request, { redirect: 'follow' }) });
    const { response } = await wire.POST('/api/group', { body });
    expect(response.status).toBe(307);
    expect(other.seen.length).toBe(before);
  });
});

describe('baseUrl is compared as an address, not as text', () => {
  /** A caller's fetch that answers every request with the API's success and records where it went. */
  function answering() {
    const urls: string[] = [];
    const fetch = async (request: Request): Promise<Response> => {
      urls.push(request.url);
      return new Response(JSON.stringify({ success: true, eventId: 'evt_1' }), { status: 200 });
    };
    return { urls, fetch };
  }

  it.each([
    ['https://API.app.thrivestack.ai', 'https://api.app.thrivestack.ai'],
    ['https://api.app.thrivestack.ai:443', 'https://api.app.thrivestack.ai'],
    ['https://api.app.thrivestack.ai/./', 'https://api.app.thrivestack.ai'],
    ['https://API.app.thrivestack.ai:443/', 'https://api.app.thrivestack.ai'],
    ['https://api.app.thrivestack.ai/v1/../', 'https://api.app.thrivestack.ai'],
    ['HTTPS://Proxy.Example.COM:443/ts/./gw//', 'https://proxy.example.com/ts/gw'],
    ['http://LOCALHOST:80/a/%2e/b', 'http://localhost/a/b'],
  ])('%s: createWireClient sends to %s, and ThriveStack agrees', async (baseUrl, normal) => {
    const wire = answering();
    const { data } = await createWireClient({ apiKey: KEY, baseUrl, fetch: wire.fetch }).POST('/api/group', { body });
    expect(data).toEqual({ success: true, eventId: 'evt_1' });
    expect(wire.urls).toEqual([`${normal}/api/group`]);

    const client = answering();
    const thrivestack = new ThriveStack({ apiKey: KEY, baseUrl, fetch: client.fetch });
    expect(thrivestack.baseUrl).toBe(normal);
    await expect(thrivestack.group({ groupId: 'g', userId: 'u' })).resolves.toEqual({ success: true, eventId: 'evt_1' });
    expect(client.urls).toEqual([`${normal}/api/group`]);
  });

  it('through the platform fetch: a host written in capitals with a dot segment reaches the server', async () => {
    const before = other.seen.length;
    const baseUrl = `${other.url.replace('127.0.0.1', 'LOCALHOST')}/./`;
    const { data, response } = await createWireClient({ apiKey: KEY, baseUrl }).POST('/api/group', { body });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ success: true });
    expect(other.seen.slice(before).map((seen) => seen.path)).toEqual(['/api/group']);
  });

  it.each([
    ['another host', 'https://api.example.com.evil.example/api/api/group'],
    ['another port', 'https://api.example.com:8443/api/api/group'],
    ['another scheme', 'http://api.example.com/api/api/group'],
    ['a path beside the base path', 'https://api.example.com/apix/group'],
    ['a path out of it through a dot segment', 'https://api.example.com/api/../x/api/group'],
    ['the bare origin', 'https://api.example.com/'],
  ])('a middleware pointing the request at %s is still refused', async (_name, target) => {
    const wire = answering();
    const client = createWireClient({ apiKey: KEY, baseUrl: 'https://API.example.com:443/api/', fetch: wire.fetch, allowInsecureHttp: true });
    client.use({ onRequest: ({ request }: { request: Request }) => new Request(target, request) });
    await expect(client.POST('/api/group', { body })).rejects.toThrow(/outside `baseUrl`/);
    expect(wire.urls).toEqual([]);
  });

  it('a middleware writing the same address another way is not refused', async () => {
    const wire = answering();
    const client = createWireClient({ apiKey: KEY, baseUrl: 'https://API.example.com:443/api/', fetch: wire.fetch });
    client.use({ onRequest: ({ request }: { request: Request }) => new Request('HTTPS://api.EXAMPLE.com/api/./v2/../api/group', request) });
    const { data } = await client.POST('/api/group', { body });
    expect(data).toEqual({ success: true, eventId: 'evt_1' });
    expect(wire.urls).toEqual(['https://api.example.com/api/api/group']);
  });
});
