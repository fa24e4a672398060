/**
 * Scripted faults: what `failNext` queues, checked when it is queued (a careless option fails at
 * once, not in the middle of a test), and taken one request at a time in the order they were queued.
 */

/** What `failNext` makes the next requests meet. */
export interface FaultOptions {
  /** How many requests in a row meet this fault (default 1; `Infinity`: every request until `reset()`). */
  times?: number;
  /** A `Retry-After` header: seconds (`0`, `30`) or an HTTP date. Only with a status. */
  retryAfter?: number | string;
  /**
   * Milliseconds to wait before answering (or before the `'reset'`). `Infinity` never answers: the
   * request hangs until its `AbortSignal` fires (a client timeout) or `reset()` is called. The request's
   * `AbortSignal` is honoured throughout: the fetch then rejects with the signal's reason, as fetch does.
   */
  delay?: number;
  /** Extra response headers, e.g. `{ 'x-request-id': 'req_1' }`. */
  headers?: Record<string, string>;
  /** The `message` of the `{ success: false, message }` body (default: the document's example for the status). */
  message?: string;
}

/** A fault: an error status (400–599), or `'reset'`: the connection drops and fetch rejects with a TypeError. */
export type FaultKind = number | 'reset';

export interface Fault {
  kind: FaultKind;
  remaining: number;
  delay: number;
  headers: Record<string, string>;
  message: string | undefined;
}

function fail(message: string): never {
  throw new TypeError(`failNext: ${message}`);
}

const isCount = (n: unknown): n is number => n === Infinity || (Number.isInteger(n) && (n as number) >= 1);

/** Checks what the caller asked for and makes it a fault; throws a TypeError that says what is wrong. */
export function makeFault(kind: unknown, options: FaultOptions = {}): Fault {
  if (kind !== 'reset' && !(Number.isInteger(kind) && (kind as number) >= 400 && (kind as number) <= 599)) {
    fail(`expected an error status (an integer from 400 to 599) or 'reset', got ${String(kind)}`);
  }
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const { times = 1, retryAfter, delay = 0, headers = {}, message } = options;
  if (!isCount(times)) fail(`times must be a whole number of at least 1 (or Infinity), got ${String(times)}`);
  if (typeof delay !== 'number' || !(delay >= 0)) fail(`delay must be a number of milliseconds >= 0 (or Infinity), got ${String(delay)}`);
  if (Number.isFinite(delay) && delay > 2 ** 31 - 1) fail(`delay must be at most ${2 ** 31 - 1} ms (timers overflow above it); use Infinity to never answer`);
  if (message !== undefined && typeof message !== 'string') fail('message must be a string');
  if (typeof headers !== 'object' || headers === null) fail('headers must be an object of header names to values');
  const all: Record<string, string> = { ...headers };
  if (retryAfter !== undefined) {
    if (kind === 'reset') fail("retryAfter needs an answer: a 'reset' sends no headers");
    const valid = (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0) || (typeof retryAfter === 'string' && retryAfter !== '');
    if (!valid) fail(`retryAfter must be seconds (a number >= 0) or an HTTP date string, got ${String(retryAfter)}`);
    all['retry-after'] = String(retryAfter);
  }
  new Headers(all); // throws a TypeError now for a header name or value fetch would refuse
  return { kind: kind as FaultKind, remaining: times, delay, headers: all, message };
}

/** The queue of faults still to meet. */
export class FaultQueue {
  #faults: Fault[] = [];

  push(fault: Fault): void {
    this.#faults.push(fault);
  }

  /** The fault the next request meets, if any. */
  take(): Fault | undefined {
    const fault = this.#faults[0];
    if (fault && --fault.remaining <= 0) this.#faults.shift();
    return fault;
  }

  get pending(): number {
    return this.#faults.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  clear(): void {
    this.#faults = [];
  }
}

/** What undici's fetch rejects with when the server resets the connection. */
export function connectionReset(): TypeError {
  const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
  return new TypeError('fetch failed', { cause });
}
