/**
 * Found by an adversarial review. The promise (README, Errors: "none contains the API key"; options.ts checkHeaders: "Values are never
 * echoed (they may be secrets of their own)").
 *
 * A careless caller copies the reference's curl line (`--header 'x-api-key: YOUR_API_KEY'`) into
 * `defaultHeaders` or a call's `headers` as one name. The name is not a valid header name, and the
 * ConfigurationError quotes it whole, key included: the value is hidden, the name is not, and the key
 * (known to the client by then) is not redacted from the message.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ThriveStack } from '../src/index.js';

const KEY = 'sk_live_CANARY_b7e2c41d';
const fetch = async (): Promise<Response> => Response.json({ success: true, eventId: 'evt_1' });

describe('a header name holding the key', () => {
  it('defaultHeaders: the ConfigurationError does not show the key', () => {
    let error: unknown;
    try {
      new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.test', fetch, defaultHeaders: { [`x-api-key: ${KEY}`]: '' } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain(KEY);
  });

  it("group()'s headers: the ConfigurationError does not show the key", async () => {
    const client = new ThriveStack({ apiKey: KEY, baseUrl: 'https://api.example.test', fetch });
    const error = await client.group({ groupId: 'g', userId: 'u' }, { headers: { [`x-api-key: ${KEY}`]: '' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain(KEY);
  });
});
