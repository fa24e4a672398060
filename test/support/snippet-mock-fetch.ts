/**
 * Preloaded (`node --import`) by test/docs-snippets.test.ts before a doc snippet runs: the platform's
 * `fetch` is the in-process mock of the API (any origin), so a snippet written for ThriveStack's API,
 * or for a Prism mock on 127.0.0.1:4010, runs offline and is answered as the API's document says.
 */
import { createMockApi } from '../../src/testing/index.js';

globalThis.fetch = createMockApi().fetch as typeof globalThis.fetch;
