/** Client options: what can be set, the defaults, and the checks made at construction. */
import { DEFAULT_BASE_URL } from './generated/constants.js';
import { ConfigurationError } from './errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import type { DebugEvent } from './transport.js';
import type { QueueOptions } from './queue-options.js';
import type { Logger, LogLevel } from './logger.js';

export interface ClientOptions extends Partial<RetryPolicy>, QueueOptions {
  /** Your ThriveStack API key. Defaults to the THRIVESTACK_API_KEY environment variable. */
  apiKey?: string | undefined;
  /** Defaults to https://api.app.thrivestack.ai. Plain http:// only for loopback hosts or with `allowInsecureHttp`. */
  baseUrl?: string | undefined;
  /** Allow a plain http:// `baseUrl` on a non-loopback host, which would send the key in clear text. */
  allowInsecureHttp?: boolean | undefined;
  /** The fetch to use (default: `globalThis.fetch`). */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  /** Per-attempt timeout in ms (default 10,000). */
  timeout?: number | undefined;
  /** Headers added to every request (e.g. for a proxy). Cannot override `x-api-key`. */
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
  timeout?: number | undefined;
  maxRetries?: number | undefined;
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

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function environmentKey(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.THRIVESTACK_API_KEY || undefined;
}

export function resolveApiKey(options: ClientOptions): string {
  const key = options.apiKey ?? environmentKey();
  if (typeof key !== 'string' || key.trim() === '') {
    throw new ConfigurationError(
      'No ThriveStack API key: pass `apiKey` to `new ThriveStack({ apiKey })` or set the THRIVESTACK_API_KEY ' +
        'environment variable (ThriveStack dashboard: Settings → API Keys).',
    );
  }
  return key;
}

function resolveBaseUrl(options: ClientOptions): string {
  const raw = options.baseUrl ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`\`baseUrl\` is not a URL: ${JSON.stringify(raw)}. Use e.g. ${DEFAULT_BASE_URL}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`\`baseUrl\` must be an https:// URL, got ${url.protocol}//.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !options.allowInsecureHttp) {
    throw new ConfigurationError(
      `\`baseUrl\` ${url.origin} uses plain http://, which would send your API key in clear text. Use https://, ` +
        'or pass `allowInsecureHttp: true` if this really is what you want (e.g. a proxy on a private network).',
    );
  }
  return raw.replace(/\/+$/, '');
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`\`${name}\` must be a non-negative number of ${name === 'maxRetries' ? 'retries' : 'ms'}, got ${String(value)}.`);
  }
  return value;
}

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const fetchImpl = options.fetch;
  if (!fetchImpl && typeof globalThis.fetch !== 'function') {
    throw new ConfigurationError('No `fetch` in this runtime: pass one as the `fetch` option.');
  }
  const headers = { ...options.defaultHeaders };
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'x-api-key') throw new ConfigurationError('Set the API key with `apiKey`, not in `defaultHeaders`.');
  }
  return {
    baseUrl: resolveBaseUrl(options),
    fetch: fetchImpl,
    defaultHeaders: headers,
    timeout: nonNegative('timeout', options.timeout, DEFAULT_TIMEOUT),
    maxRetries: Math.floor(nonNegative('maxRetries', options.maxRetries, DEFAULT_RETRY_POLICY.maxRetries)),
    minRetryDelay: nonNegative('minRetryDelay', options.minRetryDelay, DEFAULT_RETRY_POLICY.minRetryDelay),
    maxRetryDelay: nonNegative('maxRetryDelay', options.maxRetryDelay, DEFAULT_RETRY_POLICY.maxRetryDelay),
    maxRetryAfter: nonNegative('maxRetryAfter', options.maxRetryAfter, DEFAULT_RETRY_POLICY.maxRetryAfter),
  };
}
