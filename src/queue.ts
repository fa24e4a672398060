/**
 * The batching queue behind `enqueue()`. When to send and how much a request carries are two things:
 * a send starts once `flushAt` calls wait (or a request's worth of bytes), or `flushInterval` after the
 * oldest, or on `flush()`/`close()`; the request then carries every call waiting, up to
 * `maxBatchSize` (at most the API's 1,000) and 2 MB of JSON, so a backlog leaves in full requests.
 * At most `maxConcurrentRequests` are in flight. Calls wait as the JSON text they were serialized to,
 * one small entry each; a request's body is encoded to UTF-8 once (`call-bytes.ts`).
 *
 * Guarantees: every call is delivered, reported to `onError`, or listed as pending by `close()`;
 * the queue holds at most `maxQueueSize` calls and `maxQueueBytes` of their JSON; its timers never
 * keep a process alive, but a process that ends naturally waits for the queue to drain first (one
 * process-wide hook, `exit-hook.ts`, none in browsers); it never rejects a promise nobody awaits;
 * hooks run outside its call stack and never change outcomes.
 */
import { MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from './generated/constants.js';
import { BadRequestError, QueueError, ThriveStackError, ValidationError } from './errors.js';
import {
  FAILURE_SUMMARY_INTERVAL,
  MAX_THROTTLE_PAUSE,
  QUEUE_DEFAULTS,
  REFUSED_BATCHES_BEFORE_GIVING_UP,
  REFUSED_CALLS_BEFORE_GIVING_UP,
  REFUSED_RUN_BEFORE_GIVING_UP,
  type Delivery,
  type DeliveryFailure,
  type QueueOptions,
  type QueueThrottle,
} from './queue-options.js';
import type { WireGroupCall } from './types.js';
import { callTooLarge, fitsOneRequest, type PreparedCall } from './validate.js';
import { createLog, type Log } from './logger.js';
import { holdForExit } from './runtime.js';
import { body, utf8Bound, utf8Length } from './call-bytes.js';

/** A queued call: its JSON text, and what comes back with its outcome. */
class Entry {
  seq = 0;
  /** Delivered or failed (a halved batch settles part by part). */
  done = false;
  /** Its size in UTF-8 once measured (only near the 2 MB limit: `utf8Bound` decides before). */
  bytes = -1;
  constructor(
    readonly json: string,
    readonly tag: unknown,
  ) {}
}

interface Batch {
  entries: Entry[];
  /** Calls of it delivered, and refused (400) as they were refused since the last delivery anywhere. */
  delivered: number;
  refused: number;
  /** Which stretch without deliveries `refused` counts in, and whether it already counts as refusing everything. */
  stretch: number;
  counted: boolean;
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
/** The different errors of one hook logged per `FAILURE_SUMMARY_INTERVAL`; more throws are counted. */
const HOOK_LINES_PER_INTERVAL = 5;
/** The longest delay Node's timers take; anything longer fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new QueueError(`\`${name}\` must be a positive whole number, got ${String(value)}.`);
  return value;
}

const parseCalls = (entries: Entry[]): WireGroupCall[] => entries.map((e) => JSON.parse(e.json) as WireGroupCall);
/** A call's bytes in a request (its comma or closing bracket included), measured only when the bound is not enough. */
function sizeOf(entry: Entry, exact: boolean): number {
  if (entry.bytes >= 0) return entry.bytes + 1;
  if (!exact) return utf8Bound(entry.json) + 1;
  return (entry.bytes = utf8Length(entry.json)) + 1;
}
const noop = (): void => {};
/** What `addAsync()` returns for a call queued at once (one shared promise: nothing to allocate). */
export const RESOLVED: Promise<void> = Promise.resolve();
const unref = (timer: unknown): void => (timer as { unref?: () => void }).unref?.();
/** Runs `task` after the event loop's timers and I/O had their turn (setImmediate where there is one). */
const nextTask = (task: () => void): void => {
  const immediate = (globalThis as { setImmediate?: (task: () => void) => unknown }).setImmediate;
  if (immediate) immediate(task);
  else setTimeout(task, 0);
};

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
  readonly #maxBatchSize: number;
  readonly #flushInterval: number;
  readonly #maxQueueSize: number;
  readonly #maxQueueBytes: number;
  readonly #maxConcurrent: number;

  /** Calls waiting to be sent, oldest first. */
  #waiting: Entry[] = [];
  /** At least this many bytes wait: the calls' text length (each UTF-16 unit is one byte or more). */
  #waitingBytes = 0;
  readonly #inFlight = new Set<Batch>();
  /** Calls waiting or in flight, and the characters of their JSON. */
  #held = 0;
  #heldChars = 0;
  #seq = 0;
  /** Waiting calls with a seq up to this are sent without waiting for `flushAt`. */
  #drainUntil = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumping = false;
  #pumpAgain = false;
  /** Wakes the pump when a throttle pause ends. */
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  #stopThrottle: (() => void) | undefined;
  /** When the queue first saw the current throttle pause (a pause is honoured for MAX_THROTTLE_PAUSE at most). */
  #pausedSince: number | undefined;
  #flushWaiters: Array<{ target: number; resolve: () => void }> = [];
  #roomWaiters: Array<{ entry: Entry; call: PreparedCall; resolve: () => void; reject: (error: Error) => void }> = [];
  /** Set by the first `close()`: resolves once every call is settled, or the queue was abandoned. */
  #drained: Promise<void> | undefined;
  #report: Promise<CloseReport> | undefined;
  #abandoned = false;
  /** What was neither delivered nor failed when a `close()` timed out. */
  #pending: Entry[] = [];
  /** One per request in flight (no listeners pile up on a shared signal); aborted by a timed-out close(). */
  readonly #requests = new Set<AbortController>();

  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #failures: DeliveryFailure[] = [];
  #failureCalls = 0;

  /** The 400 budget: batches refusing everything, and calls refused, since the last delivery (`#stretch`). */
  #stretch = 0;
  #refusingBatches = 0;
  #refusedCalls = 0;

  /** Without onError: counts not yet written to the log, and when the last summary was written. */
  #unreported = { failed: 0, dropped: 0, since: 0, lastReason: '' };
  #lastSummaryAt = -Infinity;
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Per hook that threw (`#hookThrew`): when its interval began, the errors logged in it, the throws not logged. */
  readonly #hookThrows = new Map<string, { since: number; told: Set<string>; quiet: number; last: string }>();
  #hookTimer: ReturnType<typeof setTimeout> | undefined;
  /** Inside an onError hook: failures it causes (a drop by re-enqueueing) wait for the next task. */
  #inHook = false;
  #deferred: DeliveryFailure[] = [];

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
    this.#maxQueueBytes = positiveInteger('maxQueueBytes', options.maxQueueBytes, QUEUE_DEFAULTS.maxQueueBytes);
    this.#maxBatchSize = Math.min(positiveInteger('maxBatchSize', options.maxBatchSize, MAX_CALLS_PER_REQUEST), MAX_CALLS_PER_REQUEST);
    // A send can never wait for more calls than the queue itself can hold.
    this.#flushAt = Math.min(positiveInteger('flushAt', options.flushAt, QUEUE_DEFAULTS.flushAt), this.#maxQueueSize);
    this.#maxConcurrent = positiveInteger('maxConcurrentRequests', options.maxConcurrentRequests, QUEUE_DEFAULTS.maxConcurrentRequests);
  }

  /** Calls waiting or in flight. */
  get size(): number {
    return this.#held;
  }

  /**
   * Queues a validated call (`enqueue()`). `false` when the queue is full: the call is reported as
   * dropped. `tag` comes back with the call's outcome (`onDelivered`, `onError`, `close()`). Throws
   * `ValidationError` when the call is larger than one request can carry.
   */
  add(call: PreparedCall, tag?: unknown): boolean {
    this.#assertOpen('enqueue');
    const entry = this.#entry(call, tag);
    if (!this.#hasRoom(entry) || this.#roomWaiters.length > 0) {
      const full = this.#held >= this.#maxQueueSize
        ? `${this.#maxQueueSize} calls waiting or in flight`
        : `${this.#heldChars.toLocaleString('en-US')} characters of JSON waiting or in flight; maxQueueBytes is ${this.#maxQueueBytes.toLocaleString('en-US')}`;
      this.#drop(
        call,
        tag,
        new QueueError(
          `The queue is full (${full}); this call was not queued. ` +
            'Use `await enqueueAsync()` to wait for room, or raise `maxQueueSize` (`maxQueueBytes`).',
        ),
      );
      return false;
    }
    this.#admit(entry);
    return true;
  }

  /** Queues a validated call (`enqueueAsync()`), waiting for room when the queue is full (backpressure). */
  addAsync(call: PreparedCall, tag?: unknown): Promise<void> {
    this.#assertOpen('enqueueAsync');
    const entry = this.#entry(call, tag);
    if (this.#hasRoom(entry) && this.#roomWaiters.length === 0) {
      this.#admit(entry);
      return RESOLVED;
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
    const waiting = new Promise<void>((resolve, reject) => this.#roomWaiters.push({ entry, call, resolve, reject }));
    waiting.catch(noop); // close() rejects it: no unhandled rejection when nobody awaits it
    return waiting;
  }

  /** The call's entry; a call no request can carry is refused here, exactly measured. */
  #entry(call: PreparedCall, tag: unknown): Entry {
    const entry = new Entry(call.json, tag);
    if (!fitsOneRequest(utf8Bound(call.json))) {
      const bytes = (entry.bytes = utf8Length(call.json));
      if (!fitsOneRequest(bytes)) throw new ValidationError([callTooLarge(bytes)]);
    }
    return entry;
  }

  #drop(call: PreparedCall, tag: unknown, error: QueueError): void {
    this.#dropped++;
    this.#fail({ kind: 'dropped', calls: [call.call], tags: [tag], error });
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

  /**
   * Flushes, stops the timers and resolves (never rejects) within `timeout` with a report. Each call
   * keeps its own timeout: a second `close()` with a shorter one ends the wait of both.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    this.#drained ??= this.#beginClose();
    const timeout = options.timeout ?? DEFAULT_CLOSE_TIMEOUT;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waits: Array<Promise<boolean>> = [this.#drained.then(() => false)];
    // Infinity (or more than a timer can hold) waits for every call to be delivered or failed
    if (timeout <= MAX_TIMER_MS) waits.push(new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, timeout)))));
    return Promise.race(waits).then((timedOut) => {
      clearTimeout(timer);
      if (timedOut) this.#abandon();
      return (this.#report ??= this.#finish());
    });
  }

  #beginClose(): Promise<void> {
    const closed = new QueueError('The client was closed before this call could be queued; it was not sent.');
    const waiters = this.#roomWaiters.splice(0);
    for (const waiter of waiters) waiter.reject(closed);
    if (waiters.length) this.#log.warn(`close(): ${count(waiters.length, 'call')} waiting in enqueueAsync() for room not queued (rejected with QueueError)`);
    return this.flush();
  }

  /** A `close()` timed out: requests in flight are abandoned, and what was not settled is pending. */
  #abandon(): void {
    if (this.#abandoned) return;
    // parts of a halved batch may already be delivered or failed: those are not pending
    this.#pending = [...this.#inFlight].flatMap((b) => b.entries.filter((e) => !e.done)).concat(this.#waiting);
    this.#abandoned = true;
    this.#waiting = [];
    this.#inFlight.clear();
    this.#held = this.#heldChars = 0;
    for (const request of this.#requests) request.abort(new QueueError('close() timed out'));
    for (const waiter of this.#flushWaiters.splice(0)) waiter.resolve();
  }

  async #finish(): Promise<CloseReport> {
    this.#stopTimer();
    this.#stopPause();
    holdForExit(this, false);
    // hooks queued by the last answers run before the report
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    this.#writeSummary();
    this.#writeHookThrows();
    clearTimeout(this.#summaryTimer);
    this.#summaryTimer = undefined;
    const pending = this.#pending;
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      pending: pending.length,
      failures: [...this.#failures],
      pendingCalls: parseCalls(pending),
      pendingTags: pending.map((e) => e.tag),
      timedOut: this.#abandoned,
    };
  }

  #assertOpen(method: string): void {
    if (this.#drained) {
      throw new QueueError(`The client is closed: \`${method}()\` after \`close()\` is refused. Create a new ThriveStack client.`);
    }
  }

  /** Room for this call: under `maxQueueSize` calls, and under `maxQueueBytes` with it (or alone in the queue). */
  #hasRoom(entry: Entry): boolean {
    return this.#held < this.#maxQueueSize && (this.#held === 0 || this.#heldChars + entry.json.length <= this.#maxQueueBytes);
  }

  #admit(entry: Entry): void {
    entry.seq = ++this.#seq;
    this.#heldChars += entry.json.length;
    this.#waiting.push(entry);
    this.#waitingBytes += entry.json.length + 1;
    if (this.#held++ === 0) holdForExit(this, true);
    // the pump has nothing to do until a send could start, once its timer is armed
    if (this.#timer === undefined || this.#waiting.length >= this.#flushAt || this.#waitingBytes >= MAX_REQUEST_BYTES) this.#pump();
  }

  #lowestUnsettled(): number {
    let lowest = this.#waiting[0]?.seq ?? Infinity;
    for (const batch of this.#inFlight) lowest = Math.min(lowest, batch.entries[0]!.seq);
    return lowest;
  }

  /**
   * Requests allowed in flight now (0 while a throttle holds or pauses new ones). Whatever the throttle
   * holds or does (a missing or NaN limit, an endless pause, an onRaise that throws), the queue goes on:
   * an unusable limit means `maxConcurrentRequests` (below 1: 1), and a pause holds for
   * MAX_THROTTLE_PAUSE at most. Only `held`, which its owner sets and clears, holds for as long as it says.
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
    if (held === true) return 0;
    const now = Date.now();
    if (typeof until === 'number' && until > now) {
      const end = Math.min(until, (this.#pausedSince ??= now) + MAX_THROTTLE_PAUSE);
      if (end > now) {
        if (this.#pauseTimer === undefined && !this.#abandoned) {
          this.#pauseTimer = setTimeout(() => {
            this.#pauseTimer = undefined;
            this.#pump();
          }, end - now);
          unref(this.#pauseTimer);
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

  /**
   * Starts the sends that are due. Not re-entered: a throttle's code (run by `#room()`) that enqueues or
   * flushes asks this pump to go round once more instead of starting a second one inside it.
   */
  #pump(): void {
    if (this.#abandoned) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        // a send that starts takes everything waiting now, in as many requests as it needs
        if (this.#waiting.length >= this.#flushAt || this.#waitingBytes >= MAX_REQUEST_BYTES) this.#drainUntil = this.#seq;
        // the length again after `#room()`: it runs a throttle's code, which may enqueue, flush or close
        while (this.#waiting.length > 0 && this.#room() > 0 && this.#waiting.length > 0 && this.#waiting[0]!.seq <= this.#drainUntil) {
          this.#start(this.#take());
        }
      } while (this.#pumpAgain && !this.#abandoned);
    } finally {
      this.#pumping = false;
    }
    if (this.#waiting.length > 0 && this.#timer === undefined && !this.#drained) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#drainUntil = this.#seq;
        this.#pump();
      }, Math.min(this.#flushInterval, MAX_TIMER_MS));
      unref(this.#timer);
    }
  }

  /**
   * The next batch: every waiting call that fits in one request, by count (`maxBatchSize`) and by bytes
   * (each call's bound, 3 bytes per character, until the bound is not enough: then measured exactly).
   */
  #take(): Batch {
    const waiting = this.#waiting;
    const last = Math.min(waiting.length, this.#maxBatchSize);
    let bytes = 1; // the array's opening bracket; each call counts its comma or the closing bracket
    let exact = false;
    let at = 0;
    while (at < last) {
      let next = sizeOf(waiting[at]!, exact);
      if (bytes + next > MAX_REQUEST_BYTES && !exact) {
        // the bounds say it may not fit: measure exactly, the calls taken so far and this one
        exact = true;
        bytes = 1;
        for (let i = 0; i < at; i++) bytes += sizeOf(waiting[i]!, true);
        next = sizeOf(waiting[at]!, true);
      }
      if (bytes + next > MAX_REQUEST_BYTES && at > 0) break;
      bytes += next;
      at++;
    }
    const entries = waiting.splice(0, at);
    for (const entry of entries) this.#waitingBytes -= entry.json.length + 1;
    return { entries, delivered: 0, refused: 0, stretch: -1, counted: false };
  }

  #start(batch: Batch): void {
    this.#inFlight.add(batch);
    void this.#deliver(batch, batch.entries).then(() => {
      if (this.#abandoned) return;
      this.#inFlight.delete(batch);
      this.#held -= batch.entries.length;
      for (const entry of batch.entries) this.#heldChars -= entry.json.length;
      this.#settled();
    });
  }

  /**
   * The 400 budget. Halving isolates bad calls cheaply (one in 1,000 costs about 2·log2(1000) requests),
   * but against a server that refuses everything it costs 2 requests per call. So it is checked at every
   * halving, also of batches already in flight: once `REFUSED_BATCHES_BEFORE_GIVING_UP` batches have each
   * had `REFUSED_CALLS_BEFORE_GIVING_UP` calls (or all of theirs, if fewer) refused, and none delivered,
   * with nothing delivered anywhere in between (or, however few batches, once
   * `REFUSED_RUN_BEFORE_GIVING_UP` calls in a row were refused), refused batches are failed whole
   * instead of halved; any delivery restores halving.
   */
  get #refusesEverything(): boolean {
    const calls = this.#refusedCalls;
    return (this.#refusingBatches >= REFUSED_BATCHES_BEFORE_GIVING_UP && calls >= REFUSED_CALLS_BEFORE_GIVING_UP) || calls >= REFUSED_RUN_BEFORE_GIVING_UP;
  }

  #refused(batch: Batch, calls: number): void {
    if (batch.stretch !== this.#stretch) {
      batch.stretch = this.#stretch;
      batch.refused = 0;
      batch.counted = false;
    }
    batch.refused += calls;
    this.#refusedCalls += calls;
    if (!batch.counted && batch.delivered === 0 && batch.refused >= Math.min(batch.entries.length, REFUSED_CALLS_BEFORE_GIVING_UP)) {
      batch.counted = true;
      this.#refusingBatches++;
    }
  }

  /** Sends entries (all or part of `batch`); a 400 on several calls is isolated by halving, so good calls still arrive. */
  async #deliver(batch: Batch, entries: Entry[], probe = false): Promise<void> {
    const request = new AbortController();
    this.#requests.add(request);
    try {
      await this.#send(body(entries.map((e) => e.json)), request.signal);
      if (!this.#abandoned) this.#accepted(batch, entries); // after a timed-out close(), its report said pending
    } catch (error) {
      if (this.#abandoned) return;
      if (error instanceof BadRequestError) {
        // halved down to the refused calls; past the budget, split once all the same (a probe): a half
        // the API accepts is a delivery, which restores halving (so good calls queued after a long run
        // of refused ones, as on a resume that skips the good rows, are still delivered)
        const everything = this.#refusesEverything;
        if (entries.length > 1 && (!everything || !probe)) {
          this.#requests.delete(request);
          const half = Math.ceil(entries.length / 2);
          await this.#deliver(batch, entries.slice(0, half), everything);
          if (!this.#abandoned) await this.#deliver(batch, entries.slice(half), everything);
          return;
        }
        this.#refused(batch, entries.length);
        if (entries.length > 1) error = this.#apiChanged(error);
      }
      // a 2xx without the documented body (UnexpectedResponseError) is failed too: not counted as delivered
      this.#settleFailed(entries, error instanceof ThriveStackError ? error : new ThriveStackError(describeThrown(error), { cause: error }));
    } finally {
      this.#requests.delete(request);
    }
  }

  #apiChanged(error: BadRequestError): BadRequestError {
    return new BadRequestError(
      `ThriveStack refused (400) ${this.#refusingBatches} batches in a row, whole, with nothing accepted in ` +
        'between (halving each down to single calls found not one it accepts): it refuses calls this client considers ' +
        'valid, most likely because the API changed. Upgrade the package (npm install thrivestack-group@latest); ' +
        `these calls were not sent again in smaller parts. ThriveStack said: ${error.serverMessage ?? error.message}`,
      { status: error.status, serverMessage: error.serverMessage, headers: error.headers, attempts: error.attempts, requestId: error.requestId },
    );
  }

  #accepted(batch: Batch, entries: Entry[]): void {
    for (const e of entries) e.done = true;
    this.#delivered += entries.length;
    batch.delivered += entries.length;
    this.#stretch++;
    this.#refusingBatches = this.#refusedCalls = 0;
    const hook = this.#onDelivered;
    if (!hook) return;
    const delivery: Delivery = { count: entries.length, tags: entries.map((e) => e.tag) };
    queueMicrotask(() => this.#runHook('onDelivered', () => hook(delivery)));
  }

  #settleFailed(entries: Entry[], error: ThriveStackError): void {
    for (const e of entries) e.done = true;
    this.#failed += entries.length;
    this.#fail({ kind: 'failed', calls: parseCalls(entries), tags: entries.map((e) => e.tag), error });
  }

  #settled(): void {
    while (this.#roomWaiters.length > 0 && this.#hasRoom(this.#roomWaiters[0]!.entry)) {
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

  /** A failed or dropped group of calls: kept for close()'s report, then to onError or the log summary. */
  #fail(failure: DeliveryFailure): void {
    this.#failures.push(failure);
    this.#failureCalls += failure.calls.length;
    while (this.#failureCalls > this.#maxQueueSize && this.#failures.length > 1) {
      this.#failureCalls -= this.#failures.shift()!.calls.length;
    }
    const hook = this.#onError;
    if (hook) {
      if (this.#inHook) {
        // caused by an onError (one that enqueues into a full queue): told in the next task, so a hook
        // that keeps re-enqueueing cannot hold the event loop in microtasks (timers, I/O, close() go on)
        if (this.#deferred.push(failure) === 1) nextTask(() => this.#tellDeferred(hook));
        return;
      }
      // outside the queue's call stack: an onError that enqueues again never nests
      queueMicrotask(() => this.#tell(hook, failure));
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
      unref(this.#summaryTimer);
    }
  }

  #tell(hook: (failure: DeliveryFailure) => void, failure: DeliveryFailure): void {
    this.#inHook = true;
    try {
      this.#runHook('onError', () => hook(failure));
    } finally {
      this.#inHook = false;
    }
  }

  #tellDeferred(hook: (failure: DeliveryFailure) => void): void {
    for (const failure of this.#deferred.splice(0)) this.#tell(hook, failure);
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
      this.#hookThrew(name, describeThrown(hookError));
    }
  }

  /**
   * A hook that throws is logged, each different error once per `FAILURE_SUMMARY_INTERVAL` (at most
   * `HOOK_LINES_PER_INTERVAL` of them): a throttle getter runs on every send, and one line per request
   * would flood the log. The throws not logged are counted, and told when the interval ends (or by
   * `close()`). Timed by `performance.now()`: a wall clock set back cannot silence a hook.
   */
  #hookThrew(name: string, what: string): void {
    const now = performance.now();
    let seen = this.#hookThrows.get(name);
    if (!seen || now - seen.since >= FAILURE_SUMMARY_INTERVAL) {
      if (seen?.quiet) this.#writeHookThrows();
      seen = { since: now, told: new Set(), quiet: 0, last: '' };
      this.#hookThrows.set(name, seen);
    }
    if (!seen.told.has(what) && seen.told.size < HOOK_LINES_PER_INTERVAL) {
      seen.told.add(what);
      this.#log.warn(`the ${name} hook threw (ignored; the queue goes on): ${what}`);
      return;
    }
    seen.quiet++;
    seen.last = what;
    if (this.#hookTimer === undefined && !this.#report) {
      this.#hookTimer = setTimeout(() => {
        this.#hookTimer = undefined;
        this.#writeHookThrows();
      }, FAILURE_SUMMARY_INTERVAL);
      unref(this.#hookTimer);
    }
  }

  /** The throws `#hookThrew` counted and has not told yet, a line per hook. */
  #writeHookThrows(): void {
    clearTimeout(this.#hookTimer);
    this.#hookTimer = undefined;
    for (const [name, seen] of this.#hookThrows) {
      if (seen.quiet) this.#log.warn(`the ${name} hook threw ${count(seen.quiet, 'more time')} (ignored; not logged each), the last: ${seen.last}`);
      seen.quiet = 0;
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
