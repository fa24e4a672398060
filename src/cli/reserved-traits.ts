/**
 * The reserved traits' JSON types, generated from openapi/openapi.yaml's GroupTraits
 * (`RESERVED_TRAITS`), to type `--trait name=value` and CSV cells, which arrive as text.
 */
import { RESERVED_TRAITS } from '../generated/call.js';
import { lookup } from '../wire.js';

export const RESERVED_TRAIT_TYPES: Readonly<Record<string, string>> = RESERVED_TRAITS;

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
