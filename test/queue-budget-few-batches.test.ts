/**
 * Found by an adversarial review. The promise (delivery guide, "400 isolation, with a budget": "Against a server that refuses everything,
 * halving would cost 2 requests per call, which is what an old client does when the API's rules change
 * under it. So the queue keeps a budget ..."; the threat model's "refuses everything with 400").
 *
 * The budget engages only once 3 batches have each had 100 calls refused. With `flushAt: 1000` (a
 * setting the guide itself measures) and a backlog of 2,000 calls, there are only 2 batches: both are
 * halved down to single calls, 3,998 requests for 2,000 calls, exactly the 2 requests per call the
 * budget exists to prevent (1,000 calls: 1,999 requests). The guide's figures (10,000 calls at most 1.5
 * per call, 4,000 at most 0.5) all have 3 or more batches; the same server and settings with fewer
 * calls pay the full price.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack } from '../src/index.js';

describe('the 400 budget with fewer than three batches', () => {
  it('2,000 calls at flushAt 1,000 against a server that refuses everything: at most 1.5 requests per call', async () => {
    let requests = 0;
    const client = new ThriveStack({
      apiKey: 'sk_test_attack_0005',
      baseUrl: 'https://api.example.test',
      logLevel: 'off',
      flushAt: 1_000,
      onError: () => {},
      fetch: async () => {
        requests++;
        return Response.json({ message: 'group_id: unknown field layout' }, { status: 400 });
      },
    });
    for (let i = 0; i < 2_000; i++) client.enqueue({ groupId: `acct-${i}`, userId: 'user-1' });
    const report = await client.close({ timeout: 60_000 });
    expect(report.failed).toBe(2_000);
    expect(requests / 2_000).toBeLessThanOrEqual(1.5);
  }, 60_000);
});
