/**
 * camelCase group calls → the API's snake_case wire format, and wire paths → the caller's names.
 *
 * The field maps are typed against the generated wire types (`FieldMap`): a field added to or renamed
 * in the document makes this file fail the type check until the map follows.
 */
import type { FieldMap, GroupCall, WireGroupCall, WireGroupContext } from './types.js';
import type { ValidationIssue } from '../../../src/validation-issue.js';
import { isPlainObject, jsonCopy, setOwn, type Unfaithful } from './json-safety.js';

export const CALL_FIELDS = {
  groupId: 'group_id',
  userId: 'user_id',
  traits: 'traits',
  context: 'context',
  timestamp: 'timestamp',
} as const satisfies FieldMap<WireGroupCall>;

export const CONTEXT_FIELDS = {
  deviceId: 'device_id',
  sessionId: 'session_id',
  source: 'source',
} as const satisfies FieldMap<WireGroupContext>;

const invert = (map: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(map).map(([camel, wire]) => [wire, camel]));
/** `group_id` → `groupId`. */
export const CALL_NAMES = invert(CALL_FIELDS);
/** `device_id` → `deviceId`. */
export const CONTEXT_NAMES = invert(CONTEXT_FIELDS);

export const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** `map[key]` for own keys only: `constructor` or `__proto__` never find Object.prototype's members. */
export function lookup(map: Readonly<Record<string, string>>, key: string): string | undefined {
  return hasOwn(map, key) ? map[key] : undefined;
}

export { setOwn };

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object read key by key as it is: a plain object (or one without a prototype), without `toJSON`. */
function isPlainData(value: object): boolean {
  return isPlainObject(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * What can be a group call: an object read field by field (a class instance's own fields too; not an
 * array, a Date, a Map, a Promise, ...). A Proxy whose traps throw is no group call either.
 */
export function isCallObject(value: unknown): value is Record<string, unknown> {
  try {
    return isPlainRecord(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function' &&
      typeof (value as { then?: unknown }).then !== 'function' && !(value instanceof Map) && !(value instanceof Set);
  } catch {
    return false;
  }
}

/** Context keys in wire names (`deviceId` → `device_id`), each value read once; `undefined` ones left out. */
function mapContext(context: Record<string, unknown>, at: string, issues: ValidationIssue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const given = new Map<string, string>(); // wire name → the key it was given as
  for (const key of Object.keys(context)) {
    const value = context[key];
    if (value === undefined) continue;
    const wireName = lookup(CONTEXT_FIELDS, key) ?? key;
    const other = given.get(wireName);
    if (other !== undefined) {
      const [camel, wire] = other === wireName ? [key, other] : [other, key];
      issues.push({ path: `${at}.context`, message: `both "${camel}" and "${wire}" are given; keep one` });
    }
    given.set(wireName, key);
    setOwn(out, wireName, value);
  }
  return out;
}

/** A `Date` → its ISO 8601 date-time (what the API takes); anything else as it is. */
function mapDate(value: unknown, path: string, issues: ValidationIssue[]): unknown {
  if (!(value instanceof Date)) return value;
  if (Number.isNaN(value.getTime())) {
    issues.push({ path, message: 'is an invalid Date; pass a valid Date or an ISO 8601 string' });
    return undefined;
  }
  return value.toISOString();
}

/**
 * One caller-side call → its wire form: a plain copy in which every value was read exactly once
 * (`json-safety.ts`), so that what is validated is what is sent, whatever getters or `toJSON`s the
 * caller's objects have. Problems found while copying are added to `issues`; `at` is the call's path
 * (`call`, `calls[3]`).
 */
export function toWireCall(call: GroupCall, at: string, issues: ValidationIssue[]): WireGroupCall {
  if (!isCallObject(call)) {
    issues.push({ path: at, message: `expected a group call object such as { groupId, userId }, got ${describeSafely(call)}` });
    return {} as WireGroupCall; // a stand-in: what is not a call is never read again
  }
  const out: Record<string, unknown> = {};
  const found: Unfaithful[] = [];
  try {
    copyFields(call, at, out, found, issues);
  } catch {
    // a getter or Proxy trap of the call (or of its context) that throws while being read
    issues.push({ path: at, message: 'could not be read (a getter or Proxy threw); send plain data instead' });
  }
  for (const problem of found) issues.push({ path: at + callerPath(problem.path, 'call').slice('call'.length), message: problem.message });
  return out as unknown as WireGroupCall;
}

function copyFields(call: Record<string, unknown>, at: string, out: Record<string, unknown>, found: Unfaithful[], issues: ValidationIssue[]): void {
  for (const key of Object.keys(call)) {
    let value: unknown;
    try {
      value = call[key];
    } catch {
      issues.push({ path: `${at}.${key}`, message: 'could not be read (a getter or Proxy threw); send plain data instead' });
      continue;
    }
    if (value === undefined) continue;
    const wireName = lookup(CALL_FIELDS, key);
    if (wireName === undefined) {
      const camel = lookup(CALL_NAMES, key);
      const hint = camel ? `; use "${camel}"` : '';
      issues.push({ path: `${at}.${key}`, message: `is not a field of a group call${hint}` });
      continue;
    }
    let copy: unknown;
    // a context that is not plain data (a Map, a class instance, one with toJSON) is copied, and refused, like any value
    if (key === 'context' && isPlainRecord(value) && isPlainData(value)) copy = jsonCopy(mapContext(value, at, issues), [wireName], found);
    else if (key === 'timestamp' && value instanceof Date) copy = mapDate(value, `${at}.timestamp`, issues);
    else copy = jsonCopy(value, [wireName], found);
    if (copy !== undefined) setOwn(out, wireName, copy);
  }
}

/** A wire path (`/2/context/device_id`) in the caller's terms (`calls[2].context.deviceId`). */
export function callerPath(wirePath: readonly string[], root: string): string {
  let path = root;
  let parent: 'calls' | 'call' | 'context' | 'other' = root === 'calls' ? 'calls' : 'call';
  for (const segment of wirePath) {
    if (parent === 'calls') {
      path += `[${segment}]`;
      parent = 'call';
      continue;
    }
    const names = parent === 'call' ? CALL_NAMES : parent === 'context' ? CONTEXT_NAMES : undefined;
    const name = (names && lookup(names, segment)) ?? segment;
    path += /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : /^\d+$/.test(name) ? `[${name}]` : `[${JSON.stringify(name)}]`;
    parent = parent === 'call' && segment === 'context' ? 'context' : 'other';
  }
  return path;
}

/** `describe`, for a value whose Proxy traps may throw. */
function describeSafely(value: unknown): string {
  try {
    return describe(value);
  } catch {
    return 'an object that could not be read (a Proxy threw)';
  }
}

/** A short description of a value for messages: `"many"`, `42`, `null`, `an array`, `an object`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `a BigInt (${value}n)`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
