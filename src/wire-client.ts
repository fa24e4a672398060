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
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/schema.js';
import { resolveBaseUrl } from './options.js';
import { redirectOf } from './transport.js';
import { errorFromResponse } from './errors.js';
import { redactHeaders, redactorFor } from './redact.js';

export type WireClient = Client<paths>;

export interface WireClientOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  /** Allow a plain http:// `baseUrl` on a non-loopback host, which would send the key in clear text. */
  allowInsecureHttp?: boolean | undefined;
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  headers?: Record<string, string> | undefined;
  /** The Request class openapi-fetch builds requests with (default: the platform's). */
  Request?: typeof Request | undefined;
}

export function createWireClient(options: WireClientOptions): WireClient {
  const baseUrl = resolveBaseUrl(options);
  return createClient<paths>({
    baseUrl,
    redirect: 'manual', // openapi-fetch builds each Request so; the fetch below makes sure
    fetch: manualRedirects(options.fetch, options.apiKey),
    ...(options.Request ? { Request: options.Request } : {}),
    headers: { accept: '*/*', ...options.headers, 'x-api-key': options.apiKey },
  });
}

/** A fetch that never follows a redirect, around the caller's fetch or the platform's. */
function manualRedirects(custom: WireClientOptions['fetch'], apiKey: string) {
  return async (request: Request, init?: RequestInit): Promise<Response> => {
    const response = await (custom
      ? custom(request instanceof Request && request.redirect !== 'manual' ? new Request(request, { redirect: 'manual' }) : request)
      : globalThis.fetch(request, { ...init, redirect: 'manual' }));
    const redirect = redirectOf(response, request.url, !custom);
    if (redirect?.followed) {
      const redact = redactorFor(apiKey);
      throw errorFromResponse({
        status: response.status,
        serverMessage: undefined,
        headers: redactHeaders(response.headers, redact),
        attempts: 1,
        requestId: undefined,
        location: redirect.location && redact(redirect.location),
        redirect,
      });
    }
    return response;
  };
}
