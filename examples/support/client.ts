/**
 * The client every example uses: ThriveStack's API when THRIVESTACK_API_KEY is set, otherwise the
 * in-process mock of the API (`createMockApi()`), so the examples run with no key and no network.
 *
 * In your code you need none of this: `new ThriveStack(options)` reads THRIVESTACK_API_KEY itself.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ThriveStack, type ClientOptions } from 'thrivestack-group';
import { createMockApi, type MockApi } from 'thrivestack-group/testing';

export interface ExampleClient {
  thrivestack: ThriveStack;
  /** The mock, when no key was set: it recorded every call it accepted (`api.calls`). */
  api: MockApi | undefined;
}

export function exampleClient(options: ClientOptions = {}): ExampleClient {
  if (process.env.THRIVESTACK_API_KEY) return { thrivestack: new ThriveStack(options), api: undefined };
  const api = createMockApi();
  return { thrivestack: new ThriveStack({ ...options, apiKey: 'example-key', fetch: api.fetch }), api };
}

/** Whether `importMetaUrl` is the file Node was asked to run (and not imported by another). */
export function isMain(importMetaUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(realpathSync(script)).href === importMetaUrl;
}
