/**
 * The reserved traits and their JSON types, as openapi/openapi.yaml's GroupTraits declares them.
 * The type check keeps this list equal to the generated `GroupTraits` type (a trait added, removed or
 * retyped in the document fails `tsc` here), and test/cli-units.test.ts compares it with the document
 * itself. Used to type `--trait name=value` and CSV cells, which arrive as text.
 */
import type { GroupTraits } from '../types.js';
import { lookup } from '../wire.js';

type ReservedTraitTypes<T> = {
  [K in keyof T as string extends K ? never : K]-?: NonNullable<T[K]> extends number
    ? 'number'
    : NonNullable<T[K]> extends string
      ? 'string'
      : never;
};

export const RESERVED_TRAIT_TYPES = {
  account_name: 'string',
  account_domain: 'string',
  group_type: 'string',
  industry: 'string',
  employees: 'number',
  plan: 'string',
  website: 'string',
  phone: 'string',
  created_at: 'string',
  description: 'string',
  avatar: 'string',
} as const satisfies ReservedTraitTypes<GroupTraits>;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * A trait value given as text, typed as the document types the trait: `employees=250` → 250.
 * Text that is not a number stays text, so the validator reports it ("expected a number, got
 * \"many\""). Custom traits stay text. Trait names are matched case-insensitively, as the API does.
 */
export function typedTrait(name: string, text: string): string | number {
  const type = lookup(RESERVED_TRAIT_TYPES, name.toLowerCase());
  if (type === 'number') {
    const trimmed = text.trim();
    if (NUMBER.test(trimmed)) return Number(trimmed);
  }
  return text;
}
