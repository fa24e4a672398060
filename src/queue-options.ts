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
  error: ThriveStackError;
}

export interface QueueOptions {
  /** Send a batch once this many calls are waiting (default 100; at most 1,000 go in one request). */
  flushAt?: number | undefined;
  /** Send waiting calls at the latest this many ms after the oldest was enqueued (default 5,000). */
  flushInterval?: number | undefined;
  /**
   * Most calls the queue holds, waiting or in flight (default 10,000). When full, `enqueue()` refuses
   * the new call (returns `false` and reports it to `onError` as `dropped`); `enqueueAsync()` waits.
   */
  maxQueueSize?: number | undefined;
  /** Most batch requests in flight at once (default 4). */
  maxConcurrentRequests?: number | undefined;
  /**
   * Receives every call the queue could not deliver, with the reason. Without it, the client writes
   * one warning line per failure to `console.warn` so that nothing is lost silently.
   */
  onError?: ((failure: DeliveryFailure) => void) | undefined;
}

export const QUEUE_DEFAULTS = {
  flushAt: 100,
  flushInterval: 5_000,
  maxQueueSize: 10_000,
  maxConcurrentRequests: 4,
} as const;
