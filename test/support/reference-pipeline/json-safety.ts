/**
 * Values JSON cannot carry faithfully, and the one copy of a call's values that is validated and sent.
 *
 * `JSON.stringify` silently turns NaN into null, drops functions, sends `{}` for a Map, a Promise or
 * an Error, and throws on BigInt or a circular structure; each of those would reach ThriveStack as
 * something other than what the caller meant, so they are refused before sending. And because a
 * getter or a `toJSON` may answer differently each time it is asked, the client reads every value
 * exactly once, into a plain copy: what was validated is what is sent.
 */

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
/**
 * More values than this cannot fit in one 2,000,000-byte request even as `[0,0,…]`: an array that long
 * is refused without walking it, and a walk that meets this many values (shared references expand:
 * `{a: v, b: v}` nested 30 deep is a billion) stops there.
 */
const MAX_ELEMENTS = 1_000_000;

export interface Unfaithful {
  /** Wire keys from the call (`['traits', 'tags', '2']`). */
  path: string[];
  message: string;
}

/** What a value left out of the copy returns (an `undefined` field, or one refused). */
const OMIT: unique symbol = Symbol('omit');

/** An object literal (or one made without a prototype): what the client reads key by key as it is. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Why an object that is not plain data is refused (or `undefined`: a boxed primitive, unboxed). */
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

/** The state of one walk (module-level functions instead of closures: this runs for every call). */
interface Walk {
  path: string[];
  found: Unfaithful[];
  /** toJSON()s being followed: each counts as a level, so a chain of them ends at the depth limit. */
  hops: number;
  /** Made only for deep values: object → the path length where it was met. */
  ancestors: Map<object, number> | undefined;
  /** Values met so far, against `MAX_ELEMENTS`. */
  values: number;
}

function problem(walk: Walk, message: string): typeof OMIT {
  if (walk.found.length < MAX_ISSUES_PER_CALL) walk.found.push({ path: [...walk.path], message });
  return OMIT;
}

/**
 * A cycle of `period` levels was met deep down (ancestors are tracked only from depth 32): it is told
 * where it first closes, where the path's repeating part begins plus one period.
 */
function circular(walk: Walk, period: number): typeof OMIT {
  const { path } = walk;
  let start = path.length - period;
  while (start - 1 >= VALUE_ROOT - 1 && path[start - 1] === path[start - 1 + period]) start--;
  if (walk.found.length < MAX_ISSUES_PER_CALL) {
    walk.found.push({ path: path.slice(0, start + period), message: 'refers back to an object that contains it (a circular structure), which JSON cannot carry' });
  }
  return OMIT;
}

function visit(walk: Walk, node: unknown, key: string, inArray: boolean): unknown {
  if (walk.found.length >= MAX_ISSUES_PER_CALL || walk.values > MAX_ELEMENTS) return OMIT;
  if (++walk.values > MAX_ELEMENTS) {
    // told once, at the field's value, and the walk stops
    walk.found.push({
      path: walk.path.slice(0, VALUE_ROOT),
      message: `holds more than ${MAX_ELEMENTS.toLocaleString('en-US')} values (shared objects count each time they appear), more than one 2,000,000-byte request can carry`,
    });
    return OMIT;
  }
  switch (typeof node) {
    case 'string':
    case 'boolean':
      return node;
    case 'number':
      return Number.isFinite(node) ? node : problem(walk, `is ${node}, which JSON would send as null; send a finite number`);
    case 'bigint':
      return problem(walk, 'is a BigInt, which JSON cannot carry; convert it to a number or a string');
    case 'function':
      return problem(walk, 'is a function, which JSON would drop; send its result instead');
    case 'symbol':
      return problem(walk, 'is a symbol, which JSON would drop; send a string instead');
    case 'undefined':
      return inArray ? problem(walk, 'is undefined inside an array, which JSON would send as null') : OMIT;
  }
  if (node === null) return null;
  const object = node as object;
  if (object instanceof Date && Number.isNaN(object.getTime())) {
    return problem(walk, 'is an invalid Date, which JSON would send as null; pass a valid Date or an ISO 8601 string');
  }
  const depth = walk.path.length + walk.hops;
  if (depth >= VALUE_ROOT + MAX_NESTING_DEPTH) {
    if (walk.found.length < MAX_ISSUES_PER_CALL) {
      walk.found.push({
        path: walk.path.slice(0, VALUE_ROOT),
        message: `nests more than ${MAX_NESTING_DEPTH} levels deep, which the client refuses; flatten it`,
      });
    }
    return OMIT;
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

function copyObject(walk: Walk, object: object, key: string, inArray: boolean): unknown {
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
    if (object.length > MAX_ELEMENTS) {
      return problem(walk, `holds ${object.length.toLocaleString('en-US')} elements, more than one 2,000,000-byte request can carry`);
    }
    const copy = new Array<unknown>(object.length);
    for (let i = 0; i < object.length; i++) {
      path.push(String(i));
      const item = visit(walk, object[i], String(i), true);
      path.pop();
      copy[i] = item === OMIT ? null : item;
      if (walk.found.length >= MAX_ISSUES_PER_CALL || walk.values > MAX_ELEMENTS) break;
    }
    return copy;
  }
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return visit(walk, object.valueOf(), key, inArray);
  }
  if (!isPlainObject(object)) return problem(walk, notPlain(object));
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(object)) {
    path.push(name);
    const item = visit(walk, (object as Record<string, unknown>)[name], name, false);
    path.pop();
    if (item !== OMIT) setOwn(copy, name, item);
    if (walk.found.length >= MAX_ISSUES_PER_CALL || walk.values > MAX_ELEMENTS) break;
  }
  return copy;
}

/**
 * A plain, JSON-faithful copy of one field's value, read once, as `JSON.stringify(value)` would see it
 * (`toJSON` called once, boxed primitives unboxed), or `undefined` when it is left out. Each
 * unfaithful value is added to `found` with its path instead; the walk never goes deeper than
 * `MAX_NESTING_DEPTH` levels below the field's value, so it cannot overflow, and stops after
 * `MAX_ISSUES_PER_CALL` problems.
 */
export function jsonCopy(value: unknown, path: string[], found: Unfaithful[]): unknown {
  if (typeof value === 'string') return value; // ids: the common case
  const walk: Walk = { path, found, hops: 0, ancestors: undefined, values: 0 };
  let copied: unknown;
  try {
    copied = visit(walk, value, path[path.length - 1] ?? '', false);
  } catch {
    // a getter or Proxy trap that throws while being read
    path.length = Math.min(path.length, VALUE_ROOT);
    copied = problem(walk, 'could not be read (a getter or Proxy threw); send plain data instead');
  }
  return copied === OMIT ? undefined : copied;
}

/** Sets a key as plain data: `__proto__` becomes an own property, never a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Only `__proto__` needs defineProperty: using it for every key turns the object into a slow
  // dictionary (4x slower to build, and slower to serialize).
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  if (!NON_ASCII.test(text)) return text.length; // the common case, scanned natively
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}
