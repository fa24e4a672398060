/**
 * One check for every options object a caller hands the client (`new ThriveStack()`, `group(calls,
 * options)`, `close(options)`): each value's type and range, and option names that do not exist
 * (with the nearest real name suggested). Plain JavaScript callers get a `ConfigurationError` that
 * names the option, the value and its type, instead of a retry loop that never ends or a timer
 * that fires at once.
 */
import { ConfigurationError } from './errors.js';

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

/** A value as a message shows it: `the string "1000"`, `NaN`, `null`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
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
      const record = typeof value === 'object' && value !== null && !Array.isArray(value);
      if (record && Object.values(value).every((v) => typeof v === 'string')) return undefined;
      return 'an object whose values are strings';
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
      const signal = value as { aborted?: unknown; addEventListener?: unknown } | null;
      const ok = typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean' &&
        typeof signal.addEventListener === 'function';
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

/**
 * Checks `given` against `rules` and throws one `ConfigurationError` listing every problem.
 * `where` names the entry point in messages (`new ThriveStack()`, `group()`'s options).
 * `undefined` values count as not given.
 */
export function checkOptions(where: string, given: unknown, rules: Rules): void {
  if (given === undefined) return;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ConfigurationError(`The options of ${where} must be an object, got ${describeValue(given)}.`);
  }
  const known = Object.keys(rules);
  const problems: string[] = [];
  for (const name of Object.keys(given)) {
    const value = (given as Record<string, unknown>)[name];
    const rule = Object.prototype.hasOwnProperty.call(rules, name) ? rules[name] : undefined;
    if (!rule) {
      const near = nearestName(name, known);
      problems.push(
        near
          ? `\`${name}\` is not an option; did you mean \`${near}\`?`
          : `\`${name}\` is not an option; the options are ${known.map((k) => `\`${k}\``).join(', ')}.`,
      );
      continue;
    }
    if (value === undefined) continue;
    const expected = problem(rule, value);
    if (expected) problems.push(`\`${name}\` must be ${expected}; got ${describeValue(value)}.`);
  }
  if (problems.length === 1) throw new ConfigurationError(`Invalid option of ${where}: ${problems[0]}`);
  if (problems.length > 1) {
    throw new ConfigurationError(`Invalid options of ${where} (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
