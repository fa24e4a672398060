/**
 * openapi-fetch over the generated `paths`: the one place that imports it, so that the bundle imports
 * it once. `createWireClient` (the low-level client) and `ThriveStack` both build on this.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './generated/schema.js';

export type WireClient = Client<paths>;

export function openapiFetch(options: ClientOptions): WireClient {
  return createClient<paths>(options);
}
