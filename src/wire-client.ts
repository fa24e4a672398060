/**
 * The low-level client: openapi-fetch over the generated `paths`, with the API key header and
 * nothing else (no validation, no retries). For wire-level use: `client.POST('/api/group', { body })`
 * returns `{ data, error, response }` exactly as the API answered.
 *
 * The key goes nowhere but `baseUrl`: the address is checked as `new ThriveStack()` checks it (https,
 * or http:// to a loopback host or with `allowInsecureHttp`; no user name or password), and every
 * request is sent with `redirect: 'manual'`, whatever openapi-fetch or a per-call option asks. A 3xx
 * is then just a non-ok answer, never followed; a caller's fetch that follows one anyway (its answer
 * is `redirected`, or comes from another URL) makes the call throw a `RedirectError`.
 */
import { openapiFetch, type WireClient } from './openapi-client.js';
import { resolveApiKey, resolveBaseUrl } from './options.js';
import { redirectOf } from './answer.js';
import { ConfigurationError, errorFromResponse } from './errors.js';
import { redactHeaders, redactorFor } from './redact.js';
import { safeText } from './safe-text.js';

export type { WireClient };

export interface WireClientOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  /** Allow a plain http:// `baseUrl` on a non-loopback host, which would send the key in clear text. */
  allowInsecureHttp?: boolean | undefined;
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  headers?: Record<string, string> | undefined;
}

/** openapi-fetch over the generated `paths`, with the key header: the core that `createWireClient` guards. */
function openapiClient(options: {
  apiKey: string;
  baseUrl: string;
  headers?: Record<string, string> | undefined;
  fetch?: ((request: Request) => Promise<Response>) | undefined;
}): WireClient {
  return openapiFetch({
    baseUrl: options.baseUrl,
    redirect: 'manual',
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: { accept: '*/*', ...options.headers, 'x-api-key': options.apiKey },
  });
}

/** Per-call options that would take a request past the client's checks: refused. */
const GUARDED = ['fetch', 'baseUrl', 'Request'] as const;
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const;

function refuseGuarded(init: unknown): void {
  if (typeof init !== 'object' || init === null) return;
  for (const name of GUARDED) {
    if ((init as Record<string, unknown>)[name] !== undefined) {
      throw new ConfigurationError(
        `createWireClient: a per-call \`${name}\` is refused (it would bypass the checks that keep the key on \`baseUrl\`); ` +
          'create another client with the options you need.',
      );
    }
  }
}

export function createWireClient(options: WireClientOptions): WireClient {
  const baseUrl = resolveBaseUrl(options);
  // the key checked as `new ThriveStack()` checks it (trimmed; one a header cannot carry refused without
  // being shown), except that an empty key is sent as it is: the low-level client may test a 401
  const apiKey = options.apiKey === '' ? '' : resolveApiKey({ apiKey: options.apiKey });
  const client = openapiClient({ ...options, apiKey, baseUrl, fetch: manualRedirects(options.fetch, apiKey, baseUrl) });
  const guarded = { ...client } as Record<string, unknown>;
  for (const method of METHODS) {
    const call = client[method] as (url: unknown, init?: unknown) => unknown;
    guarded[method] = (url: unknown, init?: unknown) => {
      refuseGuarded(init);
      return call(url, init);
    };
  }
  guarded.request = (method: unknown, url: unknown, init?: unknown) => {
    refuseGuarded(init);
    return (client.request as (m: unknown, u: unknown, i?: unknown) => unknown)(method, url, init);
  };
  return guarded as unknown as WireClient;
}

/**
 * A fetch that never follows a redirect and sends nothing outside `baseUrl`, around the caller's
 * fetch or the platform's. It runs last, after any middleware, whatever per-call options say.
 * Addresses are compared as URLs: `baseUrl` as `resolveBaseUrl` normalized it, the request's as the
 * `Request` parsed it (both WHATWG): the same origin, and the base path on a segment boundary.
 */
function manualRedirects(custom: WireClientOptions['fetch'], apiKey: string, baseUrl: string) {
  const prefix = `${baseUrl}/`;
  return async (request: Request, init?: RequestInit): Promise<Response> => {
    if (!(request instanceof Request)) {
      throw new ConfigurationError('createWireClient: a middleware replaced the request with something that is not a Request.');
    }
    if (request.url !== baseUrl && !request.url.startsWith(prefix)) {
      throw new ConfigurationError(
        'createWireClient: a middleware pointed the request outside `baseUrl`; the key goes nowhere else. Create a client for that address.',
      );
    }
    const manual = request.redirect === 'manual' ? request : new Request(request, { redirect: 'manual' });
    const response = await (custom ? custom(manual) : globalThis.fetch(manual, { ...init, redirect: 'manual' }));
    const redirect = redirectOf(response, request.url, !custom);
    if (redirect?.followed) {
      // server text, made safe as the client's transport makes it
      const redact = redactorFor(apiKey);
      const clean = (text: string): string => safeText(text, redact);
      throw errorFromResponse({
        status: response.status,
        serverMessage: undefined,
        headers: redactHeaders(response.headers, clean),
        attempts: 1,
        requestId: undefined,
        location: redirect.location && clean(redirect.location),
        redirect,
      });
    }
    return response;
  };
}
