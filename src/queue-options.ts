/** Options of the batching queue (`enqueue`, `flush`, `close`), with their defaults. */
import type { ThriveStackError } from './errors.js';
import type { WireGroupCall } from './types.js';

/** Calls the queue could not deliver, handed to `onError` (and kept for `close()`'s report). */
export interface DeliveryFailure {
  /**
   * `failed`: sent, and refused or never answered after every retry.
   * `dropped`: refused by `enqueue()` because the queue was full; never sent.
   */
  kind: 'failed' | 'dropped';
  /** The calls, in wire format (what `JSON.stringify` would send): persist them to send again later. */
  calls: WireGroupCall[];
  /** The `tag` each call was enqueued with (`undefined` for untagged calls), in the order of `calls`. */
  tags: unknown[];
  error: ThriveStackError;
}

/** Calls ThriveStack acknowledged in one request, handed to `onDelivered`. */
export interface Delivery {
  /** How many calls the request carried. */
  count: number;
  /** The `tag` each call was enqueued with (`undefined` for untagged calls), in enqueue order. */
  tags: unknown[];
}

/**
 * A dynamic limit on requests in flight (below `maxConcurrentRequests`) and a time before which no
 * request starts: how a caller that watches responses (the CLI slows down on 429) steers the queue.
 */
export interface QueueThrottle {
  /** Most requests in flight now (below 1: 1; not a number: `maxConcurrentRequests`). */
  readonly limit: number;
  /** Epoch ms before which no new request starts (0: none); honoured for `MAX_THROTTLE_PAUSE` (60 s) at most. */
  readonly pausedUntil: number;
  /**
   * Calls `listener` when `limit` rises or a pause ends early; returns the function that stops listening.
   * If it throws or returns no function, the queue logs that and goes on without listening.
   */
  onRaise(listener: () => void): () => void;
  /**
   * While `true`, no new request starts, for as long as it stays `true` (no cap, unlike a pause): for
   * an owner that must catch up before more is sent (the CLI, while its checkpoint is written). Call
   * the `onRaise` listener when it turns `false`.
   */
  readonly held?: boolean | undefined;
}

export interface QueueOptions {
  /**
   * Start a send once this many calls are waiting (default 100). When to send, not how much: the
   * request carries every call waiting, up to `maxBatchSize` and 2 MB.
   */
  flushAt?: number | undefined;
  /** Most calls one request carries (default and most: 1,000, the API's limit). */
  maxBatchSize?: number | undefined;
  /** Send waiting calls at the latest this many ms after the oldest was enqueued (default 5,000). */
  flushInterval?: number | undefined;
  /**
   * Most calls the queue holds, waiting or in flight (default 10,000). When full, `enqueue()` refuses
   * the new call (returns `false` and reports it to `onError` as `dropped`); `enqueueAsync()` waits.
   */
  maxQueueSize?: number | undefined;
  /**
   * Most characters of JSON the queue holds, waiting or in flight (default 64,000,000, at least
   * 2,000,000): full past it as past `maxQueueSize` (a call alone in the queue always fits). Calls that
   * share one large value (a default avatar as a data URL) each hold their own copy of it once queued.
   */
  maxQueueBytes?: number | undefined;
  /** Most batch requests in flight at once (default 4). */
  maxConcurrentRequests?: number | undefined;
  /**
   * Receives every call the queue could not deliver, with the reason, once per failed or dropped
   * group of calls. It runs outside the queue's own call stack (as a microtask), so it may call
   * `enqueue()` again; if it throws, the error is logged and the queue goes on. Without it, the client
   * logs a summary with counts at most once every 5 seconds (and once more at `close()`).
   */
  onError?: ((failure: DeliveryFailure) => void) | undefined;
  /**
   * Receives every acknowledged request's calls (their count and the tags they were enqueued with),
   * as a microtask right after ThriveStack's answer. For callers that record progress (the CLI's
   * checkpoint). A throwing hook is logged and ignored.
   */
  onDelivered?: ((delivery: Delivery) => void) | undefined;
  /** Advanced: a dynamic concurrency limit and pause (see `QueueThrottle`). */
  throttle?: QueueThrottle | undefined;
}

export const QUEUE_DEFAULTS = {
  flushAt: 100,
  flushInterval: 5_000,
  maxQueueSize: 10_000,
  maxQueueBytes: 64_000_000,
  maxConcurrentRequests: 4,
} as const;

/** Without `onError`, failures and drops are summarized at most this often (ms) per client. */
export const FAILURE_SUMMARY_INTERVAL = 5_000;

/**
 * The 400 budget: once this many batches in a row were refused (400) whole, halving each down to
 * single calls without finding one the API accepts, with nothing delivered in between (and together at
 * least `REFUSED_CALLS_BEFORE_GIVING_UP` calls), the API refuses what this client considers valid, and
 * the queue stops halving refused batches (it fails them whole, with one error saying so). A batch in
 * which halving delivered anything starts the count again, so a run of bad calls among good ones never
 * fails a good call.
 */
export const REFUSED_BATCHES_BEFORE_GIVING_UP = 3;
export const REFUSED_CALLS_BEFORE_GIVING_UP = 100;
/**
 * However few batches there are: once this many calls in a row were refused one by one, with nothing
 * delivered anywhere in between, the API refuses everything (twice the run of bad calls among good ones
 * the queue promises to isolate).
 */
export const REFUSED_RUN_BEFORE_GIVING_UP = 200;

/**
 * The longest a throttle pause (`pausedUntil`) holds the queue back, in ms, counted from when the queue
 * first saw it: past that the queue sends anyway until the pause ends, so an endless pause cannot keep
 * `flush()`, `close()` or a process's natural exit waiting forever.
 */
export const MAX_THROTTLE_PAUSE = 60_000;

/** Per-call options of `enqueue()` / `enqueueAsync()`. */
export interface EnqueueOptions {
  /** Any value: handed back with this call's outcome (`onDelivered`, `onError`, `close().pendingTags`). */
  tag?: unknown;
}
