/**
 * `ThriveStack`: the client users live in. `group()` sends now and resolves with the event id;
 * `enqueue()` batches in the background; `flush()` and `close()` drain. Every call is read once by the
 * generated reader (`validate.ts`), and every request goes through the same openapi-fetch client and
 * the same retrying transport.
 */
import { openapiFetch, type WireClient } from './openapi-client.js';
import {
  checkClientOptions,
  checkCloseOptions,
  checkEnqueueOptions,
  checkRequestOptions,
  resolveApiKey,
  resolveOptions,
  type ClientOptions,
  type RequestOptions,
  type ResolvedOptions,
} from './options.js';
import { createTransport, type AttemptOptions, type CheckedResponse, type Outgoing } from './transport.js';
import { redactorFor, type Redactor } from './redact.js';
import { createLog } from './logger.js';
import { checkRequestSize, prepareCall, prepareRequest, type PreparedCall } from './validate.js';
import { BatchQueue, RESOLVED, type CloseOptions, type CloseReport } from './queue.js';
import { userAgent } from './runtime.js';
import type { GroupCall, GroupResponse } from './types.js';
import type { EnqueueOptions } from './queue-options.js';

/** What `#post` hands openapi-fetch beside the body: the request's headers and its attempts' options. */
interface Sending {
  headers: Record<string, string>;
  attempt: AttemptOptions;
}

/**
 * The `Request` openapi-fetch builds (its `Request` option): the URL it made, the body as our body
 * serializer left it (the JSON text), and what `#post` passed along. Nothing is copied or parsed again; the
 * platform's Request, if any, is made by `fetch` itself, once per attempt.
 */
class Outbound {
  readonly url: string;
  readonly body: string;
  readonly sending: Sending;
  constructor(url: string, init: { body: string; sending: Sending }) {
    this.url = url;
    this.body = init.body;
    this.sending = init.sending;
  }
}

/**
 * `enqueueAsync()` for a call `prepareCall` already read and checked: for the `thrivestack import`
 * command, which validates each row before it decides to send it (same package; not exported).
 * `undefined` when the call was queued at once: the import's loop has nothing to wait for.
 */
export let enqueuePrepared: (client: ThriveStack, prepared: PreparedCall, tag: unknown) => Promise<void> | undefined;

export class ThriveStack {
  static {
    enqueuePrepared = (client, prepared, tag) => {
      const queued = client.#queue.addAsync(prepared, tag);
      return queued === RESOLVED ? undefined : queued;
    };
  }

  /** Where requests go, e.g. https://api.app.thrivestack.ai. */
  readonly baseUrl: string;
  readonly #options: ResolvedOptions;
  readonly #wire: WireClient;
  readonly #queue: BatchQueue;
  readonly #redact: Redactor;
  /** Every request's headers, built once: the key, the content type, `defaultHeaders`, the User-Agent. */
  readonly #headers: Record<string, string>;
  /** The attempts of a `group()` without per-call options. */
  readonly #immediate: AttemptOptions;

  constructor(given: ClientOptions = {}) {
    // from here on, only the checked snapshot: a getter cannot answer differently later
    const options = checkClientOptions(given);
    const apiKey = resolveApiKey(options);
    const redact = (this.#redact = redactorFor(apiKey));
    const resolved = (this.#options = resolveOptions(options, redact));
    this.baseUrl = resolved.baseUrl;
    const log = createLog(options, redact);
    this.#headers = headersOf(resolved.defaultHeaders, undefined, apiKey);
    this.#immediate = attemptOf(resolved, {}, true);
    const send = createTransport({ fetch: resolved.fetch, redact, debug: options.debug, log });
    this.#wire = openapiFetch({
      baseUrl: this.baseUrl,
      Request: Outbound as unknown as typeof Request,
      // the body arrives serialized and encoded (validate.ts, the queue): sent as it is
      bodySerializer: (body: unknown) => body as string,
      fetch: (request: Request) => {
        const outbound = request as unknown as Outbound;
        const target: Outgoing = { url: outbound.url, headers: outbound.sending.headers, body: outbound.body };
        return send(target, outbound.sending.attempt) as unknown as Promise<Response>;
      },
    });
    this.#queue = new BatchQueue((body, signal) => this.#post(body, attemptOf(resolved, { signal }, false), undefined), options, log);
  }

  /**
   * Sends one group call, or an array of up to 1,000, in one request now, with retries. Resolves
   * with ThriveStack's answer; throws `ValidationError` (nothing sent) or the typed error of the
   * last attempt.
   */
  group(calls: GroupCall | readonly GroupCall[], given?: RequestOptions): Promise<GroupResponse> {
    try {
      const options = given === undefined ? undefined : checkRequestOptions(given, this.#redact);
      const prepared = prepareRequest(calls, this.#redact);
      const { body } = prepared;
      checkRequestSize(body, prepared.calls, Array.isArray(calls));
      const attempt = options ? attemptOf(this.#options, options, true) : this.#immediate;
      return this.#post(body, attempt, options?.headers);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Validates the call now (throws `ValidationError`) and queues it for delivery in the background.
   * Returns `false` when the queue is full: the call was not queued and is reported to `onError`.
   */
  enqueue(call: GroupCall, options?: EnqueueOptions): boolean {
    const tag = options === undefined ? undefined : checkEnqueueOptions(options).tag;
    return this.#queue.add(prepareCall(call, this.#redact), tag);
  }

  /** Like `enqueue()`, but waits for room when the queue is full instead of refusing the call. */
  enqueueAsync(call: GroupCall, options?: EnqueueOptions): Promise<void> {
    // Not `async`: that would wrap the queue's promise in one more (extra ticks on every call).
    try {
      const tag = options === undefined ? undefined : checkEnqueueOptions(options).tag;
      return this.#queue.addAsync(prepareCall(call, this.#redact), tag);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Calls queued and not yet delivered or failed (waiting or in flight). */
  get queueSize(): number {
    return this.#queue.size;
  }

  /** Resolves once every call enqueued before it was delivered or finally failed, in-flight ones included. */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /**
   * Flushes, stops all timers and resolves within `timeout` (never rejects) with what happened to
   * every call; `timeout: Infinity` waits until every call is delivered or failed. `enqueue()`
   * afterwards throws. Invalid options throw `ConfigurationError` at once (nothing is closed then).
   */
  close(options?: CloseOptions): Promise<CloseReport> {
    return this.#queue.close(checkCloseOptions(options));
  }

  /** One request through openapi-fetch: `body` is the JSON array, as sent; `headers` the caller's for this call. */
  async #post(body: string, attempt: AttemptOptions, headers: Record<string, string> | undefined): Promise<GroupResponse> {
    const sending: Sending = { headers: headers ? headersOf(this.#options.defaultHeaders, headers, undefined, this.#headers) : this.#headers, attempt };
    // the transport answers with a CheckedResponse: its checked answer is the result, whatever
    // openapi-fetch makes of the server's headers (a stale `content-length: 0` would make `data` undefined)
    const { response } = await this.#wire.POST('/api/group', { body: body as never, sending } as never);
    return (response as unknown as CheckedResponse).answer;
  }
}

/**
 * Request headers as a plain record, merged as `Headers` merges them (names in any case; a later value
 * wins): the content type and `accept`, then `defaultHeaders`, then a call's own, then the key (which
 * nothing can override) and the User-Agent when none was given.
 */
function headersOf(defaults: Record<string, string>, perCall: Record<string, string> | undefined, apiKey: string | undefined, base?: Record<string, string>): Record<string, string> {
  const merged = new Headers(base ?? { accept: '*/*', 'content-type': 'application/json' });
  if (!base) for (const name of Object.keys(defaults)) merged.set(name, defaults[name]!);
  if (perCall) for (const name of Object.keys(perCall)) merged.set(name, perCall[name]!);
  if (apiKey !== undefined) merged.set('x-api-key', apiKey);
  const agent = userAgent();
  if (agent !== undefined && !merged.has('user-agent')) merged.set('user-agent', agent);
  const out: Record<string, string> = {};
  merged.forEach((value, name) => (out[name] = value));
  return out;
}

/** The options of every attempt of one request: the client's, with a call's own timeout, retries and signal. */
function attemptOf(resolved: ResolvedOptions, given: { signal?: AbortSignal | undefined; timeout?: number | undefined; maxRetries?: number | undefined }, keepAlive: boolean): AttemptOptions {
  return {
    timeout: given.timeout ?? resolved.timeout,
    maxRetries: given.maxRetries ?? resolved.maxRetries,
    minRetryDelay: resolved.minRetryDelay,
    maxRetryDelay: resolved.maxRetryDelay,
    maxRetryAfter: resolved.maxRetryAfter,
    signal: given.signal,
    keepAlive,
  };
}
