/**
 * How the importer steers the client's queue (`QueueThrottle`): fewer requests in flight when
 * ThriveStack rate-limits, none while the checkpoint must catch up.
 *
 * Slowing down on 429: every response is observed (`RateGate.fetch`, the client's `fetch`); a 429
 * halves the number of requests allowed in flight and, when it says Retry-After, holds back new ones
 * until then; each window of successes lets one more in, up to `concurrency` (additive increase,
 * multiplicative decrease). The request that got the 429 is retried by the client after the wait.
 *
 * Holding: while `hold(true)`, no new request starts (requests in flight go on), with no time limit
 * (`QueueThrottle.held`, not a pause, which the queue gives up on after 60 s): this bounds the rows
 * acknowledged but not yet in the checkpoint however long a write stalls (a slow or network disk),
 * and so the rows a kill makes the next run send again.
 */
import { parseRetryAfter } from '../retry-policy.js';
import type { QueueThrottle } from '../queue-options.js';

export class RateGate implements QueueThrottle {
  readonly max: number;
  #limit: number;
  #successes = 0;
  #pausedUntil = 0;
  #held = false;
  readonly #listeners = new Set<() => void>();
  readonly #inner: ((request: Request) => Promise<Response>) | undefined;
  rateLimited = 0;

  /** `inner`: the fetch to observe (the proxies' one, `proxy.ts`); default the global `fetch`. */
  constructor(max: number, inner?: (request: Request) => Promise<Response>) {
    this.max = max;
    this.#limit = max;
    this.#inner = inner;
  }

  get limit(): number {
    return this.#limit;
  }

  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** While true no new request starts, however long (a pause would be honoured for 60 s at most). */
  get held(): boolean {
    return this.#held;
  }

  /** The `fetch` to give the client: the inner (or global) fetch, observed. */
  readonly fetch = async (request: Request): Promise<Response> => {
    const response = await (this.#inner ?? globalThis.fetch)(request);
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
        this.#wake();
      }
    }
  }

  /** Holds back (`true`) or lets go (`false`) every new request. */
  hold(on: boolean): void {
    if (on === this.#held) return;
    this.#held = on;
    if (!on) this.#wake();
  }

  onRaise(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #wake(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
