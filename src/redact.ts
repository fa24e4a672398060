/**
 * Keeps the API key out of everything the client writes: messages, debug events, log lines, errors.
 *
 * The redactor looks for every form in which the key can come back: trimmed (a key read from a file
 * with its trailing newline is sent trimmed, and a server echoes what it received; the untrimmed key
 * holds the trimmed one, so it is found too); in any letter case (URL parsing lowercases a host, `Headers` a header name); and with any of its
 * characters escaped the ways JSON writers and URLs do (`\"`, `\\`, `\/` as PHP writes, `\u0026` as
 * Go writes, `%26`), mixed freely.
 *
 * A key shorter than `SHORT_KEY` characters is redacted only as a whole token (not inside a longer
 * run of letters and digits): key `a` must not turn "Too many" into "Too m[REDACTED]ny".
 *
 * Text cut before it could be redacted (an answer stopped at the byte cap) may end in the first part
 * of the key: `redactor.tail` drops such a trailing fragment.
 */

export interface Redactor {
  (text: string): string;
  /** Drops a trailing fragment that could be the start of the key (for text cut before redaction). */
  tail?: ((text: string) => string) | undefined;
}

export const REDACTED = '[REDACTED]';

/** Keys shorter than this are redacted only as whole tokens. */
export const SHORT_KEY = 8;

/**
 * A regex source matching one character as itself or escaped: JSON's `\uXXXX`, `\"`, `\\` and `\/`,
 * or a URL's `%XX`. (A key holds visible ASCII only: no other JSON short escape applies.)
 */
function charPattern(char: string): string {
  const hex = char.charCodeAt(0).toString(16).padStart(4, '0');
  const literal = `\\u${hex}`; // the character itself, whatever it is (any case, with the pattern's flag)
  return `(?:${literal}|\\${literal}|%${hex.slice(2)}${'"\\/'.includes(char) ? `|\\\\${literal}` : ''})`;
}

/** A function that replaces every occurrence of `secret` (in any of its forms) in a text. */
export function redactorFor(secret: string): Redactor {
  // the key as sent: trimmed (untrimmed, it holds the trimmed form, which is found inside it)
  const trimmed = secret.trim();
  if (!trimmed) return (text) => text;
  const chars = [...trimmed].map(charPattern);
  const short = trimmed.length < SHORT_KEY;
  // a short key only as a whole token: not preceded nor followed by a letter or digit
  const before = short ? '(^|[^A-Za-z0-9])' : '()';
  const after = short ? '(?![A-Za-z0-9])' : '';
  const pattern = new RegExp(`${before}${chars.join('')}${after}`, 'gi');
  // any non-empty start of a form, at the very end of the text, with an escape cut in its middle
  const starts = chars.reduceRight((rest, one) => `${one}(?:${rest})?`, '');
  const trailing = new RegExp(`${before}${starts}(?:\\\\(?:u[0-9a-f]{0,3})?|%[0-9a-f]?)?$`, 'i');
  const redact: Redactor = (text) => text.replace(pattern, `$1${REDACTED}`);
  // a fragment is at most 6 characters per key character (`\u0078`) and a cut escape: only the end is searched
  const room = 6 * trimmed.length + 8;
  redact.tail = (text) => {
    const at = Math.max(0, text.length - room);
    return text.slice(0, at) + text.slice(at).replace(trailing, '$1');
  };
  return redact;
}

/** Request headers that carry credentials: shown as `[REDACTED]` whatever their value. */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/**
 * Headers as a plain object: credential headers replaced by `[REDACTED]`, every other name and value
 * passed through `clean` (redaction of the key wherever a server reflected it, and more).
 */
export function redactHeaders(headers: Headers, clean: (text: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[clean(name)] = SECRET_HEADERS.has(name) ? REDACTED : clean(value);
  });
  return out;
}
