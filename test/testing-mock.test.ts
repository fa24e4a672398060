/**
 * `thrivestack-group/testing`: every verdict of the mock (200, 400, 401, 404, 405), every scripted
 * fault (status, times, retryAfter, delay, 'reset', headers, message), the records it keeps, and both
 * ways of calling its fetch (`fetch(request)` by ThriveStack, `fetch(url, init)` by plain code and
 * openapi-fetch). The mock's words are the document's own examples.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  MAX_CALLS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  RateLimitError,
  RequestAbortedError,
  ServerError,
  ThriveStack,
  TimeoutError,
  createWireClient,
} from '../src/index.js';
import { createMockApi, type MockApi } from '../src/testing/index.js';
import { INVALID_KEY, RATE_LIMITED, SERVER_ERROR } from '../src/testing/messages.js';
import { MAX_LISTED_PROBLEMS } from '../src/testing/problems.js';
import { referenceCall, referenceWireBody } from './support/reference.js';

const spec = parse(readFileSync(new URL('../openapi/openapi.yaml', import.meta.url), 'utf8'));
const examples = (status: string) => spec.paths['/api/group'].post.responses[status].content['application/json'].examples;
const URL_ = 'https://api.app.thrivestack.ai/api/group';
const KEY = 'test-key-for-the-mock';

const clients: ThriveStack[] = [];
function clientOf(api: MockApi, options: ConstructorParameters<typeof ThriveStack>[0] = {}): ThriveStack {
  const client = new ThriveStack({ apiKey: KEY, fetch: api.fetch, minRetryDelay: 1, maxRetryDelay: 2, logLevel: 'off', ...options });
  clients.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close({ timeout: 1_000 })));
});

/** A POST through the mock's fetch(url, init), as plain code sends it. */
function post(api: MockApi, body: string, headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': KEY }, url = URL_) {
  return api.fetch(url, { method: 'POST', headers, body });
}
const json = async (response: Response) => ({ status: response.status, body: await response.json() });

describe('answers as the document says', () => {
  it('200 { success: true, eventId } with distinct ids; the calls are recorded in wire form, in order', async () => {
    const api = createMockApi();
    const client = clientOf(api);
    const first = await client.group(referenceCall);
    const second = await client.group([{ groupId: 'g2', userId: 'u2', context: { deviceId: 'd' } }, { groupId: 'g3', userId: 'u3' }]);
    expect(first).toEqual({ success: true, eventId: expect.stringMatching(/^evt_/) });
    expect(second.eventId).not.toBe(first.eventId);
    expect(api.calls).toEqual([
      ...referenceWireBody,
      { group_id: 'g2', user_id: 'u2', context: { device_id: 'd' } },
      { group_id: 'g3', user_id: 'u3' },
    ]);
    expect(api.requests.map((r) => [r.method, r.url, r.status, r.outcome, r.scripted])).toEqual([
      ['POST', URL_, 200, 'answered', false],
      ['POST', URL_, 200, 'answered', false],
    ]);
    expect(api.requests[0]!.response).toEqual(first);
    expect(api.requests[0]!.body).toEqual(referenceWireBody);
    expect(JSON.parse(api.requests[0]!.rawBody)).toEqual(referenceWireBody);
  });

  it('keeps the key out of its records: x-api-key shows as [REDACTED]', async () => {
    const api = createMockApi();
    await clientOf(api).group({ groupId: 'g', userId: 'u' });
    const [request] = api.requests;
    expect(request!.headers['x-api-key']).toBe('[REDACTED]');
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.stringify(api.requests)).not.toContain(KEY);
  });

  it('401 with the document example without x-api-key, with an empty key, and with a key other than `apiKey`', async () => {
    expect(INVALID_KEY).toBe(examples('401').invalidKey.value.message);
    const api = createMockApi();
    const body = JSON.stringify([{ group_id: 'g', user_id: 'u' }]);
    expect(await json(await post(api, body, { 'content-type': 'application/json' }))).toEqual({ status: 401, body: examples('401').invalidKey.value });
    expect(await json(await post(api, body, { 'content-type': 'application/json', 'x-api-key': '' }))).toEqual({ status: 401, body: examples('401').invalidKey.value });
    // the key is checked before the body, as the API (and Prism) do
    expect((await post(api, '[{}]', { 'content-type': 'application/json' })).status).toBe(401);
    expect(api.calls).toEqual([]);

    const strict = createMockApi({ apiKey: 'the-right-key' });
    const error = await clientOf(strict, { apiKey: 'a-wrong-key' }).group({ groupId: 'g', userId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).serverMessage).toBe(INVALID_KEY);
    expect(strict.requests).toHaveLength(1); // 401 is never retried
    await expect(clientOf(strict, { apiKey: 'the-right-key' }).group({ groupId: 'g', userId: 'u' })).resolves.toMatchObject({ success: true });
  });

  it("400 naming the problems for a body the generated validator refuses, in the document example's words", async () => {
    const api = createMockApi();
    const wire = createWireClient({ apiKey: KEY, fetch: api.fetch });
    const missing = await wire.POST('/api/group', { body: [{ group_id: 'ac8db7ba' }] as never });
    expect(missing.response.status).toBe(400);
    expect(missing.error).toEqual(examples('400').missingField.value); // "Invalid request: [0].user_id is required"

    const cases: Array<[unknown, string[]]> = [
      [[{ group_id: '', user_id: 'u' }], ['[0].group_id must not be empty']],
      [[{ group_id: 'g', user_id: 7 }], ['[0].user_id must be a string']],
      [[{ group_id: 'g', user_id: 'u', traits: { employees: 'many' } }], ['[0].traits.employees must be a number']],
      [[{ group_id: 'g', user_id: 'u', traits: { created_at: 'yesterday' } }], ['[0].traits.created_at must be an ISO 8601 date-time such as "2024-01-15T10:30:00Z" or an ISO 8601 date such as "2023-06-01"']],
      [[{ group_id: 'g', user_id: 'u', context: { source: 'web' } }], ['[0].context.source must be one of "product", "marketing"']],
      [[{ group_id: 'g', user_id: 'u', timestamp: '2024-01-15 10:30' }], ['[0].timestamp must be an ISO 8601 date-time such as "2024-01-15T10:30:00Z"']],
      [[{ group_id: 'g', user_id: 'u' }, { user_id: 'u' }], ['[1].group_id is required']],
      [[], ['the body must hold at least 1 group call']],
      [{ group_id: 'g', user_id: 'u' }, ['the body must be an array']],
      [[null], ['[0] must be an object']],
    ];
    for (const [body, problems] of cases) {
      const { response, error } = await wire.POST('/api/group', { body: body as never });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(error, JSON.stringify(body)).toEqual({ success: false, message: `Invalid request: ${problems.join('; ')}` });
    }
    expect(api.calls).toEqual([]);
    expect(api.requests.every((r) => r.status === 400 && !r.scripted)).toBe(true);
  });

  it('400 lists every problem of a body, the first ten by name and the rest counted', async () => {
    const api = createMockApi();
    const body = Array.from({ length: 12 }, () => ({ group_id: 'g' }));
    const { body: answer } = await json(await post(api, JSON.stringify(body)));
    const listed = Array.from({ length: MAX_LISTED_PROBLEMS }, (_, i) => `[${i}].user_id is required`);
    expect(answer).toEqual({ success: false, message: `Invalid request: ${listed.join('; ')}; and 2 more problems` });
  });

  it('400 for a body that is not JSON: invalid, empty, not UTF-8, or sent without content-type: application/json', async () => {
    const api = createMockApi();
    const bad = await json(await post(api, '[{"group_id": "g",'));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^Invalid request: the body is not valid JSON \(/);
    expect(await json(await post(api, ''))).toEqual({ status: 400, body: { success: false, message: 'Invalid request: the body is not valid JSON (it is empty)' } });
    const latin1 = await api.fetch(URL_, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: new Uint8Array([0x5b, 0xff, 0x5d]) });
    expect((await json(latin1)).body.message).toMatch(/not valid JSON/);
    // fetch sends a string body as text/plain unless told otherwise; the API (and Prism) refuse it
    const plain = await json(await post(api, JSON.stringify([{ group_id: 'g', user_id: 'u' }]), { 'x-api-key': KEY }));
    expect(plain).toEqual({
      status: 400,
      body: { success: false, message: 'Invalid request: the body must be sent as JSON (content-type: application/json or application/<name>+json), got content-type "text/plain;charset=UTF-8"' },
    });
    // parameters and case of the media type do not matter
    expect((await post(api, JSON.stringify([{ group_id: 'g', user_id: 'u' }]), { 'content-type': 'Application/JSON; charset=utf-8', 'x-api-key': KEY })).status).toBe(200);
    expect(api.calls).toHaveLength(1);
  });

  it(`400 over the documented limits: more than ${MAX_CALLS_PER_REQUEST} calls, more than ${MAX_REQUEST_BYTES} bytes`, async () => {
    const api = createMockApi();
    const many = Array.from({ length: MAX_CALLS_PER_REQUEST + 1 }, (_, i) => ({ group_id: `g${i}`, user_id: 'u' }));
    expect(await json(await post(api, JSON.stringify(many)))).toEqual({
      status: 400,
      body: { success: false, message: `Invalid request: the body holds ${MAX_CALLS_PER_REQUEST + 1} group calls; one request holds at most ${MAX_CALLS_PER_REQUEST}` },
    });
    expect((await post(api, JSON.stringify(many.slice(0, MAX_CALLS_PER_REQUEST)))).status).toBe(200);

    const call = (bytes: number) => ({ group_id: 'g', user_id: 'u', traits: { notes: 'x'.repeat(bytes) } });
    const overhead = JSON.stringify([call(0)]).length;
    const atLimit = JSON.stringify([call(MAX_REQUEST_BYTES - overhead)]);
    expect(atLimit.length).toBe(MAX_REQUEST_BYTES);
    expect((await post(api, atLimit)).status).toBe(200);
    // bytes, not characters: one more two-byte character tips it over
    const over = JSON.stringify([call(MAX_REQUEST_BYTES - overhead)]).replace('"notes":"x', '"notes":"é');
    expect(over.length).toBe(MAX_REQUEST_BYTES);
    expect(await json(await post(api, over))).toEqual({
      status: 400,
      body: { success: false, message: `Invalid request: the body holds ${MAX_REQUEST_BYTES + 1} bytes of JSON; one request holds at most ${MAX_REQUEST_BYTES}` },
    });
    expect(api.calls).toHaveLength(MAX_CALLS_PER_REQUEST + 1);
  });

  it('accepts what the document allows beyond the reserved fields: custom traits and context keys of any JSON type, two casings of a trait', async () => {
    const api = createMockApi();
    const body = [{ group_id: 'g', user_id: 'u', traits: { seats: 12, tags: ['a'], Plan: 'pro', plan: 'pro', __proto__: 1 }, context: { page: { path: '/' }, group_id: 'g' } }];
    const text = JSON.stringify(body).replace('"Plan"', '"__proto__":{"polluted":true},"Plan"');
    expect((await post(api, text)).status).toBe(200);
    expect(api.calls[0]!.traits).toHaveProperty('__proto__', { polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('404 for another path, 405 (Allow: POST) for another method; a query string is ignored', async () => {
    const api = createMockApi();
    const body = JSON.stringify([{ group_id: 'g', user_id: 'u' }]);
    for (const url of ['https://api.app.thrivestack.ai/api/identify', `${URL_}/`, 'https://api.app.thrivestack.ai/']) {
      const answer = await post(api, body, undefined, url);
      expect(answer.status, url).toBe(404);
      expect((await answer.json()).message).toMatch(/^No route for POST \/.*: the Group API is POST \/api\/group$/);
    }
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await api.fetch(URL_, { method, headers: { 'x-api-key': KEY }, ...(method === 'GET' ? {} : { body }) });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
      expect(await answer.json()).toEqual({ success: false, message: `Method ${method} is not allowed on /api/group: use POST` });
    }
    expect((await post(api, body, undefined, `${URL_}?debug=1`)).status).toBe(200);
    expect(api.calls).toHaveLength(1);
  });

  it('with `baseUrl`, answers only there: another origin or a path outside it is 404', async () => {
    const api = createMockApi({ baseUrl: 'https://proxy.example.com/thrivestack/' });
    const client = clientOf(api, { baseUrl: 'https://proxy.example.com/thrivestack' });
    await expect(client.group({ groupId: 'g', userId: 'u' })).resolves.toMatchObject({ success: true });
    const body = JSON.stringify([{ group_id: 'g', user_id: 'u' }]);
    expect((await post(api, body)).status).toBe(404);
    expect((await post(api, body, undefined, 'https://other.example.com/thrivestack/api/group')).status).toBe(404);
    expect(api.calls).toHaveLength(1);
    expect(() => createMockApi({ baseUrl: '/relative' })).toThrow(TypeError);
    expect(() => createMockApi({ apiKey: '' })).toThrow(/apiKey must be a non-empty string/);
  });
});

describe('its fetch', () => {
  it('takes fetch(request) and fetch(url, init), with a string or URL', async () => {
    const api = createMockApi();
    const init = { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: JSON.stringify([{ group_id: 'g', user_id: 'u' }]) };
    expect((await api.fetch(new Request(URL_, init))).status).toBe(200);
    expect((await api.fetch(URL_, init)).status).toBe(200);
    expect((await api.fetch(new URL(URL_), init)).status).toBe(200);
    expect(api.calls).toHaveLength(3);
  });

  it('rejects as fetch does: a relative URL with a TypeError, an aborted signal with its reason', async () => {
    const api = createMockApi();
    await expect(api.fetch('/api/group', { method: 'POST' })).rejects.toThrow(TypeError);
    const reason = new Error('stop');
    await expect(api.fetch(URL_, { method: 'POST', signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(api.requests).toEqual([]);
  });

  it('works with createWireClient (openapi-fetch): data on 200, error on 400 and 401', async () => {
    const api = createMockApi();
    const wire = createWireClient({ apiKey: KEY, fetch: api.fetch });
    const ok = await wire.POST('/api/group', { body: referenceWireBody });
    expect(ok.response.status).toBe(200);
    expect(ok.data).toEqual({ success: true, eventId: expect.stringMatching(/^evt_/) });
    const unauthorized = await createWireClient({ apiKey: '', fetch: api.fetch }).POST('/api/group', { body: referenceWireBody });
    expect(unauthorized.error).toEqual({ success: false, message: INVALID_KEY });
    expect(api.calls).toEqual(referenceWireBody);
  });
});

describe('records', () => {
  it('calls and requests are frozen snapshots: they cannot be changed, and later requests do not change them', async () => {
    const api = createMockApi();
    const client = clientOf(api);
    await client.group({ groupId: 'g1', userId: 'u1', traits: { plan: 'free' } });
    const calls = api.calls;
    const requests = api.requests;
    expect(() => (calls as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (calls[0]!.traits as Record<string, unknown>).plan = 'enterprise';
    }).toThrow(TypeError);
    expect(() => {
      (requests[0] as { status: number }).status = 500;
    }).toThrow(TypeError);
    await client.group({ groupId: 'g2', userId: 'u2' });
    expect(calls).toHaveLength(1);
    expect(api.calls).toHaveLength(2);
    expect(api.calls[0]).toEqual({ group_id: 'g1', user_id: 'u1', traits: { plan: 'free' } });
  });

  it('waitForCalls resolves once the queue delivered that many calls, and rejects with a count after its timeout', async () => {
    const api = createMockApi();
    const client = clientOf(api, { flushAt: 2, flushInterval: 60_000 });
    const waiting = api.waitForCalls(4);
    for (let i = 0; i < 4; i++) client.enqueue({ groupId: `g${i}`, userId: 'u' });
    const calls = await waiting;
    expect(calls.map((c) => c.group_id)).toEqual(['g0', 'g1', 'g2', 'g3']);
    expect(api.requests).toHaveLength(2);
    await expect(api.waitForCalls(3)).resolves.toHaveLength(4); // already there
    await expect(api.waitForCalls(5, { timeout: 20 })).rejects.toThrow(/^waitForCalls\(5\): only 4 calls accepted within 20 ms \(2 requests received\)\. .* call flush\(\)/);
    await expect(api.waitForCalls(-1)).rejects.toThrow(TypeError);
  });

  it('reset() forgets calls, requests and pending faults', async () => {
    const api = createMockApi();
    const client = clientOf(api, { maxRetries: 0 });
    const before = await client.group({ groupId: 'g', userId: 'u' });
    api.failNext(500, { times: Infinity });
    expect(api.pendingFaults).toBe(Infinity);
    api.reset();
    expect(api.calls).toEqual([]);
    expect(api.requests).toEqual([]);
    expect(api.pendingFaults).toBe(0);
    const after = await client.group({ groupId: 'g', userId: 'u' });
    expect(after.eventId).not.toBe(before.eventId); // ids stay distinct across a reset
    expect(api.calls).toHaveLength(1);
  });
});

describe('scripted faults', () => {
  it('429 with Retry-After: 0 and the example message; the client retries and the call arrives once', async () => {
    expect(RATE_LIMITED).toBe(examples('429').rateLimited.value.message);
    const api = createMockApi();
    const client = clientOf(api);
    expect(api.failNext(429, { retryAfter: 0 })).toBe(api);
    await expect(client.group({ groupId: 'g', userId: 'u' })).resolves.toMatchObject({ success: true });
    expect(api.requests.map((r) => [r.status, r.scripted])).toEqual([[429, true], [200, false]]);
    expect(api.requests[0]!.response).toEqual(examples('429').rateLimited.value);
    expect(api.calls).toEqual([{ group_id: 'g', user_id: 'u' }]);

    const answer = await api.failNext(429, { retryAfter: 30 }).fetch(URL_, { method: 'POST' });
    expect(answer.headers.get('retry-after')).toBe('30');
    expect(await answer.json()).toEqual(examples('429').rateLimited.value);
    const date = new Date(Date.now() + 5_000).toUTCString();
    expect((await api.failNext(503, { retryAfter: date }).fetch(URL_, { method: 'POST' })).headers.get('retry-after')).toBe(date);
  });

  it('`times` fails that many requests in a row; faults queue up in order and chain', async () => {
    expect(SERVER_ERROR).toBe(examples('500').serverError.value.message);
    const api = createMockApi();
    api.failNext(500, { times: 2 }).failNext(503).failNext(429, { retryAfter: 0 });
    expect(api.pendingFaults).toBe(4);
    const error = await clientOf(api, { maxRetries: 2 }).group({ groupId: 'g', userId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(503);
    expect((error as ServerError).attempts).toBe(3);
    expect(api.requests.map((r) => r.status)).toEqual([500, 500, 503]);
    expect(api.pendingFaults).toBe(1);
    const limited = await clientOf(api, { maxRetries: 0 }).group({ groupId: 'g', userId: 'u' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfter).toBe(0);
    expect(api.calls).toEqual([]); // a scripted answer records no calls
    await expect(clientOf(api).group({ groupId: 'g', userId: 'u' })).resolves.toMatchObject({ success: true });
  });

  it('a scripted 400 or 401 is the typed error, never retried; `message` and `headers` are sent as given', async () => {
    const api = createMockApi();
    api.failNext(400, { message: 'Invalid request: the rules changed', headers: { 'x-request-id': 'req_42' } });
    const error = await clientOf(api).group({ groupId: 'g', userId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).serverMessage).toBe('Invalid request: the rules changed');
    expect((error as BadRequestError).headers['x-request-id']).toBe('req_42');
    api.failNext(401);
    await expect(clientOf(api).group({ groupId: 'g', userId: 'u' })).rejects.toBeInstanceOf(AuthenticationError);
    expect(api.requests.map((r) => r.status)).toEqual([400, 401]);
  });

  it("'reset' rejects the fetch with undici's TypeError (cause ECONNRESET); the client reports a ConnectionError, then retries", async () => {
    const api = createMockApi();
    api.failNext('reset');
    const thrown = await api.fetch(URL_, { method: 'POST' }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNRESET', message: 'read ECONNRESET' } });
    expect(api.requests.map((r) => [r.status, r.outcome])).toEqual([[0, 'reset']]);

    api.failNext('reset', { times: 2 });
    const error = await clientOf(api, { maxRetries: 1 }).group({ groupId: 'g', userId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/ECONNRESET/);
    api.failNext('reset');
    await expect(clientOf(api, { maxRetries: 1 }).group({ groupId: 'g', userId: 'u' })).resolves.toMatchObject({ success: true });
    expect(api.calls).toHaveLength(1);
  });

  it('`delay` answers after the wait; `delay: Infinity` hangs until the client times out, then the retry succeeds', async () => {
    const api = createMockApi();
    api.failNext(503, { delay: 5 });
    expect((await api.fetch(URL_, { method: 'POST' })).status).toBe(503);

    api.failNext(503, { delay: Infinity });
    const result = await clientOf(api, { timeout: 50 }).group({ groupId: 'g', userId: 'u' });
    expect(result.success).toBe(true);
    expect(api.requests.slice(1).map((r) => [r.status, r.outcome])).toEqual([[0, 'aborted'], [200, 'answered']]);

    api.failNext(500, { delay: Infinity, times: 2 });
    const error = await clientOf(api, { timeout: 20, maxRetries: 1 }).group({ groupId: 'g', userId: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it("a delayed answer honours the caller's AbortSignal: the fetch rejects with its reason", async () => {
    const api = createMockApi();
    api.failNext(429, { delay: Infinity });
    const controller = new AbortController();
    const pending = clientOf(api).group({ groupId: 'g', userId: 'u' }, { signal: controller.signal });
    await waitFor(() => api.pendingFaults === 0);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(RequestAbortedError);
    // the client gives up at once; the mock records the request when its fetch settles, just after
    await waitFor(() => api.requests.length === 1);
    expect(api.requests.map((r) => [r.status, r.outcome, r.scripted])).toEqual([[0, 'aborted', true]]);

    api.failNext('reset', { delay: Infinity });
    const reason = new DOMException('gave up', 'AbortError');
    const direct = new AbortController();
    const fetched = api.fetch(URL_, { method: 'POST', signal: direct.signal });
    await waitFor(() => api.pendingFaults === 0);
    direct.abort(reason);
    await expect(fetched).rejects.toBe(reason);
  });

  it('reset() drops a request still waiting on a delay (its fetch rejects) and does not record it', async () => {
    const api = createMockApi();
    api.failNext(503, { delay: Infinity });
    const hanging = api.fetch(URL_, { method: 'POST' });
    await waitFor(() => api.pendingFaults === 0);
    api.reset();
    await expect(hanging).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(api.requests).toEqual([]);
  });

  it('an abort or a reset() right after the fetch began (while its body is read) still ends the request, never leaves it hanging', async () => {
    const api = createMockApi();
    const body = JSON.stringify([{ group_id: 'g', user_id: 'u' }]);
    api.failNext(503, { delay: Infinity });
    const controller = new AbortController();
    const aborted = api.fetch(URL_, { method: 'POST', body, signal: controller.signal });
    controller.abort(new Error('right away'));
    await expect(aborted).rejects.toThrow('right away');
    await waitFor(() => api.requests.length === 1);
    expect(api.requests[0]!.outcome).toBe('aborted');

    api.failNext(503, { delay: Infinity });
    const dropped = api.fetch(URL_, { method: 'POST', body });
    api.reset();
    await expect(dropped).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNRESET' } });
    expect(api.requests).toEqual([]);
  });

  it('refuses a bad script at once with a TypeError that says what is wrong', () => {
    const api = createMockApi();
    const bad: Array<[unknown, unknown, RegExp]> = [
      [200, undefined, /error status \(an integer from 400 to 599\) or 'reset', got 200/],
      [600, undefined, /got 600/],
      [429.5, undefined, /got 429\.5/],
      ['timeout', undefined, /got timeout/],
      [429, { times: 0 }, /times must be a whole number of at least 1/],
      [429, { times: 1.5 }, /times must be/],
      [429, { delay: -1 }, /delay must be a number of milliseconds/],
      [429, { delay: Number.NaN }, /delay must be/],
      [429, { delay: 2 ** 31 }, /use Infinity to never answer/],
      [429, { retryAfter: -1 }, /retryAfter must be seconds/],
      [429, { retryAfter: Number.POSITIVE_INFINITY }, /retryAfter must be seconds/],
      ['reset', { retryAfter: 1 }, /a 'reset' sends no headers/],
      [429, { headers: { 'bad header': 'x' } }, /./],
      [429, null, /options must be an object/],
    ];
    for (const [status, options, message] of bad) {
      expect(() => api.failNext(status as never, options as never), JSON.stringify([status, options])).toThrow(message);
    }
    expect(api.pendingFaults).toBe(0);
  });
});

/** Polls a condition on the event loop (no timing assertions: only ordering). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}
