/**
 * The types the reference pipeline was written against (src/types.ts before the generated one-pass
 * reader), reduced to what it needs: loose on purpose, since the reference takes any value a caller
 * can pass.
 */
export type GroupCall = Record<string, unknown>;
export interface WireGroupCall {
  group_id: string;
  user_id: string;
  traits?: Record<string, unknown>;
  context?: WireGroupContext;
  timestamp?: string;
}
export interface WireGroupContext {
  device_id?: string;
  session_id?: string;
  source?: string;
  [key: string]: unknown;
}
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;
export type FieldMap<T> = { [K in keyof T as string extends K ? never : CamelCase<K & string>]-?: K };
