/**
 * `createMockApi()`: an in-process stand-in for `POST /api/group` that answers as
 * openapi/openapi.yaml says, records what it was sent, and fails on cue.
 */
import { redactHeaders } from '../redact.js';
import type { ErrorResponse, GroupResponse, WireGroupCall } from '../types.js';
import { FaultQueue, connectionReset, makeFault, type Fault, type FaultKind, type FaultOptions } from './faults.js';
import { messageFor } from './messages.js';
import { accepted, judge, type Rules, type Verdict } from './verdict.js';

/** A `fetch`: called as `fetch(request)` (how `ThriveStack` calls it) or `fetch(url, init)`. */
export type MockFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface MockApiOptions {
  /** The only API key the mock accepts (401 for any other). Default: any non-empty key. */
  apiKey?: string;
  /**
   * Where the API lives, as given to the client's `baseUrl`: requests to another origin, or outside
   * its path, get 404. Default: any origin, with the API at `/api/group`.
   */
  baseUrl?: string;
}

/** One request the mock received, as it received it (the key redacted), and how it was answered. */
export interface MockRequest {
  readonly method: string;
  readonly url: string;
  /** Request headers, names in lower case; `x-api-key` and `authorization` show as `[REDACTED]`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body parsed as JSON (frozen); `undefined` when it was empty or not JSON. */
  readonly body: unknown;
  /** The body as text (UTF-8, invalid bytes as U+FFFD, a leading byte order mark kept). */
  readonly rawBody: string;
  /** The status answered; 0 when no answer was sent (`outcome` says why). */
  readonly status: number;
  /** `answered`; `reset`: a scripted `'reset'`; `aborted`: the request's signal fired while the mock waited. */
  readonly outcome: 'answered' | 'reset' | 'aborted';
  /** Whether a `failNext` fault decided the outcome (the body was then not judged). */
  readonly scripted: boolean;
  /** The JSON body answered, when one was. */
  readonly response: GroupResponse | ErrorResponse | undefined;
}

export interface WaitOptions {
  /**
   * Milliseconds to wait before rejecting (default 4,000: under the 5 s a test gets by default in
   * vitest and jest, so that this rejection, which says what arrived, is what a failing test reports).
   */
  timeout?: number;
}

export interface MockApi {
  /** The mock's `fetch`: pass it as the client's `fetch` option (`ThriveStack`, `createWireClient`). */
  readonly fetch: MockFetch;
  /** Every call the mock accepted (answered 200), in wire form, in the order answered. A frozen snapshot. */
  readonly calls: readonly WireGroupCall[];
  /** Every request the mock received, in the order answered, whatever the outcome. A frozen snapshot. */
  readonly requests: readonly MockRequest[];
  /** How many scripted faults are still to be met (`Infinity` for a fault with `times: Infinity`). */
  readonly pendingFaults: number;
  /**
   * Scripts the next requests' fate, whatever they hold: an error status (400–599) with the
   * document's `{ success: false, message }` body (its example message when it has one), or
   * `'reset'`: the connection drops and the fetch rejects with `TypeError: fetch failed`, as undici's
   * does. Faults queue up: `api.failNext(429).failNext(503)` fails the next request with 429 and the
   * one after with 503. A scripted answer records no calls. Throws a TypeError for a bad argument.
   */
  failNext(status: FaultKind, options?: FaultOptions): MockApi;
  /**
   * Resolves with `calls` once at least `count` calls were accepted (at once if they were); rejects
   * after `timeout` ms saying how many arrived. For code that sends in the background (`enqueue`).
   */
  waitForCalls(count: number, options?: WaitOptions): Promise<readonly WireGroupCall[]>;
  /**
   * Forgets calls, requests and pending faults. Requests still waiting on a `delay` are dropped as a
   * `'reset'` (their fetch rejects), so no test leaves one hanging. Event ids keep counting: they stay distinct.
   */
  reset(): void;
}

const NO_ANSWER = 0;

/** What the mock saw of a request, before it answered. */
type Seen = Pick<MockRequest, 'method' | 'url' | 'headers' | 'body' | 'rawBody'> & { generation: number };
/** How it answered. */
type Outcome = Pick<MockRequest, 'status' | 'outcome' | 'scripted' | 'response'>;

/** Freezes parsed JSON all the way down (iteratively: a deeply nested body cannot overflow the stack). */
function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || Object.isFrozen(node)) continue;
    Object.freeze(node);
    for (const key of Object.keys(node)) stack.push((node as Record<string, unknown>)[key]);
  }
  return value;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : deepFreeze(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function rulesFrom(options: MockApiOptions): Rules {
  if (typeof options !== 'object' || options === null) throw new TypeError('createMockApi: options must be an object');
  const { apiKey, baseUrl } = options;
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey === '')) throw new TypeError('createMockApi: apiKey must be a non-empty string');
  if (baseUrl === undefined) return { apiKey, origin: undefined, prefix: '' };
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`createMockApi: baseUrl must be an absolute URL such as "https://api.app.thrivestack.ai", got ${JSON.stringify(baseUrl)}`);
  }
  return { apiKey, origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

/** Creates a mock of the Group API. See `MockApi`. */
export function createMockApi(options: MockApiOptions = {}): MockApi {
  const rules = rulesFrom(options);
  const faults = new FaultQueue();
  let calls: WireGroupCall[] = [];
  let requests: MockRequest[] = [];
  let eventCount = 0;
  /** Bumped by `reset()`: a request that began before it is not recorded after it. */
  let generation = 0;
  /** Requests waiting on a scripted delay: `reset()` drops them. */
  const sleeping = new Set<(error: unknown) => void>();
  let waiters: Array<{ count: number; resolve: (calls: readonly WireGroupCall[]) => void }> = [];

  const snapshot = <T>(list: T[]): readonly T[] => Object.freeze(list.slice());

  /** Records a request and its outcome, unless `reset()` came between its arrival and now. */
  function record(seen: Seen, outcome: Outcome, accepted: WireGroupCall[] = []): void {
    if (seen.generation !== generation) return;
    const { generation: _, ...request } = seen;
    requests.push(Object.freeze({ ...request, ...outcome }));
    if (!accepted.length) return;
    calls.push(...accepted);
    const ready = waiters.filter((w) => calls.length >= w.count);
    if (!ready.length) return;
    waiters = waiters.filter((w) => calls.length < w.count);
    const now = snapshot(calls);
    for (const waiter of ready) waiter.resolve(now);
  }

  /** Waits `ms` (Infinity: forever), rejecting with the signal's reason when it fires, or a reset on `reset()`. */
  function pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        sleeping.delete(drop);
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason);
      };
      const drop = (error: unknown): void => {
        done();
        reject(error);
      };
      sleeping.add(drop);
      signal.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => {
          done();
          resolve();
        }, ms);
      }
    });
  }

  function answer(status: number, body: GroupResponse | ErrorResponse, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json' } });
  }

  async function meetFault(fault: Fault, request: Request, seen: Seen): Promise<Response> {
    if (fault.delay > 0) {
      try {
        // reset() came while the body was read: the request is dropped, as reset() drops those waiting
        if (seen.generation !== generation) throw connectionReset();
        await pause(fault.delay, request.signal);
      } catch (error) {
        const outcome = request.signal.aborted ? 'aborted' : 'reset';
        record(seen, { status: NO_ANSWER, outcome, scripted: true, response: undefined });
        throw error;
      }
    }
    if (fault.kind === 'reset') {
      record(seen, { status: NO_ANSWER, outcome: 'reset', scripted: true, response: undefined });
      throw connectionReset();
    }
    const body: ErrorResponse = { success: false, message: fault.message ?? messageFor(fault.kind) };
    record(seen, { status: fault.kind, outcome: 'answered', scripted: true, response: deepFreeze(body) });
    return answer(fault.kind, body, fault.headers);
  }

  function respond(verdict: Verdict, seen: Seen): Response {
    if ('calls' in verdict) {
      const body = deepFreeze(accepted(`evt_mock_${++eventCount}`));
      record(seen, { status: 200, outcome: 'answered', scripted: false, response: body }, seen.body as WireGroupCall[]);
      return answer(200, body);
    }
    record(seen, { status: verdict.status, outcome: 'answered', scripted: false, response: deepFreeze(verdict.body) });
    return answer(verdict.status, verdict.body, verdict.headers);
  }

  const fetch: MockFetch = async (input, init) => {
    const request = new Request(input, init); // a bad URL or init rejects here, as fetch does
    if (request.signal.aborted) throw request.signal.reason;
    // Faults are met in the order requests arrive (concurrent ones too), and a reset() while a body is
    // read forgets that request: both are decided now, before the body is read.
    const fault = faults.take();
    const arrived = generation;
    const headers = Object.freeze(redactHeaders(request.headers, (text) => text)); // the key header (and other credentials) redacted
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await request.arrayBuffer());
    } catch (error) {
      // the signal fired while the body was read: fetch rejects with its reason
      const seen = { method: request.method, url: request.url, headers, body: undefined, rawBody: '', generation: arrived };
      record(seen, { status: NO_ANSWER, outcome: request.signal.aborted ? 'aborted' : 'reset', scripted: Boolean(fault), response: undefined });
      throw error;
    }
    const rawBody = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes); // as judged: a BOM kept, bad bytes as U+FFFD
    const url = new URL(request.url);
    const seen = { method: request.method, url: request.url, headers, body: parseJson(rawBody), rawBody, generation: arrived };
    if (fault) return meetFault(fault, request, seen);
    return respond(judge({ method: request.method, url, headers: request.headers, bytes }, rules), seen);
  };

  const api: MockApi = {
    fetch,
    get calls() {
      return snapshot(calls);
    },
    get requests() {
      return snapshot(requests);
    },
    get pendingFaults() {
      return faults.pending;
    },
    failNext(status, faultOptions) {
      faults.push(makeFault(status, faultOptions));
      return api;
    },
    waitForCalls(count, waitOptions = {}) {
      const { timeout = 4_000 } = waitOptions;
      if (!Number.isInteger(count) || count < 0) return Promise.reject(new TypeError(`waitForCalls: count must be a whole number >= 0, got ${String(count)}`));
      if (!(timeout >= 0) || timeout > 2 ** 31 - 1) return Promise.reject(new TypeError(`waitForCalls: timeout must be milliseconds from 0 to ${2 ** 31 - 1}, got ${String(timeout)}`));
      if (calls.length >= count) return Promise.resolve(snapshot(calls));
      return new Promise((resolve, reject) => {
        const waiter = {
          count,
          resolve: (now: readonly WireGroupCall[]) => {
            clearTimeout(timer);
            resolve(now);
          },
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(
            new Error(
              `waitForCalls(${count}): only ${calls.length} call${calls.length === 1 ? '' : 's'} accepted within ${timeout} ms ` +
                `(${requests.length} request${requests.length === 1 ? '' : 's'} received). Calls queued with enqueue() leave ` +
                'when flushAt calls wait or after flushInterval: call flush(), or give the client a small flushInterval.',
            ),
          );
        }, timeout);
        waiters.push(waiter);
      });
    },
    reset() {
      generation++;
      calls = [];
      requests = [];
      faults.clear();
      for (const drop of [...sleeping]) drop(connectionReset());
    },
  };
  return api;
}
