/** Client options: what can be set, the defaults, and the checks made at construction. */
import { DEFAULT_BASE_URL, MAX_CALLS_PER_REQUEST, MAX_REQUEST_BYTES } from './generated/constants.js';
import { ConfigurationError } from './errors.js';
import type { Redactor } from './redact.js';
import { environment } from './runtime.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import type { DebugEvent } from './transport.js';
import type { EnqueueOptions, QueueOptions } from './queue-options.js';
import type { CloseOptions } from './queue.js';
import { LOG_LEVELS, type Logger, type LogLevel } from './logger.js';
import { checkOptions, describeValue, type Rules } from './option-check.js';

export interface ClientOptions extends Partial<RetryPolicy>, QueueOptions {
  /** Your ThriveStack API key. Defaults to the THRIVESTACK_API_KEY environment variable. */
  apiKey?: string | undefined;
  /** Defaults to https://api.app.thrivestack.ai. Plain http:// only for loopback hosts or with `allowInsecureHttp`. */
  baseUrl?: string | undefined;
  /** Allow a plain http:// `baseUrl` on a non-loopback host, which would send the key in clear text. */
  allowInsecureHttp?: boolean | undefined;
  /** The fetch to use (default: `globalThis.fetch`). */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  /** Per-attempt timeout in ms (default 10,000; more than 0, at most 2^31−1). */
  timeout?: number | undefined;
  /** Headers added to every request (e.g. for a proxy). Cannot set `x-api-key`. */
  defaultHeaders?: Record<string, string> | undefined;
  /** Receives every request, response, error and retry, with the API key redacted. */
  debug?: ((event: DebugEvent) => void) | undefined;
  /** Which lines the client logs (default: the THRIVESTACK_LOG environment variable, else `warn`). */
  logLevel?: LogLevel | undefined;
  /** Where log lines go: any object with debug/info/warn/error (console, pino, winston). Default: stderr. */
  logger?: Logger | undefined;
}

/** Per-call options of `group()`. */
export interface RequestOptions {
  /** Aborts the call and its pending retries. */
  signal?: AbortSignal | undefined;
  /** Per-attempt timeout in ms for this call (more than 0, at most 2^31−1). */
  timeout?: number | undefined;
  /** Retries for this call (a whole number, 0 or more). */
  maxRetries?: number | undefined;
  /** Headers for this call's request. Cannot set `x-api-key`. */
  headers?: Record<string, string> | undefined;
}

export const DEFAULT_TIMEOUT = 10_000;

export interface ResolvedOptions extends RetryPolicy {
  baseUrl: string;
  timeout: number;
  /** The caller's fetch; undefined: the transport calls `globalThis.fetch(url, init)` itself. */
  fetch: ((request: Request) => Promise<Response>) | undefined;
  defaultHeaders: Record<string, string>;
}

const ATTEMPT_RULES = {
  timeout: { type: 'ms', min: 0, exclusiveMin: true },
  maxRetries: { type: 'integer', min: 0, max: 1_000 },
} as const satisfies Rules;

/** Every option of `new ThriveStack()`, with what it takes. */
export const CLIENT_RULES = {
  apiKey: { type: 'string' },
  baseUrl: { type: 'string' },
  allowInsecureHttp: { type: 'boolean' },
  fetch: { type: 'function' },
  ...ATTEMPT_RULES,
  minRetryDelay: { type: 'ms', min: 0 },
  maxRetryDelay: { type: 'ms', min: 0 },
  maxRetryAfter: { type: 'ms', min: 0 },
  defaultHeaders: { type: 'strings' },
  debug: { type: 'function' },
  logLevel: { type: 'enum', values: LOG_LEVELS },
  logger: { type: 'methods', names: ['debug', 'info', 'warn', 'error'], examples: 'console, pino and winston' },
  flushAt: { type: 'integer', min: 1 },
  maxBatchSize: { type: 'integer', min: 1, max: MAX_CALLS_PER_REQUEST },
  flushInterval: { type: 'ms', min: 0 },
  maxQueueSize: { type: 'integer', min: 1 },
  maxQueueBytes: { type: 'integer', min: MAX_REQUEST_BYTES },
  maxConcurrentRequests: { type: 'integer', min: 1, max: 1_000 },
  onError: { type: 'function' },
  onDelivered: { type: 'function' },
  throttle: { type: 'methods', names: ['onRaise'] },
} as const satisfies Rules & Record<keyof ClientOptions, unknown>;

/** The options of `enqueue(call, options)` and `enqueueAsync(call, options)`. */
export const ENQUEUE_RULES = {
  tag: { type: 'any' },
} as const satisfies Rules & Record<keyof EnqueueOptions, unknown>;

/** The options of `group(calls, options)`. */
export const REQUEST_RULES = {
  signal: { type: 'signal' },
  ...ATTEMPT_RULES,
  headers: { type: 'strings' },
} as const satisfies Rules & Record<keyof RequestOptions, unknown>;

/** The options of `close(options)`. */
export const CLOSE_RULES = {
  timeout: { type: 'ms', min: 0, infinity: 'wait until every call is delivered or failed' },
} as const satisfies Rules;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
/** What a header value can carry: visible ASCII. An API key holds nothing else. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;


/**
 * The API key, trimmed (a key read from a secrets file often ends with a newline). Refused without
 * ever echoing it: missing, empty, or holding a character a header value cannot carry.
 */
export function resolveApiKey(options: ClientOptions): string {
  const given = options.apiKey ?? environment('THRIVESTACK_API_KEY');
  const source = options.apiKey !== undefined ? '`apiKey`' : 'THRIVESTACK_API_KEY';
  const key = typeof given === 'string' ? given.trim() : '';
  if (key === '') {
    const what = typeof given === 'string' ? `${source} is empty` : 'No ThriveStack API key';
    throw new ConfigurationError(
      `${what}: pass \`apiKey\` to \`new ThriveStack({ apiKey })\` or set the THRIVESTACK_API_KEY ` +
        'environment variable (ThriveStack dashboard: Settings → API Keys).',
    );
  }
  if (!VISIBLE_ASCII.test(key)) {
    const at = [...key].findIndex((c) => !VISIBLE_ASCII.test(c));
    throw new ConfigurationError(
      `The API key from ${source} holds a character an HTTP header cannot carry (a control character, a space ` +
        `or a non-ASCII character, at position ${at + 1} of ${key.length}). Copy the key again from the ThriveStack ` +
        'dashboard (Settings → API Keys); the key itself is not shown here.',
    );
  }
  return key;
}

/**
 * `baseUrl` checked (https, or http:// to loopback or with `allowInsecureHttp`; no user:password) and
 * written as the address fetch sends to (WHATWG URL: host in lower case, no default port, no dot
 * segments), without trailing slashes: `https://API.app.thrivestack.ai:443/./` is
 * `https://api.app.thrivestack.ai`. Requests are built on it, and `createWireClient` compares them with it.
 */
export function resolveBaseUrl(options: Pick<ClientOptions, 'baseUrl' | 'allowInsecureHttp'>): string {
  const raw = options.baseUrl ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`\`baseUrl\` is not a URL (${describeValue(raw)}). Use e.g. ${DEFAULT_BASE_URL}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`\`baseUrl\` must be an https:// URL, got ${url.protocol}//.`);
  }
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) {
    throw new ConfigurationError('`baseUrl` must not hold a query (`?…`) or a fragment (`#…`): calls go to `<baseUrl>/api/group`.');
  }
  if (url.username || url.password) {
    throw new ConfigurationError('`baseUrl` must not hold a user name or password; pass the API key as `apiKey`.');
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !options.allowInsecureHttp) {
    throw new ConfigurationError(
      `\`baseUrl\` ${url.origin} uses plain http://, which would send your API key in clear text. Use https://, ` +
        'or pass `allowInsecureHttp: true` if this really is what you want (e.g. a proxy on a private network).',
    );
  }
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

/**
 * Headers fetch cannot send as given, each tried on Node 20's fetch (undici) against a local server.
 * Refused by fetch, so every request fails ("fetch failed": four attempts reported as "Could not reach
 * ThriveStack"): `expect`, `upgrade`, `keep-alive`, `transfer-encoding`, and `connection` other than
 * `close` or `keep-alive`. Sent, but breaking the request silently: `content-length` (the body's own,
 * which changes per request: a wrong one hangs until the timeout or fails), `host` (dropped: the
 * calls go to `baseUrl`'s host whatever it says) and `te` other than `trailers` (a server that honours
 * `te: gzip` answers in a transfer coding fetch does not decode). Sent and harmless, so allowed:
 * `connection: close` or `keep-alive`, `te: trailers`, `trailer`.
 */
const FETCH_HEADERS: Record<string, string> = {
  expect: 'fetch refuses it',
  upgrade: 'fetch refuses it',
  'keep-alive': 'fetch refuses it',
  'transfer-encoding': 'fetch refuses it',
  connection: 'fetch refuses it unless it is `close` or `keep-alive`',
  te: 'unless it is `trailers`, it asks for an answer fetch cannot decode',
  'content-length': "fetch sets it from each request's body",
  host: 'fetch sets it from `baseUrl` and drops this one; set `baseUrl` to the address you need',
};
/** The values of those headers that fetch sends and that break nothing (fetch trims a value's spaces). */
const FETCH_ALLOWS = /^(connection:[\t ]*(close|keep-alive)|te:[\t ]*trailers)[\t ]*$/i;

/**
 * Headers a caller adds (`defaultHeaders`, or `headers` per call): valid names and values, never the
 * API key's header, nor one fetch cannot send (above). Values are never echoed (they may be secrets of
 * their own).
 */
export function checkHeaders(option: string, headers: Record<string, string> | undefined, redact: Redactor = (text) => text): void {
  for (const name of Object.keys(headers ?? {})) {
    const shown = JSON.stringify(redact(name)); // a careless caller may paste `x-api-key: <key>` as a name
    const lower = name.toLowerCase();
    if (lower === 'x-api-key') {
      throw new ConfigurationError(`Set the API key with \`apiKey\` when creating the client, not in \`${option}\`.`);
    }
    if (!HEADER_NAME.test(name)) {
      throw new ConfigurationError(`\`${option}\` names a header ${shown}, which is not a valid header name.`);
    }
    if (!HEADER_VALUE.test(headers![name]!)) {
      throw new ConfigurationError(
        `\`${option}\`: the value of the header ${shown} holds a line break, a NUL or another character a header cannot carry.`,
      );
    }
    if (Object.hasOwn(FETCH_HEADERS, lower) && !FETCH_ALLOWS.test(`${lower}:${headers![name]}`)) {
      throw new ConfigurationError(`\`${option}\`: the header ${shown} cannot be sent (${FETCH_HEADERS[lower]}). Remove it.`);
    }
  }
}

export function resolveOptions(options: ClientOptions, redact?: Redactor): ResolvedOptions {
  const fetchImpl = options.fetch;
  if (!fetchImpl && typeof globalThis.fetch !== 'function') {
    throw new ConfigurationError('No `fetch` in this runtime: pass one as the `fetch` option.');
  }
  checkHeaders('defaultHeaders', options.defaultHeaders, redact);
  return {
    baseUrl: resolveBaseUrl(options),
    fetch: fetchImpl,
    defaultHeaders: { ...options.defaultHeaders },
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
    maxRetries: options.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries,
    minRetryDelay: options.minRetryDelay ?? DEFAULT_RETRY_POLICY.minRetryDelay,
    maxRetryDelay: options.maxRetryDelay ?? DEFAULT_RETRY_POLICY.maxRetryDelay,
    maxRetryAfter: options.maxRetryAfter ?? DEFAULT_RETRY_POLICY.maxRetryAfter,
  };
}

/** The constructor's options, checked: a snapshot of the known ones (see `checkOptions`). */
export function checkClientOptions(options: unknown): ClientOptions {
  return checkOptions<ClientOptions>('new ThriveStack()', options, CLIENT_RULES);
}

export function checkEnqueueOptions(options: unknown): EnqueueOptions {
  return checkOptions<EnqueueOptions>('enqueue()', options, ENQUEUE_RULES);
}

export function checkRequestOptions(options: unknown, redact?: Redactor): RequestOptions {
  const checked = checkOptions<RequestOptions>('group()', options, REQUEST_RULES);
  checkHeaders('headers', checked.headers, redact);
  return checked;
}

export function checkCloseOptions(options: unknown): CloseOptions {
  return checkOptions<CloseOptions>('close()', options, CLOSE_RULES);
}
