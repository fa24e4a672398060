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
import { scaled } from './support/test-scale.js';

const wire = createWireClient({ apiKey: 'differential', baseUrl: inject('prismUrl') });

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** Mostly in range, sometimes just outside it: where format checkers disagree, if anywhere. */
const part = (min: number, max: number, edges: number[]) =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
const datePart = fc
  .tuple(part(1970, 2100, [0, 1900, 2000, 2024, 9999]), part(1, 12, [0, 2, 13]), part(1, 28, [0, 29, 30, 31, 32]))
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`);
const timePart = fc
  .tuple(
    part(0, 23, [24, 25]),
    part(0, 59, [60]),
    part(0, 59, [60, 61]),
    fc.constantFrom('', '', '.5', '.123456'),
    fc.constantFrom('Z', 'Z', 'z', '+05:30', '-08:00', '+0530', '-08', '+24:00', '+25:00', '+05:3', '+05:60', ''),
  )
  .map(([h, m, s, frac, zone]) => `${pad(h)}:${pad(m)}:${pad(s)}${frac}${zone}`);
const dateTimeLike = fc.oneof(
  { weight: 2, arbitrary: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { weight: 8, arbitrary: fc.tuple(datePart, fc.constantFrom('T', 'T', 't', ' ', '_', ''), timePart).map(([d, sep, t]) => `${d}${sep}${t}`) },
  { weight: 2, arbitrary: datePart },
  { weight: 1, arbitrary: fc.constantFrom('yesterday', '', '2024-01-15', '2024-02-30T10:00:00Z', '2023-12-31T23:59:60Z') },
);

const anyJson = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

// A valid call: every field of the right type and format (custom traits and context keys included).
const validCall = fc.record(
  {
    group_id: fc.string({ minLength: 1, maxLength: 36 }),
    user_id: fc.string({ minLength: 1, maxLength: 36 }),
    traits: fc.record(
      {
        account_name: fc.string({ maxLength: 10 }),
        employees: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
        plan: fc.constantFrom('free', 'pro', 'enterprise'),
        created_at: fc.oneof(fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), fc.constant('2023-06-01')),
        website: fc.webUrl(),
        seats: anyJson,
        __proto__: anyJson,
        constructor: anyJson,
      },
      { requiredKeys: [] },
    ),
    context: fc.record(
      { device_id: fc.string({ maxLength: 8 }), session_id: fc.string({ maxLength: 8 }), source: fc.constantFrom('product', 'marketing'), group_id: fc.string(), page: anyJson },
      { requiredKeys: [] },
    ),
    timestamp: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  },
  { requiredKeys: ['group_id', 'user_id'] },
);

// One change that may or may not break the call: a field replaced, or a required one removed.
const change = <T>(weight: number, paths: fc.Arbitrary<string>, value: fc.Arbitrary<T>) => ({
  weight,
  arbitrary: fc.tuple(paths, value) as fc.Arbitrary<[string, unknown]>,
});
const mutation = fc.oneof(
  change(6, fc.constantFrom('timestamp', 'traits.created_at'), dateTimeLike),
  change(1, fc.constant('context.source'), fc.oneof(fc.constantFrom('product', 'marketing', 'web', 'Product', ''), anyJson)),
  change(1, fc.constantFrom('group_id', 'user_id'), fc.oneof(fc.constant(''), fc.string({ maxLength: 3 }), anyJson)),
  change(1, fc.constant('traits.employees'), fc.oneof(fc.constantFrom('many', '250', null, 0, -1.5), anyJson)),
  change(1, fc.constantFrom('traits', 'context', 'traits.plan', 'traits.account_domain', 'context.device_id', 'traits.Plan'), anyJson),
  change(1, fc.constantFrom('-group_id', '-user_id'), fc.constant(undefined)),
);

function mutate(call: Record<string, unknown>, [path, value]: [string, unknown]): Record<string, unknown> {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(call));
  if (path.startsWith('-')) {
    delete copy[path.slice(1)];
    return copy;
  }
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) copy[head] = value;
  else {
    const inner = typeof copy[head] === 'object' && copy[head] !== null ? (copy[head] as Record<string, unknown>) : {};
    Object.defineProperty(inner, tail, { value, enumerable: true, writable: true, configurable: true });
    copy[head] = inner;
  }
  return copy;
}

const groupCall = fc
  .tuple(validCall, fc.option(mutation, { freq: 4 }))
  .map(([call, change]) => (change ? mutate(call, change) : call));
/** Generated bodies: 500 in CI (CI=true or THRIVESTACK_TEST_FULL=1), 150 in a default local run. */
const RUNS = scaled(500, 150);

const body = fc.oneof({ weight: 30, arbitrary: fc.array(groupCall, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) });

describe('the generated validator agrees with Prism', () => {
  it(`on at least ${RUNS} generated group calls, valid and invalid`, async () => {
    let calls = 0;
    const verdicts = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        calls += payload.length;
        const ours = validateGroupRequest(payload);
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
