/**
 * `ThriveStack`: the client users live in. `group()` sends now and resolves with the event id;
 * `enqueue()` batches in the background; `flush()` and `close()` drain. Every path goes through the
 * same validation (`validate.ts`), the same openapi-fetch client and the same retrying transport.
 */
import { openapiClient, type WireClient } from './wire-client.js';
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
import { createTransport, RecordedRequest, type RequestTarget } from './transport.js';
import { redactorFor } from './redact.js';
import { createLog } from './logger.js';
import { prepareCall, prepareRequest } from './validate.js';
import { BatchQueue, type CloseOptions, type CloseReport } from './queue.js';
import type { GroupCall, GroupResponse } from './types.js';
import type { EnqueueOptions } from './queue-options.js';

export class ThriveStack {
  /** Where requests go, e.g. https://api.app.thrivestack.ai. */
  readonly baseUrl: string;
  readonly #options: ResolvedOptions;
  readonly #wire: WireClient;
  readonly #send: ReturnType<typeof createTransport>;
  readonly #queue: BatchQueue;

  constructor(given: ClientOptions = {}) {
    // from here on, only the checked snapshot: a getter cannot answer differently later
    const options = checkClientOptions(given);
    const apiKey = resolveApiKey(options);
    this.#options = resolveOptions(options);
    this.baseUrl = this.#options.baseUrl;
    const redact = redactorFor(apiKey);
    const log = createLog(options, redact);
    this.#send = createTransport({ fetch: this.#options.fetch, redact, debug: options.debug, log });
    this.#wire = openapiClient({
      apiKey,
      baseUrl: this.baseUrl,
      headers: this.#options.defaultHeaders,
      Request: RecordedRequest as unknown as typeof Request,
    });
    this.#queue = new BatchQueue((body, signal) => this.#post(body, { signal }, false), options, log);
  }

  /**
   * Sends one group call, or an array of up to 1,000, in one request now, with retries. Resolves
   * with ThriveStack's answer; throws `ValidationError` (nothing sent) or the typed error of the
   * last attempt.
   */
  async group(calls: GroupCall | readonly GroupCall[], given: RequestOptions = {}): Promise<GroupResponse> {
    const options = checkRequestOptions(given);
    const { body } = prepareRequest(calls);
    return this.#post(body, options, true);
  }

  /**
   * Validates the call now (throws `ValidationError`) and queues it for delivery in the background.
   * Returns `false` when the queue is full: the call was not queued and is reported to `onError`.
   */
  enqueue(call: GroupCall, options?: EnqueueOptions): boolean {
    const tag = options === undefined ? undefined : checkEnqueueOptions(options).tag;
    return this.#queue.add(prepareCall(call), tag);
  }

  /** Like `enqueue()`, but waits for room when the queue is full instead of refusing the call. */
  enqueueAsync(call: GroupCall, options?: EnqueueOptions): Promise<void> {
    // Not `async`: that would wrap the queue's promise in one more (extra ticks on every call).
    try {
      const tag = options === undefined ? undefined : checkEnqueueOptions(options).tag;
      return this.#queue.addAsync(prepareCall(call), tag);
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

  async #post(body: string, options: RequestOptions, keepAlive: boolean): Promise<GroupResponse> {
    const resolved = this.#options;
    const attempt = {
      ...resolved,
      timeout: options.timeout ?? resolved.timeout,
      maxRetries: options.maxRetries ?? resolved.maxRetries,
      signal: options.signal,
      keepAlive,
      body,
    };
    // The body was validated and serialized by validate.ts (or joined by the queue): openapi-fetch
    // builds the typed request around it and hands it to the retrying transport.
    const { data } = await this.#wire.POST('/api/group', {
      body: [] as never,
      bodySerializer: () => body,
      headers: options.headers,
      fetch: async (request: Request) => (await this.#send(request as unknown as RequestTarget, attempt)) as unknown as Response,
    });
    return data!;
  }
}
