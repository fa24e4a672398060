// Fail the suite on any process warning (a MaxListenersExceededWarning, the NODE_TLS_REJECT_UNAUTHORIZED
// warning, a deprecation): `npm test` stays quiet, and a test that makes Node warn fails, naming the
// warning, instead of printing a line nobody reads. test/no-warnings.test.ts checks that this check fails.
import { afterAll, afterEach, expect } from 'vitest';

const seen: string[] = [];
process.on('warning', (warning) => {
  seen.push(`${warning.name}: ${warning.message}`);
});

function expectNoWarning(): void {
  expect(seen.splice(0), 'process warnings (see test/setup/no-warnings.ts)').toEqual([]);
}

afterEach(expectNoWarning);
// a warning emitted after the file's last test (Node emits them on the next tick) still counts
afterAll(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  expectNoWarning();
});
