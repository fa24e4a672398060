/**
 * Found by an adversarial review. The promise (README, Methods: `group()` "resolves with exactly `{ success: true, eventId }`"; transport.ts:
 * only a 2xx with the documented body is returned, "and then as just that body").
 *
 * The transport reads and checks the answer itself, then hands openapi-fetch a `CheckedResponse` that
 * still carries the server's headers. openapi-fetch treats `Content-Length: 0` (without chunked
 * transfer) as an empty body and returns `data: undefined` without calling `json()`. So an answer the
 * transport accepted (200 with the documented JSON, read in full by stream) whose headers say
 * `content-length: 0` (a caller's fetch or a proxy polyfill that rewrote the body, a decompressing
 * wrapper that kept a stale header) makes `group()` resolve with `undefined`:
 * `const { eventId } = await client.group(call)` then throws a raw TypeError.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack } from '../src/index.js';

describe("group()'s answer whatever the answer's headers say", () => {
  it('a 200 with the documented body and a stale `content-length: 0` still resolves with { success, eventId }', async () => {
    const client = new ThriveStack({
      apiKey: 'sk_test_attack_0002',
      baseUrl: 'https://api.example.test',
      fetch: async () =>
        new Response(JSON.stringify({ success: true, eventId: 'evt_1' }), {
          status: 200,
          headers: { 'content-type': 'application/json', 'content-length': '0' },
        }),
    });
    await expect(client.group({ groupId: 'acct-1', userId: 'user-1' })).resolves.toEqual({ success: true, eventId: 'evt_1' });
  });
});
