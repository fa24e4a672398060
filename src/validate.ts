/**
 * Everything checked before a request leaves the process. A call is read once by the generated
 * one-pass reader (`src/generated/call.ts`, from openapi/openapi.yaml), which checks the document's
 * rules as it goes; when it vouches for the call, the copy it made is serialized and nothing else runs.
 * Otherwise the careful checks run on that same copy: the document's rules as schema errors
 * (generated too), the case of trait names, values JSON cannot carry (found while copying), and each
 * problem is worded in the caller's terms. Nothing here throws before it has found every problem.
 */
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from './generated/constants.js';
import { SCHEMAS, readGroupCall } from './generated/call.js';
import { ValidationError } from './errors.js';
import { Reading } from './json-safety.js';
import { check, schemaErrors, type SchemaError } from './schema-check.js';
import type { Redactor } from './redact.js';
import type { GroupCall, WireGroupCall } from './types.js';
import type { ValidationIssue } from './validation-issue.js';
import { callerPath, describe, describeSafely, isPlainRecord } from './wire.js';
import { dateTime } from './formats.js';
import { utf8Bound, utf8Length } from './call-bytes.js';

export { utf8Length };

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': 'an ISO 8601 date-time such as "2024-01-15T10:30:00Z"',
  date: 'an ISO 8601 date such as "2023-06-01"',
};

/** Up to this many bytes (a lower bound counted while reading), a refused call is serialized to tell its exact size. */
const MEASURED_UP_TO = 4 * MAX_REQUEST_BYTES;

const withArticle = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let node = data;
  for (const segment of segments) node = (node as Record<string, unknown> | undefined)?.[segment];
  return node;
}

function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The two date fields (`segments` from the call): `timestamp` of a call and the reserved trait `created_at`. */
function dateField(segments: readonly string[]): 'timestamp' | 'created_at' | undefined {
  if (segments.length === 1 && segments[0] === 'timestamp') return 'timestamp';
  if (segments.length === 2 && segments[0] === 'traits' && segments[1]!.toLowerCase() === 'created_at') return 'created_at';
  return undefined;
}

/** Why a date field's value was refused, when there is more to say than "expected a date". */
function dateAdvice(value: unknown, describe: (value: unknown) => string): string | undefined {
  if (typeof value === 'number') {
    return `got the number ${value}; pass a Date (e.g. \`new Date(${value})\` for epoch milliseconds) or an ISO 8601 string`;
  }
  if (typeof value === 'string' && dateTime(`${value}Z`)) {
    return `got ${describe(value)}, which has no time zone; add "Z" (UTC) or an offset such as "+02:00"`;
  }
  return undefined;
}

/** One schema error → an issue in the caller's words; `segments` are the path inside the call. */
function describeSchemaIssue(issue: SchemaError, value: unknown, segments: string[], describe: (value: unknown) => string): string {
  const p = issue.params;
  const field = dateField(segments);
  if (field) {
    const advice = dateAdvice(value, describe);
    const expected = field === 'timestamp' ? 'a Date or an ISO 8601 date-time such as "2024-01-15T10:30:00Z"' : 'a Date or an ISO 8601 date or date-time such as "2023-06-01"';
    if (advice) return `expected ${expected}, ${advice}`;
  }
  switch (issue.keyword) {
    case 'type':
      return `expected ${withArticle(String(p.type))}, got ${describe(value)}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `expected at least ${p.limit} characters, got ${describe(value)}`;
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`;
    case 'format':
      return `expected ${FORMAT_EXAMPLES[String(p.format)] ?? `a ${p.format} string`}, got ${describe(value)}`;
    case 'anyOf':
      return `expected ${field === 'created_at' ? 'an ISO 8601 date or date-time such as "2023-06-01"' : 'a value of another form'}, got ${describe(value)}`;
    case 'minItems':
      return `expected at least ${p.limit} group call${p.limit === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : 0}`;
    case 'maxItems':
      return `holds ${Array.isArray(value) ? value.length : '?'} calls, but one request holds at most ${p.limit}; use enqueue(), which splits large batches into requests`;
    default:
      return `fails the "${issue.keyword}" rule`;
  }
}

/** Schema errors of a request (root `calls`) or of one call (root `call`), in the caller's terms. */
function schemaIssues(errors: SchemaError[], data: unknown, root: 'call' | 'calls', redact: Redactor, skip?: ReadonlySet<string>): ValidationIssue[] {
  const shown = (value: unknown): string => describe(value, redact);
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const segments = splitPointer(error.instancePath);
    if (skip && root === 'calls' && skip.has(segments[0] ?? '')) continue;
    if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
    const inCall = root === 'calls' ? segments.slice(1) : segments;
    const message = error.keyword === 'required' ? 'is required' : describeSchemaIssue(error, valueAt(data, segments), inCall, shown);
    issues.push({ path: callerPath(segments, root), message });
  }
  return issues;
}

/** Two trait names that differ only in case: the API treats them as one trait. */
function caseClashes(wire: WireGroupCall, at: string): ValidationIssue[] {
  const traits = wire.traits;
  if (typeof traits !== 'object' || traits === null) return [];
  const seen = new Map<string, string>();
  const issues: ValidationIssue[] = [];
  for (const name of Object.keys(traits)) {
    const lower = name.toLowerCase();
    const first = seen.get(lower);
    if (first === undefined) seen.set(lower, name);
    else {
      issues.push({
        path: `${at}.traits`,
        message: `"${first}" and "${name}" name the same trait (trait names are case-insensitive); keep one`,
      });
    }
  }
  return issues;
}

/** The reserved traits' rules (`employees` a number, ...), by name. */
const RESERVED_TRAITS = SCHEMAS.GroupTraits!.properties!;

/**
 * A reserved trait named in another case (`Employees`, `CREATED_AT`) is that trait to ThriveStack,
 * which reads trait names case-insensitively: its value is held to the reserved trait's rule as well.
 * The document's schema (and so Prism) matches names exactly; this is the rule it cannot say.
 * `pointer`: the call's JSON pointer in what is checked (`''` for one call, `/3` in a request).
 */
function reservedTraitErrors(wire: WireGroupCall, pointer: string): SchemaError[] {
  const traits = wire.traits as Record<string, unknown> | undefined;
  if (typeof traits !== 'object' || traits === null) return [];
  const errors: SchemaError[] = [];
  for (const name of Object.keys(traits)) {
    const lower = name.toLowerCase();
    if (lower === name || !Object.hasOwn(RESERVED_TRAITS, lower) || traits[name] === undefined) continue;
    // no `~` or `/` to escape in the pointer: the name is a reserved trait's, in other letters' case
    check(RESERVED_TRAITS[lower]!, traits[name], `${pointer}/traits/${name}`, errors);
  }
  return errors;
}

function tooLarge(bytes: number, what: string, atLeast: boolean): string {
  // a call of up to 2,000,000 bytes does not fit either once the request's two brackets are counted
  const brackets = bytes <= MAX_REQUEST_BYTES ? ` (with the request's brackets, ${(bytes + 2).toLocaleString('en-US')})` : '';
  return `${what} ${atLeast ? 'at least ' : ''}${bytes.toLocaleString('en-US')} bytes of JSON${brackets}, but one request holds at most ${MAX_REQUEST_BYTES.toLocaleString('en-US')} bytes`;
}

/** A call (at `path`) of `bytes` bytes of JSON, or `atLeast` that many, is more than any request carries. */
export const callTooLarge = (bytes: number, path = 'call', atLeast = false): ValidationIssue => ({
  path,
  message: `${tooLarge(bytes, 'is', atLeast)}; shrink its traits`,
});

/** Calls of `bytes` bytes of JSON together (or `atLeast` that many) are more than one request carries. */
const requestTooLarge = (bytes: number, atLeast = false): ValidationIssue => ({
  path: 'calls',
  message: `${tooLarge(bytes, 'hold', atLeast)}; use enqueue(), which splits batches by size`,
});

/** Whether a call of `bytes` bytes of JSON fits in a request (with the request's brackets). */
export const fitsOneRequest = (bytes: number): boolean => bytes + 2 <= MAX_REQUEST_BYTES;

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

const notACall = (at: string, value: unknown, redact: Redactor): ValidationIssue => ({
  path: at,
  message: `expected a group call object such as { groupId, userId }, got ${describeSafely(value, redact)}`,
});

const noRedaction: Redactor = (text) => text;

/**
 * The issues a `ValidationError` lists: one per path and message, and none showing the API key (a
 * careless caller may have put it in a field, or used it as a trait name).
 */
function refusal(issues: ValidationIssue[], redact: Redactor): ValidationError {
  const shown = redact === noRedaction ? dedupe(issues) : dedupe(issues).map((i) => ({ path: redact(i.path), message: redact(i.message) }));
  return new ValidationError(shown);
}

/**
 * The careful checks of a call the reader did not vouch for, on the copy it made: values JSON cannot
 * carry (found while copying), the case of trait names, then the document's rules; all added to `issues`.
 */
function carefulChecks(call: WireGroupCall, walk: Reading, issues: ValidationIssue[], at: string, root: 'call' | 'calls', redact: Redactor): void {
  for (const problem of walk.found) issues.push({ path: at + callerPath(problem.path, 'call').slice('call'.length), message: problem.message });
  if (walk.ok || root === 'calls') return; // a request's own checks run over all its calls at once
  issues.push(...caseClashes(call, at));
  issues.push(...schemaIssues([...schemaErrors('GroupCall', call), ...reservedTraitErrors(call, '')], call, 'call', redact));
}

let spare: Reading | undefined;

export interface PreparedCall {
  /** The call in wire form: the plain copy that was checked, and is sent. */
  call: WireGroupCall;
  /** Its JSON, as sent. */
  json: string;
}

/** Validates and serializes one call for the queue; throws `ValidationError` with every problem. */
export function prepareCall(input: GroupCall, redact: Redactor = noRedaction): PreparedCall {
  if (!isCallObject(input)) throw refusal([notACall('call', input, redact)], redact);
  // one Reading, reused from call to call (a getter that enqueues from inside a call gets its own)
  const walk = spare ?? new Reading();
  spare = undefined;
  try {
    walk.reset();
    const call = readGroupCall(input, walk, walk.issues, 'call') as WireGroupCall;
    if (!walk.ok || walk.issues.length || walk.found.length) {
      carefulChecks(call, walk, walk.issues, 'call', 'call', redact);
      if (walk.issues.length) throw refusal(walk.issues, redact);
    }
    if (walk.bytes > MEASURED_UP_TO) throw new ValidationError([callTooLarge(walk.bytes, 'call', true)]);
    return { call, json: JSON.stringify(call) };
  } finally {
    spare = walk;
  }
}

export interface PreparedRequest {
  calls: WireGroupCall[];
  /** The JSON body, ready to send. */
  body: string;
}

/**
 * Validates and serializes the argument of `group()`: one call or an array of calls, sent as one
 * request. Throws `ValidationError` listing every problem; nothing is sent then. The size is checked
 * by whoever encodes the body (`checkRequestSize`).
 */
export function prepareRequest(input: GroupCall | readonly GroupCall[], redact: Redactor = noRedaction): PreparedRequest {
  const many = Array.isArray(input);
  if (!many) {
    const { call, json } = prepareCall(input as GroupCall, redact);
    return { calls: [call], body: `[${json}]` };
  }
  const list = input as readonly GroupCall[];
  if (list.length > MAX_CALLS_PER_REQUEST) {
    // told at once: validating a huge array would only say more about a request that cannot be sent
    throw new ValidationError([{ path: 'calls', message: `holds ${list.length} calls, but one request holds at most ${MAX_CALLS_PER_REQUEST}; use enqueue(), which splits large batches into requests` }]);
  }
  const issues: ValidationIssue[] = [];
  // A call that is not an object (`[42]`, `[null]`) is told once, as such.
  const notObjects = new Set<string>();
  const calls: WireGroupCall[] = [];
  const walk = new Reading();
  let ok = list.length > 0;
  let total = 2;
  const sizes: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const input = list[i];
    const at = `calls[${i}]`;
    if (!isCallObject(input)) {
      notObjects.add(String(i));
      issues.push(notACall(at, input, redact));
      calls.push({} as WireGroupCall); // a stand-in: what is not a call is never read again
      sizes.push(0);
      continue;
    }
    walk.reset();
    const call = readGroupCall(input, walk, issues, at) as WireGroupCall;
    carefulChecks(call, walk, issues, at, 'calls', redact);
    calls.push(call);
    ok &&= walk.ok;
    sizes.push(walk.bytes);
    total += walk.bytes + 1;
    if (total > MEASURED_UP_TO) {
      // no request can carry these: the rest is not read (each call could be as large again)
      const alone = walk.bytes > MAX_REQUEST_BYTES;
      const size = alone ? callTooLarge(walk.bytes, at, true) : requestTooLarge(total, true);
      throw refusal([...issues, size], redact);
    }
  }
  if (!ok) {
    calls.forEach((wire, i) => {
      if (!notObjects.has(String(i))) issues.push(...caseClashes(wire, `calls[${i}]`));
    });
    const reserved = calls.flatMap((wire, i) => (notObjects.has(String(i)) ? [] : reservedTraitErrors(wire, `/${i}`)));
    issues.push(...schemaIssues([...schemaErrors('GroupRequest', calls), ...reserved], calls, 'calls', redact, notObjects));
  }
  if (issues.length) throw refusal(issues, redact);
  return { calls, body: JSON.stringify(calls) };
}

/**
 * A request body's size in UTF-8 (counted only when its bound passes the limit): over the limit, the
 * calls that are too large alone are named, else the request as a whole.
 */
export function checkRequestSize(body: string, calls: WireGroupCall[], many: boolean): void {
  if (utf8Bound(body) <= MAX_REQUEST_BYTES) return;
  const bytes = utf8Length(body);
  if (bytes <= MAX_REQUEST_BYTES) return;
  const oversized = calls
    .map((wire, i) => ({ i, bytes: utf8Length(JSON.stringify(wire)) }))
    .filter((c) => !fitsOneRequest(c.bytes));
  if (oversized.length) throw new ValidationError(oversized.map((c) => callTooLarge(c.bytes, many ? `calls[${c.i}]` : 'call')));
  throw new ValidationError([requestTooLarge(bytes)]);
}

/** One issue per path and message: a BigInt `employees` is not also reported as "expected a number". */
function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const byPath = new Map<string, ValidationIssue[]>();
  for (const issue of issues) {
    const list = byPath.get(issue.path) ?? [];
    if (!list.some((i) => i.message === issue.message)) list.push(issue);
    byPath.set(issue.path, list);
  }
  return [...byPath.values()].flatMap((list) => {
    const specific = list.filter((i) => !i.message.startsWith('expected '));
    return specific.length ? specific : list;
  });
}
