/**
 * Attack: one checkpoint named two ways (a symbolic link to it, or a hard link). The lock was
 * `<the path as given>.lock`, so an import through `link.ckpt` and one through `real.ckpt` held two
 * different locks and ran at once on one checkpoint: every row was sent twice. And the checkpoint was
 * rewritten by a rename onto the path as given, which replaced the link itself: the real checkpoint
 * never learnt the rows acknowledged through the link, and the next run by its real name sent them
 * again (duplicates with no kill at all). The guide: "Only one import at a time uses a checkpoint: ...
 * a second one exits 2 before sending anything"; "Rows ThriveStack acknowledged are not sent again".
 * Now a symbolic link is followed to the real file (one lock, the link left a link), and a checkpoint
 * with more than one hard link is refused by every name (exit 2, nothing sent): hard links have no
 * real name to share one lock, and the atomic rewrite would split them into two files.
 */
import { existsSync, lstatSync, linkSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliTestBed, countByUser, runCli, spawnCli, waitFor, wireRow } from './support/cli.js';

const KEY = 'attack-key-checkpoint-link-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

const rows = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, k) => JSON.stringify(wireRow(from + k))).join('\n') + '\n';

describe('a checkpoint reached through a link', () => {
  it('sequential runs, through a symbolic link and then by the real name: no row is sent twice', async () => {
    const s = await bed.server();
    const input = bed.dir.file('seq.ndjson');
    const real = bed.dir.file('seq-real.ckpt');
    const link = bed.dir.file('seq-link.ckpt');
    const run = (checkpoint: string) => runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet', '--json'], { env });

    writeFileSync(input, rows(0, 50));
    expect((await run(real)).code).toBe(0);
    symlinkSync(real, link);
    writeFileSync(input, rows(0, 80)); // 30 rows appended
    const throughLink = await run(link);
    expect(throughLink.code, throughLink.stderr).toBe(0);
    const again = await run(real);
    expect(again.code, again.stderr).toBe(0);

    expect(JSON.parse(again.stdout)).toMatchObject({ read: 80, skipped: 80, sent: 0 });
    expect(s.accepted.length).toBe(80); // every row exactly once
    expect(lstatSync(link).isSymbolicLink()).toBe(true); // the user's link is left as it was
  }, 60_000);

  it('two imports at once, by the real name and through a symbolic link: the second exits 2, no row sent twice', async () => {
    const s = await bed.server({ plan: () => ({ type: 'slow', delayMs: 1_500 }) });
    const input = bed.dir.file('symbolic.ndjson');
    const real = bed.dir.file('symbolic-real.ckpt');
    const link = bed.dir.file('symbolic-link.ckpt');
    writeFileSync(input, rows(0, 20));
    symlinkSync(real, link); // dangling until the first import creates the checkpoint
    const args = (checkpoint: string) => ['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--batch-size', '2', '--concurrency', '1', '--quiet', '--json'];

    const first = spawnCli(args(real), { env });
    await waitFor(() => existsSync(`${real}.lock`) && s.log.length > 0, 60_000, 'the first import to hold its lock and send');
    const second = await runCli(args(link), { env });
    const firstResult = await first.output;
    expect(firstResult.code, firstResult.stderr).toBe(0);
    expect(second.code, second.stdout).toBe(2);
    expect(second.stderr).toMatch(/another import \(PID \d+/);
    expect(Math.max(...countByUser(s.accepted).values())).toBe(1);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  }, 120_000);

  it('a checkpoint with a hard link: refused by either name (exit 2), nothing sent, the checkpoint left as it was', async () => {
    const s = await bed.server();
    const input = bed.dir.file('hard.ndjson');
    const real = bed.dir.file('hard-real.ckpt');
    const link = bed.dir.file('hard-link.ckpt');
    writeFileSync(input, rows(0, 20));
    const args = (checkpoint: string) => ['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet', '--json'];
    const made = await runCli(args(real), { env }); // the checkpoint exists (20 rows) so that a hard link can be made to it
    expect(made.code, made.stderr).toBe(0);
    linkSync(real, link);
    const before = readFileSync(real);
    writeFileSync(input, rows(0, 30));

    for (const name of [real, link]) {
      const result = await runCli(args(name), { env });
      expect(result.code, result.stdout).toBe(2);
      expect(result.stderr).toMatch(/has 2 hard links/);
    }
    expect(s.accepted.length).toBe(20); // only the first run's rows
    expect(readFileSync(real).equals(before)).toBe(true);
    expect(statSync(real).nlink).toBe(2); // neither name was replaced
    expect(existsSync(`${real}.lock`) || existsSync(`${link}.lock`)).toBe(false);
  }, 60_000);
});
