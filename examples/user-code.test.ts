import { describe, expect, it } from 'vitest';
import { ServerError, ThriveStack, TimeoutError } from 'thrivestack-group';
import { createMockApi } from 'thrivestack-group/testing';

// The code under test: yours. It takes the client, so a test can hand it one backed by the mock.
async function onAccountCreated(thrivestack: ThriveStack, account: { id: string; ownerId: string; plan: string }) {
  return thrivestack.group({ groupId: account.id, userId: account.ownerId, traits: { plan: account.plan } });
}

describe('onAccountCreated', () => {
  it('tells ThriveStack who owns the new account', async () => {
    const api = createMockApi();
    const thrivestack = new ThriveStack({ apiKey: 'test', fetch: api.fetch });

    const { eventId } = await onAccountCreated(thrivestack, { id: 'acct_42', ownerId: 'usr_7', plan: 'pro' });

    expect(eventId).toMatch(/^evt_/);
    expect(api.calls).toEqual([{ group_id: 'acct_42', user_id: 'usr_7', traits: { plan: 'pro' } }]);
  });

  it('gets through a rate limit', async () => {
    const api = createMockApi().failNext(429, { retryAfter: 0 });
    const thrivestack = new ThriveStack({ apiKey: 'test', fetch: api.fetch });

    await onAccountCreated(thrivestack, { id: 'acct_42', ownerId: 'usr_7', plan: 'pro' });

    expect(api.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(api.calls).toHaveLength(1);
  });

  it('fails loudly when ThriveStack is down or silent', async () => {
    const api = createMockApi();
    const thrivestack = new ThriveStack({ apiKey: 'test', fetch: api.fetch, maxRetries: 0, timeout: 100 });

    api.failNext(503);
    await expect(onAccountCreated(thrivestack, { id: 'acct_42', ownerId: 'usr_7', plan: 'pro' })).rejects.toThrow(ServerError);

    api.failNext(503, { delay: Infinity }); // never answers: the client's timeout fires
    await expect(onAccountCreated(thrivestack, { id: 'acct_42', ownerId: 'usr_7', plan: 'pro' })).rejects.toThrow(TimeoutError);
    expect(api.calls).toEqual([]);
  });
});
