/**
 * Writes src/generated/call.ts from the document's GroupCall schema (and the schemas it refers to):
 *
 *   - the caller's types (`GroupCall`, `GroupTraits`, `GroupContext`), camelCase where the client
 *     renames, with the document's descriptions as doc comments;
 *   - the field maps (`CALL_FIELDS`, `CONTEXT_FIELDS`: camelCase → wire name) and `RESERVED_TRAITS`;
 *   - `readGroupCall`: the one pass over a caller's call. It reads each field once, maps it to its wire
 *     name, checks the document's rule for it inline and builds the plain wire copy that is serialized.
 *     A value it does not vouch for (anything but the string, number, boolean or null the document
 *     expects there) goes to the careful path (src/json-safety.ts) on what was already read;
 *   - `checkGroupCall` / `checkGroupRequest`: the same rules as schema errors (keyword, params, path, in
 *     the document's order), for the messages of a call the one pass did not vouch for.
 *
 * Only the schema keywords below are understood; any other keyword in these schemas stops the
 * generator, so a rule added to the document can never be silently left unchecked.
 */

type Schema = Record<string, any>;

const KNOWN_KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'minLength', 'maxLength', 'enum', 'format', 'anyOf', '$ref',
  'minItems', 'maxItems', 'items',
  // annotations and the extensions read below
  'description', 'examples', 'example', 'title', 'x-max-request-bytes', 'x-case-insensitive-keys',
]);

/**
 * Objects whose property names are the API's own and are sent as written (trait names: `account_name`);
 * every other object's named properties are camelCase for the caller (`groupId` → `group_id`).
 */
const NAMES_AS_WRITTEN = new Set(['GroupTraits']);
/** Formats the client has checkers for (src/formats.ts). */
const FORMATS: Record<string, string> = { 'date-time': 'dateTime', date: 'date' };

const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const q = (value: unknown): string => JSON.stringify(value);

interface Context {
  schemas: Record<string, Schema>;
}

function resolve(ctx: Context, schema: Schema): { name?: string; schema: Schema } {
  if (typeof schema.$ref !== 'string') return { schema };
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = ctx.schemas[name];
  if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
  return { name, schema: target };
}

function checkKeywords(where: string, schema: Schema): void {
  for (const key of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(key)) throw new Error(`scripts/generate-call.ts does not understand "${key}" in ${where}; teach it before using it`);
  }
}

/** What kind of value a property takes, for the one pass. */
type Kind =
  | { kind: 'string'; test: string | undefined; formats: string[] }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'object'; name: string };

/** A string schema (or an anyOf of them) → its inline test on `v` beyond `typeof v === "string"`. */
function stringTest(where: string, schema: Schema): { test: string | undefined; formats: string[] } | undefined {
  if (schema.anyOf) {
    const branches = (schema.anyOf as Schema[]).map((branch, i) => stringTest(`${where}/anyOf/${i}`, branch));
    if (branches.some((b) => !b)) return undefined;
    const tests = branches.map((b) => b!.test ?? 'true');
    return { test: tests.map((t) => `(${t})`).join(' || '), formats: branches.flatMap((b) => b!.formats) };
  }
  if (schema.type !== 'string') return undefined;
  checkKeywords(where, schema);
  const tests: string[] = [];
  if (schema.minLength !== undefined) tests.push(`v.length >= ${Number(schema.minLength)}`);
  if (schema.maxLength !== undefined) tests.push(`v.length <= ${Number(schema.maxLength)}`);
  if (schema.enum) tests.push(`(${(schema.enum as unknown[]).map((e) => `v === ${q(e)}`).join(' || ')})`);
  const formats: string[] = [];
  if (schema.format !== undefined) {
    const fn = FORMATS[schema.format];
    if (!fn) throw new Error(`${where}: no checker for format "${schema.format}" in src/formats.ts`);
    tests.push(`${fn}(v)`);
    formats.push(schema.format);
  }
  return { test: tests.length ? tests.join(' && ') : undefined, formats };
}

function kindOf(ctx: Context, where: string, schema: Schema): Kind {
  const { name, schema: target } = resolve(ctx, schema);
  if (name) return target.type === 'object' ? { kind: 'object', name } : kindOf(ctx, name, target);
  const string = stringTest(where, schema);
  if (string) return { kind: 'string', ...string };
  checkKeywords(where, schema);
  if (schema.type === 'number') return { kind: 'number' };
  if (schema.type === 'boolean') return { kind: 'boolean' };
  throw new Error(`${where}: scripts/generate-call.ts reads strings, numbers, booleans and objects of them; teach it ${JSON.stringify(schema)}`);
}

// ---------------------------------------------------------------------------------------------------
// Types

function doc(text: unknown, indent = ''): string {
  if (typeof text !== 'string' || !text.trim()) return '';
  const lines = text.trim().split('\n');
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function tsType(ctx: Context, schema: Schema, dateOk: boolean): string {
  const { name, schema: target } = resolve(ctx, schema);
  if (name && target.type === 'object') return name;
  const s = name ? target : schema;
  if (s.anyOf) return [...new Set((s.anyOf as Schema[]).map((b) => tsType(ctx, b, false)))].join(' | ') + (dateOk ? ' | Date' : '');
  if (s.enum) return (s.enum as unknown[]).map(q).join(' | ');
  if (s.type === 'string') return dateOk && s.format ? 'string | Date' : 'string';
  if (s.type === 'number') return 'number';
  if (s.type === 'boolean') return 'boolean';
  throw new Error(`no type for ${JSON.stringify(s)}`);
}

const hasDateFormat = (ctx: Context, schema: Schema): boolean => {
  const s = resolve(ctx, schema).schema;
  return s.format === 'date-time' || s.format === 'date' || (Array.isArray(s.anyOf) && s.anyOf.some((b: Schema) => hasDateFormat(ctx, b)));
};

function typesFor(ctx: Context, name: string): string {
  const schema = ctx.schemas[name]!;
  const asWritten = NAMES_AS_WRITTEN.has(name);
  const required = new Set<string>(schema.required ?? []);
  let out = doc(schema.description) + `export interface ${name} {\n`;
  for (const [wire, prop] of Object.entries<Schema>(schema.properties ?? {})) {
    const key = asWritten ? wire : camel(wire);
    const dates = hasDateFormat(ctx, prop);
    const description = [resolve(ctx, prop).schema.description ?? prop.description, dates ? 'A `Date` is sent as its ISO 8601 date-time.' : '']
      .filter(Boolean)
      .join('\n');
    out += doc(description, '  ') + `  ${/^[A-Za-z_$][\w$]*$/.test(key) ? key : q(key)}${required.has(wire) ? '' : '?'}: ${tsType(ctx, prop, dates)};\n`;
  }
  if (schema.additionalProperties === true) {
    out += `  /** ${asWritten ? 'Any other (custom) entry, sent as written.' : 'Any other key, sent as written.'} */\n  [key: string]: unknown;\n`;
  }
  return `${out}}\n`;
}

// ---------------------------------------------------------------------------------------------------
// The one pass

interface ObjectInfo {
  name: string;
  schema: Schema;
  asWritten: boolean;
  open: boolean;
  caseInsensitive: boolean;
  props: Array<{ wire: string; key: string; kind: Kind; date: boolean }>;
}

function objectInfo(ctx: Context, name: string): ObjectInfo {
  const schema = ctx.schemas[name]!;
  checkKeywords(name, schema);
  if (schema.type !== 'object') throw new Error(`${name} is not an object schema`);
  const asWritten = NAMES_AS_WRITTEN.has(name);
  const props = Object.entries<Schema>(schema.properties ?? {}).map(([wire, prop]) => {
    const kind = kindOf(ctx, `${name}.${wire}`, prop);
    return { wire, key: asWritten ? wire : camel(wire), kind, date: kind.kind === 'string' && kind.formats.includes('date-time') };
  });
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean') {
    throw new Error(`${name}: additionalProperties must be true or false here`);
  }
  return { name, schema, asWritten, open: schema.additionalProperties === true, caseInsensitive: schema['x-case-insensitive-keys'] === true, props };
}

/**
 * The statements that read `v`, the value of property `p`, and `set` it into the copy: the document's
 * type read inline, anything else handed to the careful path (`copyValue`) with `field` (and `entry`, an
 * entry's name in a nested object) as its path. `onThrow` runs when reading it threw. A call's own date
 * fields also take a `Date` (sent as its ISO 8601 string).
 */
function readValue(p: ObjectInfo['props'][number], set: (value: string) => string, careful: string, onThrow: string, date: boolean): string {
  const slow = `{ walk.ok = false; const c = ${careful}; ${onThrow ? `if (c === THREW) ${onThrow} ` : ''}if (c !== OMIT && c !== THREW) ${set('c')}; }`;
  switch (p.kind.kind) {
    case 'string': {
      const test = (on: string): string => (p.kind.kind === 'string' && p.kind.test ? `if (!(${p.kind.test.replaceAll(/\bv\b/g, on)})) walk.ok = false; ` : '');
      const dates = date && p.date
        ? ` else if (v instanceof Date) { const s = isoDate(v, issues, at + ${q(`.${p.key}`)}); if (s !== undefined) { walk.bytes += s.length + 2; ${test('s')}${set('s')}; } }`
        : '';
      return `if (typeof v === "string") { walk.bytes += v.length + 2; ${test('v')}${set('v')}; }${dates} else ${slow}`;
    }
    case 'number':
      return `if (typeof v === "number" && v - v === 0) { walk.bytes += 1; ${set('v')}; } else ${slow}`;
    case 'boolean':
      return `if (typeof v === "boolean") { walk.bytes += 4; ${set('v')}; } else ${slow}`;
    case 'object':
      return `{ const c = read${p.kind.name}(v, walk, issues, at); if (c !== OMIT) ${set('c')}; }`;
  }
}

/** The statement that gives up vouching for a copy missing a required field. */
function required(info: ObjectInfo): string {
  const names = (info.schema.required ?? []) as string[];
  return names.length ? `if (${names.map((n) => `out.${n} === undefined`).join(' || ')}) walk.ok = false;` : '';
}

/** The reader of the call itself: a closed object of camelCase fields. */
function callReader(info: ObjectInfo): string {
  const cases = info.props
    .map((p) => {
      const body = readValue(p, (v) => `out.${p.wire} = ${v}`, `copyValue(walk, v, ${q(p.wire)})`, '', true);
      return `        case ${q(p.key)}:\n          walk.bytes += ${p.wire.length + 4};\n          ${body}\n          break;`;
    })
    .join('\n');
  return `/**
 * One pass over a caller's group call (\`call\` is an object: see \`isCallObject\`): each field read
 * once, mapped to its wire name and checked against the document; returns the plain wire copy that is
 * sent. Sets \`walk.ok = false\` when a rule is broken or a value needs the careful checks; fields that
 * are not the document's, and values that cannot be read, are added to \`issues\` under \`at\`.
 */
export function read${info.name}(call: Record<string, unknown>, walk: Reading, issues: ValidationIssue[], at: string): Record<string, unknown> {
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
${cases}
        default:
          issues.push(notAField(key, at, CALL_FIELDS));
      }
    }
  } catch {
    // a Proxy trap or getter of the call (or of its context) that throws while being read
    issues.push({ path: at, message: UNREADABLE });
  }
  ${required(info)}
  return out;
}
`;
}

/**
 * The reader of an open object whose names are sent as written (traits): its own entries typed, any
 * other entry as written. Reading it cannot throw: a value that cannot be read drops the whole object.
 */
function writtenReader(info: ObjectInfo, field: string): string {
  const careful = `copyValue(walk, v, ${q(field)}, name)`;
  // `__proto__` is the one name a plain assignment would not store as data
  const set = (v: string): string => `if (name !== "__proto__") out[name] = ${v}; else setOwn(out, name, ${v})`;
  const cases = info.props.map((p) => `        case ${q(p.wire)}: ${readValue(p, (v) => `out.${p.wire} = ${v}`, careful, 'return OMIT;', false)} break;`).join('\n');
  return `/** Reads \`value\` (the call's \`${field}\`) in one pass: each entry once, the reserved ones checked. */
function read${info.name}(value: unknown, walk: Reading, issues: ValidationIssue[], at: string): unknown {
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
    if (v === undefined) continue;${info.caseInsensitive ? '\n    if (walk.ok && !isLowerCase(name)) walk.ok = false;' : ''}
    walk.bytes += name.length + 4;
    switch (name) {
${cases}
      default:
        if (typeof v === "string") { walk.bytes += v.length + 2; ${set('v')}; }
        else if ((typeof v === "number" && v - v === 0) || typeof v === "boolean" || v === null) { walk.bytes += 4; ${set('v')}; }
        else { const c = ${careful}; if (c === THREW) return OMIT; if (c !== OMIT) ${set('c')}; }
    }
    if (walk.full) break;
  }
  return out;
}
`;
}

/**
 * The reader of an open object whose own fields are camelCase (context): first every key is mapped to
 * its wire name (both names of a field given is an issue), then the values are copied: as they are
 * when each is a string, number, boolean or null, else through the careful path. Reading the object
 * itself may throw: that stops the reading of the call, as a call that cannot be read.
 */
function camelReader(info: ObjectInfo, field: string): string {
  const renamed = info.props.filter((p) => p.key !== p.wire);
  const seen = (p: ObjectInfo['props'][number]): string => `given${camel(`_${p.wire}`)}`;
  const cases = info.props
    .map((p) => {
      const labels = [...new Set([p.key, p.wire])].map((l) => `case ${q(l)}:`).join(' ');
      const twice = renamed.includes(p) ? `if (${seen(p)}) twice(issues, at, ${q(field)}, ${q(p.key)}, ${q(p.wire)}); ${seen(p)} = true; ` : '';
      let check: string;
      switch (p.kind.kind) {
        case 'string':
          check = `if (typeof v === "string") { walk.bytes += v.length + 2; ${p.kind.test ? `if (!(${p.kind.test})) walk.ok = false; ` : ''}} else { walk.ok = false; plain = false; }`;
          break;
        case 'number':
          check = 'if (typeof v === "number" && v - v === 0) walk.bytes += 1; else { walk.ok = false; plain = false; }';
          break;
        case 'boolean':
          check = 'if (typeof v === "boolean") walk.bytes += 4; else { walk.ok = false; plain = false; }';
          break;
        case 'object':
          check = 'walk.ok = false; plain = false;';
      }
      return `      ${labels} ${twice}walk.bytes += ${p.wire.length + 4}; ${check} out.${p.wire} = v; break;`;
    })
    .join('\n');
  return `/** Reads \`value\` (the call's \`${field}\`) in one pass: keys mapped to wire names, each value read once. */
function read${info.name}(value: unknown, walk: Reading, issues: ValidationIssue[], at: string): unknown {
  if (!isPlainData(value)) return fromCareful(walk, copyValue(walk, value, ${q(field)}));
  const mark = walk.bytes;
  const keys = Object.keys(value as object);
  const out: Record<string, unknown> = {};
  walk.bytes += 2;
  let plain = true;
  ${renamed.map((p) => `let ${seen(p)} = false;`).join(' ')}
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!;
    const v = (value as Record<string, unknown>)[name];
    if (v === undefined) continue;
    switch (name) {
${cases}
      default:
        walk.bytes += name.length + 4;
        if (typeof v === "string") walk.bytes += v.length + 2;
        else if ((typeof v === "number" && v - v === 0) || typeof v === "boolean" || v === null) walk.bytes += 4;
        else plain = false;
        setOwn(out, name, v);
    }
  }
  if (plain && !walk.full) return out;
  // a value the one pass does not vouch for: the mapped object is copied carefully, from the start
  walk.bytes = mark;
  return fromCareful(walk, copyValue(walk, out, ${q(field)}));
}
`;
}

// ---------------------------------------------------------------------------------------------------
// The checks as schema errors

let errorCount = 0;
function emitError(path: string, schemaPath: string, keyword: string, params: string): string {
  errorCount++;
  return `errors.push({ instancePath: ${path}, schemaPath: ${q(schemaPath)}, keyword: ${q(keyword)}, params: ${params} });`;
}

function checkValue(ctx: Context, schema: Schema, data: string, path: string, schemaPath: string): string {
  const { name, schema: target } = resolve(ctx, schema);
  if (name) return target.type === 'object' ? `check${name}(${data}, ${path}, errors);` : checkValue(ctx, target, data, path, `#/components/schemas/${name}`);
  if (schema.anyOf) {
    const branches = (schema.anyOf as Schema[]).map((branch) => `(${validExpression(ctx, branch, data)})`).join(' || ');
    return `if (!(${branches})) ${emitError(path, `${schemaPath}/anyOf`, 'anyOf', '{}')}`;
  }
  const lines: string[] = [];
  switch (schema.type) {
    case 'string': {
      const inner: string[] = [];
      if (schema.maxLength !== undefined) inner.push(`if (${data}.length > ${schema.maxLength}) ${emitError(path, `${schemaPath}/maxLength`, 'maxLength', `{ limit: ${schema.maxLength} }`)}`);
      if (schema.minLength !== undefined) inner.push(`if (${data}.length < ${schema.minLength}) ${emitError(path, `${schemaPath}/minLength`, 'minLength', `{ limit: ${schema.minLength} }`)}`);
      if (schema.format !== undefined) inner.push(`if (!${FORMATS[schema.format]}(${data})) ${emitError(path, `${schemaPath}/format`, 'format', `{ format: ${q(schema.format)} }`)}`);
      lines.push(`if (typeof ${data} === "string") { ${inner.join(' ')} } else ${emitError(path, `${schemaPath}/type`, 'type', '{ type: "string" }')}`);
      break;
    }
    case 'number':
      lines.push(`if (!(typeof ${data} === "number" && isFinite(${data}))) ${emitError(path, `${schemaPath}/type`, 'type', '{ type: "number" }')}`);
      break;
    case 'boolean':
      lines.push(`if (typeof ${data} !== "boolean") ${emitError(path, `${schemaPath}/type`, 'type', '{ type: "boolean" }')}`);
      break;
    default:
      throw new Error(`${schemaPath}: cannot check ${JSON.stringify(schema)}`);
  }
  if (schema.enum) {
    lines.push(`if (!(${(schema.enum as unknown[]).map((e) => `${data} === ${q(e)}`).join(' || ')})) ${emitError(path, `${schemaPath}/enum`, 'enum', `{ allowedValues: ${q(schema.enum)} }`)}`);
  }
  return lines.join('\n');
}

/** Whether `data` satisfies `schema` (anyOf branches: strings with formats). */
function validExpression(ctx: Context, schema: Schema, data: string): string {
  const string = stringTest('anyOf', resolve(ctx, schema).schema);
  if (!string) throw new Error(`anyOf branches must be strings here, got ${JSON.stringify(schema)}`);
  return `typeof ${data} === "string"${string.test ? ` && (${string.test.replaceAll(/\bv\b/g, data)})` : ''}`;
}

function objectChecker(ctx: Context, info: ObjectInfo): string {
  const base = `#/components/schemas/${info.name}`;
  const required = ((info.schema.required ?? []) as string[])
    .map((r) => `    if (data.${r} === undefined) ${emitError('instancePath', `${base}/required`, 'required', `{ missingProperty: ${q(r)} }`)}`)
    .join('\n');
  const props = Object.entries<Schema>(info.schema.properties ?? {})
    .map(([wire, prop]) => {
      const v = `data[${q(wire)}]`;
      return `    if (${v} !== undefined) { ${checkValue(ctx, prop, v, `instancePath + ${q(`/${wire}`)}`, `${base}/properties/${wire}`)} }`;
    })
    .join('\n');
  return `/** The document's rules for ${info.name}, as schema errors in the document's order. */
export function check${info.name}(value: unknown, instancePath: string, errors: SchemaError[]): void {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const data = value as Record<string, unknown>;
${required}
${props}
  } else ${emitError('instancePath', `${base}/type`, 'type', '{ type: "object" }')}
}
`;
}

function requestChecker(ctx: Context, name: string, schema: Schema): string {
  checkKeywords(name, schema);
  const items = resolve(ctx, schema.items).name!;
  const base = `#/components/schemas/${name}`;
  return `/** The document's rules for a ${name} (an array of calls), as schema errors. */
export function check${name}(data: unknown, errors: SchemaError[]): void {
  if (Array.isArray(data)) {
    if (data.length > ${schema.maxItems}) ${emitError('""', `${base}/maxItems`, 'maxItems', `{ limit: ${schema.maxItems} }`)}
    if (data.length < ${schema.minItems}) ${emitError('""', `${base}/minItems`, 'minItems', `{ limit: ${schema.minItems} }`)}
    for (let i = 0; i < data.length; i++) check${items}(data[i], "/" + i, errors);
  } else ${emitError('""', `${base}/type`, 'type', '{ type: "array" }')}
}
`;
}

// ---------------------------------------------------------------------------------------------------

export function callFile(spec: any, header: string): string {
  const ctx: Context = { schemas: spec.components.schemas };
  const request = ctx.schemas.GroupRequest!;
  const callName = resolve(ctx, request.items).name!;
  const call = objectInfo(ctx, callName);
  const nested = call.props.filter((p) => p.kind.kind === 'object').map((p) => ({ field: p.wire, info: objectInfo(ctx, (p.kind as { name: string }).name) }));
  const camelObjects = [call, ...nested.map((n) => n.info)].filter((o) => !o.asWritten);
  const fieldMaps = camelObjects
    .map((o) => {
      const constant = o === call ? 'CALL_FIELDS' : `${o.name.replace(/^Group/, '').toUpperCase()}_FIELDS`;
      return `/** ${o.name}'s fields: the caller's camelCase name → the wire name. */\nexport const ${constant} = {\n${o.props.map((p) => `  ${p.key}: ${q(p.wire)},`).join('\n')}\n} as const;\n`;
    })
    .join('\n');
  const reserved = nested.find((n) => n.info.asWritten);
  const reservedMap = reserved
    ? `/** The reserved entries of ${reserved.info.name} and their JSON types (for values that arrive as text, such as CLI flags). */\nexport const RESERVED_TRAITS = {\n${reserved.info.props.map((p) => `  ${p.wire}: ${q(p.kind.kind === 'string' ? 'string' : p.kind.kind)},`).join('\n')}\n} as const;\n`
    : '';
  errorCount = 0;
  const checks = [requestChecker(ctx, 'GroupRequest', request), objectChecker(ctx, call), ...nested.map((n) => objectChecker(ctx, n.info))].join('\n');
  return `${header}/* eslint-disable */
import { date, dateTime } from '../formats.js';
import { OMIT, THREW, UNREADABLE, copyValue, setOwn, unreadable, type Reading } from '../json-safety.js';
import { fromCareful, isLowerCase, isPlainData, isoDate, notAField, twice, type SchemaError } from '../call-reading.js';
import type { ValidationIssue } from '../validation-issue.js';

${[typesFor(ctx, callName), ...nested.map((n) => typesFor(ctx, n.info.name))].join('\n')}
${fieldMaps}
${reservedMap}
${callReader(call)}
${nested.map((n) => (n.info.asWritten ? writtenReader(n.info, n.field) : camelReader(n.info, n.field))).join('\n')}
${checks}`;
}
