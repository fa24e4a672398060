/**
 * The API's snake_case wire format → the camelCase calls of `ThriveStack.group()`, and caller paths
 * back to wire paths: the inverse of `wire.ts`, built from the same field maps, so a field added to
 * the document reaches both directions at once. Used where calls arrive already in wire format (the
 * `thrivestack import` command's NDJSON and CSV rows), so that they take the client's one path:
 * camelCase call → `prepareCall` (the generated validator) → the same JSON on the wire.
 */
import type { GroupCall } from './types.js';
import type { ValidationIssue } from './validation-issue.js';
import { CALL_FIELDS, CALL_NAMES, CONTEXT_FIELDS, CONTEXT_NAMES, describe, hasOwn, isPlainRecord, lookup, setOwn } from './wire.js';

function mapContext(context: Record<string, unknown>, at: string, issues: ValidationIssue[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(context)) {
    const camel = lookup(CONTEXT_NAMES, key);
    const wireName = lookup(CONTEXT_FIELDS, key);
    if (camel === undefined && wireName !== undefined && wireName !== key) {
      // A camelCase name in a wire-format context would be sent as its snake_case field.
      issues.push({ path: `${at}.context.${key}`, message: `is not a wire-format field; use "${wireName}"` });
      continue;
    }
    setOwn(out, camel ?? key, context[key]);
  }
  return out;
}

/**
 * One wire-format call (`{group_id, user_id, traits, context: {device_id, ...}, timestamp}`) → the
 * camelCase call `ThriveStack.group()` takes. Traits and other context keys are kept as written.
 * Keys that are not wire fields (including camelCase names such as `groupId`) are added to `issues`
 * with paths in wire terms (`${at}.groupId`); types and values are left to the validator.
 */
export function fromWireCall(wire: unknown, at: string, issues: ValidationIssue[]): GroupCall {
  if (!isPlainRecord(wire)) {
    issues.push({ path: at, message: `expected a group call object, got ${describe(wire)}` });
    return {} as GroupCall;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(wire)) {
    const camel = lookup(CALL_NAMES, key);
    if (camel === undefined) {
      const wireName = lookup(CALL_FIELDS, key);
      const hint = wireName !== undefined ? `; use "${wireName}"` : '';
      issues.push({ path: `${at}.${key}`, message: `is not a field of a group call${hint}` });
      continue;
    }
    const value = wire[key];
    setOwn(out, camel, camel === 'context' && isPlainRecord(value) ? mapContext(value, at, issues) : value);
  }
  return out as unknown as GroupCall;
}

/**
 * A path in the client's caller terms (`call.context.deviceId`, `call.traits.employees`) → the
 * same place in wire terms without the root (`context.device_id`, `traits.employees`); `''` for
 * the call itself.
 */
export function wirePath(callerPath: string, root = 'call'): string {
  if (!callerPath.startsWith(root)) return callerPath;
  const rest = callerPath.slice(root.length);
  const segments: string[] = [];
  const token = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let m: RegExpExecArray | null;
  while (token.lastIndex < rest.length && (m = token.exec(rest)) !== null) {
    segments.push(m[1] ?? m[2] ?? (JSON.parse(m[3]!) as string));
  }
  if (token.lastIndex < rest.length) return callerPath; // not a path this module wrote
  const first = segments[0];
  if (first !== undefined && hasOwn(CALL_FIELDS, first)) {
    segments[0] = lookup(CALL_FIELDS, first)!;
    const second = segments[1];
    if (first === 'context' && second !== undefined && hasOwn(CONTEXT_FIELDS, second)) {
      segments[1] = lookup(CONTEXT_FIELDS, second)!;
    }
  }
  return segments
    .map((s, i) => (/^[A-Za-z_$][\w$]*$/.test(s) ? (i === 0 ? s : `.${s}`) : /^\d+$/.test(s) ? `[${s}]` : `[${JSON.stringify(s)}]`))
    .join('');
}
