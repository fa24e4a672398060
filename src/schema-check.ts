/**
 * The document's rules (`SCHEMAS`, generated from openapi/openapi.yaml) checked on a wire copy, as
 * schema errors in the document's order: for a call the one-pass reader did not vouch for, so that each
 * problem can be worded (validate.ts). It understands exactly the keywords scripts/generate-call.ts lets
 * through (type, required, properties, additionalProperties, minLength, maxLength, enum, format, anyOf,
 * $ref, minItems, maxItems, items), in the order Ajv reports them.
 */
import { SCHEMAS } from './generated/call.js';
import { formats } from './formats.js';

/** One rule of the document, as data. */
export interface RuleSchema {
  type?: string;
  properties?: Record<string, RuleSchema>;
  required?: string[];
  additionalProperties?: boolean;
  minLength?: number;
  maxLength?: number;
  enum?: unknown[];
  format?: string;
  anyOf?: RuleSchema[];
  /** The name of another schema of `SCHEMAS`. */
  $ref?: string;
  minItems?: number;
  maxItems?: number;
  items?: RuleSchema;
}

/** One broken rule: where (a JSON pointer), which keyword, and its parameters. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const typeOk: Record<string, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: (v) => Array.isArray(v),
};

/** Adds to `errors` every rule of `schema` that `value` (at `path`) breaks. */
export function check(schema: RuleSchema, value: unknown, path: string, errors: SchemaError[]): void {
  if (schema.$ref !== undefined) return check(SCHEMAS[schema.$ref]!, value, path, errors);
  const fail = (keyword: string, params: Record<string, unknown> = {}): number => errors.push({ instancePath: path, keyword, params });
  if (schema.anyOf) {
    // told once, as the anyOf: what each branch wanted is in its words (validate.ts)
    if (!schema.anyOf.some((branch) => valid(branch, value))) fail('anyOf');
    return;
  }
  const type = schema.type;
  if (type !== undefined && !typeOk[type]!(value)) fail('type', { type });
  else if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) fail('maxLength', { limit: schema.maxLength });
    if (schema.minLength !== undefined && value.length < schema.minLength) fail('minLength', { limit: schema.minLength });
    if (schema.format !== undefined && !formats[schema.format as keyof typeof formats](value)) fail('format', { format: schema.format });
  } else if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) fail('maxItems', { limit: schema.maxItems });
    if (schema.minItems !== undefined && value.length < schema.minItems) fail('minItems', { limit: schema.minItems });
    if (schema.items) value.forEach((item, i) => check(schema.items!, item, `${path}/${i}`, errors));
  } else if (type === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (object[name] === undefined) fail('required', { missingProperty: name });
    const properties = schema.properties ?? {};
    for (const name of Object.keys(properties)) {
      if (object[name] !== undefined) check(properties[name]!, object[name], `${path}/${name}`, errors);
    }
    if (schema.additionalProperties === false) {
      for (const name of Object.keys(object)) if (!Object.hasOwn(properties, name)) fail('additionalProperties', { additionalProperty: name });
    }
  }
  if (schema.enum && !schema.enum.includes(value)) fail('enum', { allowedValues: schema.enum });
}

function valid(schema: RuleSchema, value: unknown): boolean {
  const errors: SchemaError[] = [];
  check(schema, value, '', errors);
  return errors.length === 0;
}

/** The errors of a request (an array of wire calls), or of one wire call. */
export function schemaErrors(of: 'GroupRequest' | 'GroupCall', value: unknown): SchemaError[] {
  const errors: SchemaError[] = [];
  check(SCHEMAS[of]!, value, '', errors);
  return errors;
}
