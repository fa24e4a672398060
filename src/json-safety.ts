/**
 * Values JSON cannot carry faithfully. `JSON.stringify` silently turns NaN into null, drops functions,
 * sends `{}` for a Map and throws on BigInt or a circular structure; each of those would reach
 * ThriveStack as something other than what the caller meant, so they are refused before sending.
 */

/**
 * Whether `node` holds only what JSON carries as is (strings, finite numbers, booleans, null, valid
 * Dates, objects with `toJSON`, in plain objects and arrays), at most `depth` levels deep: the common
 * case, checked without paths or messages. `false` means "look closer" (the full walk decides).
 */
function plainlyFaithful(node: unknown, depth: number): boolean {
  switch (typeof node) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(node);
    case 'object':
      break;
    default:
      return false;
  }
  if (node === null) return true;
  if (depth === 0) return false; // deep, or maybe circular
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (!plainlyFaithful(node[i], depth - 1)) return false;
    return true;
  }
  if (node instanceof Date) return !Number.isNaN(node.getTime());
  if (node instanceof Map || node instanceof Set) return false;
  if (typeof (node as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const key in node) {
    if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
    const child = (node as Record<string, unknown>)[key];
    if (child !== undefined && !plainlyFaithful(child, depth - 1)) return false;
  }
  return true;
}

/**
 * How deep a value inside a call (a trait, a context entry) may nest. Deeper values are refused: the
 * API documents no such structures, and walking or serializing them could overflow the stack.
 */
export const MAX_NESTING_DEPTH = 100;

/** Path length of a call's own fields' values (`traits` → `employees`): nesting counts from there. */
const VALUE_ROOT = 2;

/**
 * Each unfaithful value in a call, with its path (wire keys) and what is wrong with it. The walk
 * never goes deeper than `MAX_NESTING_DEPTH` levels below a field's value, so it cannot overflow.
 */
export function unfaithfulValues(value: unknown): Array<{ path: string[]; message: string }> {
  if (plainlyFaithful(value, 32)) return [];
  const found: Array<{ path: string[]; message: string }> = [];
  const path: string[] = [];
  const ancestors = new Set<object>();

  const visit = (node: unknown, inArray: boolean): void => {
    const problem = problemOf(node, inArray);
    if (problem) {
      found.push({ path: [...path], message: problem });
      return;
    }
    if (typeof node !== 'object' || node === null || node instanceof Date) return;
    if (path.length >= VALUE_ROOT + MAX_NESTING_DEPTH) {
      found.push({
        path: path.slice(0, VALUE_ROOT),
        message: `nests more than ${MAX_NESTING_DEPTH} levels deep, which the client refuses; flatten it`,
      });
      return;
    }
    if (ancestors.has(node)) {
      found.push({ path: [...path], message: 'refers back to an object that contains it (a circular structure), which JSON cannot carry' });
      return;
    }
    if (!Array.isArray(node) && typeof (node as { toJSON?: unknown }).toJSON === 'function') return;
    ancestors.add(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        path.push(String(i));
        visit(node[i], true);
        path.pop();
      }
    } else {
      for (const key of Object.keys(node)) {
        path.push(key);
        visit((node as Record<string, unknown>)[key], false);
        path.pop();
      }
    }
    ancestors.delete(node);
  };

  visit(value, false);
  return found;
}

function problemOf(value: unknown, inArray: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${value}, which JSON would send as null; send a finite number`;
    case 'bigint':
      return 'is a BigInt, which JSON cannot carry; convert it to a number or a string';
    case 'function':
      return 'is a function, which JSON would drop; send its result instead';
    case 'symbol':
      return 'is a symbol, which JSON would drop; send a string instead';
    case 'undefined':
      return inArray ? 'is undefined inside an array, which JSON would send as null' : undefined;
  }
  if (value instanceof Date && Number.isNaN(value.getTime())) {
    return 'is an invalid Date, which JSON would send as null';
  }
  if (value instanceof Map || value instanceof Set) {
    const kind = value instanceof Map ? 'a Map' : 'a Set';
    return `is ${kind}, which JSON would send as {}; convert it to a plain object or array`;
  }
  return undefined;
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
