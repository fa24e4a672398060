/** Keeps the API key out of everything the client writes: messages, debug output, errors. */

export type Redactor = (text: string) => string;

export const REDACTED = '[REDACTED]';

/** A function that replaces every occurrence of `secret` in a text. */
export function redactorFor(secret: string): Redactor {
  if (!secret) return (text) => text;
  return (text) => (text.includes(secret) ? text.split(secret).join(REDACTED) : text);
}

/** Headers as a plain object, with `x-api-key` (and any authorization header) redacted. */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = name === 'x-api-key' || name === 'authorization' ? REDACTED : value;
  });
  return out;
}
