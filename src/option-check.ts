/**
 * One check for every options object a caller hands the client (`new ThriveStack()`, `group(calls,
 * options)`, `close(options)`): each value's type and range, and option names that do not exist
 * (with the nearest real name suggested). Plain JavaScript callers get a `ConfigurationError` that
 * names the option, the value and its type, instead of a retry loop that never ends or a timer
 * that fires at once.
 */
import { ConfigurationError } from './errors.js';
import { isPlainObject } from './json-safety.js';

/** The longest delay a timer can take: Node's (and browsers') timers fire at once above it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type Rule =
  /** A whole number in [min, max]. */
  | { type: 'integer'; min: number; max?: number }
  /** A duration in ms in [min, MAX_TIMER_MS]; `Infinity` allowed only where it has a meaning. */
  | { type: 'ms'; min: number; exclusiveMin?: boolean; infinity?: string }
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'function' }
  | { type: 'enum'; values: readonly string[] }
  /** An object whose own properties are strings (headers). */
  | { type: 'strings' }
  /** An object with these methods (a logger); `examples` names objects that have them. */
  | { type: 'methods'; names: readonly string[]; examples?: string }
  | { type: 'signal' }
  /** Any value at all (a tag handed back as it was). */
  | { type: 'any' };

export type Rules = Readonly<Record<string, Rule>>;


/** Strings longer than this are never shown in a message: it may be the API key, passed to the wrong place. */
const SHOWN_STRING = 16;

/** A value as a message shows it: `the string "1000"`, `NaN`, `null`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return value.length <= SHOWN_STRING
        ? `the string ${JSON.stringify(value)}`
        : `a string of ${value.length} characters (not shown: it could be a secret)`;
    case 'number':
      return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
    case 'bigint':
      return `the BigInt ${value}n`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'undefined':
      return 'undefined';
  }
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}

const formatMs = (ms: number): string => ms.toLocaleString('en-US');

/** What the rule expects, in words; `undefined` when `value` satisfies it. */
function problem(rule: Rule, value: unknown): string | undefined {
  switch (rule.type) {
    case 'integer': {
      const max = rule.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value === 'number' && Number.isInteger(value) && value >= rule.min && value <= max) return undefined;
      const range = rule.max === undefined ? `${rule.min} or more` : `from ${rule.min} to ${formatMs(max)}`;
      return `a whole number ${range}`;
    }
    case 'ms': {
      if (value === Infinity && rule.infinity) return undefined;
      const above = rule.exclusiveMin ? value !== rule.min : true;
      if (typeof value === 'number' && Number.isFinite(value) && value >= rule.min && above && value <= MAX_TIMER_MS) return undefined;
      const low = rule.exclusiveMin ? `greater than ${rule.min}` : `${rule.min} or more`;
      const infinity = rule.infinity ? `, or Infinity (${rule.infinity})` : '';
      return `a number of milliseconds, ${low} and at most ${formatMs(MAX_TIMER_MS)} (about 24.8 days)${infinity}`;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'function':
      return typeof value === 'function' ? undefined : 'a function';
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value)
        ? undefined
        : `one of ${rule.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'strings': {
      if (isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string')) return undefined;
      return 'an object whose values are strings (or a Headers)';
    }
    case 'methods': {
      const target = value as Record<string, unknown> | null;
      const ok = (typeof target === 'object' || typeof target === 'function') && target !== null &&
        rule.names.every((name) => typeof target[name] === 'function');
      const examples = rule.examples ? ` (${rule.examples} have them)` : '';
      return ok ? undefined : `an object with the method${rule.names.length === 1 ? '' : 's'} ${rule.names.join(', ')}${examples}`;
    }
    case 'any':
      return undefined;
    case 'signal': {
      if (typeof AbortSignal === 'function' && value instanceof AbortSignal) return undefined;
      const signal = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
      // another realm's or a polyfill's AbortSignal: what the client uses of it must be there
      const ok = typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' &&
        typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function' && 'reason' in signal;
      return ok ? undefined : 'an AbortSignal';
    }
  }
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name closest to `name`, if one is close enough to be a slip. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const shorter = Math.min(lower.length, other.length);
    const prefix = shorter >= 4 && (other.startsWith(lower) || lower.startsWith(other));
    const d = other === lower ? 0 : prefix ? 1 : distance(lower, other);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

/** A value read from the caller's options, or the error reading it threw (a getter, a Proxy). */
function read(given: object, name: string): { value: unknown } | { threw: true } {
  try {
    return { value: (given as Record<string, unknown>)[name] };
  } catch {
    return { threw: true };
  }
}

/**
 * Headers as a caller may give them (a plain object, a `Headers`, `[name, value]` pairs) → a plain
 * object; anything else is returned as it is, for the rule to refuse.
 */
function headersRecord(value: unknown): unknown {
  if (isPlainObject(value)) {
    // a copy, read once: a Proxy or getter cannot show other headers to the check than to the request
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(value)) out[name] = value[name];
    return out;
  }
  if (typeof Headers === 'function' && value instanceof Headers) {
    const out: Record<string, string> = {};
    value.forEach((v, k) => (out[k] = v));
    return out;
  }
  if (Array.isArray(value) && value.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((p) => typeof p === 'string'))) {
    return Object.fromEntries(value as Array<[string, string]>);
  }
  return value;
}

/**
 * Checks `given` against `rules` and throws one `ConfigurationError` listing every problem; returns
 * a snapshot of the known options (a plain object, each value read once), which is all the client
 * uses afterwards: an inherited option or a getter is checked like any other, and a getter cannot
 * answer differently later. `where` names the entry point in messages (`new ThriveStack()`,
 * `group()`). `undefined` values count as not given.
 */
export function checkOptions<T extends object>(where: string, given: unknown, rules: Rules): Partial<T> {
  if (given === undefined) return {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ConfigurationError(`The options of ${where} must be an object, got ${describeValue(given)}.`);
  }
  const known = Object.keys(rules);
  const problems: string[] = [];
  let names: string[];
  try {
    names = Object.keys(given);
  } catch {
    throw new ConfigurationError(`The options of ${where} could not be read (listing their names threw); pass a plain object.`);
  }
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(rules, name)) continue;
    const near = nearestName(name, known);
    problems.push(
      near
        ? `\`${name}\` is not an option; did you mean \`${near}\`?`
        : `\`${name}\` is not an option; the options are ${known.map((k) => `\`${k}\``).join(', ')}.`,
    );
  }
  const snapshot: Record<string, unknown> = {};
  for (const name of known) {
    const got = read(given, name);
    if ('threw' in got) {
      problems.push(`reading \`${name}\` threw an error; pass a plain value.`);
      continue;
    }
    const rule = rules[name]!;
    let value: unknown;
    let expected: string | undefined;
    try {
      value = rule.type === 'strings' ? headersRecord(got.value) : got.value;
      if (value === undefined) continue;
      expected = problem(rule, value);
      if (expected) expected += `; got ${describeValue(value)}`;
    } catch {
      problems.push(`reading \`${name}\` threw an error; pass a plain value.`);
      continue;
    }
    if (expected) problems.push(`\`${name}\` must be ${expected}.`);
    else snapshot[name] = value;
  }
  if (problems.length === 1) throw new ConfigurationError(`Invalid option of ${where}: ${problems[0]}`);
  if (problems.length > 1) {
    throw new ConfigurationError(`Invalid options of ${where} (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return snapshot as Partial<T>;
}
