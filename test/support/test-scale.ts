/**
 * Test sizes. A default local `npm test` runs the big cases smaller (the same cases: CLI imports,
 * the fault mix, the backfill, the differential test); CI (CI=true) and THRIVESTACK_TEST_FULL=1 run
 * the full sizes. Cases whose promise is their size (20 kills on 20,000 rows, 500 bodies against
 * Prism, a 400 MB answer) do not go through here: they run at full size everywhere.
 */
export const FULL_SIZE = process.env.CI === 'true' || process.env.THRIVESTACK_TEST_FULL === '1';

/** `full` in CI or with THRIVESTACK_TEST_FULL=1, `quick` otherwise. */
export function scaled(full: number, quick: number): number {
  return FULL_SIZE ? full : quick;
}
