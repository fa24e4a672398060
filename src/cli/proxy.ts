/**
 * Proxies for the command line: Node's `fetch` ignores HTTPS_PROXY, HTTP_PROXY and NO_PROXY; the
 * `thrivestack` command honours them (and their lowercase forms, which win, as in curl) through
 * undici's `EnvHttpProxyAgent`, with undici's own `fetch` (a dispatcher of one copy of undici handed to
 * Node's built-in `fetch`, another copy, fails on some Node versions). HTTPS_PROXY applies to
 * https:// URLs (HTTP_PROXY when it is not set), HTTP_PROXY to http:// ones; NO_PROXY lists hosts
 * reached directly (`127.0.0.1`, `.example.com`, `*`). Node-only, so it lives here, never in the
 * library's universal entry (a library caller passes its own `fetch`).
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import { UsageError } from './args.js';

export type Fetch = (request: Request) => Promise<Response>;

/** The variable a proxy setting came from (lowercase first), or nothing when unset or empty. */
function variable(env: NodeJS.ProcessEnv, name: string): { name: string; value: string } | undefined {
  for (const key of [name.toLowerCase(), name]) {
    const value = env[key];
    if (value !== undefined && value !== '') return { name: key, value };
  }
  return undefined;
}

/** undici warns once that EnvHttpProxyAgent is experimental: not a line for the command's users. */
function withoutExperimentalWarning<T>(make: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const options = rest[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : rest[1];
    if (code === 'UNDICI-EHPA') return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = emit;
  }
}

/** A `fetch` through the proxies, and the end of its connections (a tunnel a proxy never answered included). */
export interface ProxyFetch {
  fetch: Fetch;
  /**
   * Closes every connection, at once: the command calls it when it ends. undici's tunnel (the CONNECT
   * to the proxy) ignores the request's signal, so a proxy that never answers would otherwise keep
   * the process alive after the command printed its result, until undici's own 300 s timeout.
   */
  destroy(): void;
}

/**
 * The `fetch` that goes through the proxies `env` names, or `undefined` when it names none (the
 * client then uses the global `fetch`, as it always did). Throws `UsageError` for a proxy URL that
 * cannot be used; the value is not shown (it may hold the proxy's password).
 */
export function proxyFetch(env: NodeJS.ProcessEnv): ProxyFetch | undefined {
  const http = variable(env, 'HTTP_PROXY');
  const https = variable(env, 'HTTPS_PROXY');
  if (!http && !https) return undefined;
  for (const given of [http, https]) {
    if (!given) continue;
    let url: URL | undefined;
    try {
      url = new URL(given.value);
    } catch {
      // reported below
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`${given.name} must be a proxy URL such as http://proxy.example.com:3128 (its value is not shown: it may hold a password)`);
    }
  }
  const noProxy = variable(env, 'NO_PROXY');
  // every value given explicitly ('' for none), so undici reads nothing else from process.env
  const dispatcher = withoutExperimentalWarning(
    () =>
      new EnvHttpProxyAgent({
        httpProxy: http?.value ?? '',
        httpsProxy: https?.value ?? '',
        noProxy: noProxy?.value ?? '',
      }),
  );
  // the client's Request (the global class) taken apart for undici's fetch; `redirect: 'manual'` and the
  // attempt's signal go along, so redirects are still never followed and timeouts still abort
  const fetch: Fetch = async (request) => {
    const { url, method, headers, redirect, signal } = request;
    const body = await request.arrayBuffer();
    try {
      const response = await undiciFetch(url, { method, headers, body, redirect, signal, dispatcher });
      return response as unknown as Response;
    } catch (error) {
      if (signal.aborted) throw error; // a timeout or an abort: the client tells these itself
      // as undici picks the proxy: HTTPS_PROXY (else HTTP_PROXY) for https://, HTTP_PROXY for http://
      const proxy = new URL(url).protocol === 'https:' ? (https ?? http) : http;
      throw proxy ? proxyFailure(error, proxy.name, noProxy !== undefined) : error;
    }
  };
  return {
    fetch,
    destroy: () => {
      dispatcher.destroy().catch(() => {
        // closing anyway: nothing to report
      });
    },
  };
}

/**
 * A failed request when a proxy variable applies to its URL, told in terms of that proxy: its answer
 * to CONNECT (407: its user and password), or the failure said to have gone through it (when
 * NO_PROXY is not set; with it, the host may have been reached directly). A TypeError, as fetch
 * throws for a request that got no answer, so the client retries it as it would any other. The
 * proxy's URL is never shown (it may hold a password), only the variable's name.
 */
function proxyFailure(error: unknown, name: string, noProxySet: boolean): unknown {
  // undici's TypeError("fetch failed") ← (a DOMException "Request was cancelled.") ← what went wrong
  let status: string | undefined;
  let innermost = '';
  let cause = (error as { cause?: unknown } | undefined)?.cause;
  for (let depth = 0; depth < 4 && typeof cause === 'object' && cause !== null; depth++) {
    const { message, code } = cause as { message?: unknown; code?: unknown };
    const text = typeof message === 'string' ? message : '';
    // "Proxy response (407) !== 200 when HTTP Tunneling", "Proxy Authentication Required (407)"
    status ??= /^Proxy response \((\d{3})\)/.exec(text)?.[1] ?? /^Proxy Authentication Required \((407)\)/.exec(text)?.[1];
    if (typeof code === 'string' || text !== '') innermost = typeof code === 'string' ? code : text;
    cause = (cause as { cause?: unknown }).cause;
  }
  if (status === '407') {
    return new TypeError(
      `the proxy in ${name} answered 407 (Proxy Authentication Required): put its user and password in ${name} ` +
        '(http://USER:PASSWORD@HOST:PORT, special characters percent-encoded)',
    );
  }
  if (status !== undefined) return new TypeError(`the proxy in ${name} refused to open a tunnel: it answered ${status}`);
  if (noProxySet) return error;
  return new TypeError(`fetch failed through the proxy in ${name}${innermost ? ` (${innermost})` : ''}`);
}
