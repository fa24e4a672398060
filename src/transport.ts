/**
 * The `fetch` handed to openapi-fetch: one logical request, sent with per-attempt timeouts and
 * retries. Each attempt sends a fresh request built from what openapi-fetch made and the serialized
 * body (a consumed POST body cannot be sent twice), and reads the whole response body inside the
 * attempt's timeout, so a server that stalls mid-body times out too. A final failure is thrown as the
 * typed error of the last attempt; only 2xx answers with the documented JSON body are returned.
 */
import {
  ConnectionError,
  RequestAbortedError,
  TimeoutError,
  errorFromResponse,
} from './errors.js';
import { isRetryableStatus, parseRetryAfter, retryDelay, type RetryPolicy } from './retry-policy.js';
import type { Redactor } from './redact.js';
import { redactHeaders } from './redact.js';
import type { Log } from './logger.js';

/** What the client reports to a `debug` hook. Header values of `x-api-key` are redacted. */
export type DebugEvent =
  | { type: 'request'; attempt: number; method: string; url: string; headers: Record<string, string>; body: string }
  | { type: 'response'; attempt: number; status: number; headers: Record<string, string>; body: string; ms: number }
  | { type: 'error'; attempt: number; error: string; ms: number }
  | { type: 'retry'; attempt: number; delayMs: number; reason: string };

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

function serverMessage(body: string, redact: Redactor): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    const said = typeof parsed?.message === 'string' ? parsed.message : typeof parsed?.error === 'string' ? parsed.error : undefined;
    if (said !== undefined) return redact(said);
  } catch {
    // not JSON: fall through to the raw text
  }
  return redact(body.length > 300 ? `${body.slice(0, 300)}…` : body);
}

function isGroupResponse(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { success?: unknown; eventId?: unknown };
    return parsed?.success === true && typeof parsed.eventId === 'string';
  } catch {
    return false;
  }
}

export function createTransport(config: TransportConfig) {
  const { redact, debug } = config;

  return async function send(request: RequestTarget, options: AttemptOptions): Promise<BufferedResponse> {
    const { signal } = options;
    const attempts = options.maxRetries + 1;
    // Every attempt sends a fresh request with the whole body: a retry never sends a consumed stream.
    const { url, method, headers } = request;
    const { body } = options;

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortedError(signal, attempt - 1);
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(TIMED_OUT), options.timeout);
      const started = Date.now();
      if (debug) {
        debug({ type: 'request', attempt, method, url, headers: redactHeaders(headers), body: redact(body) });
      }
      let response: Response | undefined;
      let text = '';
      let thrown: unknown;
      try {
        const init = { method, headers, body, signal: controller.signal };
        const custom = config.fetch;
        [response, text] = await exchange(() => (custom ? custom(new Request(url, init)) : globalThis.fetch(url, init)), controller.signal);
      } catch (error) {
        thrown = error ?? new Error('fetch failed');
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }

      let failure: Error;
      let retryHeaders: Headers | undefined;
      if (response && thrown === undefined) {
        debug?.({ type: 'response', attempt, status: response.status, headers: redactHeaders(response.headers), body: redact(text), ms: Date.now() - started });
        if (response.ok && isGroupResponse(text)) return new BufferedResponse(response.status, response.headers, text);
        const error = errorFromResponse({
          status: response.status,
          serverMessage: serverMessage(text, redact),
          headers: response.headers,
          attempts: attempt,
          retryAfterMs: parseRetryAfter(response.headers),
        });
        if (response.ok || !isRetryableStatus(response.status)) throw error;
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
              `Could not reach ThriveStack at ${new URL(request.url).origin} (${plural(attempt, 'attempt')}): ` +
                `${redact(causeText(thrown))}. Check the network and \`baseUrl\`, then retry.`,
              attempt,
              { cause: thrown },
            );
        debug?.({ type: 'error', attempt, error: failure.message, ms: Date.now() - started });
      }
      if (attempt >= attempts) throw failure;
      const delayMs = retryDelay(attempt, options, retryHeaders);
      debug?.({ type: 'retry', attempt, delayMs, reason: failure.message });
      try {
        await sleep(delayMs, signal, options.keepAlive);
      } catch {
        throw abortedError(signal!, attempt);
      }
    }
  };
}

/**
 * One request and its whole body, settled as soon as `signal` aborts even if the fetch
 * implementation does not honour the signal: an attempt can never hang past its timeout.
 */
function exchange(start: () => Promise<Response>, signal: AbortSignal): Promise<[Response, string]> {
  const work = (async (): Promise<[Response, string]> => {
    const response = await start();
    return [response, await response.text()];
  })();
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  // The listener must go once the exchange settles: fetch keeps the signal alive as long as the
  // request, and the listener would keep the request (and its body) alive in turn.
  work.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {}); // after an abort, nobody is left to tell
  return Promise.race([work, aborted]);
}

function causeText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
  return inner ? `${error.message} (${inner})` : error.message;
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
