/**
 * The batching queue behind `enqueue()`: calls wait until `flushAt` of them are waiting or
 * `flushInterval` has passed since the oldest, then leave in requests of at most 1,000 calls and
 * 2 MB of JSON (measured bytes), with at most `maxConcurrentRequests` in flight.
 *
 * Guarantees: every call is delivered, reported to `onError`, or listed as pending by `close()`;
 * the queue holds at most `maxQueueSize` calls; its timers never keep a process alive, but a process
 * that ends naturally waits for the queue to drain first; it never rejects a promise nobody awaits.
 */
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from './generated/constants.js';
import { BadRequestError, QueueError, ThriveStackError, UnexpectedResponseError } from './errors.js';
import { QUEUE_DEFAULTS, type DeliveryFailure, type QueueOptions } from './queue-options.js';
import type { WireGroupCall } from './types.js';
import type { PreparedCall } from './validate.js';
import type { Log } from './logger.js';

interface Entry {
  seq: number;
  json: string;
  bytes: number;
}

interface Batch {
  entries: Entry[];
}

/** Sends one batch body; resolves when ThriveStack accepted it, rejects with the typed error. */
export type SendBatch = (body: string, signal: AbortSignal) => Promise<unknown>;

export interface CloseOptions {
  /** Most ms to wait for delivery (default 30,000); `close()` resolves by then whatever happens. */
  timeout?: number | undefined;
}

/** What `close()` resolves with. Counts cover the client's whole life. */
export interface CloseReport {
  delivered: number;
  failed: number;
  dropped: number;
  /** Calls neither delivered nor failed when `timeout` ran out (their requests were abandoned). */
  pending: number;
  /** Failed and dropped calls with the reason (the most recent ones, up to `maxQueueSize` calls). */
  failures: DeliveryFailure[];
  pendingCalls: WireGroupCall[];
  timedOut: boolean;
}

const DEFAULT_CLOSE_TIMEOUT = 30_000;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new QueueError(`\`${name}\` must be a positive whole number, got ${String(value)}.`);
  return value;
}

const parseCalls = (entries: Entry[]): WireGroupCall[] => entries.map((e) => JSON.parse(e.json) as WireGroupCall);
const processLike = (): { on?: Function; off?: Function } | undefined =>
  (globalThis as { process?: { on?: Function; off?: Function } }).process;

export class BatchQueue {
  readonly #send: SendBatch;
  readonly #onError: ((failure: DeliveryFailure) => void) | undefined;
  readonly #flushAt: number;
  readonly #flushInterval: number;
  readonly #maxQueueSize: number;
  readonly #maxConcurrent: number;

  #waiting: Entry[] = [];
  readonly #inFlight = new Set<Batch>();
  /** Calls waiting or in flight. */
  #held = 0;
  #seq = 0;
  /** Waiting calls with a seq up to this are sent without waiting for `flushAt`. */
  #drainUntil = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushWaiters: Array<{ target: number; resolve: () => void }> = [];
  #roomWaiters: Array<{ call: PreparedCall; resolve: () => void; reject: (error: Error) => void }> = [];
  #closing: Promise<CloseReport> | undefined;
  #abandoned = false;
  readonly #abort = new AbortController();
  #exitHook: (() => void) | undefined;

  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #failures: DeliveryFailure[] = [];
  #failureCalls = 0;

  /** Where the queue's console summaries go (the client's logger). */
  readonly #log: Log | undefined;

  constructor(send: SendBatch, options: QueueOptions, log?: Log) {
    this.#send = send;
    this.#log = log;
    this.#onError = options.onError;
    this.#flushInterval = options.flushInterval ?? QUEUE_DEFAULTS.flushInterval;
    if (!(this.#flushInterval >= 0)) throw new QueueError(`\`flushInterval\` must be a non-negative number of ms.`);
    this.#maxQueueSize = positiveInteger('maxQueueSize', options.maxQueueSize, QUEUE_DEFAULTS.maxQueueSize);
    // A batch can never wait for more calls than one request or the queue itself can hold.
    const flushAt = positiveInteger('flushAt', options.flushAt, QUEUE_DEFAULTS.flushAt);
    this.#flushAt = Math.min(flushAt, MAX_CALLS_PER_REQUEST, this.#maxQueueSize);
    this.#maxConcurrent = positiveInteger('maxConcurrentRequests', options.maxConcurrentRequests, QUEUE_DEFAULTS.maxConcurrentRequests);
  }

  /** Calls waiting or in flight. */
  get size(): number {
    return this.#held;
  }

  /** Queues a validated call. `false` when the queue is full: the call is reported as dropped. */
  add(call: PreparedCall): boolean {
    this.#assertOpen();
    if (this.#held >= this.#maxQueueSize || this.#roomWaiters.length > 0) {
      this.#dropped++;
      this.#report({
        kind: 'dropped',
        calls: [call.call],
        error: new QueueError(
          `The queue is full (${this.#maxQueueSize} calls waiting or in flight); this call was not queued. ` +
            'Use `await enqueueAsync()` to wait for room, or raise `maxQueueSize`.',
        ),
      });
      return false;
    }
    this.#admit(call);
    return true;
  }

  /** Queues a validated call, waiting for room when the queue is full (backpressure). */
  addAsync(call: PreparedCall): Promise<void> {
    this.#assertOpen();
    if (this.#held < this.#maxQueueSize && this.#roomWaiters.length === 0) {
      this.#admit(call);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#roomWaiters.push({ call, resolve, reject }));
  }

  /** Resolves once every call queued before it was delivered or finally failed. Never rejects. */
  flush(): Promise<void> {
    const target = this.#seq;
    if (this.#lowestUnsettled() > target) return Promise.resolve();
    this.#drainUntil = Math.max(this.#drainUntil, target);
    const done = new Promise<void>((resolve) => this.#flushWaiters.push({ target, resolve }));
    this.#pump();
    return done;
  }

  /** Flushes, stops the timers and resolves (never rejects) within `timeout` with a report. */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    this.#closing ??= this.#close(options.timeout ?? DEFAULT_CLOSE_TIMEOUT);
    return this.#closing;
  }

  async #close(timeout: number): Promise<CloseReport> {
    const closed = new QueueError('The client was closed before this call could be queued; it was not sent.');
    for (const waiter of this.#roomWaiters.splice(0)) waiter.reject(closed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeout))),
    ]);
    clearTimeout(timer);
    let pendingCalls: WireGroupCall[] = [];
    if (timedOut) {
      const pending = [...this.#inFlight].flatMap((b) => b.entries).concat(this.#waiting);
      pendingCalls = parseCalls(pending);
      this.#abandoned = true;
      this.#waiting = [];
      this.#held = 0;
      this.#abort.abort(new QueueError('close() timed out'));
      for (const waiter of this.#flushWaiters.splice(0)) waiter.resolve();
    }
    this.#stopTimer();
    this.#setExitHook(false);
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      pending: pendingCalls.length,
      failures: [...this.#failures],
      pendingCalls,
      timedOut,
    };
  }

  #assertOpen(): void {
    if (this.#closing) {
      throw new QueueError('The client is closed: `enqueue()` after `close()` is refused. Create a new ThriveStack client.');
    }
  }

  #admit(call: PreparedCall): void {
    this.#waiting.push({ seq: ++this.#seq, json: call.json, bytes: call.bytes });
    this.#held++;
    this.#setExitHook(true);
    this.#pump();
  }

  #lowestUnsettled(): number {
    let lowest = this.#waiting[0]?.seq ?? Infinity;
    for (const batch of this.#inFlight) lowest = Math.min(lowest, batch.entries[0]!.seq);
    return lowest;
  }

  #pump(): void {
    while (this.#inFlight.size < this.#maxConcurrent && this.#waiting.length > 0) {
      const ready = this.#waiting.length >= this.#flushAt || this.#waiting[0]!.seq <= this.#drainUntil;
      if (!ready) break;
      this.#start(this.#take());
    }
    if (this.#waiting.length > 0 && this.#timer === undefined && !this.#closing) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#drainUntil = this.#seq;
        this.#pump();
      }, this.#flushInterval);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** The next batch: as many waiting calls as fit in one request by count and by bytes. */
  #take(): Batch {
    let bytes = 2; // the array's brackets
    let count = 0;
    while (count < this.#waiting.length && count < MAX_CALLS_PER_REQUEST) {
      const next = this.#waiting[count]!.bytes + (count > 0 ? 1 : 0);
      if (bytes + next > MAX_REQUEST_BYTES) break;
      bytes += next;
      count++;
    }
    return { entries: this.#waiting.splice(0, Math.max(count, 1)) };
  }

  #start(batch: Batch): void {
    this.#inFlight.add(batch);
    void this.#deliver(batch.entries).then(() => {
      if (this.#abandoned) return;
      this.#inFlight.delete(batch);
      this.#held -= batch.entries.length;
      this.#settled();
    });
  }

  /** Sends entries; a 400 on several calls is isolated by halving, so good calls still arrive. */
  async #deliver(entries: Entry[]): Promise<void> {
    try {
      await this.#send(`[${entries.map((e) => e.json).join(',')}]`, this.#abort.signal);
      this.#delivered += entries.length;
    } catch (error) {
      if (this.#abandoned) return;
      if (error instanceof UnexpectedResponseError && error.status < 300) {
        this.#delivered += entries.length; // accepted, with an odd body
        return;
      }
      if (error instanceof BadRequestError && entries.length > 1) {
        const half = Math.ceil(entries.length / 2);
        await this.#deliver(entries.slice(0, half));
        await this.#deliver(entries.slice(half));
        return;
      }
      this.#failed += entries.length;
      const reason = error instanceof ThriveStackError ? error : new ThriveStackError(String(error), { cause: error });
      this.#report({ kind: 'failed', calls: parseCalls(entries), error: reason });
    }
  }

  #settled(): void {
    while (this.#roomWaiters.length > 0 && this.#held < this.#maxQueueSize) {
      const waiter = this.#roomWaiters.shift()!;
      this.#admit(waiter.call);
      waiter.resolve();
    }
    const lowest = this.#lowestUnsettled();
    if (this.#flushWaiters.length) {
      const done = this.#flushWaiters.filter((waiter) => waiter.target < lowest);
      this.#flushWaiters = this.#flushWaiters.filter((waiter) => waiter.target >= lowest);
      for (const waiter of done) waiter.resolve();
    }
    if (this.#held === 0) {
      this.#stopTimer();
      this.#setExitHook(false);
    }
    this.#pump();
  }

  #report(failure: DeliveryFailure): void {
    this.#failures.push(failure);
    this.#failureCalls += failure.calls.length;
    while (this.#failureCalls > this.#maxQueueSize && this.#failures.length > 1) {
      this.#failureCalls -= this.#failures.shift()!.calls.length;
    }
    try {
      if (this.#onError) this.#onError(failure);
      else console.warn(`thrivestack: ${failure.calls.length} group call(s) ${failure.kind}: ${failure.error.message}`);
    } catch (hookError) {
      console.warn('thrivestack: the onError hook threw', hookError);
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * While the queue holds calls, a `beforeExit` listener makes a Node process that is ending
   * naturally deliver them first (holding the event loop open only until they settle). The
   * listener exists only while calls are held, so idle or forgotten clients leave nothing behind.
   */
  #setExitHook(on: boolean): void {
    if (on === (this.#exitHook !== undefined)) return; // already so: the common case, on every call
    const proc = processLike();
    if (typeof proc?.on !== 'function' || typeof proc.off !== 'function') return;
    if (on && !this.#exitHook) {
      this.#exitHook = () => {
        const keepAlive = setInterval(() => {}, 1_000);
        void this.flush().then(() => clearInterval(keepAlive));
      };
      proc.on('beforeExit', this.#exitHook);
    } else if (!on && this.#exitHook) {
      proc.off('beforeExit', this.#exitHook);
      this.#exitHook = undefined;
    }
  }
}
