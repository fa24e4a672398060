/**
 * Server-supplied text made safe to show: the one function every message, log line and debug event
 * passes a server's words through. In this order: the key is redacted; escape sequences (ANSI CSI/OSC
 * and the rest) and control characters are removed (line breaks and tabs become spaces), so nothing a
 * server says can move a terminal's cursor, recolour it or forge a log line; the key is redacted again
 * (removing a control character inside it could have rejoined it). When the text was cut before it
 * reached here (`truncated`: an answer stopped at the byte cap), a trailing fragment that could be the
 * start of the key is dropped, both before stripping (an escape could eat its first characters) and
 * after (stripping can bring a fragment to the end). A text that holds the key split by white space,
 * an invisible character or anything else that is not visible ASCII is replaced whole. Then the text
 * is cut to `max` characters.
 * Redaction before that cut: a key straddling it is never half shown.
 */
import type { Redactor } from './redact.js';

/** How much of a server's text a message keeps, in characters. */
export const MAX_SERVER_TEXT = 300;

// ESC [ ... final byte (CSI); ESC ] ... BEL or ESC \ (OSC); ESC P/X/^/_ ... ESC \ (DCS, SOS, PM, APC);
// any other two-character escape; and the 8-bit CSI (U+009B).
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[\s\S]?|\x9b[0-?]*[ -/]*[@-~]?/g;
// C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides.
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const BREAKS = /[\t\n\r]+/g;
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/**
 * What can split the key apart in a text: anything but visible ASCII, the only characters a key holds
 * (`resolveApiKey` refuses others). That is every character drawn as nothing: white space, Unicode's
 * whole Default_Ignorable_Code_Point set (U+200B, U+200E, U+2061-2064, U+034F, U+061C, the variation
 * selectors, the tags U+E0000-E007F, the Hangul fillers, the soft hyphen...) and the format characters;
 * and a header's bytes read as latin-1, where such a character sent UTF-8 encoded (U+200E as E2 80 8E)
 * is left as a visible "â" once its C1 bytes are stripped. In a raw JSON body (a debug event, a log
 * line), the same written as an escape, as JSON writers write them (`\n`, `\t`, `\u200e`, `\u0020`):
 * escapes of anything but visible ASCII (those of the key's own characters are the redactor's).
 */
const SPLITTERS = /(?:[^\x21-\x7e]|\\[bfnrt]|\\u(?!00(?:2[1-9a-f]|[3-6][0-9a-f]|7[0-9a-e]))[0-9a-f]{4})+/gi;

/** What is shown instead of a text that held the key split apart (by a line break, a zero-width space...). */
export const SPLIT_KEY_TEXT = "[REDACTED: the server's text held the API key]";

export function safeText(text: string, redact: Redactor, max: number = MAX_SERVER_TEXT, truncated = false): string {
  const tail = truncated ? redact.tail : undefined;
  let out = redact(text);
  if (tail) out = tail(out);
  if (UNSAFE.test(out)) out = redact(out.replace(ESCAPES, '').replace(BREAKS, ' ').replace(CONTROLS, ''));
  if (tail) out = tail(out);
  // the key split by a line break or an invisible character is still the key: the whole text goes
  const squeezed = out.replace(SPLITTERS, '');
  if (squeezed !== out && redact(squeezed) !== squeezed) return SPLIT_KEY_TEXT;
  if (out.length > max) {
    let cut = max;
    const code = out.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--; // never split a surrogate pair
    out = `${out.slice(0, cut)}… (${out.length - cut} more characters)`;
  }
  return out;
}
