/**
 * Nesting depth without recursion, so that a row nested 20,000 deep is a per-row rejection instead of
 * a "Maximum call stack size exceeded" that stops the import. The library's validation refuses values
 * nested more than 100 levels (`ValidationError`); the importer checks the row before anything
 * recursive (validation, serialization) touches it.
 */

/** Levels of objects and arrays a row may hold: the call, its traits or context, and 100 below. */
export const MAX_NESTING_DEPTH = 102;

/** Levels a value may nest below a call's field (traits.x, context.y), as the library counts them. */
export const MAX_LEVELS_BELOW_FIELD = MAX_NESTING_DEPTH - 2;

/** Why a row nested deeper is rejected (in the library's terms: levels below a call's field). */
export const NESTING_REASON = `nests more than ${MAX_LEVELS_BELOW_FIELD} levels deep below a field (the most a group call may)`;

/** Whether `value` holds objects or arrays nested more than `limit` levels (the value itself is level 1). */
export function nestingDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
