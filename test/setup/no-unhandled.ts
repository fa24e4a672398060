// Fail the suite on any unhandled promise rejection: the client must never cause one.
const seen: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  seen.push(reason);
});
import { afterEach, expect } from 'vitest';
afterEach(() => {
  expect(seen, 'unhandled promise rejections').toEqual([]);
});
