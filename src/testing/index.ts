/**
 * `thrivestack-group/testing`: test your code that sends group calls, without a network.
 *
 * ```ts
 * import { createMockApi } from 'thrivestack-group/testing';
 * const api = createMockApi();
 * const client = new ThriveStack({ apiKey: 'test', fetch: api.fetch });
 * ```
 *
 * Web-standard APIs only (no `node:` imports): it runs under vitest, jest, node:test, in browsers and
 * edge runtimes.
 */
export { createMockApi, type MockApi, type MockApiOptions, type MockFetch, type MockRequest, type WaitOptions } from './mock-api.js';
export type { FaultKind, FaultOptions } from './faults.js';
export type { WireGroupCall, GroupResponse, ErrorResponse } from '../types.js';
