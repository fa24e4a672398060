/**
 * Writes src/generated/call.ts from the document's GroupRequest schema and the schemas it refers to:
 *
 *   - the caller's types (`GroupCall`, `GroupTraits`, `GroupContext`), camelCase where the client
 *     renames, with the document's descriptions as doc comments;
 *   - the field maps (`CALL_FIELDS`, `CONTEXT_FIELDS`: camelCase → wire name) and `RESERVED_TRAITS`;
 *   - `readGroupCall`: the one pass over a caller's call. It reads each field once, maps it to its wire
 *     name, checks the document's rule for it inline and builds the plain wire copy that is serialized.
 *     A value it does not vouch for (anything but the string, number, boolean or null the document
 *     expects there) goes to the careful path (src/json-safety.ts) on what was already read;
 *   - `SCHEMAS`: the same rules as data (annotations dropped), which src/schema-check.ts reads to word
 *     each problem of a call the one pass did not vouch for, in the document's order.
 *
 * Only the schema keywords below are understood; any other keyword in these schemas stops the
 * generator, so a rule added to the document can never be silently left unchecked.
 */

type Schema = Record<string, any>;

/** What src/schema-check.ts checks, and the one pass reads inline. */
const RULE_KEYWORDS = ['type', 'properties', 'required', 'additionalProperties', 'minLength', 'maxLength', 'enum', 'format', 'anyOf', '$ref', 'minItems', 'maxItems', 'items'];
/** Annotations, and the extensions read here. */
const OTHER_KEYWORDS = ['description', 'examples', 'example', 'title', 'x-max-request-bytes', 'x-case-insensitive-keys'];
const KNOWN_KEYWORDS = new Set([...RULE_KEYWORDS, ...OTHER_KEYWORDS]);

/**
 * Objects whose property names are the API's own and are sent as written (trait names: `account_name`);
 * every other object's named properties are camelCase for the caller (`groupId` → `group_id`).
 */
const NAMES_AS_WRITTEN = new Set(['GroupTraits']);
/** Formats the client has checkers for (src/formats.ts), by the function's name. */
const FORMATS: Record<string, string> = { 'date-time': 'dateTime', date: 'date' };

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const q = (value: unknown): string => JSON.stringify(value);

type Schemas = Record<string, Schema>;

function refName(schema: Schema): string | undefined {
  return typeof schema.$ref === 'string' ? schema.$ref.replace('#/components/schemas/', '') : undefined;
}

function resolve(schemas: Schemas, schema: Schema): { name?: string; schema: Schema } {
  const name = refName(schema);
  if (name === undefined) return { schema };
  const target = schemas[name];
  if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
  return { name, schema: target };
}

/** Every keyword understood, in every schema reachable from `schema`. */
function checkKeywords(schemas: Schemas, where: string, schema: Schema, seen = new Set<Schema>()): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(key)) throw new Error(`scripts/generate-call.ts does not understand "${key}" in ${where}; teach it (and src/schema-check.ts) before using it`);
  }
  if (schema.format !== undefined && !FORMATS[schema.format]) throw new Error(`${where}: no checker for format "${schema.format}" in src/formats.ts`);
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean') throw new Error(`${where}: additionalProperties must be true or false`);
  for (const [name, prop] of Object.entries<Schema>(schema.properties ?? {})) checkKeywords(schemas, `${where}.${name}`, prop, seen);
  (schema.anyOf ?? []).forEach((branch: Schema, i: number) => checkKeywords(schemas, `${where}/anyOf/${i}`, branch, seen));
  if (schema.items) checkKeywords(schemas, `${where}/items`, schema.items, seen);
  const ref = refName(schema);
  if (ref) checkKeywords(schemas, ref, resolve(schemas, schema).schema, seen);
}

/** A schema as data for src/schema-check.ts: rule keywords only, `$ref` as the schema's name. */
function ruleData(schema: Schema): Schema {
  const out: Schema = {};
  for (const key of RULE_KEYWORDS) {
    const value = schema[key];
    if (value === undefined) continue;
    if (key === '$ref') out.$ref = refName(schema);
    else if (key === 'properties') out.properties = Object.fromEntries(Object.entries<Schema>(value).map(([k, v]) => [k, ruleData(v)]));
    else if (key === 'anyOf') out.anyOf = (value as Schema[]).map(ruleData);
    else if (key === 'items') out.items = ruleData(value);
    else out[key] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The one pass: what it vouches for, inline

/**
 * The inline test that vouches for `v` as a value of `schema` (a string, number or boolean schema, or
 * an anyOf of them), or undefined when the one pass cannot vouch for any value of it (an object).
 */
function vouch(schemas: Schemas, schema: Schema, v: string): string | undefined {
  const target = resolve(schemas, schema).schema;
  if (target.anyOf) {
    const branches = (target.anyOf as Schema[]).map((b) => vouch(schemas, b, v));
    return branches.some((b) => b === undefined) ? undefined : branches.map((b) => `(${b})`).join(' || ');
  }
  const tests: string[] = [];
  switch (target.type) {
    case 'string':
      tests.push(`typeof ${v} === "string"`);
      if (target.minLength !== undefined) tests.push(`${v}.length >= ${Number(target.minLength)}`);
      if (target.maxLength !== undefined) tests.push(`${v}.length <= ${Number(target.maxLength)}`);
      if (target.format !== undefined) tests.push(`${FORMATS[target.format]}(${v})`);
      break;
    case 'number':
      tests.push(`typeof ${v} === "number" && ${v} - ${v} === 0`);
      break;
    case 'boolean':
      tests.push(`typeof ${v} === "boolean"`);
      break;
    default:
      return undefined;
  }
  if (target.enum) tests.push(`(${(target.enum as unknown[]).map((e) => `${v} === ${q(e)}`).join(' || ')})`);
  return tests.join(' && ');
}

interface Field {
  wire: string;
  key: string;
  schema: Schema;
  /** A nested object's schema name (traits, context). */
  object?: string;
  /** The value's format is a date-time: the call's own field also takes a `Date`. */
  date: boolean;
}

function fieldsOf(schemas: Schemas, name: string): Field[] {
  const asWritten = NAMES_AS_WRITTEN.has(name);
  return Object.entries<Schema>(schemas[name]!.properties ?? {}).map(([wire, schema]) => {
    const { name: ref, schema: target } = resolve(schemas, schema);
    return {
      wire,
      key: asWritten ? wire : camel(wire),
      schema,
      object: ref && target.type === 'object' ? ref : undefined,
      date: target.format === 'date-time',
    };
  });
}

/** Case labels grouped by identical code, in document order of each group's first member. */
function grouped(cases: Array<{ labels: string[]; body: string }>): string {
  const byBody = new Map<string, string[]>();
  for (const c of cases) byBody.set(c.body, [...(byBody.get(c.body) ?? []), ...c.labels]);
  return [...byBody].map(([body, labels]) => `${labels.map((l) => `case ${q(l)}:`).join(' ')}\n          ${body}\n          break;`).join('\n        ');
}

/** The reader of the call itself: a closed object of camelCase fields. */
function callReader(schemas: Schemas, name: string): string {
  const fields = fieldsOf(schemas, name);
  const cases = fields.map((f) => {
    const set = (v: string): string => `out.${f.wire} = ${v}`;
    const careful = `{ walk.ok = false; const c = copyValue(walk, v, ${q(f.wire)}); if (c !== OMIT && c !== THREW) ${set('c')}; }`;
    let body: string;
    if (f.object) body = `{ const c = read${f.object}(v, walk, issues, at); if (c !== OMIT) ${set('c')}; }`;
    else {
      const test = vouch(schemas, f.schema, 'v')!;
      const asString = `if (typeof v === "string") { walk.bytes += v.length + 2; if (!(${test})) walk.ok = false; ${set('v')}; }`;
      const date = f.date
        ? ` else if (v instanceof Date) { const s = isoDate(v, issues, at + ${q(`.${f.key}`)}); if (s !== undefined) { walk.bytes += s.length + 2; if (!(${vouch(schemas, f.schema, 's')})) walk.ok = false; ${set('s')}; } }`
        : '';
      body = test.startsWith('typeof v === "string"') ? `${asString}${date} else ${careful}` : `if (${test}) { walk.bytes += 4; ${set('v')}; } else ${careful}`;
    }
    return { labels: [f.key], body: `walk.bytes += ${f.wire.length + 4};\n          ${body}` };
  });
  const required = ((schemas[name]!.required ?? []) as string[]).map((r) => `out.${r} === undefined`);
  return `/**
 * One pass over a caller's group call (\`call\` is an object: see \`isCallObject\`): each field read
 * once, mapped to its wire name and checked against the document; returns the plain wire copy that is
 * sent. Sets \`walk.ok = false\` when a rule is broken or a value needs the careful checks; fields that
 * are not the document's, and values that cannot be read, are added to \`issues\` under \`at\`.
 */
export function read${name}(call: Record<string, unknown>, walk: Reading, issues: ValidationIssue[], at: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  walk.bytes += 2;
  try {
    const keys = Object.keys(call);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      let v: unknown;
      try {
        v = call[key];
      } catch {
        issues.push({ path: \`\${at}.\${key}\`, message: UNREADABLE });
        continue;
      }
      if (v === undefined) continue;
      switch (key) {
        ${grouped(cases)}
        default:
          issues.push(notAField(key, at, CALL_FIELDS));
      }
    }
  } catch {
    // a Proxy trap or getter of the call (or of its context) that throws while being read
    issues.push({ path: at, message: UNREADABLE });
  }
  ${required.length ? `if (${required.join(' || ')}) walk.ok = false;` : ''}
  return out;
}
`;
}

/**
 * The reader of an open object whose names are sent as written (traits): its own entries typed, any
 * other entry as written. Reading it cannot throw: a value that cannot be read drops the whole object.
 */
function writtenReader(schemas: Schemas, name: string, field: string): string {
  const schema = schemas[name]!;
  const careful = `{ const c = copyValue(walk, v, ${q(field)}, name); if (c === THREW) return OMIT; if (c !== OMIT) set(out, name, c); }`;
  const cases = fieldsOf(schemas, name).map((f) => {
    const test = vouch(schemas, f.schema, 'v');
    // the body names no entry (\`name\` is the case's own), so entries of one rule share one case
    const bytes = test?.includes('typeof v === "string"') && !test.includes('"number"') ? 'v.length + 2' : '4';
    const body = test === undefined ? `walk.ok = false; ${careful}` : `if (${test}) { walk.bytes += ${bytes}; out[name] = v; } else { walk.ok = false; ${careful} }`;
    return { labels: [f.wire], body };
  });
  return `/** Reads \`value\` (the call's \`${field}\`) in one pass: each entry once, the reserved ones checked. */
function read${name}(value: unknown, walk: Reading, issues: ValidationIssue[], at: string): unknown {
  // after too many problems, the careful copy keeps strings only (as it does everywhere)
  if (walk.full) return fromCareful(walk, copyValue(walk, value, ${q(field)}));
  let keys: string[];
  try {
    if (!isPlainData(value)) return fromCareful(walk, copyValue(walk, value, ${q(field)}));
    keys = Object.keys(value as object);
  } catch {
    return fromCareful(walk, copyValue(walk, value, ${q(field)}));
  }
  const out: Record<string, unknown> = {};
  walk.bytes += 2;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    let v: unknown;
    try {
      v = (value as Record<string, unknown>)[name];
    } catch {
      unreadable(walk, ${q(field)}, name);
      return OMIT;
    }
    if (v === undefined) continue;${schema['x-case-insensitive-keys'] === true ? '\n    if (walk.ok && !isLowerCase(name)) walk.ok = false;' : ''}
    walk.bytes += name.length + 4;
    switch (name) {
        ${grouped(cases)}
      default:
        if (typeof v === "string") { walk.bytes += v.length + 2; set(out, name, v); }
        else if ((typeof v === "number" && v - v === 0) || typeof v === "boolean" || v === null) { walk.bytes += 4; set(out, name, v); }
        else ${careful}
    }
    if (walk.full) break;
    if (walk.bytes > WALK_LIMIT) return pastLimit(walk, ${q(field)});
  }
  return out;
}
`;
}

/**
 * The reader of an open object whose own fields are camelCase (context): every key mapped to its wire
 * name (both names of a field given is an issue), each value read once; the copy is the mapped object
 * when every value is a string, number, boolean or null, else the careful copy of it. A key or value
 * that cannot be read (a getter or Proxy that throws) is named, the object left out, and the rest of
 * the call read.
 */
function camelReader(schemas: Schemas, name: string, field: string): string {
  const fields = fieldsOf(schemas, name);
  const renamed = fields.filter((f) => f.key !== f.wire);
  const flag = (f: Field): string => `given${camel(`_${f.wire}`)}`;
  const cases = fields.map((f) => {
    const twice = renamed.includes(f) ? `if (${flag(f)}) twice(issues, at, ${q(field)}, ${q(f.key)}, ${q(f.wire)}); ${flag(f)} = true; ` : '';
    const test = vouch(schemas, f.schema, 'v');
    const check = test === undefined
      ? 'walk.ok = false; plain = false;'
      : `if (typeof v === "string") { walk.bytes += v.length + 2; if (!(${test})) walk.ok = false; } else if (!(${test})) { walk.ok = false; plain = false; }`;
    return { labels: [...new Set([f.key, f.wire])], body: `${twice}walk.bytes += ${f.wire.length + 4}; ${check} out.${f.wire} = v;` };
  });
  return `/** Reads \`value\` (the call's \`${field}\`) in one pass: keys mapped to wire names, each value read once. */
function read${name}(value: unknown, walk: Reading, issues: ValidationIssue[], at: string): unknown {
  let keys: string[];
  try {
    if (!isPlainData(value)) return fromCareful(walk, copyValue(walk, value, ${q(field)}));
    keys = Object.keys(value as object);
  } catch {
    issues.push({ path: \`\${at}.${field}\`, message: UNREADABLE });
    walk.ok = false;
    return OMIT;
  }
  const mark = walk.bytes;
  const out: Record<string, unknown> = {};
  walk.bytes += 2;
  let plain = true;
  ${renamed.map((f) => `let ${flag(f)} = false;`).join(' ')}
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    let v: unknown;
    try {
      v = (value as Record<string, unknown>)[name];
    } catch {
      issues.push({ path: \`\${at}.${field}.\${name}\`, message: UNREADABLE });
      walk.ok = false;
      return OMIT;
    }
    if (v === undefined) continue;
    switch (name) {
      ${grouped(cases)}
      default:
        walk.bytes += name.length + 4;
        if (typeof v === "string") walk.bytes += v.length + 2;
        else if ((typeof v === "number" && v - v === 0) || typeof v === "boolean" || v === null) walk.bytes += 4;
        else plain = false;
        set(out, name, v);
    }
    if (walk.bytes > WALK_LIMIT) return pastLimit(walk, ${q(field)});
  }
  if (plain && !walk.full) return out;
  // a value the one pass does not vouch for: the mapped object is copied carefully, from the start
  walk.bytes = mark;
  return fromCareful(walk, copyValue(walk, out, ${q(field)}));
}
`;
}

// ---------------------------------------------------------------------------------------------------
// Types

function doc(text: unknown, indent = ''): string {
  if (typeof text !== 'string' || !text.trim()) return '';
  const lines = text.trim().split('\n');
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function tsType(schemas: Schemas, schema: Schema, date: boolean): string {
  const { name, schema: s } = resolve(schemas, schema);
  if (name && s.type === 'object') return name;
  let type: string;
  if (s.anyOf) type = [...new Set((s.anyOf as Schema[]).map((b) => tsType(schemas, b, false)))].join(' | ');
  else if (s.enum) type = (s.enum as unknown[]).map(q).join(' | ');
  else if (s.type === 'string' || s.type === 'number' || s.type === 'boolean') type = s.type;
  else throw new Error(`no type for ${JSON.stringify(s)}`);
  return date ? `${type} | Date` : type;
}

const dateFormatted = (schemas: Schemas, schema: Schema): boolean => {
  const s = resolve(schemas, schema).schema;
  return s.format === 'date-time' || s.format === 'date' || (Array.isArray(s.anyOf) && s.anyOf.some((b: Schema) => dateFormatted(schemas, b)));
};

function typesFor(schemas: Schemas, name: string): string {
  const schema = schemas[name]!;
  const required = new Set<string>(schema.required ?? []);
  let out = doc(schema.description) + `export interface ${name} {\n`;
  for (const f of fieldsOf(schemas, name)) {
    const dates = dateFormatted(schemas, f.schema);
    const description = [resolve(schemas, f.schema).schema.description ?? f.schema.description, dates ? 'A `Date` is sent as its ISO 8601 date-time.' : '']
      .filter(Boolean)
      .join('\n');
    out += doc(description, '  ') + `  ${/^[A-Za-z_$][\w$]*$/.test(f.key) ? f.key : q(f.key)}${required.has(f.wire) ? '' : '?'}: ${tsType(schemas, f.schema, dates)};\n`;
  }
  if (schema.additionalProperties === true) {
    out += `  /** ${NAMES_AS_WRITTEN.has(name) ? 'Any other (custom) entry, sent as written.' : 'Any other key, sent as written.'} */\n  [key: string]: unknown;\n`;
  }
  return `${out}}\n`;
}

// ---------------------------------------------------------------------------------------------------

export function callFile(spec: { components: { schemas: Schemas } }, header: string): string {
  const schemas = spec.components.schemas;
  const request = schemas.GroupRequest!;
  checkKeywords(schemas, 'GroupRequest', request);
  const call = refName(request.items)!;
  const nested = fieldsOf(schemas, call).filter((f) => f.object).map((f) => ({ field: f.wire, name: f.object! }));
  const camelCased = [call, ...nested.map((n) => n.name)].filter((n) => !NAMES_AS_WRITTEN.has(n));
  const fieldMaps = camelCased
    .map((n) => {
      const constant = n === call ? 'CALL_FIELDS' : `${n.replace(/^Group/, '').toUpperCase()}_FIELDS`;
      return `/** ${n}'s fields: the caller's camelCase name → the wire name. */\nexport const ${constant} = {\n${fieldsOf(schemas, n).map((f) => `  ${f.key}: ${q(f.wire)},`).join('\n')}\n} as const;\n`;
    })
    .join('\n');
  const written = nested.find((n) => NAMES_AS_WRITTEN.has(n.name));
  const reserved = written
    ? `/** The reserved entries of ${written.name} and their JSON types (for values that arrive as text, such as CLI flags). */\nexport const RESERVED_TRAITS = {\n${fieldsOf(schemas, written.name)
        .map((f) => `  ${f.wire}: ${q(resolve(schemas, f.schema).schema.type ?? 'string')},`)
        .join('\n')}\n} as const;\n`
    : '';
  const reachable = ['GroupRequest', call, ...nested.map((n) => n.name)];
  const rules = `/** The document's rules, as data: what src/schema-check.ts words for a call the one pass did not vouch for. */\nexport const SCHEMAS: Readonly<Record<string, RuleSchema>> = ${JSON.stringify(Object.fromEntries(reachable.map((n) => [n, ruleData(schemas[n]!)])), null, 2)};\n`;
  return `${header}/* eslint-disable */
import { date, dateTime } from '../formats.js';
import { OMIT, THREW, UNREADABLE, WALK_LIMIT, copyValue, pastLimit, setOwn as set, unreadable, type Reading } from '../json-safety.js';
import { fromCareful, isLowerCase, isPlainData, isoDate, notAField, twice } from '../call-reading.js';
import type { RuleSchema } from '../schema-check.js';
import type { ValidationIssue } from '../validation-issue.js';

${[typesFor(schemas, call), ...nested.map((n) => typesFor(schemas, n.name))].join('\n')}
${fieldMaps}
${reserved}
${callReader(schemas, call)}
${nested.map((n) => (NAMES_AS_WRITTEN.has(n.name) ? writtenReader(schemas, n.name, n.field) : camelReader(schemas, n.name, n.field))).join('\n')}
${rules}`;
}
