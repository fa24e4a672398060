/**
 * When to retry and how long to wait: the whole retry policy in one place.
 *
 * Retried: 408, 409, 429, every 5xx, network failures and timeouts.
 * Never retried: every other status (400, 401, 403, 404, 413, 422, ...): sending the same request
 * again cannot change the answer. A server's `x-should-retry: true|false` overrides the status rule
 * (as in Stainless clients), except for 400, final whatever it says: the document says a refused
 * request fails again unchanged, and the queue's 400 budget counts one request per refusal.
 * Redirects (3xx) and 2xx answers are never retried, whatever it says.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  maxRetries: number;
  /** Backoff before the first retry, in ms; doubles on every retry. */
  minRetryDelay: number;
  /** Cap of the exponential backoff, in ms. */
  maxRetryDelay: number;
  /** Cap on a server-requested wait (`Retry-After`, `retry-after-ms`), in ms. */
  maxRetryAfter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  minRetryDelay: 500,
  maxRetryDelay: 8_000,
  maxRetryAfter: 60_000,
};

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Whether an error answer is worth another attempt: never a 400; else the server's `x-should-retry`
 * (`true`/`false`) when it says, otherwise the status rule.
 */
export function shouldRetry(status: number, headers: Headers): boolean {
  if (status === 400) return false;
  const said = headers.get('x-should-retry');
  if (said === 'true') return true;
  if (said === 'false') return false;
  return isRetryableStatus(status);
}

/**
 * The wait the server asked for, in ms, from `retry-after-ms` or `Retry-After` (seconds or an HTTP
 * date); `undefined` when there is none or it cannot be read.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get('retry-after');
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Delay before retry number `retry` (1 for the first retry): the server's wait when it gave one,
 * capped at `maxRetryAfter`; otherwise exponential backoff capped at `maxRetryDelay`, with up to 25 %
 * jitter taken off so that many clients do not retry in step.
 */
export function retryDelay(
  retry: number,
  policy: RetryPolicy,
  headers?: Headers,
  random: () => number = Math.random,
): number {
  const requested = headers ? parseRetryAfter(headers) : undefined;
  if (requested !== undefined) return Math.min(requested, policy.maxRetryAfter);
  const backoff = Math.min(policy.minRetryDelay * 2 ** (retry - 1), policy.maxRetryDelay);
  return backoff * (1 - random() * 0.25);
}
