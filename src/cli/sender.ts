/**
 * How the importer sends: rows are cut into batches of at most `batchSize` calls and 2 MB of JSON
 * (bytes measured on the same JSON the client sends), and each batch goes out with
 * `ThriveStack.group()`, the client's one HTTP path with its retries, backoff and Retry-After, with at
 * most `concurrency` batches in flight. The importer cuts the batches itself (rather than using the
 * client's queue) because it must know exactly which rows each acknowledged request carried: that is
 * what the checkpoint records.
 *
 * Slowing down on 429: every response is observed (`RateGate.fetch`); a 429 halves the number of
 * batches allowed in flight and, when it says Retry-After, holds back new batches until then; each
 * window of successes lets one more batch in, up to `concurrency` (additive increase, multiplicative
 * decrease). The request that got the 429 is retried by the client after the wait.
 *
 * A 400 for a batch of several calls is isolated by halving, as the client's queue does, so the good
 * rows still arrive and exactly the refused ones are reported.
 */
import type { ThriveStack } from '../client.js';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  RateLimitError,
  RequestAbortedError,
  ServerError,
  ThriveStackError,
  UnexpectedResponseError,
} from '../errors.js';
import { parseRetryAfter } from '../retry-policy.js';
import type { GroupCall } from '../types.js';

export interface PendingRow {
  line: number;
  /** First line this row accounts for: the line after the previous row of the batch sequence. */
  spanStart: number;
  call: GroupCall;
  bytes: number;
  original: string | string[];
}

export interface Batch {
  rows: PendingRow[];
}

/** Cuts rows into batches by count and by JSON bytes, and gives each row its span of lines. */
export class BatchBuilder {
  readonly #maxRows: number;
  readonly #maxBytes: number;
  #rows: PendingRow[] = [];
  #bytes = 2; // the array's brackets
  #nextSpanStart = 1;

  constructor(maxRows: number, maxBytes: number) {
    this.#maxRows = maxRows;
    this.#maxBytes = maxBytes;
  }

  /** Adds a row; returns the batch to send when the row does not fit in the one being built. */
  add(row: Omit<PendingRow, 'spanStart'>): Batch | undefined {
    const pending: PendingRow = { ...row, spanStart: this.#nextSpanStart };
    this.#nextSpanStart = row.line + 1;
    let full: Batch | undefined;
    if (this.#rows.length >= this.#maxRows || (this.#rows.length > 0 && this.#bytes + 1 + row.bytes > this.#maxBytes)) {
      full = this.take();
    }
    this.#bytes += row.bytes + (this.#rows.length > 0 ? 1 : 0);
    this.#rows.push(pending);
    return full;
  }

  /** The batch being built, if it holds any row. */
  take(): Batch | undefined {
    if (this.#rows.length === 0) return undefined;
    const batch = { rows: this.#rows };
    this.#rows = [];
    this.#bytes = 2;
    return batch;
  }
}

/** Watches every response and decides how many batches may be in flight, and from when. */
export class RateGate {
  readonly max: number;
  #limit: number;
  #successes = 0;
  #pausedUntil = 0;
  #waiters = new Set<() => void>();
  rateLimited = 0;

  constructor(max: number) {
    this.max = max;
    this.#limit = max;
  }

  get limit(): number {
    return this.#limit;
  }

  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** The `fetch` to give the client: the global fetch, observed. */
  readonly fetch = async (request: Request): Promise<Response> => {
    const response = await globalThis.fetch(request);
    this.observe(response.status, response.headers);
    return response;
  };

  observe(status: number, headers: Headers, now = Date.now()): void {
    if (status === 429) {
      this.rateLimited++;
      this.#limit = Math.max(1, Math.floor(this.#limit / 2));
      this.#successes = 0;
      const wait = parseRetryAfter(headers, now);
      if (wait !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + wait);
    } else if (status >= 200 && status < 300) {
      if (++this.#successes >= this.#limit && this.#limit < this.max) {
        this.#limit++;
        this.#successes = 0;
        for (const wake of this.#waiters) wake();
      }
    }
  }

  /** Calls `wake` when the limit rises; returns the function that stops listening. */
  onRaise(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }
}

export interface SenderHooks {
  /** ThriveStack acknowledged these rows (one request). Called before anything else happens. */
  acknowledged(rows: PendingRow[]): void;
  /** These rows were not delivered: refused (400) or still failing after every retry. */
  failed(rows: PendingRow[], reason: string): Promise<void>;
  /** Sending cannot go on (the key is refused, or ThriveStack keeps failing). */
  fatal(error: ThriveStackError): void;
}

/** Batches that failed in a row, after all their retries, before the import gives up. */
const MAX_CONSECUTIVE_FAILURES = 3;

export class Sender {
  readonly #client: ThriveStack;
  readonly #gate: RateGate;
  readonly #hooks: SenderHooks;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #stop: AbortSignal;
  #consecutiveFailures = 0;
  /** Rows whose requests were abandoned (second Ctrl-C, or a fatal error): neither sent nor failed. */
  abandoned = 0;

  /** `stop`: no new batch starts once it fires (batches in flight go on). */
  constructor(client: ThriveStack, gate: RateGate, hooks: SenderHooks, stop: AbortSignal) {
    this.#client = client;
    this.#gate = gate;
    this.#hooks = hooks;
    this.#stop = stop;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Starts sending `batch` once a slot is free (and any Retry-After pause is over). Resolves `false`
   * without sending when the import stops first.
   */
  async submit(batch: Batch): Promise<boolean> {
    for (;;) {
      if (this.#stop.aborted || this.#abort.signal.aborted) return false;
      const paused = this.#gate.pausedUntil - Date.now();
      if (this.#inFlight.size < this.#gate.limit && paused <= 0) break;
      await this.#somethingChanges(paused);
    }
    const delivery: Promise<void> = this.#deliver(batch.rows).finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
    return true;
  }

  /**
   * Resolves when a batch settles, the limit rises, a pause of `paused` ms ends, or the import stops;
   * every listener it adds is removed again, so waiting many times holds nothing.
   */
  #somethingChanges(paused: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopListening: () => void = () => {};
      const done = (): void => {
        clearTimeout(timer);
        stopListening();
        this.#stop.removeEventListener('abort', done);
        resolve();
      };
      if (paused > 0) timer = setTimeout(done, paused);
      stopListening = this.#gate.onRaise(done);
      this.#stop.addEventListener('abort', done);
      for (const delivery of this.#inFlight) void delivery.then(done, done);
    });
  }

  /** Resolves when every batch in flight has settled. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Abandons the requests in flight (their rows stay unacknowledged, so a resume sends them). */
  abandon(reason: string): void {
    this.#abort.abort(new Error(reason));
  }

  async #deliver(rows: PendingRow[]): Promise<void> {
    try {
      await this.#client.group(
        rows.map((r) => r.call),
        { signal: this.#abort.signal },
      );
      this.#acknowledged(rows);
    } catch (error) {
      if (this.#abort.signal.aborted || error instanceof RequestAbortedError) {
        this.abandoned += rows.length;
        return;
      }
      if (error instanceof UnexpectedResponseError && error.status < 300) {
        this.#acknowledged(rows); // a 2xx with an odd body: accepted, as the client's queue counts it
        return;
      }
      if (error instanceof BadRequestError && rows.length > 1) {
        const half = Math.ceil(rows.length / 2);
        await this.#deliver(rows.slice(0, half));
        await this.#deliver(rows.slice(half));
        return;
      }
      if (error instanceof AuthenticationError) {
        this.abandoned += rows.length;
        this.#fatal(error);
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      try {
        await this.#hooks.failed(rows, reason);
      } catch (hookError) {
        this.#fatal(new ThriveStackError(`cannot record failed rows: ${(hookError as Error).message}`));
        return;
      }
      const unavailable = error instanceof ConnectionError || error instanceof ServerError || error instanceof RateLimitError;
      if (unavailable && ++this.#consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
        this.#fatal(
          new ThriveStackError(`${MAX_CONSECUTIVE_FAILURES} batches in a row failed after every retry; last error: ${reason}`),
        );
      }
    }
  }

  #acknowledged(rows: PendingRow[]): void {
    this.#consecutiveFailures = 0;
    try {
      this.#hooks.acknowledged(rows);
    } catch (hookError) {
      // the checkpoint could not be written: stop rather than send rows a resume would not know about
      this.#fatal(new ThriveStackError(`cannot record acknowledged rows: ${(hookError as Error).message}`));
    }
  }

  #fatal(error: ThriveStackError): void {
    if (this.#abort.signal.aborted) return;
    this.#hooks.fatal(error);
    this.#abort.abort(error);
  }
}
