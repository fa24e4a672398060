/**
 * The careful path of reading a call: values JSON cannot carry faithfully, read once into a plain copy.
 *
 * The generated reader (`src/generated/call.ts`) reads the values it expects (strings, numbers,
 * booleans and null where the document wants them) itself, and hands every other value to this file,
 * which copies it exactly as `JSON.stringify` would see it, once: `toJSON` called once, boxed
 * primitives unboxed, and everything JSON would change refused instead (NaN and Infinity become null,
 * functions vanish, a Map, a Promise or an Error becomes `{}`, BigInt and cycles throw). Because a
 * getter or a `toJSON` may answer differently each time it is asked, nothing is read twice: what was
 * validated is what is sent.
 *
 * The walk is bounded whatever the value: at most `MAX_NESTING_DEPTH` levels below a field's value (no
 * stack overflow), `MAX_ISSUES_PER_CALL` problems, and a call's JSON counted as it is read, so a value
 * that would expand past what one request can carry (shared references: `{a: v, b: v}` forty levels deep
 * is a trillion values) is refused once twice `MAX_REQUEST_BYTES` are counted (`WALK_LIMIT`), before more
 * is copied.
 */
import { MAX_REQUEST_BYTES } from './generated/constants.js';
import type { ValidationIssue } from './validation-issue.js';

/**
 * How deep a value inside a call (a trait, a context entry) may nest. Deeper values are refused: the
 * API documents no such structures, and walking or serializing them could overflow the stack.
 */
export const MAX_NESTING_DEPTH = 100;

/** The walk of one call stops after this many problems (a call of a million bad values is told briefly). */
export const MAX_ISSUES_PER_CALL = 100;

/** Path length of a call's own fields' values (`traits` → `employees`): nesting counts from there. */
const VALUE_ROOT = 2;
/** From this depth on, ancestors are tracked, so a cycle is told as circular rather than as too deep. */
const TRACK_CYCLES_FROM = 32;

export interface Unfaithful {
  /** Wire keys from the call (`['traits', 'tags', '2']`). */
  path: string[];
  message: string;
}

/** What a value left out of the copy is returned as (an `undefined` field, or one refused). */
export const OMIT: unique symbol = Symbol('omit');
/** What a copy returns when reading threw (a getter or Proxy trap): the field it belongs to is dropped whole. */
export const THREW: unique symbol = Symbol('threw');
export type Copied = unknown;

/** What a value that could not be read is told. */
export const UNREADABLE = 'could not be read (a getter or Proxy threw); send plain data instead';

/**
 * The state of reading one call, shared by the generated reader and the careful walk. `bytes` is a
 * lower bound of the call's JSON (exact for ASCII strings and names): the reader and the walk both add
 * to it, and the walk stops once it passes what one request can carry.
 */
export class Reading {
  /** Problems of values JSON cannot carry, in the order met. */
  found: Unfaithful[] = [];
  /** The call's other problems (fields that are not the document's, names given twice, values that cannot be read). */
  issues: ValidationIssue[] = [];
  /** The generated reader vouches for every rule of the document (else the careful checks run). */
  ok = true;
  bytes = 0;
  /** The walk stopped: too many problems, or more bytes than a request can carry. */
  full = false;
  // the current careful walk
  path: string[] = [];
  hops = 0;
  ancestors: Map<object, number> | undefined = undefined;

  /** Starts the next call of a request. */
  reset(): void {
    if (this.found.length) this.found = [];
    if (this.issues.length) this.issues = [];
    this.ok = true;
    this.bytes = 0;
    this.full = false;
  }
}

/** An object literal (or one made without a prototype): what the client reads key by key as it is. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Why an object that is not plain data is refused. */
function notPlain(node: object): string {
  if (node instanceof Map || node instanceof Set) {
    return `is ${node instanceof Map ? 'a Map' : 'a Set'}, which JSON would send as {}; convert it to a plain object or array`;
  }
  if (typeof (node as { then?: unknown }).then === 'function') {
    return 'is a Promise (did you forget `await`?), which JSON would send as {}; send the value it resolves to';
  }
  if (ArrayBuffer.isView(node)) {
    return `is a ${node.constructor?.name ?? 'typed array'}, which JSON would send as an object of indexes; convert it with Array.from()`;
  }
  const name = (node as { constructor?: { name?: unknown } }).constructor?.name;
  const what = typeof name === 'string' && name ? `an instance of ${name}` : 'an object with a prototype';
  return `is ${what}, not a plain object; JSON would send only its own fields (often {}); pass a plain object`;
}

/** Records a problem at `path` (at most `MAX_ISSUES_PER_CALL` per call: then the walk stops). */
function report(walk: Reading, path: string[], message: string): typeof OMIT {
  if (walk.found.length < MAX_ISSUES_PER_CALL) walk.found.push({ path, message });
  if (walk.found.length >= MAX_ISSUES_PER_CALL) walk.full = true;
  return OMIT;
}

function problem(walk: Reading, message: string): typeof OMIT {
  return report(walk, [...walk.path], message);
}

/**
 * How far the careful walk goes, in bytes of the call's JSON (a lower bound): twice what a request can
 * carry, so that a call just over the limit is still measured exactly, and a value that expands without
 * end (shared references) is refused after a bounded walk.
 */
export const WALK_LIMIT = 2 * MAX_REQUEST_BYTES;

/**
 * Adds `n` bytes to the call's count; past `WALK_LIMIT` the walk stops, with one problem where it
 * stopped (none when the reader's own count was already past it: the call's size is told then).
 */
function count(walk: Reading, n: number): boolean {
  const before = walk.bytes;
  if ((walk.bytes += n) <= WALK_LIMIT) return true;
  if (!walk.full) {
    walk.full = true;
    if (before > WALK_LIMIT) return false;
    walk.found.push({
      path: walk.path.slice(0, VALUE_ROOT),
      message: `holds more than ${MAX_REQUEST_BYTES.toLocaleString('en-US')} bytes of JSON (shared objects count each time they appear), more than one request can carry`,
    });
  }
  return false;
}

/**
 * A cycle of `period` levels was met deep down (ancestors are tracked only from depth 32): it is told
 * where it first closes, where the path's repeating part begins plus one period.
 */
function circular(walk: Reading, period: number): typeof OMIT {
  const { path } = walk;
  let start = path.length - period;
  while (start - 1 >= VALUE_ROOT - 1 && path[start - 1] === path[start - 1 + period]) start--;
  return report(walk, path.slice(0, start + period), 'refers back to an object that contains it (a circular structure), which JSON cannot carry');
}

function visit(walk: Reading, node: unknown, key: string, inArray: boolean): unknown {
  if (walk.full) return OMIT;
  switch (typeof node) {
    case 'string':
      return count(walk, node.length + 2) ? node : OMIT;
    case 'boolean':
      return count(walk, 4) ? node : OMIT;
    case 'number':
      if (!Number.isFinite(node)) return problem(walk, `is ${node}, which JSON would send as null; send a finite number`);
      return count(walk, 1) ? node : OMIT;
    case 'bigint':
      return problem(walk, 'is a BigInt, which JSON cannot carry; convert it to a number or a string');
    case 'function':
      return problem(walk, 'is a function, which JSON would drop; send its result instead');
    case 'symbol':
      return problem(walk, 'is a symbol, which JSON would drop; send a string instead');
    case 'undefined':
      return inArray ? problem(walk, 'is undefined inside an array, which JSON would send as null') : OMIT;
  }
  if (node === null) return count(walk, 4) ? null : OMIT;
  const object = node as object;
  if (object instanceof Date && Number.isNaN(object.getTime())) {
    return problem(walk, 'is an invalid Date, which JSON would send as null; pass a valid Date or an ISO 8601 string');
  }
  const depth = walk.path.length + walk.hops;
  if (depth >= VALUE_ROOT + MAX_NESTING_DEPTH) {
    return report(walk, walk.path.slice(0, VALUE_ROOT), `nests more than ${MAX_NESTING_DEPTH} levels deep, which the client refuses; flatten it`);
  }
  if (depth < TRACK_CYCLES_FROM) return copyObject(walk, object, key, inArray);
  walk.ancestors ??= new Map();
  const first = walk.ancestors.get(object);
  if (first !== undefined) return circular(walk, walk.path.length - first);
  walk.ancestors.set(object, walk.path.length);
  try {
    return copyObject(walk, object, key, inArray);
  } finally {
    walk.ancestors.delete(object);
  }
}

function copyObject(walk: Reading, object: object, key: string, inArray: boolean): unknown {
  const { path } = walk;
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    let replaced: unknown;
    try {
      replaced = toJSON.call(object, key);
    } catch {
      return problem(walk, 'has a toJSON() that threw; send plain data instead');
    }
    if (replaced === object) return problem(walk, 'has a toJSON() that returns itself');
    // what toJSON gives is walked like any value, one level deeper (a chain of toJSONs ends)
    walk.hops++;
    try {
      return visit(walk, replaced, key, inArray);
    } finally {
      walk.hops--;
    }
  }
  if (Array.isArray(object)) {
    // each element is at least one byte and a comma: an array too long for any request is not walked
    if (object.length > MAX_REQUEST_BYTES / 2) {
      return problem(walk, `holds ${object.length.toLocaleString('en-US')} elements, more than one ${MAX_REQUEST_BYTES.toLocaleString('en-US')}-byte request can carry`);
    }
    if (!count(walk, 2 + object.length)) return OMIT;
    const copy = new Array<unknown>(object.length);
    for (let i = 0; i < object.length; i++) {
      path.push(String(i));
      const item = visit(walk, object[i], String(i), true);
      path.pop();
      copy[i] = item === OMIT ? null : item;
      if (walk.full) break;
    }
    return copy;
  }
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return visit(walk, object.valueOf(), key, inArray);
  }
  if (!isPlainObject(object)) return problem(walk, notPlain(object));
  return count(walk, 2) ? copyEntries(walk, object) : OMIT;
}

/** Copies a plain object's entries, each read once. */
function copyEntries(walk: Reading, object: Record<string, unknown>): unknown {
  const { path } = walk;
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(object)) {
    path.push(name);
    const value = object[name];
    const item = value === undefined ? OMIT : count(walk, name.length + 4) ? visit(walk, value, name, false) : OMIT;
    path.pop();
    if (item !== OMIT) setOwn(copy, name, item);
    if (walk.full) break;
  }
  return copy;
}

/** The careful copy, from the reader's path; a throw while reading drops the whole field (`THREW`). */
function guarded(walk: Reading, path: string[], run: () => unknown): unknown {
  walk.path = path;
  walk.hops = 0;
  walk.ancestors = undefined;
  try {
    return run();
  } catch {
    // a getter or Proxy trap that throws while being read
    path.length = Math.min(path.length, VALUE_ROOT);
    walk.path = path;
    problem(walk, UNREADABLE);
    return THREW;
  }
}

/**
 * A plain, JSON-faithful copy of the value of a call's field `name` (or of `name`'s entry `entry`),
 * read once, or `OMIT` when it is left out (undefined, or refused: each problem is added to
 * `walk.found` with its path), or `THREW` when reading it threw.
 */
export function copyValue(walk: Reading, value: unknown, name: string, entry?: string): unknown {
  if (typeof value === 'string') return count(walk, value.length + 2) ? value : OMIT;
  const path = entry === undefined ? [name] : [name, entry];
  return guarded(walk, path, () => visit(walk, value, path[path.length - 1]!, false));
}

/** The entry `name` of the call's `field` could not be read: the whole field is dropped, as the careful copy does. */
export function unreadable(walk: Reading, field: string, name: string): void {
  report(walk, [field, name], UNREADABLE);
}

/**
 * The reader's own loops (over a flat `traits` or `context`) passed `WALK_LIMIT`: the walk stops there
 * too, with the problem told at the field, so a flat object of a million entries is not copied whole.
 */
export function pastLimit(walk: Reading, field: string): typeof OMIT {
  if (!walk.full) {
    walk.full = true;
    report(walk, [field], `holds more than ${MAX_REQUEST_BYTES.toLocaleString('en-US')} bytes of JSON (shared objects count each time they appear), more than one request can carry`);
  }
  return OMIT;
}

/** Sets a key as plain data: `__proto__` becomes an own property, never a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Only `__proto__` needs defineProperty: using it for every key turns the object into a slow
  // dictionary (4x slower to build, and slower to serialize).
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
