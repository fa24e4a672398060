/**
 * camelCase group calls → the API's snake_case wire format, and wire paths → the caller's names.
 *
 * The field maps are typed against the generated wire types (`FieldMap`): a field added to or renamed
 * in the document makes this file fail the type check until the map follows.
 */
import type { FieldMap, GroupCall, WireGroupCall, WireGroupContext } from './types.js';
import type { ValidationIssue } from './validation-issue.js';

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

/** Sets a key as plain data: `__proto__` becomes an own property, never a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Only `__proto__` needs defineProperty: using it for every key turns the object into a slow
  // dictionary (4x slower to build, and slower to serialize).
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapContext(context: Record<string, unknown>, at: string, issues: ValidationIssue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(context)) {
    const wireName = lookup(CONTEXT_FIELDS, key);
    if (wireName !== undefined && wireName !== key && hasOwn(context, wireName)) {
      issues.push({ path: `${at}.context`, message: `both "${key}" and "${wireName}" are given; keep one` });
    }
    const value = context[key];
    if (value !== undefined) setOwn(out, wireName ?? key, value);
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

/** Traits as given, except a `created_at` Date, sent as an ISO date-time (a copy is made only then). */
function mapTraits(traits: Record<string, unknown>, at: string, issues: ValidationIssue[]): Record<string, unknown> {
  if (!(traits.created_at instanceof Date) || !hasOwn(traits, 'created_at')) return traits;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(traits)) {
    const value = key === 'created_at' ? mapDate(traits[key], `${at}.traits.created_at`, issues) : traits[key];
    if (value !== undefined) setOwn(out, key, value);
  }
  return out;
}

/**
 * One caller-side call → its wire form. Traits are passed by reference (their names are the API's);
 * problems found while mapping are added to `issues`. `at` is the call's path (`call`, `calls[3]`).
 */
export function toWireCall(call: GroupCall, at: string, issues: ValidationIssue[]): WireGroupCall {
  if (!isPlainRecord(call)) {
    issues.push({ path: at, message: `expected a group call object such as { groupId, userId }, got ${describe(call)}` });
    return call as unknown as WireGroupCall;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(call)) {
    const value = (call as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const wireName = lookup(CALL_FIELDS, key);
    if (wireName === undefined) {
      const camel = lookup(CALL_NAMES, key);
      const hint = camel ? `; use "${camel}"` : '';
      issues.push({ path: `${at}.${key}`, message: `is not a field of a group call${hint}` });
      continue;
    }
    if (key === 'context' && isPlainRecord(value)) setOwn(out, wireName, mapContext(value, at, issues));
    else if (key === 'traits' && isPlainRecord(value)) setOwn(out, wireName, mapTraits(value, at, issues));
    else if (key === 'timestamp') setOwn(out, wireName, mapDate(value, `${at}.timestamp`, issues));
    else setOwn(out, wireName, value);
  }
  return out as WireGroupCall;
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
