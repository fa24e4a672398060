/**
 * One logical request, sent with per-attempt timeouts and retries: the `fetch` behind the client's
 * openapi-fetch calls. Every attempt sends the whole body again (the body is bytes: a retry never sends
 * a consumed stream), with one AbortController and one timer, and reads the answer (`answer.ts`) inside
 * the attempt's timeout, so a server that stalls mid-body times out too. A final failure is thrown as the
 * typed error of the last attempt; only a 2xx with the documented JSON body, from the request's own URL,
 * is returned, and then as just that body (`{ success: true, eventId }`, its `eventId` cleaned like any
 * server text).
 *
 * Against a hostile or broken server: redirects are never followed, at most `MAX_ANSWER_BYTES` of an
 * answer are read, and every piece of server text (body, header values, request id, event id) that
 * reaches an error, a result, a debug event or a log line is redacted, cleaned of control characters
 * and escapes, then cut (`safe-text.ts`); what a fetch throws is kept only as a redacted summary; a
 * `debug` hook that throws is ignored.
 *
 * Also: one log line per attempt at `debug` (method, URL, status, ms, attempt n of m, request id, the
 * answer's body cut), retry waits at `info`; a fetch that followed a redirect at `error`.
 */
import { ConnectionError, RequestAbortedError, TimeoutError, errorFromResponse, summarizeError } from './errors.js';
import { parseRetryAfter, retryDelay, shouldRetry, type RetryPolicy } from './retry-policy.js';
import { redactHeaders, type Redactor } from './redact.js';
import { safeText } from './safe-text.js';
import { MAX_ANSWER_BYTES, exchange, type Answer } from './answer.js';
import type { Log } from './logger.js';
import type { GroupResponse } from './types.js';

export { MAX_ANSWER_BYTES };

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
}

/** One request to send: where, with which headers, and the JSON body. */
export interface Outgoing {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface TransportConfig {
  /** The caller's fetch, handed a fresh Request per attempt; without one, `globalThis.fetch(url, init)`. */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  redact: Redactor;
  debug?: ((event: DebugEvent) => void) | undefined;
  /** Where the per-attempt log lines go (already filtered by level and redacted). */
  log?: Log | undefined;
}

/** The platform's fetch as it was when the client loaded: it honours AbortSignal and `redirect: 'manual'`. */
const nativeFetch = typeof globalThis.fetch === 'function' ? globalThis.fetch : undefined;
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

/** The documented success body, or `undefined`. Only `success` and `eventId` are kept. */
function groupResponse(body: string): { success: true; eventId: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { success?: unknown; eventId?: unknown };
    return parsed?.success === true && typeof parsed.eventId === 'string' ? { success: true, eventId: parsed.eventId } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a successful attempt hands openapi-fetch: the checked answer, already read and cleaned (its
 * `json()` and `text()` give `{ success: true, eventId }` and nothing else the server sent).
 */
export class CheckedResponse {
  readonly ok = true;
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly answer: GroupResponse,
  ) {}
  json(): Promise<GroupResponse> {
    return Promise.resolve(this.answer);
  }
  text(): Promise<string> {
    return Promise.resolve(JSON.stringify(this.answer));
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
  const custom = config.fetch;

  return async function send(request: Outgoing, options: AttemptOptions): Promise<CheckedResponse> {
    const { signal } = options;
    const attempts = options.maxRetries + 1;
    const { url, headers, body } = request;
    const method = 'POST';
    // the platform's own fetch honours the signal: nothing to race it against (see answer.ts)
    const trusted = !custom && globalThis.fetch === nativeFetch;

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError(signal, attempt - 1);
      // One AbortController and one timer per attempt. The timer is a plain (ref'd) one: an awaited
      // call keeps the process alive until it settles, even when the fetch does no I/O (a test's mock).
      const controller = new AbortController();
      const onAbort = signal && ((): void => controller.abort(signal.reason));
      if (onAbort) signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(TIMED_OUT), options.timeout);
      const started = Date.now();
      let answer: Answer | undefined;
      let thrown: unknown;
      try {
        if (debug) debug({ type: 'request', attempt, method, url: redact(url), headers: redactHeaders(new Headers(headers), redact), body: redact(body) });
        // Never follow a redirect: the key goes nowhere but the request's own URL.
        const init = { method, headers, body, signal: controller.signal, redirect: 'manual' as const };
        answer = await exchange(() => (custom ? custom(new Request(url, init)) : globalThis.fetch(url, init)), url, controller.signal, trusted);
      } catch (error) {
        thrown = error ?? new Error('fetch failed');
      } finally {
        clearTimeout(timer);
        if (onAbort) signal.removeEventListener('abort', onAbort);
      }

      let failure: Error;
      let retryHeaders: Headers | undefined;
      if (answer) {
        const { response, text: said, over, redirect } = answer;
        const { status } = response;
        const ms = Date.now() - started;
        const requestId = debug || logDebug || !response.ok ? requestIdOf(response.headers, clean) : undefined;
        if (debug) {
          debug({ type: 'response', attempt, status, headers: redactHeaders(response.headers, cleanLong), body: cleanLong(said, over), ms, requestId });
        }
        logDebug?.debug(
          `${method} ${url} → ${status} in ${ms} ms (attempt ${attempt} of ${attempts}` +
            `${requestId ? `, request id ${requestId}` : ''}); sent ${cleanLong(body)}; answered ${cleanLong(said, over) || '(no body)'}`,
        );
        const accepted = !redirect && !over && response.ok ? groupResponse(said) : undefined;
        if (accepted) {
          // the event id is server text like any other: cleaned and redacted before anyone sees it
          accepted.eventId = clean(accepted.eventId);
          return new CheckedResponse(status, response.headers, accepted);
        }
        const error = errorFromResponse({
          status,
          serverMessage: redirect ? undefined : serverMessage(said, (t) => clean(t, over)),
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
              `Could not reach ThriveStack at ${clean(new URL(url).origin)} (${plural(attempt, 'attempt')}): ` +
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
