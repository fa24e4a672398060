/**
 * Keeps the API key out of everything the client writes: messages, debug events, log lines, errors.
 *
 * The redactor looks for every form in which the key can come back: as given, trimmed (a key read
 * from a file with its trailing newline is sent trimmed, and a server echoes what it received), and
 * JSON-escaped (a key holding `"` or `\` comes back escaped inside a JSON text).
 */

export type Redactor = (text: string) => string;

export const REDACTED = '[REDACTED]';

/** A function that replaces every occurrence of `secret` (in any of its forms) in a text. */
export function redactorFor(secret: string): Redactor {
  const trimmed = secret.trim();
  const forms = [...new Set([secret, trimmed, JSON.stringify(trimmed).slice(1, -1)])]
    .filter((form) => form.length > 0)
    .sort((a, b) => b.length - a.length); // longest first: the raw key before the trimmed one inside it
  if (forms.length === 0) return (text) => text;
  return (text) => {
    for (const form of forms) if (text.includes(form)) text = text.split(form).join(REDACTED);
    return text;
  };
}

/** Request headers that carry credentials: shown as `[REDACTED]` whatever their value. */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/**
 * Headers as a plain object: credential headers replaced by `[REDACTED]`, every other name and value
 * passed through `clean` (redaction of the key wherever a server reflected it, and more).
 */
export function redactHeaders(headers: Headers, clean: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[clean(name)] = SECRET_HEADERS.has(name) ? REDACTED : clean(value);
  });
  return out;
}
