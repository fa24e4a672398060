/**
 * The importer's byte budget (src/cli/byte-budget.ts): the bytes of rows handed to the client and not
 * settled stay under its limit, except one row alone; `tryReserve` is the synchronous form the import
 * loop tries first, `reserve` the one it waits on.
 */
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../src/cli/byte-budget.js';
import { cliTestBed, spawnCli, waitFor, writeLines } from './support/cli.js';

describe('ByteBudget', () => {
  it('tryReserve counts bytes that fit and refuses, counting nothing, bytes that do not', () => {
    const budget = new ByteBudget(100);
    expect(budget.tryReserve(60)).toBe(true);
    expect(budget.tryReserve(40)).toBe(true);
    expect(budget.used).toBe(100);
    expect(budget.tryReserve(1)).toBe(false);
    expect(budget.used).toBe(100);
    budget.release(30);
    expect(budget.tryReserve(31)).toBe(false);
    expect(budget.tryReserve(30)).toBe(true);
    expect(budget.used).toBe(100);
  });

  it('one row larger than the whole budget goes when nothing is held, and alone', () => {
    const budget = new ByteBudget(100);
    expect(budget.tryReserve(500)).toBe(true);
    expect(budget.tryReserve(1)).toBe(false);
    budget.release(500);
    expect(budget.used).toBe(0);
    expect(budget.tryReserve(1)).toBe(true);
  });

  it('reserve waits for room that a release makes, then counts', async () => {
    const budget = new ByteBudget(100);
    expect(budget.tryReserve(90)).toBe(true);
    let done = false;
    const waiting = budget.reserve(20, new AbortController().signal).then((ok) => {
      done = true;
      return ok;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    budget.release(10); // 80 + 20 fits
    expect(await waiting).toBe(true);
    expect(budget.used).toBe(100);
  });

  it('reserve resolves false on abort, counting nothing', async () => {
    const budget = new ByteBudget(100);
    budget.tryReserve(100);
    const stop = new AbortController();
    const waiting = budget.reserve(50, stop.signal);
    stop.abort();
    expect(await waiting).toBe(false);
    expect(budget.used).toBe(100);
  });
});

describe('thrivestack import against an API that never answers', () => {
  const KEY = 'test-key-cli-byte-budget-0123456789';
  const bed = cliTestBed(KEY);

  it('reads no further than the byte budget allows (2 × concurrency × 2 MB of rows unsettled), whatever the queue would hold', async () => {
    const s = await bed.server({ plan: () => ({ type: 'hang' }), keepCalls: false });
    const input = bed.dir.file('budget.ndjson');
    const note = 'x'.repeat(400_000); // 400 KB rows: 39 of them fill the 16 MB budget; the queue alone would hold 160
    await writeLines(input, 200, (i) => JSON.stringify({ group_id: `g${i}`, user_id: `u${i}`, traits: { note } }));
    const child = spawnCli(['import', input, '--base-url', s.url, '--json', '--quiet'], { env: { THRIVESTACK_API_KEY: KEY } });
    await waitFor(() => s.log.length >= 4, 30_000, 'the first 4 requests');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // time to read far past the budget, if it let the reader
    child.kill('SIGTERM');
    await waitFor(() => child.stderrText().includes('stopping'), 10_000, 'the import to stop reading');
    child.kill('SIGTERM'); // a second one abandons the requests in flight
    const result = await child.output;
    const summary = JSON.parse(result.stdout) as { read: number; sent: number; abandoned: number; unsent: number };
    // 39 rows fit in 16,000,000 bytes (4 requests of 4 rows in flight, the rest queued), and one row waits for room
    expect(summary.read).toBeGreaterThanOrEqual(16);
    expect(summary.read).toBeLessThanOrEqual(40);
    expect(summary.sent).toBe(0);
    expect(summary.abandoned + summary.unsent).toBe(summary.read);
  }, 60_000);
});
