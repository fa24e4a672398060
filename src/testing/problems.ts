/**
 * The generated validator's errors (src/generated/validate.js, compiled from openapi/openapi.yaml)
 * in the words of the API's 400 example: `[0].user_id is required`, one problem after another.
 */
import type { ValidationIssue as SchemaIssue } from '../generated/validate.js';

/** At most this many problems are listed in one message; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 10;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const FORMATS: Record<string, string> = {
  'date-time': 'an ISO 8601 date-time such as "2024-01-15T10:30:00Z"',
  date: 'an ISO 8601 date such as "2023-06-01"',
};

const withArticle = (word: string): string => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

function segments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `/0/traits/employees` → `[0].traits.employees`; the body itself is `the body`. */
export function wirePath(parts: readonly string[]): string {
  if (parts.length === 0) return 'the body';
  return parts
    .map((part, i) => (i === 0 ? `[${part}]` : IDENTIFIER.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`))
    .join('');
}

function describeIssue(issue: SchemaIssue, where: string, data: unknown, folded: SchemaIssue[]): string {
  const p = issue.params;
  switch (issue.keyword) {
    case 'required':
      return `${wirePath([...segments(issue.instancePath), String(p.missingProperty)])} is required`;
    case 'type':
      return `${where} must be ${withArticle(String(p.type))}`;
    case 'minLength':
      return p.limit === 1 ? `${where} must not be empty` : `${where} must have at least ${p.limit} characters`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'format':
      return `${where} must be ${FORMATS[String(p.format)] ?? `a ${p.format} string`}`;
    case 'anyOf': {
      const forms = folded.filter((e) => e.keyword === 'format').map((e) => FORMATS[String(e.params.format)] ?? String(e.params.format));
      return forms.length ? `${where} must be ${forms.join(' or ')}` : `${where} does not match any of its allowed forms`;
    }
    case 'minItems':
      return `${where} must hold at least ${p.limit} group call${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `${where} holds ${Array.isArray(data) ? data.length : 'too many'} group calls; one request holds at most ${p.limit}`;
    default:
      return `${where} fails the "${issue.keyword}" rule`;
  }
}

/**
 * One line per problem. Errors inside an `anyOf` are folded into the `anyOf` error at the same place,
 * so each problem is told once.
 */
export function describeProblems(errors: readonly SchemaIssue[], data: unknown): string[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const inAnyOf = (e: SchemaIssue): boolean => e.keyword !== 'anyOf' && e.schemaPath.includes('/anyOf/') && anyOfPaths.has(e.instancePath);
  return errors
    .filter((e) => !inAnyOf(e))
    .map((e) => describeIssue(e, wirePath(segments(e.instancePath)), data, errors.filter((f) => inAnyOf(f) && f.instancePath === e.instancePath)));
}

/** `Invalid request: a; b; c` (the 400 example's form), listing at most MAX_LISTED_PROBLEMS problems. */
export function invalidRequestMessage(prefix: string, problems: readonly string[]): string {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join('; ');
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return `${prefix}: ${listed}${more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : ''}`;
}
