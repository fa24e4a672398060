/**
 * One exchange with the server, read safely: the answer's status, headers and at most
 * `MAX_ANSWER_BYTES` of its body. Whatever the server or a caller's `fetch` does:
 * - a redirect is never followed and its body never read (`redirect: 'manual'`; a 3xx, a browser's
 *   opaque redirect, or an answer a custom fetch followed anyway is reported as such);
 * - a huge, endless or compressed-bomb answer costs at most `MAX_ANSWER_BYTES` of memory (the rest is
 *   cancelled unread);
 * - a caller's fetch that ignores the AbortSignal still settles when the attempt times out, and one
 *   that resolves with something odd (`Response.error()`, a polyfill's Response, not a Response at all)
 *   is either read as it is or rejected with a clear TypeError.
 */

/** The most bytes of an answer the client reads; the documented answers are under 1 kB. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** Where an answer pointed (or came from), when it is a redirect. */
export interface Redirect {
  /** A fetch followed it although asked not to. */
  followed: boolean;
  location: string | undefined;
  /** To the request's own origin. */
  sameOrigin?: boolean;
}

/** What one attempt got back: the response and at most `MAX_ANSWER_BYTES` of its body. */
export interface Answer {
  response: Response;
  text: string;
  /** The body went on past the cap (the rest was cancelled unread). */
  over: boolean;
  redirect?: Redirect | undefined;
}

/**
 * A redirect, or a fetch that followed one although asked not to: a 3xx, a browser's opaque
 * redirect (type `opaqueredirect`, status 0), `response.redirected`, or an answer from another URL
 * (compared after normalisation: a trailing `?`, a fragment or another percent-encoding of the
 * same characters is the same URL).
 */
export function redirectOf(response: Response, url: string, trusted: boolean): Redirect | undefined {
  const { status } = response;
  if ((status >= 300 && status < 400) || (status === 0 && response.type !== 'error')) {
    return { followed: false, location: originOf(response.headers.get('location'), url) };
  }
  // The platform's fetch honours redirect: 'manual' (it answers from the request's own URL); a
  // caller's fetch may not, so its answer's URL is compared with the request's as well.
  const answeredFrom = response.redirected || !trusted ? response.url : '';
  if (response.redirected || (answeredFrom && answeredFrom !== url && normalHref(answeredFrom) !== normalHref(url))) {
    const location = originOf(answeredFrom || null, url);
    return { followed: true, location, sameOrigin: location === originOf(url, url) };
  }
  return undefined;
}

/** A URL as compared for "the same address": no fragment, no empty query, percent-escapes decoded. */
function normalHref(href: string): string {
  try {
    const url = new URL(href);
    return url.origin + decodeURIComponent(url.pathname + url.search);
  } catch {
    return href;
  }
}

function originOf(location: string | null, base: string): string | undefined {
  if (!location) return undefined;
  try {
    const target = new URL(location, base);
    return target.origin === 'null' ? target.protocol : target.origin;
  } catch {
    return 'an address that is not a valid URL';
  }
}

const decoder = new TextDecoder();

/**
 * One request and at most `MAX_ANSWER_BYTES` of its answer. The platform's fetch (`trusted`) honours
 * `signal` for the request and its body alike; a caller's fetch is raced against `signal` too, so an
 * attempt can never hang past its timeout. A redirect's body is not read at all.
 */
export function exchange(start: () => Promise<Response>, url: string, signal: AbortSignal, trusted: boolean): Promise<Answer> {
  let stop: (() => void) | undefined;
  const work = read(start, url, trusted, (cancel) => (stop = cancel));
  if (trusted) return work;
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      stop?.(); // a fetch that ignores the signal: stop reading its body
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  // The listener must go once the exchange settles: fetch keeps the signal alive as long as the
  // request, and the listener would keep the request (and its body) alive in turn.
  work.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {}); // after an abort, nobody is left to tell
  return Promise.race([work, aborted]);
}

async function read(start: () => Promise<Response>, url: string, trusted: boolean, onCancel: (cancel: () => void) => void): Promise<Answer> {
  const response = responseOf(await start());
  // Response.error() from a caller's fetch: a network error, not an answer
  if (response.type === 'error') throw new TypeError('the fetch returned a network error (Response.error())');
  const redirect = redirectOf(response, url, trusted);
  if (redirect) {
    discard(response);
    return { response, text: '', over: false, redirect };
  }
  const body = response.body as ReadableStream<Uint8Array> | null;
  if (typeof body?.getReader !== 'function') {
    // no body, or a fetch polyfill's body that is not a web stream: what its text() gives, then cut
    const text: unknown = typeof response.text === 'function' ? await response.text() : '';
    if (typeof text !== 'string') throw new TypeError(`the fetch's response.text() gave ${kindOf(text)}, not a string`);
    const over = text.length > MAX_ANSWER_BYTES;
    return { response, text: over ? text.slice(0, MAX_ANSWER_BYTES) : text, over };
  }
  // The platform's fetch enforces Content-Length (an HTTP/1.1 body cannot run past it): an answer
  // that announces a small length, and is not compressed (the length would be the compressed
  // one: a gzip bomb), is read whole, the faster way. Anything else is read by stream.
  if (trusted) {
    const length = response.headers.get('content-length');
    if (length !== null && length.length <= 5 && Number(length) <= MAX_ANSWER_BYTES && !response.headers.has('content-encoding')) {
      return { response, text: await response.text(), over: false };
    }
  }
  return { response, ...(await readCapped(body, onCancel)) };
}

/**
 * What a caller's fetch resolved with, checked: a Response, or an object shaped like one (a fetch
 * polyfill's) whose headers are made a platform `Headers` when they are not one (a plain object, a
 * Map). Anything else is a TypeError with a clear message, reported as a `ConnectionError`.
 */
function responseOf(value: unknown): Response {
  const response = value as Response;
  if (typeof response?.status !== 'number') throw new TypeError(`the fetch resolved with ${kindOf(value)} instead of a Response`);
  const given = response.headers as unknown;
  // a platform Headers, or a polyfill's (node-fetch's, another realm's): read as it is
  if (given instanceof Headers || (typeof (given as Headers | undefined)?.get === 'function' && !(given instanceof Map))) return response;
  // a plain object or a Map: copied into a Headers (a TypeError of the platform's when it cannot be)
  const { status, ok, url, redirected, type, body } = response;
  const headers = new Headers((given ?? {}) as HeadersInit);
  return { status, ok, url, redirected, type, body, headers, text: () => response.text() } as Response;
}

export function kindOf(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value;
}

/** Cancels a body nobody will read (a redirect's), so the connection is not held open. */
function discard(response: Response): void {
  try {
    const body = response.body as { cancel?: () => Promise<void> } | null;
    body?.cancel?.()?.catch(() => {});
  } catch {
    // a locked or odd body: nothing more to do
  }
}

/**
 * Reads a web ReadableStream up to `MAX_ANSWER_BYTES`, then cancels the rest: a huge or endless
 * answer costs at most that much memory.
 */
async function readCapped(body: ReadableStream<Uint8Array>, onCancel: (cancel: () => void) => void): Promise<{ text: string; over: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let over = false;
  const reader = body.getReader();
  const cancel = (): void => void reader.cancel().catch(() => {});
  onCancel(cancel);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > MAX_ANSWER_BYTES) {
      chunks.push(value.subarray(0, MAX_ANSWER_BYTES - size));
      size = MAX_ANSWER_BYTES;
      over = true;
      cancel();
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: decode(chunks, size), over };
}

function decode(chunks: Uint8Array[], size: number): string {
  if (chunks.length === 0) return '';
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return decoder.decode(all);
}
