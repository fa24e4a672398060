/**
 * What the generated one-pass reader (`src/generated/call.ts`) calls off its common path: issues in the
 * caller's words, a `Date` where a date-time goes, the case check of trait names, and what it hands the
 * careful path (`json-safety.ts`). Kept apart so that the generated code holds only the document's
 * rules, and these words are written once.
 */
import type { ValidationIssue } from './validation-issue.js';
import { OMIT, THREW, UNREADABLE, isPlainObject, type Reading } from './json-safety.js';
import { nearestName } from './option-check.js';

/** What the careful path returned, for the reader: a value that threw is left out; the checks must run. */
export function fromCareful(walk: Reading, copied: unknown): unknown {
  walk.ok = false;
  return copied === THREW ? OMIT : copied;
}

/** An object read key by key as it is: a plain object (or one without a prototype), without `toJSON`. */
export function isPlainData(value: unknown): boolean {
  return isPlainObject(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** `name === name.toLowerCase()`, without making a string for the usual all-lowercase ASCII name. */
export function isLowerCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 65 && code <= 90) return false;
    if (code > 127) return name === name.toLowerCase();
  }
  return true;
}

/** A `Date` → its ISO 8601 date-time (what the API takes), or an issue for an invalid one or one that cannot be read. */
export function isoDate(value: Date, issues: ValidationIssue[], path: string): string | undefined {
  try {
    if (!Number.isNaN(value.getTime())) return value.toISOString();
    issues.push({ path, message: 'is an invalid Date; pass a valid Date or an ISO 8601 string' });
  } catch {
    issues.push({ path, message: UNREADABLE });
  }
  return undefined;
}

/** A key that is not a field of a group call: named by its wire name (`group_id`) or misspelt (`trait`). */
export function notAField(key: string, at: string, fields: Readonly<Record<string, string>>): ValidationIssue {
  const camel = Object.keys(fields).find((name) => fields[name] === key && name !== key);
  const near = camel ? undefined : nearestName(key, Object.keys(fields));
  const hint = camel ? `; use "${camel}"` : near ? `; did you mean "${near}"?` : '';
  return { path: `${at}.${key}`, message: `is not a field of a group call${hint}` };
}

/** Both names of one field given (`deviceId` and `device_id`). */
export function twice(issues: ValidationIssue[], at: string, field: string, camel: string, wire: string): void {
  issues.push({ path: `${at}.${field}`, message: `both "${camel}" and "${wire}" are given; keep one` });
}
