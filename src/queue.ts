/**
 * The batching queue behind `enqueue()`: calls wait until `flushAt` of them are waiting or
 * `flushInterval` has passed since the oldest, then leave in requests of at most `flushAt` calls
 * (itself at most 1,000) and 2 MB of JSON (measured bytes), with at most `maxConcurrentRequests` in
 * flight.
 *
 * Guarantees: every call is delivered, reported to `onError`, or listed as pending by `close()`;
 * the queue holds at most `maxQueueSize` calls; its timers never keep a process alive, but a process
 * that ends naturally waits for the queue to drain first (one process-wide hook, `exit-hook.ts`); it
 * never rejects a promise nobody awaits; hooks run outside its call stack and never change outcomes.
 */
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from './generated/constants.js';
import { BadRequestError, QueueError, ThriveStackError } from './errors.js';
import {
  FAILURE_SUMMARY_INTERVAL,
  MAX_THROTTLE_PAUSE,
  QUEUE_DEFAULTS,
  REFUSED_BATCHES_BEFORE_GIVING_UP,
  REFUSED_CALLS_BEFORE_GIVING_UP,
  type Delivery,
  type DeliveryFailure,
  type QueueOptions,
  type QueueThrottle,
} from './queue-options.js';
import type { WireGroupCall } from './types.js';
import type { PreparedCall } from './validate.js';
import { createLog, type Log } from './logger.js';
import { holdForExit } from './exit-hook.js';

interface Entry {
  seq: number;
  json: string;
  bytes: number;
  tag: unknown;
  /** Delivered or failed (a halved batch settles part by part). */
  done?: true;
}

interface Batch {
  entries: Entry[];
  /** Its calls refused (400) so far. */
  refused: number;
}

/** Sends one batch body; resolves when ThriveStack accepted it, rejects with the typed error. */
export type SendBatch = (body: string, signal: AbortSignal) => Promise<unknown>;

export interface CloseOptions {
  /**
   * Most ms to wait for delivery (default 30,000); `close()` resolves by then whatever happens.
   * `Infinity` waits until every call is delivered or failed.
   */
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
  /** The tags of `pendingCalls`, in the same order. */
  pendingTags: unknown[];
  timedOut: boolean;
}

const DEFAULT_CLOSE_TIMEOUT = 30_000;
/** The longest delay Node's timers take; anything longer fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new QueueError(`\`${name}\` must be a positive whole number, got ${String(value)}.`);
  return value;
}

const parseCalls = (entries: Entry[]): WireGroupCall[] => entries.map((e) => JSON.parse(e.json) as WireGroupCall);
const noop = (): void => {};

/** A thrown value as one short line. Never throws, whatever was thrown (a null-prototype object, a revoked Proxy, ...). */
export function describeThrown(value: unknown): string {
  try {
    const text = String(value instanceof Error ? value.message : value);
    return text.slice(0, 1_000).split('\n')[0]!.slice(0, 300);
  } catch {
    return `a value that cannot be shown (${typeof value})`;
  }
}
const count = (n: number, what: string): string => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

export class BatchQueue {
  readonly #send: SendBatch;
  readonly #onError: ((failure: DeliveryFailure) => void) | undefined;
  readonly #onDelivered: ((delivery: Delivery) => void) | undefined;
  readonly #throttle: QueueThrottle | undefined;
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
  /** Wakes the pump when a throttle pause ends. */
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  #stopThrottle: (() => void) | undefined;
  /** When the queue first saw the current throttle pause (a pause is honoured for MAX_THROTTLE_PAUSE at most). */
  #pausedSince: number | undefined;
  #flushWaiters: Array<{ target: number; resolve: () => void }> = [];
  #roomWaiters: Array<{ entry: Omit<Entry, 'seq'>; resolve: () => void; reject: (error: Error) => void }> = [];
  #closing: Promise<CloseReport> | undefined;
  #abandoned = false;
  /** One per request in flight (no listeners pile up on a shared signal); aborted by a timed-out close(). */
  readonly #requests = new Set<AbortController>();

  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #failures: DeliveryFailure[] = [];
  #failureCalls = 0;

  /** Batches (and their calls) refused whole, in a row, with nothing delivered in between: the 400 budget. */
  #refusedBatches = 0;
  #refusedCalls = 0;

  /** Without onError: counts not yet written to the log, and when the last summary was written. */
  #unreported = { failed: 0, dropped: 0, since: 0, lastReason: '' };
  #lastSummaryAt = -Infinity;
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;

  /** Where the queue's log lines go (the client's logger). */
  readonly #log: Log;

  constructor(send: SendBatch, options: QueueOptions, log?: Log) {
    this.#send = send;
    this.#log = log ?? createLog({}, (text) => text);
    this.#onError = options.onError;
    this.#onDelivered = options.onDelivered;
    this.#throttle = options.throttle;
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

  /**
   * Queues a validated call (`enqueue()`). `false` when the queue is full: the call is reported as
   * dropped. `tag` comes back with the call's outcome (`onDelivered`, `onError`, `close()`).
   */
  add(call: PreparedCall, tag?: unknown): boolean {
    this.#assertOpen('enqueue');
    if (this.#held >= this.#maxQueueSize || this.#roomWaiters.length > 0) {
      this.#drop(
        call,
        tag,
        new QueueError(
          `The queue is full (${this.#maxQueueSize} calls waiting or in flight); this call was not queued. ` +
            'Use `await enqueueAsync()` to wait for room, or raise `maxQueueSize`.',
        ),
      );
      return false;
    }
    this.#admit({ json: call.json, bytes: call.bytes, tag });
    return true;
  }

  #drop(call: PreparedCall, tag: unknown, error: QueueError): void {
    this.#dropped++;
    this.#report({ kind: 'dropped', calls: [call.call], tags: [tag], error });
  }

  /** Queues a validated call (`enqueueAsync()`), waiting for room when the queue is full (backpressure). */
  addAsync(call: PreparedCall, tag?: unknown): Promise<void> {
    this.#assertOpen('enqueueAsync');
    const entry = { json: call.json, bytes: call.bytes, tag };
    if (this.#held < this.#maxQueueSize && this.#roomWaiters.length === 0) {
      this.#admit(entry);
      return Promise.resolve();
    }
    if (this.#roomWaiters.length >= this.#maxQueueSize) {
      // un-awaited calls would pile up without bound: refuse (the rejection is marked handled, and the
      // call is reported to onError as dropped, so not awaiting it neither crashes nor loses it silently)
      const error = new QueueError(
        `${this.#maxQueueSize} calls already wait for room in the queue (maxQueueSize); this call was not queued. ` +
          '`await` each `enqueueAsync()` before the next, or raise `maxQueueSize`.',
      );
      this.#drop(call, tag, error);
      const refused = Promise.reject(error);
      refused.catch(noop);
      return refused;
    }
    const waiting = new Promise<void>((resolve, reject) => this.#roomWaiters.push({ entry, resolve, reject }));
    waiting.catch(noop); // close() rejects it: no unhandled rejection when nobody awaits it
    return waiting;
  }

  /**
   * Resolves once every call queued before it was delivered or finally failed. Never rejects. After
   * `close()`, resolves once nothing is pending (at once after a `close()` that timed out).
   */
  flush(): Promise<void> {
    if (this.#abandoned) return Promise.resolve();
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
    const waiters = this.#roomWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(closed);
    if (waiters.length) this.#log.warn(`close(): ${count(waiters.length, 'call')} waiting in enqueueAsync() for room not queued (rejected with QueueError)`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waits: Array<Promise<boolean>> = [this.flush().then(() => false)];
    // Infinity (or more than a timer can hold) waits for every call to be delivered or failed
    if (timeout <= MAX_TIMER_MS) waits.push(new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, timeout)))));
    const timedOut = await Promise.race(waits);
    clearTimeout(timer);
    let pending: Entry[] = [];
    if (timedOut) {
      // parts of a halved batch may already be delivered or failed: those are not pending
      pending = [...this.#inFlight].flatMap((b) => b.entries.filter((e) => !e.done)).concat(this.#waiting);
      this.#abandoned = true;
      this.#waiting = [];
      this.#inFlight.clear();
      this.#held = 0;
      for (const request of this.#requests) request.abort(new QueueError('close() timed out'));
      for (const waiter of this.#flushWaiters.splice(0)) waiter.resolve();
    }
    this.#stopTimer();
    this.#stopPause();
    holdForExit(this, false);
    // hooks queued by the last answers run before the report
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    this.#writeSummary();
    clearTimeout(this.#summaryTimer);
    this.#summaryTimer = undefined;
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      pending: pending.length,
      failures: [...this.#failures],
      pendingCalls: parseCalls(pending),
      pendingTags: pending.map((e) => e.tag),
      timedOut,
    };
  }

  #assertOpen(method: string): void {
    if (this.#closing) {
      throw new QueueError(`The client is closed: \`${method}()\` after \`close()\` is refused. Create a new ThriveStack client.`);
    }
  }

  #admit(entry: Omit<Entry, 'seq'>): void {
    this.#waiting.push({ seq: ++this.#seq, json: entry.json, bytes: entry.bytes, tag: entry.tag });
    this.#held++;
    holdForExit(this, true);
    this.#pump();
  }

  #lowestUnsettled(): number {
    let lowest = this.#waiting[0]?.seq ?? Infinity;
    for (const batch of this.#inFlight) lowest = Math.min(lowest, batch.entries[0]!.seq);
    return lowest;
  }

  /**
   * Requests allowed in flight now (0 while a throttle pause holds new ones back). Whatever the throttle
   * holds or does (a missing or NaN limit, an endless pause, an onRaise that throws), the queue goes on:
   * an unusable limit means `maxConcurrentRequests` (below 1: 1), and a pause holds for MAX_THROTTLE_PAUSE
   * at most.
   */
  #room(): number {
    const throttle = this.#throttle;
    const max = this.#maxConcurrent;
    if (!throttle) return max - this.#inFlight.size;
    let limit: unknown;
    let until: unknown;
    let held: unknown;
    if (!this.#stopThrottle) {
      this.#stopThrottle = noop; // set first: an onRaise that calls its listener at once does not subscribe twice
      this.#runHook('throttle.onRaise', () => {
        const stop: unknown = throttle.onRaise(() => this.#pump());
        if (typeof stop === 'function') this.#stopThrottle = stop as () => void;
      });
    }
    this.#runHook('throttle', () => {
      limit = throttle.limit;
      until = throttle.pausedUntil;
      held = throttle.held;
    });
    if (held === true) return 0; // no cap: the throttle's onRaise listener wakes the queue when it lets go
    const now = Date.now();
    if (typeof until === 'number' && until > now) {
      const end = Math.min(until, (this.#pausedSince ??= now) + MAX_THROTTLE_PAUSE);
      if (end > now) {
        if (this.#pauseTimer === undefined && !this.#abandoned) {
          this.#pauseTimer = setTimeout(() => {
            this.#pauseTimer = undefined;
            this.#pump();
          }, end - now);
          (this.#pauseTimer as { unref?: () => void }).unref?.();
        }
        return 0;
      }
    } else this.#pausedSince = undefined;
    if (this.#pauseTimer !== undefined) {
      clearTimeout(this.#pauseTimer); // the pause ended early (a raise): a later pause arms its own timer
      this.#pauseTimer = undefined;
    }
    const allowed = typeof limit === 'number' && limit === limit ? Math.max(1, Math.min(Math.floor(limit), max)) : max;
    return allowed - this.#inFlight.size;
  }

  #pump(): void {
    if (this.#abandoned) return;
    while (this.#waiting.length > 0 && this.#room() > 0) {
      const ready = this.#waiting.length >= this.#flushAt || this.#waiting[0]!.seq <= this.#drainUntil;
      if (!ready) break;
      this.#start(this.#take());
    }
    if (this.#waiting.length > 0 && this.#timer === undefined && !this.#closing) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#drainUntil = this.#seq;
        this.#pump();
      }, Math.min(this.#flushInterval, MAX_TIMER_MS));
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  /** The next batch: as many waiting calls as fit in one request by bytes, at most `flushAt`. */
  #take(): Batch {
    let bytes = 2; // the array's brackets
    let taken = 0;
    while (taken < this.#waiting.length && taken < this.#flushAt) {
      const next = this.#waiting[taken]!.bytes + (taken > 0 ? 1 : 0);
      if (bytes + next > MAX_REQUEST_BYTES) break;
      bytes += next;
      taken++;
    }
    return { entries: this.#waiting.splice(0, Math.max(taken, 1)), refused: 0 };
  }

  #start(batch: Batch): void {
    this.#inFlight.add(batch);
    void this.#deliver(batch, batch.entries).then(() => {
      if (this.#abandoned) return;
      if (batch.refused === batch.entries.length) {
        // every call refused, halving found none the API accepts
        this.#refusedBatches++;
        this.#refusedCalls += batch.refused;
      }
      this.#inFlight.delete(batch);
      this.#held -= batch.entries.length;
      this.#settled();
    });
  }

  /**
   * The 400 budget. Halving isolates bad calls cheaply (one in 1,000 costs about 2·log2(1000) requests),
   * but against a server that refuses everything it costs 2 requests per call. Once
   * `REFUSED_BATCHES_BEFORE_GIVING_UP` batches (and `REFUSED_CALLS_BEFORE_GIVING_UP` calls) in a row were
   * refused whole, halving finding not one call the API accepts, with nothing delivered in between,
   * refused batches are failed whole instead; any delivery restores halving.
   */
  get #refusesEverything(): boolean {
    return this.#refusedBatches >= REFUSED_BATCHES_BEFORE_GIVING_UP && this.#refusedCalls >= REFUSED_CALLS_BEFORE_GIVING_UP;
  }

  /** Sends entries (all or part of `batch`); a 400 on several calls is isolated by halving, so good calls still arrive. */
  async #deliver(batch: Batch, entries: Entry[]): Promise<void> {
    const request = new AbortController();
    this.#requests.add(request);
    try {
      await this.#send(`[${entries.map((e) => e.json).join(',')}]`, request.signal);
      if (!this.#abandoned) this.#accepted(entries); // after a timed-out close(), its report said pending
    } catch (error) {
      if (this.#abandoned) return;
      if (error instanceof BadRequestError) {
        if (entries.length > 1 && !this.#refusesEverything) {
          this.#requests.delete(request);
          const half = Math.ceil(entries.length / 2);
          await this.#deliver(batch, entries.slice(0, half));
          if (!this.#abandoned) await this.#deliver(batch, entries.slice(half));
          return;
        }
        batch.refused += entries.length;
        if (entries.length > 1) error = this.#apiChanged(error);
      }
      // a 2xx without the documented body (UnexpectedResponseError) is failed too: not counted as delivered
      this.#fail(entries, error instanceof ThriveStackError ? error : new ThriveStackError(describeThrown(error), { cause: error }));
    } finally {
      this.#requests.delete(request);
    }
  }

  #apiChanged(error: BadRequestError): BadRequestError {
    return new BadRequestError(
      `ThriveStack refused (400) ${this.#refusedBatches} batches in a row, whole, with nothing accepted in ` +
        'between (halving each down to single calls found not one it accepts): it refuses calls this client considers ' +
        'valid, most likely because the API changed. Upgrade the package (npm install thrivestack-group@latest); ' +
        `these calls were not sent again in smaller parts. ThriveStack said: ${error.serverMessage ?? error.message}`,
      { status: error.status, serverMessage: error.serverMessage, headers: error.headers, attempts: error.attempts, requestId: error.requestId },
    );
  }

  #accepted(entries: Entry[]): void {
    for (const e of entries) e.done = true;
    this.#delivered += entries.length;
    this.#refusedBatches = this.#refusedCalls = 0;
    const hook = this.#onDelivered;
    if (!hook) return;
    const delivery: Delivery = { count: entries.length, tags: entries.map((e) => e.tag) };
    queueMicrotask(() => this.#runHook('onDelivered', () => hook(delivery)));
  }

  #fail(entries: Entry[], error: ThriveStackError): void {
    for (const e of entries) e.done = true;
    this.#failed += entries.length;
    this.#report({ kind: 'failed', calls: parseCalls(entries), tags: entries.map((e) => e.tag), error });
  }

  #settled(): void {
    while (this.#roomWaiters.length > 0 && this.#held < this.#maxQueueSize) {
      const waiter = this.#roomWaiters.shift()!;
      this.#admit(waiter.entry);
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
      this.#stopPause();
      holdForExit(this, false);
    }
    this.#pump();
  }

  #report(failure: DeliveryFailure): void {
    this.#failures.push(failure);
    this.#failureCalls += failure.calls.length;
    while (this.#failureCalls > this.#maxQueueSize && this.#failures.length > 1) {
      this.#failureCalls -= this.#failures.shift()!.calls.length;
    }
    const hook = this.#onError;
    if (hook) {
      // outside the queue's call stack: an onError that enqueues again never nests
      queueMicrotask(() => this.#runHook('onError', () => hook(failure)));
      return;
    }
    const unreported = this.#unreported;
    if (unreported.failed + unreported.dropped === 0) unreported.since = Date.now();
    unreported[failure.kind] += failure.calls.length;
    unreported.lastReason = failure.error.message;
    const wait = this.#lastSummaryAt + FAILURE_SUMMARY_INTERVAL - Date.now();
    if (wait <= 0) this.#writeSummary();
    else if (this.#summaryTimer === undefined) {
      this.#summaryTimer = setTimeout(() => {
        this.#summaryTimer = undefined;
        this.#writeSummary();
      }, wait);
      (this.#summaryTimer as { unref?: () => void }).unref?.();
    }
  }

  /** One log line for the failures and drops not yet reported (without onError). */
  #writeSummary(): void {
    const { failed, dropped, since, lastReason } = this.#unreported;
    if (failed + dropped === 0) return;
    this.#unreported = { failed: 0, dropped: 0, since: 0, lastReason: '' };
    this.#lastSummaryAt = Date.now();
    const what = [dropped ? `${count(dropped, 'call')} dropped` : '', failed ? `${count(failed, 'call')} failed` : '']
      .filter(Boolean)
      .join(' and ');
    const reason = lastReason.split('\n')[0]!.slice(0, 300);
    this.#log.warn(
      `${what} since ${new Date(since).toISOString()} (last reason: ${reason}); ` +
        'pass onError to see each (close() also lists them).',
    );
  }

  #runHook(name: string, run: () => void): void {
    try {
      run();
    } catch (hookError) {
      this.#log.warn(`the ${name} hook threw (ignored; the queue goes on): ${describeThrown(hookError)}`);
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #stopPause(): void {
    if (this.#pauseTimer !== undefined) clearTimeout(this.#pauseTimer);
    this.#pauseTimer = undefined;
    this.#pausedSince = undefined;
    const stop = this.#stopThrottle;
    this.#stopThrottle = undefined;
    if (stop) this.#runHook('throttle.onRaise stop', stop);
  }
}
