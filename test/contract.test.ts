/** Contract tests: the ergonomic client and the low-level client against a Prism mock of the document. */
import { describe, expect, inject, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  RateLimitError,
  ServerError,
  ThriveStack,
  createWireClient,
} from '../src/index.js';
import { referenceCall, referenceWireBody, TEST_KEY } from './support/reference.js';

const baseUrl = inject('prismUrl');
const fast = { minRetryDelay: 1, maxRetryDelay: 5, maxRetryAfter: 5 };

function client(options: ConstructorParameters<typeof ThriveStack>[0] = {}): ThriveStack {
  return new ThriveStack({ apiKey: TEST_KEY, baseUrl, ...fast, ...options });
}

describe('the reference example', () => {
  it('is what the camelCase call becomes on the wire', async () => {
    const sent: unknown[] = [];
    const c = client({
      fetch: async (request) => {
        sent.push(await request.clone().json());
        return fetch(request);
      },
    });
    await c.group(referenceCall);
    expect(sent).toEqual([referenceWireBody]);
  });

  it('succeeds through ThriveStack.group() with an eventId', async () => {
    const result = await client().group(referenceCall);
    expect(result).toEqual({ success: true, eventId: 'evt_abc123xyz' });
  });

  it('sends several calls in one request with group([...])', async () => {
    let requests = 0;
    const c = client({ fetch: (r) => (requests++, fetch(r)) });
    const result = await c.group([referenceCall, { ...referenceCall, groupId: 'another-account' }]);
    expect(result.success).toBe(true);
    expect(requests).toBe(1);
  });
});

describe('documented error statuses become typed errors (Prefer: code=...)', () => {
  const prefer = (code: number) => ({ headers: { Prefer: `code=${code}` } });

  it('400 → BadRequestError with the server message, not retried', async () => {
    let requests = 0;
    const c = client({ fetch: (r) => (requests++, fetch(r)) });
    const error = await c.group(referenceCall, prefer(400)).catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.status).toBe(400);
    expect(error.serverMessage).toBe('Invalid request: [0].user_id is required');
    expect(error.message).toMatch(/Fix the group calls/);
    expect(requests).toBe(1);
  });

  it('401 → AuthenticationError, not retried', async () => {
    let requests = 0;
    const c = client({ fetch: (r) => (requests++, fetch(r)) });
    const error = await c.group(referenceCall, prefer(401)).catch((e) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/THRIVESTACK_API_KEY/);
    expect(requests).toBe(1);
  });

  it('429 → RateLimitError with the parsed Retry-After, after the retries are spent', async () => {
    let requests = 0;
    const c = client({ maxRetries: 2, fetch: (r) => (requests++, fetch(r)) });
    const error = await c.group(referenceCall, prefer(429)).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(30);
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(/after 3 attempts/);
    expect(requests).toBe(3);
  });

  it('500 → ServerError after the retries are spent', async () => {
    let requests = 0;
    const c = client({ maxRetries: 1, fetch: (r) => (requests++, fetch(r)) });
    const error = await c.group(referenceCall, prefer(500)).catch((e) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error.status).toBe(500);
    expect(error.serverMessage).toBe('Internal server error, try again later');
    expect(error.attempts).toBe(2);
    expect(requests).toBe(2);
  });

  it('a request without the x-api-key header → AuthenticationError (Prism enforces the security scheme)', async () => {
    const c = client({
      fetch: (request) => {
        const stripped = new Request(request);
        stripped.headers.delete('x-api-key');
        return fetch(stripped);
      },
    });
    await expect(c.group(referenceCall)).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('the document accepts what the reference allows and rejects what breaks it (via Prism)', () => {
  const wire = createWireClient({ apiKey: TEST_KEY, baseUrl });
  const base = referenceWireBody[0]!;
  const post = (body: unknown) => wire.POST('/api/group', { body: body as never });

  it('accepts the reference example', async () => {
    const { data, response } = await post(referenceWireBody);
    expect(response.status).toBe(200);
    expect(data).toEqual({ success: true, eventId: 'evt_abc123xyz' });
  });

  it.each([
    ['only the required fields', [{ group_id: 'g', user_id: 'u' }]],
    ['custom traits beside reserved ones', [{ ...base, traits: { ...base.traits, seats: 12, beta: true, tags: ['a'] } }]],
    ['employees as a number and created_at as a date', [{ ...base, traits: { employees: 250, created_at: '2023-06-01' } }]],
    ['created_at as a date-time', [{ ...base, traits: { created_at: '2023-06-01T08:00:00+02:00' } }]],
    ['extra context keys', [{ ...base, context: { source: 'marketing', page: '/pricing' } }]],
    ['1,000 calls', Array.from({ length: 1000 }, (_, i) => ({ group_id: `g${i}`, user_id: 'u' }))],
  ])('accepts %s', async (_name, body) => {
    const { response } = await post(body);
    expect(response.status).toBe(200);
  });

  it.each([
    ['a call without user_id', [{ group_id: 'g' }], 'user_id'],
    ['an empty array', [], 'body'],
    ['1,001 calls', Array.from({ length: 1001 }, (_, i) => ({ group_id: `g${i}`, user_id: 'u' })), 'body'],
    ['employees: "many"', [{ ...base, traits: { employees: 'many' } }], 'employees'],
    ['source: "web"', [{ ...base, context: { source: 'web' } }], 'source'],
    ['timestamp: "yesterday"', [{ ...base, timestamp: 'yesterday' }], 'timestamp'],
    ['an empty group_id', [{ group_id: '', user_id: 'u' }], 'group_id'],
  ])('rejects %s', async (_name, body, where) => {
    const { response, error } = await post(body);
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ success: false });
    expect(response.headers.get('sl-violations')).toContain(where);
  });
});
