/**
 * Test sizes. A default local `npm test` runs every case at a smaller size; CI (CI=true) and
 * THRIVESTACK_TEST_FULL=1 run the full sizes (100,000-row imports, 500+ fuzzed calls, ...).
 */
export const FULL_SIZE = process.env.CI === 'true' || process.env.THRIVESTACK_TEST_FULL === '1';

/** `full` in CI or with THRIVESTACK_TEST_FULL=1, `quick` otherwise. */
export function scaled(full: number, quick: number): number {
  return FULL_SIZE ? full : quick;
}
