/**
 * Attack: the reader of the command's output goes away (`thrivestack import ... 2>&1 | head`, a
 * `tee` or an ssh session that dies). Writes to the closed pipe fail with EPIPE, emitted as an
 * 'error' event nobody listened to: the import crashed mid-run with Node's stack trace, sent nothing
 * more, printed no summary and left its lock behind; with stdout closed, a run that delivered every
 * row exited 1 with a stack trace. An import should finish (or stop cleanly), whatever happens to its
 * progress lines. Now the command listens for errors on both streams and carries on (`io.ts`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliTestBed, spawnCli, waitFor } from './support/cli.js';

const KEY = 'attack-key-closed-output-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

describe('the reader of stderr goes away', () => {
  it('the import still delivers every valid row and releases its lock', async () => {
    const s = await bed.server();
    const input = bed.dir.file('mixed.ndjson');
    // every other row is rejected: a line on stderr for each
    writeFileSync(input, Array.from({ length: 3_000 }, (_, i) => (i % 2 ? JSON.stringify({ group_id: 'g', user_id: `u${i}` }) : `bad ${i}`)).join('\n') + '\n');
    const checkpoint = bed.dir.file('mixed.ckpt');
    const child = spawnCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint], { env });
    await waitFor(() => child.stderrText().length > 0, 30_000, 'the first line on stderr');
    child.stderr!.destroy(); // the reader is gone: the next writes fail with EPIPE
    const result = await child.output;
    expect(s.acceptedCount()).toBe(1_500);
    expect(existsSync(`${checkpoint}.lock`)).toBe(false);
    expect(result.code).toBe(3);
  }, 60_000);
});

describe('the reader of stdout goes away', () => {
  it('a run that delivered every row still exits 0, with no stack trace', async () => {
    const s = await bed.server();
    const input = bed.dir.file('valid.ndjson');
    writeFileSync(input, Array.from({ length: 200 }, (_, i) => JSON.stringify({ group_id: 'g', user_id: `u${i}` })).join('\n') + '\n');
    const child = spawnCli(['import', input, '--base-url', s.url, '--json', '--quiet'], { env });
    child.stdout!.destroy(); // before the summary is written: that write fails with EPIPE
    const result = await child.output;
    expect(s.acceptedCount()).toBe(200);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);
});
