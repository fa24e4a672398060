/**
 * "Memory stays flat whatever the file size" for big rows too: NDJSON rows of 400 KB against an API
 * that answers in 300 ms (issue 18: 1.95 GB peak). The queue's bound counts rows (2 × concurrency × batch-size = 8,000 of them, 3.2
 * GB of such rows); the importer also bounds the bytes of rows handed to the client and not settled
 * (2 × concurrency × 2 MB). Peak RSS measured in the child process (bench/peak-rss.ts), with a
 * generous bound: the earlier importer held the whole file.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWithPeakRss } from '../bench/peak-rss.js';
import { ByteBudget } from '../src/cli/byte-budget.js';
import { cliTestBed, ROOT } from './support/cli.js';

const KEY = 'test-key-cli-big-rows-0123456789';
const bed = cliTestBed(KEY);

const ROWS = 800;
const ROW_TEXT_BYTES = 400_000;
/**
 * Measured here: about 320 MB for 300, 800 or 1,200 such rows (flat; most of it garbage of 400 KB
 * strings waiting for a major GC), against 720 MB for 600 rows and growing with the file before the
 * byte bound.
 */
const PEAK_LIMIT_MB = 480;

describe('rows of 400 KB against an API answering in 300 ms', () => {
  it(`NDJSON: ${ROWS} rows (${(ROWS * ROW_TEXT_BYTES) / 1e6} MB) all arrive, peak RSS under ${PEAK_LIMIT_MB} MB`, async () => {
    const s = await bed.server({ keepCalls: false, plan: () => ({ type: 'slow', delayMs: 300 }) });
    const file = bed.dir.file('big-rows.ndjson');
    const out = createWriteStream(file);
    const filler = 'x'.repeat(ROW_TEXT_BYTES);
    for (let i = 0; i < ROWS; i++) {
      const line = `${JSON.stringify({ group_id: `acct_${i}`, user_id: `usr_${i}`, traits: { notes: filler } })}\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');

    const run = await runWithPeakRss(join(ROOT, 'src/cli/index.ts'), ['import', file, '--base-url', s.url, '--json', '--quiet'], {
      nodeArgs: ['--import', 'tsx'],
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', THRIVESTACK_API_KEY: KEY },
    });
    expect(run.code, run.stderr.slice(0, 2_000)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ read: ROWS, sent: ROWS, rejected: 0, failed: 0 });
    expect(s.acceptedCount()).toBe(ROWS);
    const peakMB = run.peakKb / 1024;
    console.log(`file ${((await stat(file)).size / 1e6).toFixed(0)} MB, ${s.log.length} requests, peak RSS ${peakMB.toFixed(0)} MB`);
    expect(peakMB).toBeLessThan(PEAK_LIMIT_MB);
  }, 180_000);
});

describe('ByteBudget', () => {
  it('a row waits while the rows before it hold the budget; one larger than the budget goes alone; an abort ends the wait', async () => {
    const budget = new ByteBudget(100);
    const stop = new AbortController();
    expect(await budget.reserve(60, stop.signal)).toBe(true);
    let second: boolean | undefined;
    const waiting = budget.reserve(60, stop.signal).then((ok) => (second = ok));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBeUndefined(); // 120 > 100: waits
    budget.release(60);
    await waiting;
    expect(second).toBe(true);
    expect(budget.used).toBe(60);
    budget.release(60);
    expect(await budget.reserve(500, stop.signal)).toBe(true); // alone: never waits forever
    const blocked = budget.reserve(1, stop.signal);
    stop.abort();
    expect(await blocked).toBe(false);
    expect(budget.used).toBe(500);
  });
});
