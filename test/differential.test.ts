/**
 * Differential test against the contract: fast-check generates group calls, valid and invalid; each
 * is sent through the low-level client (no client validation) to the Prism mock, and the client's
 * generated validator must reach the same verdict as Prism for every one. fast-check shrinks a
 * disagreement to its smallest counterexample and prints it with the seed to replay it.
 */
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { createWireClient } from '../src/index.js';
import { validateGroupRequest } from '../src/generated/validate.js';
import { schemaErrors } from '../src/schema-check.js';
import { body } from './support/group-call-arbitraries.js';
import { scaled } from './support/test-scale.js';

/** Generated bodies: 500 in CI (CI=true or THRIVESTACK_TEST_FULL=1), 150 in a default local run. */
const RUNS = scaled(500, 150);

const wire = createWireClient({ apiKey: 'differential', baseUrl: inject('prismUrl') });

describe('the generated validator and the client rules agree with Prism', () => {
  it(`on at least ${RUNS} generated group calls, valid and invalid`, async () => {
    let calls = 0;
    const verdicts = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        calls += payload.length;
        const ours = validateGroupRequest(payload);
        // the client's own checks (the generated rules, src/schema-check.ts) reach the same verdict
        expect(schemaErrors('GroupRequest', payload).length === 0).toBe(ours);
        const { response } = await wire.POST('/api/group', { body: payload as never });
        const prism = response.status === 200;
        expect([200, 400]).toContain(response.status);
        verdicts[prism ? 'accepted' : 'rejected']++;
        if (ours !== prism) {
          throw new Error(
            `client says ${ours ? 'valid' : 'invalid'}, Prism says ${prism ? 'valid' : 'invalid'} ` +
              `(violations: ${response.headers.get('sl-violations')}; client errors: ${JSON.stringify(validateGroupRequest.errors)})`,
          );
        }
      }),
      { numRuns: RUNS },
    );
    expect(calls).toBeGreaterThanOrEqual(RUNS);
    // both verdicts were really exercised
    expect(verdicts.accepted).toBeGreaterThan(RUNS / 10);
    expect(verdicts.rejected).toBeGreaterThan(RUNS / 10);
  }, 120_000);
});
