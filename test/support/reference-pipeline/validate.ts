/**
 * Everything checked before a request leaves the process. Field rules come from the generated
 * validator (src/generated/validate.js, compiled from openapi/openapi.yaml); this file adds only what
 * a schema cannot say (values JSON cannot carry, case-insensitive trait names, the 2 MB limit) and
 * turns every problem into a message in the caller's terms. Nothing here throws before it has found
 * every problem.
 */
import { validateGroupRequest, type ValidationIssue as SchemaIssue } from './ajv-validate.js';
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from '../../../src/generated/constants.js';
import { ValidationError } from '../../../src/errors.js';
import { utf8Length } from './json-safety.js';
import type { GroupCall, WireGroupCall } from './types.js';
import type { ValidationIssue } from '../../../src/validation-issue.js';
import { callerPath, describe, isCallObject, toWireCall } from './wire.js';
import { dateTime } from './formats.js';

const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': 'an ISO 8601 date-time such as "2024-01-15T10:30:00Z"',
  date: 'an ISO 8601 date such as "2023-06-01"',
};

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

/** The two date fields: `timestamp` of a call and the reserved trait `created_at`. */
function dateField(segments: readonly string[]): 'timestamp' | 'created_at' | undefined {
  const last = segments[segments.length - 1];
  if (last === 'timestamp' && segments.length === 2) return 'timestamp';
  if (last === 'created_at' && segments[segments.length - 2] === 'traits' && segments.length === 3) return 'created_at';
  return undefined;
}

/** Why a date field's value was refused, when there is more to say than "expected a date". */
function dateAdvice(value: unknown): string | undefined {
  if (typeof value === 'number') {
    return `got the number ${value}; pass a Date (e.g. \`new Date(${value})\` for epoch milliseconds) or an ISO 8601 string`;
  }
  if (typeof value === 'string' && dateTime(`${value}Z`)) {
    return `got ${describe(value)}, which has no time zone; add "Z" (UTC) or an offset such as "+02:00"`;
  }
  return undefined;
}

/** One schema error of the generated validator → an issue in the caller's words. */
function describeSchemaIssue(issue: SchemaIssue, data: unknown, segments: string[]): string {
  const value = valueAt(data, segments);
  const p = issue.params;
  const field = dateField(segments);
  if (field) {
    const advice = dateAdvice(value);
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
      return `expected ${issue.schemaPath.includes('created_at') ? 'an ISO 8601 date or date-time such as "2023-06-01"' : 'a value of another form'}, got ${describe(value)}`;
    case 'minItems':
      return `expected at least ${p.limit} group call${p.limit === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : 0}`;
    case 'maxItems':
      return `holds ${Array.isArray(value) ? value.length : '?'} calls, but one request holds at most ${p.limit}; use enqueue(), which splits large batches into requests`;
    default:
      return issue.message ?? `fails the "${issue.keyword}" rule`;
  }
}

/**
 * Schema issues of a wire request, in caller terms. Errors inside an `anyOf` are folded into the
 * single `anyOf` error at the same place, so each problem is told once.
 */
function schemaIssues(wire: unknown, root: 'call' | 'calls', skip: ReadonlySet<string> = new Set()): ValidationIssue[] {
  if (validateGroupRequest(wire)) return [];
  const errors = (validateGroupRequest.errors ?? []).filter((e) => !skip.has(e.instancePath.split('/')[1] ?? ''));
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    if (error.keyword !== 'anyOf' && error.schemaPath.includes('/anyOf/') && anyOfPaths.has(error.instancePath)) continue;
    const segments = splitPointer(error.instancePath);
    if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
    const shown = root === 'call' ? segments.slice(1) : segments;
    const message = error.keyword === 'required' ? 'is required' : describeSchemaIssue(error, wire, segments);
    issues.push({ path: callerPath(shown, root), message });
  }
  return issues;
}

/** Two trait names that differ only in case: the API treats them as one trait. */
function caseClashes(wire: WireGroupCall, at: string): ValidationIssue[] {
  const traits = wire.traits;
  if (typeof traits !== 'object' || traits === null) return [];
  // Names all in lower case cannot clash: the usual case, checked without a Map.
  if (Object.keys(traits).every((name) => name === name.toLowerCase())) return [];
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

/** What a schema cannot check about one wire call (values JSON cannot carry are found while copying it). */
function callIssues(wire: WireGroupCall, at: string): ValidationIssue[] {
  return caseClashes(wire, at);
}

function tooLarge(bytes: number, what: string): string {
  return `${what} ${bytes.toLocaleString('en-US')} bytes of JSON, but one request holds at most ${MAX_REQUEST_BYTES.toLocaleString('en-US')} bytes`;
}

export interface PreparedRequest {
  calls: WireGroupCall[];
  /** The JSON body, ready to send. */
  body: string;
  bytes: number;
}

/**
 * Validates and serializes the argument of `group()`: one call or an array of calls, sent as one
 * request. Throws `ValidationError` listing every problem; nothing is sent then.
 */
export function prepareRequest(input: GroupCall | readonly GroupCall[]): PreparedRequest {
  const many = Array.isArray(input);
  const root = many ? 'calls' : 'call';
  const list: readonly GroupCall[] = many ? input : [input as GroupCall];
  if (list.length > MAX_CALLS_PER_REQUEST) {
    // told at once: validating a huge array would only say more about a request that cannot be sent
    throw new ValidationError([{ path: 'calls', message: `holds ${list.length} calls, but one request holds at most ${MAX_CALLS_PER_REQUEST}; use enqueue(), which splits large batches into requests` }]);
  }
  const issues: ValidationIssue[] = [];
  // A call that is not an object (`group()`, `group(null)`, `[42]`) is told once, as such.
  const notObjects = new Set<string>();
  list.forEach((call, i) => {
    if (!isCallObject(call)) notObjects.add(String(i));
  });
  const calls = list.map((call, i) => toWireCall(call, many ? `calls[${i}]` : 'call', issues));
  calls.forEach((wire, i) => {
    if (!notObjects.has(String(i))) issues.push(...callIssues(wire, many ? `calls[${i}]` : 'call'));
  });
  issues.push(...schemaIssues(calls, root, notObjects));
  if (issues.length) throw new ValidationError(dedupe(issues));

  const body = JSON.stringify(calls);
  const bytes = utf8Length(body);
  if (bytes > MAX_REQUEST_BYTES) {
    const oversized = calls
      .map((wire, i) => ({ i, bytes: utf8Length(JSON.stringify(wire)) }))
      .filter((c) => c.bytes > MAX_REQUEST_BYTES - 2);
    if (oversized.length) {
      throw new ValidationError(
        oversized.map((c) => ({ path: many ? `calls[${c.i}]` : 'call', message: tooLarge(c.bytes, 'is') + '; shrink its traits' })),
      );
    }
    throw new ValidationError([{ path: 'calls', message: tooLarge(bytes, 'hold') + '; use enqueue(), which splits batches by size' }]);
  }
  return { calls, body, bytes };
}

export interface PreparedCall {
  call: WireGroupCall;
  /** The call's JSON, ready to be joined into a batch. */
  json: string;
  bytes: number;
}

/** Validates and serializes one call for the queue; throws `ValidationError` with every problem. */
export function prepareCall(input: GroupCall): PreparedCall {
  const issues: ValidationIssue[] = [];
  const call = toWireCall(input, 'call', issues);
  if (!isCallObject(input)) throw new ValidationError(issues);
  const unsafe = callIssues(call, 'call');
  if (unsafe.length) issues.push(...unsafe);
  if (!validateGroupRequest([call])) issues.push(...schemaIssues([call], 'call'));
  if (issues.length) throw new ValidationError(dedupe(issues));
  const json = JSON.stringify(call);
  const bytes = utf8Length(json);
  if (bytes + 2 > MAX_REQUEST_BYTES) throw new ValidationError([{ path: 'call', message: tooLarge(bytes, 'is') + '; shrink its traits' }]);
  return { call, json, bytes };
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
