/**
 * A resume (or an appended input) must still deliver every good row when the server refuses some rows
 * with 400 (found by an adversarial review). The checkpoint skips the good rows delivered before, so the rows a rerun sends
 * start with a long run of refused rows only (bad rows are never recorded): that run trips the
 * queue's 400 budget, and the good rows after it, batched with a refused one, fail whole with
 * "the API changed... upgrade" instead of being isolated by halving. The guide promises: "run the same
 * command again ... every other row is [sent]" and "Runs of bad calls among good ones ... every good
 * call is still delivered". The same input without a checkpoint delivers every good row.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliTestBed, countByUser, runCli, wireRow } from './support/cli.js';

const KEY = 'attack-key-resume-budget-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

const isBadIndex = (i: number): boolean => i % 4 === 3; // one row in four is refused by the server
const lines = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, k) => JSON.stringify(wireRow(from + k))).join('\n') + '\n';

describe('a rerun with the same checkpoint, against a server refusing one row in four', () => {
  it('delivers every good row of the rows appended since the first run', async () => {
    const s = await bed.server({ isBad: (call) => isBadIndex(Number(String(call.user_id).slice('usr_'.length))) });
    const file = bed.dir.file('budget.ndjson');
    const checkpoint = bed.dir.file('budget.ckpt');
    const args = ['import', file, '--base-url', s.url, '--checkpoint', checkpoint, '--batch-size', '4', '--concurrency', '1', '--json', '--quiet'];

    writeFileSync(file, lines(0, 600));
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(1); // the 150 refused rows failed
    expect(JSON.parse(first.stdout)).toMatchObject({ read: 600, sent: 450, failed: 150 });

    writeFileSync(file, lines(0, 800)); // 200 rows appended: 150 good, 50 refused
    const second = await runCli(args, { env });
    const summary = JSON.parse(second.stdout) as { skipped: number; sent: number; failed: number };
    expect(summary.skipped).toBe(450);
    // every good row appended is delivered; only the 200 refused rows of the file fail
    expect(summary.failed).toBe(200);
    expect(summary.sent).toBe(150);
    const delivered = countByUser(s.accepted);
    const good = Array.from({ length: 800 }, (_, i) => i).filter((i) => !isBadIndex(i));
    expect(good.filter((i) => !delivered.has(`usr_${i}`))).toEqual([]);
  }, 120_000);

  it('(control) the same 800 rows in one run without a checkpoint: every good row is delivered', async () => {
    const s = await bed.server({ isBad: (call) => isBadIndex(Number(String(call.user_id).slice('usr_'.length))) });
    const file = bed.dir.file('control.ndjson');
    writeFileSync(file, lines(0, 800));
    const result = await runCli(['import', file, '--base-url', s.url, '--batch-size', '4', '--concurrency', '1', '--json', '--quiet'], { env });
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 800, sent: 600, failed: 200 });
  }, 120_000);
});
