/**
 * Request bodies, and the size of a call in UTF-8. The queue keeps each call as the JSON text it was
 * serialized to, and joins a batch's texts once, when it leaves; `fetch` encodes that text to UTF-8 once
 * (measured: handing it bytes instead costs an encode here and a copy in undici's fetch, and is slower).
 * Sizes are known without encoding: a bound (3 bytes per UTF-16 unit) decides almost always, and
 * `utf8Length` counts exactly where the bound is not enough.
 */

/** The JSON array of these calls' texts: `[a,b,c]`. */
export function body(jsons: readonly string[]): string {
  return `[${jsons.join(',')}]`;
}

/** The most bytes `text` can take in UTF-8: 3 per UTF-16 unit (a surrogate pair takes 4 for 2). */
export const utf8Bound = (text: string): number => 3 * text.length;

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}
