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

/**
 * The `fetch` that goes through the proxies `env` names, or `undefined` when it names none (the
 * client then uses the global `fetch`, as it always did). Throws `UsageError` for a proxy URL that
 * cannot be used; the value is not shown (it may hold the proxy's password).
 */
export function proxyFetch(env: NodeJS.ProcessEnv): Fetch | undefined {
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
  // every value given explicitly ('' for none), so undici reads nothing else from process.env
  const dispatcher = withoutExperimentalWarning(
    () =>
      new EnvHttpProxyAgent({
        httpProxy: http?.value ?? '',
        httpsProxy: https?.value ?? '',
        noProxy: variable(env, 'NO_PROXY')?.value ?? '',
      }),
  );
  // the client's Request (the global class) taken apart for undici's fetch; `redirect: 'manual'` and the
  // attempt's signal go along, so redirects are still never followed and timeouts still abort
  return async (request) => {
    const { url, method, headers, redirect, signal } = request;
    const body = await request.arrayBuffer();
    const response = await undiciFetch(url, { method, headers, body, redirect, signal, dispatcher });
    return response as unknown as Response;
  };
}
