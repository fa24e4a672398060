/**
 * Names in the caller's terms: the camelCase ↔ wire field maps (generated from the document), wire
 * paths shown as the caller wrote them, and values described for messages.
 */
import { CALL_FIELDS, CONTEXT_FIELDS } from './generated/call.js';
import { setOwn } from './json-safety.js';
import type { Redactor } from './redact.js';

export { CALL_FIELDS, CONTEXT_FIELDS, setOwn };

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

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
export function describeSafely(value: unknown, redact?: Redactor): string {
  try {
    return describe(value, redact);
  } catch {
    return 'an object that could not be read (a Proxy threw)';
  }
}

/**
 * A short description of a value for messages: `"many"`, `42`, `null`, `an array`, `an object`. A
 * string is shown redacted (`redact`: the client's API key never shows), then cut at 40 characters
 * without ending in what could be the start of the key.
 */
export function describe(value: unknown, redact?: Redactor): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    const shown = redact ? redact(value) : value;
    if (shown.length <= 40) return JSON.stringify(shown);
    const cut = shown.slice(0, 40);
    return JSON.stringify(`${redact?.tail ? redact.tail(cut) : cut}…`);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `a BigInt (${value}n)`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
