/**
 * The generated one-pass reader against the pipeline it replaced (test/support/reference-pipeline):
 * fast-check generates camelCase calls, valid and invalid, hostile values and non-ASCII text
 * included, and both pipelines must agree on every one: the same JSON, the same UTF-8 byte count, or
 * the same ValidationError issues (paths and messages, in order). Each input is built twice from one
 * recipe, so neither pipeline sees what the other read.
 *
 * The differences made on purpose: a field that is not a call's and resembles one now says which
 * (`; did you mean "traits"?`), a suffix removed before comparing; and a hole in the array given to
 * `group()` is told as what is not a group call (the reference skipped holes, then said "expected an
 * object"): for a sparse array only the verdict is compared; and a context key or value, or a Date,
 * that cannot be read is named where it is and the rest of the call is still read (the reference
 * stopped reading the call and named only `call`): where the reference says the call could not be
 * read, only the verdict is compared; and a reserved trait named in another case (`Employees`,
 * `CREATED_AT`) is held to the reserved trait's rule (ThriveStack reads trait names case-insensitively;
 * the reference matched them exactly): such issues, when the reference has none at that path, are left
 * out before comparing, and a call refused for them alone counts as the reference's verdict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareCall, prepareRequest, checkRequestSize } from '../src/validate.js';
import { SCHEMAS } from '../src/generated/call.js';
import { ValidationError } from '../src/errors.js';
import * as reference from './support/reference-pipeline/validate.js';
import { scaled } from './support/test-scale.js';

/** Calls through prepareCall (the queue's path), and requests through prepareRequest (group()'s). */
const CALLS = scaled(100_000, 20_000);
const REQUESTS = scaled(30_000, 6_000);

// --- recipes: JSON-able descriptions of hostile values, built fresh for each pipeline -------------

type Recipe = unknown;
const mark = (kind: string, value?: unknown): Recipe => ({ $: kind, v: value });

class Account {
  plan = 'pro';
}

function build(recipe: Recipe): unknown {
  if (Array.isArray(recipe)) return recipe.map(build);
  if (recipe === null || typeof recipe !== 'object') return recipe;
  const r = recipe as { $?: string; v?: unknown };
  switch (r.$) {
    case undefined: {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(recipe)) Object.defineProperty(out, k, { value: build(v), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case 'date':
      return new Date(r.v as number);
    case 'invalidDate':
      return new Date(Number.NaN);
    case 'nan':
      return Number.NaN;
    case 'inf':
      return -Infinity;
    case 'negzero':
      return -0;
    case 'bigint':
      return BigInt(r.v as number);
    case 'undefined':
      return undefined;
    case 'fn':
      return () => 1;
    case 'symbol':
      return Symbol('s');
    case 'map':
      return new Map([['a', 1]]);
    case 'set':
      return new Set([1]);
    case 'instance':
      return new Account();
    case 'boxed':
      return Object(r.v);
    case 'toJSON':
      return { toJSON: () => build(r.v) };
    case 'getter': {
      const value = build(r.v);
      return Object.defineProperty({}, 'g', { get: () => value, enumerable: true });
    }
    case 'throwingGetter':
      return Object.defineProperty({}, 'g', { get: () => { throw new Error('no'); }, enumerable: true });
    case 'nullProto':
      return Object.assign(Object.create(null) as object, build(r.v) as object);
    case 'holes':
      return new Array(r.v as number);
    case 'promise':
      return Promise.resolve(1);
    case 'deep': {
      let node: unknown = 'leaf';
      for (let i = 0; i < (r.v as number); i++) node = { n: node };
      return node;
    }
  }
  throw new Error(`unknown recipe ${r.$}`);
}

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) }, // non-ASCII
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }, // lone surrogates, controls
  { weight: 1, arbitrary: fc.constantFrom('', 'ü', '日本', '😀', '\u2028', '"\\', 'Z') },
);
const dateText = fc.oneof(
  fc.date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2024-01-15T10:30:00Z', '2024-01-15T10:30:00', '2024-01-15', '2024-02-30T00:00:00Z', '2024-01-15t10:30:00z', '2024-01-15 10:30:00+05:30', 'yesterday', '2016-12-31T23:59:60Z'),
);
const special = fc.oneof(
  fc.constantFrom(mark('nan'), mark('inf'), mark('negzero'), mark('undefined'), mark('fn'), mark('symbol'), mark('map'), mark('set'), mark('instance'), mark('invalidDate'), mark('promise'), mark('throwingGetter')),
  fc.integer({ min: -1e12, max: 4e12 }).map((ms) => mark('date', ms)),
  fc.integer({ min: -5, max: 5 }).map((n) => mark('bigint', n)),
  fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean()).map((v) => mark('boxed', v)),
  fc.integer({ min: 0, max: 4 }).map((n) => mark('holes', n)),
  fc.constantFrom(30, 99, 100, 101, 150).map((n) => mark('deep', n)),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: text },
    { weight: 3, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    { weight: 2, arbitrary: special },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('__proto__', 'toJSON')), tie('value'), { maxKeys: 3 }) },
    { weight: 1, arbitrary: tie('value').map((v) => mark('toJSON', v)) },
    { weight: 1, arbitrary: tie('value').map((v) => mark('getter', v)) },
  ),
}));

const traitName = fc.oneof(
  fc.constantFrom('account_name', 'account_domain', 'group_type', 'industry', 'employees', 'plan', 'website', 'phone', 'created_at', 'description', 'avatar'),
  fc.constantFrom('Plan', 'PLAN', 'Employees', 'seats', 'Région', 'région', '__proto__', 'constructor', 'toString', ''),
  fc.string({ maxLength: 6 }),
);
const traitValue = fc.oneof({ weight: 3, arbitrary: value }, { weight: 2, arbitrary: dateText }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1e6 }) });
const traits = fc.oneof(
  { weight: 8, arbitrary: fc.dictionary(traitName, traitValue, { maxKeys: 6 }) },
  { weight: 1, arbitrary: value },
  { weight: 1, arbitrary: fc.dictionary(traitName, traitValue, { maxKeys: 3 }).map((d) => mark('nullProto', d)) },
);
const contextName = fc.oneof(fc.constantFrom('deviceId', 'device_id', 'sessionId', 'session_id', 'source', 'group_id', 'page', '__proto__'), fc.string({ maxLength: 5 }));
const contextValue = fc.oneof({ weight: 3, arbitrary: value }, { weight: 2, arbitrary: fc.constantFrom('product', 'marketing', 'web', 'Product') });
const context = fc.oneof({ weight: 8, arbitrary: fc.dictionary(contextName, contextValue, { maxKeys: 5 }) }, { weight: 1, arbitrary: value });
const idValue = fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: value });
const timestamp = fc.oneof(
  { weight: 4, arbitrary: dateText },
  { weight: 2, arbitrary: fc.integer({ min: -1e12, max: 4e12 }).map((ms) => mark('date', ms)) },
  { weight: 1, arbitrary: value },
);
const otherField = fc.constantFrom('trait', 'groupid', 'user_id', 'group_id', 'timeStamp', 'contexts', 'extra', 'traits ');

const callRecipe = fc
  .record(
    { groupId: idValue, userId: idValue, traits, context, timestamp, other: fc.option(fc.tuple(otherField, value), { freq: 6 }) },
    { requiredKeys: [] },
  )
  .map(({ other, ...fields }) => (other ? { ...fields, [other[0]]: other[1] } : fields));
/** Calls of the right shape (non-ASCII text, custom traits of any JSON, dates), so that both verdicts come up often. */
const json = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), text, { maxKeys: 2 }));
const wellShaped = fc.record(
  {
    groupId: fc.string({ minLength: 1, maxLength: 12 }),
    userId: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
    traits: fc.record(
      {
        account_name: text,
        employees: fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
        plan: fc.constantFrom('free', 'pro', 'enterprise'),
        created_at: fc.oneof(dateText, fc.integer({ min: 0, max: 4e12 }).map((ms) => mark('date', ms))),
        seats: json,
        Région: json,
      },
      { requiredKeys: [] },
    ),
    context: fc.record({ deviceId: text, session_id: text, source: fc.constantFrom('product', 'marketing'), page: json }, { requiredKeys: [] }),
    timestamp: fc.oneof(dateText, fc.integer({ min: 0, max: 4e12 }).map((ms) => mark('date', ms))),
  },
  { requiredKeys: ['groupId', 'userId'] },
);
const anyCall = fc.oneof({ weight: 20, arbitrary: wellShaped }, { weight: 20, arbitrary: callRecipe }, { weight: 1, arbitrary: value });

// --- comparing ------------------------------------------------------------------------------------

/** What a pipeline did with an input: its JSON and bytes, or what it threw. */
function outcome(run: () => { json: string; bytes: number }): unknown {
  try {
    return run();
  } catch (error) {
    if (error instanceof ValidationError) return { issues: error.issues };
    return { threw: String(error) };
  }
}

/** The reference stopped reading a call at a value that could not be read, and named only the call. */
const stoppedReading = (o: unknown): boolean =>
  ((o as { issues?: Array<{ path: string; message: string }> }).issues ?? []).some((i) => /^calls?(\[\d+\])?$/.test(i.path) && i.message.startsWith('could not be read'));

/** The one change made on purpose: misspelt call fields now say which field was meant. */
const withoutSuggestion = (o: unknown): unknown => {
  const issues = (o as { issues?: Array<{ path: string; message: string }> }).issues;
  return issues ? { issues: issues.map((i) => ({ ...i, message: i.message.replace(/; did you mean "[^"]+"\?$/, '') })) } : o;
};

type Issues = { issues?: Array<{ path: string; message: string }> };
const RESERVED = new Set(Object.keys(SCHEMAS.GroupTraits!.properties!));
/** `call.traits.Employees`, `calls[2].traits["PLAN"]`: a reserved trait named in another case. */
const atCaseVariant = (path: string): boolean => {
  const m = /\.traits(?:\.([A-Za-z_$][\w$]*)|\[("(?:[^"\\]|\\.)*")\])$/.exec(path);
  const name = m ? (m[1] ?? (JSON.parse(m[2]!) as string)) : undefined;
  return name !== undefined && name !== name.toLowerCase() && RESERVED.has(name.toLowerCase());
};
/** Calls refused only by the case rule the reference lacks (counted: the rule must be exercised). */
let caseRuleOnly = 0;
/** The other change made on purpose: issues of the case rule at paths where the reference has none are left out. */
const withoutCaseRule = (after: unknown, before: unknown): unknown => {
  const issues = (after as Issues).issues;
  if (!issues) return after;
  const theirs = new Set(((before as Issues).issues ?? []).map((i) => i.path));
  const kept = issues.filter((i) => !atCaseVariant(i.path) || theirs.has(i.path));
  if (kept.length === issues.length) return after;
  if (kept.length === 0 && !(before as Issues).issues) {
    caseRuleOnly++;
    return before;
  }
  return { issues: kept };
};

describe('the one-pass reader agrees with the pipeline it replaced', () => {
  it(`on ${CALLS.toLocaleString('en-US')} generated calls, one at a time (enqueue's path): same JSON and bytes, or the same issues`, () => {
    let refused = 0;
    fc.assert(
      fc.property(anyCall, (recipe) => {
        const before = outcome(() => {
          const { json, bytes } = reference.prepareCall(build(recipe) as never);
          return { json, bytes };
        });
        const after = outcome(() => {
          const { json } = prepareCall(build(recipe) as never);
          return { json, bytes: new TextEncoder().encode(json).length };
        });
        if ((before as { issues?: unknown }).issues) refused++;
        if (stoppedReading(before)) expect('issues' in (after as object)).toBe(true);
        else expect(withoutSuggestion(withoutCaseRule(after, before))).toEqual(before);
      }),
      { numRuns: CALLS },
    );
    expect(caseRuleOnly).toBeGreaterThan(0);
    // both verdicts were exercised
    expect(refused).toBeGreaterThan(CALLS / 10);
    expect(refused).toBeLessThan(CALLS * 0.9);
  }, 600_000);

  it(`on ${REQUESTS.toLocaleString('en-US')} generated requests of 0 to 4 calls (group()'s path)`, () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: fc.array(anyCall, { maxLength: 4 }) }, { weight: 1, arbitrary: anyCall }), (recipe) => {
        const before = outcome(() => {
          const { body, bytes } = reference.prepareRequest(build(recipe) as never);
          return { json: body, bytes };
        });
        const sparse = (recipe as { $?: string } | null)?.$ === 'holes';
        const after = outcome(() => {
          const input = build(recipe) as never;
          const { body, calls } = prepareRequest(input);
          checkRequestSize(body, calls, Array.isArray(input));
          return { json: body, bytes: new TextEncoder().encode(body).length };
        });
        if (sparse || stoppedReading(before)) expect('issues' in (after as object)).toBe('issues' in (before as object));
        else expect(withoutSuggestion(withoutCaseRule(after, before))).toEqual(before);
      }),
      { numRuns: REQUESTS },
    );
  }, 600_000);
});
