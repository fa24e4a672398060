/**
 * The caller-facing (camelCase) types, derived from the generated wire types so that a field added to
 * or renamed in openapi/openapi.yaml fails the type check here until the wrapper follows it.
 */
import type { components } from './generated/schema.js';

type Schemas = components['schemas'];

/** `device_id` → `deviceId`. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** The named (non-index-signature) keys of T, camelCased, with their optionality kept. */
export type Camelize<T> = {
  [K in keyof T as string extends K ? never : CamelCase<K & string>]: T[K];
};

/** For each named wire key of T: its camelCase name → the wire name. Used by the runtime mapping. */
export type FieldMap<T> = {
  [K in keyof T as string extends K ? never : CamelCase<K & string>]-?: K;
};

/** One group call as sent on the wire (snake_case). */
export type WireGroupCall = Schemas['GroupCall'];
export type WireGroupContext = Schemas['GroupContext'];

/**
 * Account traits. The reserved traits are typed (and autocomplete); any other key is a custom trait.
 * Trait names are the API's own (`account_name`), sent as written; they are case-insensitive at
 * ThriveStack, so never use two casings of one name in a call.
 */
export type GroupTraits = Schemas['GroupTraits'];

/** Where the call came from: `deviceId`, `sessionId`, `source`, plus any other key, sent as written. */
export type GroupContext = Camelize<WireGroupContext> & { [key: string]: unknown };

/** One association of a user with an account. */
export type GroupCall = Omit<Camelize<WireGroupCall>, 'traits' | 'context' | 'timestamp'> & {
  traits?: GroupTraits;
  context?: GroupContext;
  /** When it happened: a `Date` or an ISO 8601 date-time string. Server time when omitted. */
  timestamp?: Date | string;
};

/** What ThriveStack answers when it accepts a request: `{ success: true, eventId }`. */
export type GroupResponse = Schemas['GroupResponse'];
export type ErrorResponse = Schemas['ErrorResponse'];
