/**
 * The `fetch` handed to openapi-fetch: one logical request, sent with per-attempt timeouts and
 * retries. Each attempt sends a fresh request built from what openapi-fetch made and the serialized
 * body (a consumed POST body cannot be sent twice), and reads the response body inside the attempt's
 * timeout, so a server that stalls mid-body times out too. A final failure is thrown as the typed
 * error of the last attempt; only 2xx answers with the documented JSON body, from the request's own
 * URL, are returned.
 *
 * Against a hostile or broken server:
 * - redirects are never followed (`redirect: 'manual'`, for the default fetch and a caller's own):
 *   every 3xx, a browser's opaque redirect, and an answer a custom fetch followed anyway are a
 *   `RedirectError`, never retried and never counted as delivered;
 * - at most `MAX_ANSWER_BYTES` of an answer are read; the rest is cancelled unread;
 * - every piece of server text (body, header values, request id) that reaches an error, a debug
 *   event or a log line is redacted, cleaned of control characters and escapes, then cut
 *   (`safe-text.ts`); what a fetch throws is kept only as a redacted summary;
 * - a `debug` hook that throws is ignored: it never changes an outcome or leaves a timer armed.
 *
 * Also: a User-Agent naming the package, runtime and platform (not in browsers: `user-agent.ts`);
 * one log line per attempt at `debug` (method, URL, status, ms, attempt n of m, request id, the
 * answer's body cut), retry waits at `info`; a fetch that followed a redirect at `error`.
 */
import {
  ConnectionError,
  RequestAbortedError,
  TimeoutError,
  errorFromResponse,
  summarizeError,
} from './errors.js';
import { parseRetryAfter, retryDelay, shouldRetry, type RetryPolicy } from './retry-policy.js';
import type { Redactor } from './redact.js';
import { redactHeaders } from './redact.js';
import { safeText } from './safe-text.js';
import { userAgent } from './user-agent.js';
import type { Log } from './logger.js';

/**
 * What the client reports to a `debug` hook. Credential headers show as `[REDACTED]`; every other
 * header value, the response body and error texts are redacted and cleaned, and cut (bodies at
 * 1,000 characters).
 */
export type DebugEvent =
  | { type: 'request'; attempt: number; method: string; url: string; headers: Record<string, string>; body: string }
  | { type: 'response'; attempt: number; status: number; headers: Record<string, string>; body: string; ms: number; requestId?: string | undefined }
  | { type: 'error'; attempt: number; error: string; ms: number }
  | { type: 'retry'; attempt: number; delayMs: number; reason: string };

/** The most bytes of an answer the client reads; the documented answers are under 1 kB. */
export const MAX_ANSWER_BYTES = 64 * 1024;
/** How much of a body a debug event or log line shows, in characters. */
const DEBUG_TEXT = 1_000;
/** The answer headers that name the request for support, in order of preference. */
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-amzn-requestid', 'cf-ray'];

export interface AttemptOptions extends RetryPolicy {
  /** Per-attempt timeout, in ms. */
  timeout: number;
  /** Aborts the call and its pending retries. */
  signal?: AbortSignal | undefined;
  /**
   * Whether waits between retries keep a Node process alive. Direct calls do (the caller awaits
   * them); the background queue does not (it keeps the process alive only while it must drain).
   */
  keepAlive: boolean;
  /** The request's JSON body, already serialized. */
  body: string;
}

/** What openapi-fetch built: where and how to send. */
export interface RequestTarget {
  url: string;
  method: string;
  headers: Headers;
}

/**
 * The Request class handed to openapi-fetch (its `Request` option): it records what openapi-fetch
 * built (URL, method, headers) and nothing more. The platform's Request (with its AbortSignal and body
 * stream) is then made once per attempt, by `fetch` itself, instead of once more for openapi-fetch.
 */
export class RecordedRequest implements RequestTarget {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  constructor(url: string, init: { method?: string; headers?: HeadersInit } = {}) {
    this.url = url;
    this.method = init.method ?? 'GET';
    this.headers = new Headers(init.headers);
  }
}

export interface TransportConfig {
  /**
   * The caller's fetch, handed a fresh Request per attempt. Without one, the transport calls
   * `globalThis.fetch(url, init)`, which spares a Request object per attempt.
   */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  redact: Redactor;
  debug?: ((event: DebugEvent) => void) | undefined;
  /** Where the per-attempt log lines go (already filtered by level and redacted). */
  log?: Log | undefined;
}

/**
 * An answer whose body the transport has already read (inside the attempt's timeout) and checked:
 * what openapi-fetch reads the result from. It carries the text instead of a platform Response,
 * which would wrap the text in a body stream only for openapi-fetch to read it back out.
 */
export class BufferedResponse {
  readonly ok: boolean;
  constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }
  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
  json(): Promise<unknown> {
    return Promise.resolve(JSON.parse(this.body));
  }
}

const TIMED_OUT = Symbol('timed out');

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined, keepAlive: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (!keepAlive) (timer as { unref?: () => void }).unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The server's own words: `message` (or `error`) of a JSON body, else the text itself; made safe. */
function serverMessage(body: string, clean: (text: string) => string): string | undefined {
  if (!body) return undefined;
  if (body.charCodeAt(0) === 123 /* { */) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
      const said = typeof parsed?.message === 'string' ? parsed.message : typeof parsed?.error === 'string' ? parsed.error : undefined;
      if (said !== undefined) return clean(said);
    } catch {
      // not JSON (or cut at the size cap): fall through to the raw text
    }
  }
  return clean(body);
}

function isGroupResponse(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { success?: unknown; eventId?: unknown };
    return parsed?.success === true && typeof parsed.eventId === 'string';
  } catch {
    return false;
  }
}

/** What one attempt got back: the response and at most `MAX_ANSWER_BYTES` of its body. */
interface Answer {
  response: Response;
  text: string;
  /** The body went on past the cap (the rest was cancelled unread). */
  over: boolean;
  /** Set when the answer is a redirect, or the fetch followed one (`sameOrigin`: to the request's own origin). */
  redirect?: { followed: boolean; location: string | undefined; sameOrigin?: boolean } | undefined;
}

/**
 * A redirect, or a fetch that followed one although asked not to: a 3xx, a browser's opaque
 * redirect (type `opaqueredirect`, status 0), `response.redirected`, or an answer from another URL
 * (compared after normalisation: a trailing `?`, a fragment or another percent-encoding of the
 * same characters is the same URL).
 */
export function redirectOf(response: Response, url: string, trusted: boolean): Answer['redirect'] {
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

export function createTransport(config: TransportConfig) {
  const { redact, log } = config;
  // `cut`: the text was cut before redaction (at the answer cap), so its end may hold the key's start
  const clean = (text: string, cut?: boolean): string => safeText(text, redact, undefined, cut);
  const cleanLong = (text: string, cut?: boolean): string => safeText(text, redact, DEBUG_TEXT, cut);
  const hook = config.debug;
  // A hook that throws must not change what happens: its error is dropped.
  const debug = hook
    ? (event: DebugEvent): void => {
        try {
          hook(event);
        } catch {
          // ignored on purpose
        }
      }
    : undefined;
  const logDebug = log?.enabled('debug') ? log : undefined;
  const logInfo = log?.enabled('info') ? log : undefined;
  const agent = userAgent();

  return async function send(request: RequestTarget, options: AttemptOptions): Promise<BufferedResponse> {
    const { signal } = options;
    const attempts = options.maxRetries + 1;
    // Every attempt sends a fresh request with the whole body: a retry never sends a consumed stream.
    const { url, method, headers } = request;
    const { body } = options;
    // a User-Agent of the caller's own (`defaultHeaders`, per-call `headers`) is kept
    if (agent !== undefined && !headers.has('user-agent')) headers.set('user-agent', agent);

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError(signal, attempt - 1);
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(TIMED_OUT), options.timeout);
      const started = Date.now();
      let answer: Answer | undefined;
      let thrown: unknown;
      try {
        if (debug) debug({ type: 'request', attempt, method, url: redact(url), headers: redactHeaders(headers, redact), body: redact(body) });
        // Never follow a redirect: the key goes nowhere but the request's own URL.
        const init = { method, headers, body, signal: controller.signal, redirect: 'manual' as const };
        const custom = config.fetch;
        answer = await exchange(
          () => (custom ? custom(new Request(url, init)) : globalThis.fetch(url, init)),
          controller.signal,
          (response) => redirectOf(response, url, !custom),
          !custom,
        );
      } catch (error) {
        thrown = error ?? new Error('fetch failed');
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }

      let failure: Error;
      let retryHeaders: Headers | undefined;
      if (answer) {
        const { response, text, over, redirect } = answer;
        const { status } = response;
        const ms = Date.now() - started;
        const requestId = debug || logDebug || !response.ok ? requestIdOf(response.headers, clean) : undefined;
        if (debug) {
          debug({ type: 'response', attempt, status, headers: redactHeaders(response.headers, cleanLong), body: cleanLong(text, over), ms, requestId });
        }
        logDebug?.debug(
          `${method} ${url} → ${status} in ${ms} ms (attempt ${attempt} of ${attempts}` +
            `${requestId ? `, request id ${requestId}` : ''}); sent ${cleanLong(body)}; answered ${cleanLong(text, over) || '(no body)'}`,
        );
        if (!redirect && !over && response.ok && isGroupResponse(text)) return new BufferedResponse(status, response.headers, text);
        const error = errorFromResponse({
          status,
          serverMessage: redirect ? undefined : serverMessage(text, (text) => clean(text, over)),
          headers: redactHeaders(response.headers, clean),
          attempts: attempt,
          retryAfterMs: parseRetryAfter(response.headers),
          requestId: requestId ?? requestIdOf(response.headers, clean),
          location: redirect?.location && clean(redirect.location),
          retryAfterCapMs: options.maxRetryAfter,
          redirect,
          oversized: over && response.ok ? MAX_ANSWER_BYTES : undefined,
        });
        if (redirect?.followed) log?.error(error.message);
        if (redirect || response.ok || !shouldRetry(status, response.headers)) throw error;
        failure = error;
        retryHeaders = response.headers;
      } else {
        if (signal?.aborted) throw abortedError(signal, attempt);
        failure = controller.signal.reason === TIMED_OUT
          ? new TimeoutError(
              `ThriveStack did not answer within ${options.timeout} ms (${plural(attempt, 'attempt')}). ` +
                `The calls may or may not have been recorded; raise \`timeout\` or retry later.`,
              attempt,
            )
          : new ConnectionError(
              `Could not reach ThriveStack at ${clean(new URL(request.url).origin)} (${plural(attempt, 'attempt')}): ` +
                `${clean(causeText(thrown))}. Check the network and \`baseUrl\`, then retry.`,
              attempt,
              // never the thrown object itself: a fetch library's error may hold the request and its key
              { cause: summarizeError(thrown, clean) },
            );
        const ms = Date.now() - started;
        if (debug) debug({ type: 'error', attempt, error: failure.message, ms });
        logDebug?.debug(`${method} ${url} failed in ${ms} ms (attempt ${attempt} of ${attempts}): ${failure.message}`);
      }
      if (attempt >= attempts) throw failure;
      const delayMs = retryDelay(attempt, options, retryHeaders);
      if (debug) debug({ type: 'retry', attempt, delayMs, reason: failure.message });
      logInfo?.info(`retrying in ${Math.round(delayMs)} ms (attempt ${attempt + 1} of ${attempts} next): ${failure.message}`);
      try {
        await sleep(delayMs, signal, options.keepAlive);
      } catch {
        throw abortedError(signal!, attempt);
      }
    }
  };
}

function requestIdOf(headers: Headers, clean: (text: string) => string): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return clean(value).slice(0, 200);
  }
  return undefined;
}

const decoder = new TextDecoder();

/**
 * One request and at most `MAX_ANSWER_BYTES` of its body, settled as soon as `signal` aborts even if
 * the fetch implementation does not honour the signal: an attempt can never hang past its timeout.
 * A redirect's body is not read at all.
 */
function exchange(
  start: () => Promise<Response>,
  signal: AbortSignal,
  redirectOf: (response: Response) => Answer['redirect'],
  trusted: boolean,
): Promise<Answer> {
  let stop: (() => void) | undefined;
  const work = (async (): Promise<Answer> => {
    const response = responseOf(await start());
    // Response.error() from a caller's fetch: a network error, not an answer
    if (response.type === 'error') throw new TypeError('the fetch returned a network error (Response.error())');
    const redirect = redirectOf(response);
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
    const read = await readCapped(body, (cancel) => (stop = cancel));
    return { response, ...read };
  })();
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

function kindOf(value: unknown): string {
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

function causeText(error: unknown): string {
  try {
    if (!(error instanceof Error)) return String(error);
    const cause = (error as { cause?: unknown }).cause;
    const inner = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
    return inner ? `${error.message} (${inner})` : error.message;
  } catch {
    return 'an error that could not be read';
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function abortedError(signal: AbortSignal, attempts: number): RequestAbortedError {
  return new RequestAbortedError(
    `The call was aborted by its AbortSignal after ${plural(attempts, 'attempt')}; ` +
      `it may or may not have been recorded if a request was in flight.`,
    { cause: signal.reason },
  );
}
