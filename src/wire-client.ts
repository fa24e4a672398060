/**
 * The low-level client: openapi-fetch over the generated `paths`, with the API key header and
 * nothing else (no validation, no retries). For wire-level use: `client.POST('/api/group', { body })`
 * returns `{ data, error, response }` exactly as the API answered.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/schema.js';
import { DEFAULT_BASE_URL } from './generated/constants.js';

export type WireClient = Client<paths>;

export interface WireClientOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  headers?: Record<string, string> | undefined;
  /** The Request class openapi-fetch builds requests with (default: the platform's). */
  Request?: typeof Request | undefined;
}

export function createWireClient(options: WireClientOptions): WireClient {
  return createClient<paths>({
    baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.Request ? { Request: options.Request } : {}),
    headers: { accept: '*/*', ...options.headers, 'x-api-key': options.apiKey },
  });
}
