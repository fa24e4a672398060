/**
 * Found by an adversarial review. The promise (README, Errors: "Every failure is a ThriveStackError ... none contains the API key";
 * ground rule: the key never appears in an error message).
 *
 * `new ThriveStack()` checks its key (`resolveApiKey`: trimmed, visible ASCII, a ConfigurationError
 * that never shows it). `createWireClient` does not: a key read carelessly (a file of two lines, a
 * stray NUL) reaches `Headers.set`, whose TypeError quotes the header value, i.e. the key, in full.
 * The call rejects with that raw TypeError instead of a typed error, and the fetch is never reached.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, createWireClient } from '../src/index.js';

const SECRET = 'sk_live_CANARY_5f3a9e';

describe('createWireClient with a key a header cannot carry', () => {
  it.each([
    ['a line break inside (a secrets file of two lines)', `${SECRET}\nsecond-line`],
    ['a NUL inside', `${SECRET}\u0000x`],
  ])('%s: a ConfigurationError that never shows the key', async (_what, apiKey) => {
    let fetched = 0;
    const fetch = async (): Promise<Response> => {
      fetched++;
      return Response.json({ success: true, eventId: 'evt_1' });
    };
    let error: unknown;
    try {
      const wire = createWireClient({ apiKey, baseUrl: 'https://api.example.com', fetch });
      await wire.POST('/api/group', { body: [{ group_id: 'g', user_id: 'u' }] });
    } catch (thrown) {
      error = thrown;
    }
    expect(fetched).toBe(0);
    expect(String((error as Error)?.message)).not.toContain(SECRET);
    expect(error).toBeInstanceOf(ConfigurationError);
  });
});
