/**
 * The /testing mock against the contract: fast-check generates request bodies (the generators of
 * test/differential.test.ts), each is sent through the low-level client to the mock and to the Prism
 * mock of the same document, and both must reach the same verdict (accepted or refused) every time.
 */
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { createWireClient } from '../src/index.js';
import { createMockApi } from '../src/testing/index.js';
import { body } from './support/group-call-arbitraries.js';

const prism = createWireClient({ apiKey: 'differential', baseUrl: inject('prismUrl') });
const api = createMockApi();
const mock = createWireClient({ apiKey: 'differential', fetch: api.fetch });

describe('the /testing mock agrees with Prism', () => {
  it('on at least 500 generated request bodies, valid and invalid', async () => {
    const verdicts = { accepted: 0, refused: 0 };
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        runs++;
        const [ours, theirs] = await Promise.all([
          mock.POST('/api/group', { body: payload as never }),
          prism.POST('/api/group', { body: payload as never }),
        ]);
        expect([200, 400]).toContain(theirs.response.status);
        expect([200, 400]).toContain(ours.response.status);
        verdicts[theirs.response.status === 200 ? 'accepted' : 'refused']++;
        if (ours.response.status !== theirs.response.status) {
          throw new Error(
            `the mock answered ${ours.response.status} (${JSON.stringify(ours.error ?? ours.data)}), ` +
              `Prism ${theirs.response.status} (violations: ${theirs.response.headers.get('sl-violations')})`,
          );
        }
        // a refusal says why, in the document's words; an acceptance is recorded as it went on the wire
        if (ours.response.status === 400) expect(ours.error?.message).toMatch(/^Invalid request: \S/);
        else expect(api.calls.slice(-payload.length)).toEqual(JSON.parse(JSON.stringify(payload)));
      }),
      { numRuns: 500 },
    );
    expect(runs).toBeGreaterThanOrEqual(500);
    // both verdicts were really exercised
    expect(verdicts.accepted).toBeGreaterThan(50);
    expect(verdicts.refused).toBeGreaterThan(50);
    expect(api.requests).toHaveLength(runs);
  }, 120_000);
});
