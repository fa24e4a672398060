/**
 * `thrivestack import` never skips, loses or destroys a row (issue 12): a content-keyed checkpoint
 * that no edit of the input can fool (stdin, in-place fixes, swapped rows), paths that must not
 * collide, nothing written before the header is checked, monstrous rows rejected with flat memory,
 * and 20 SIGKILLs at random moments losing nothing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, linkSync, openSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWithPeakRss } from '../bench/peak-rss.js';
import { seededRandom } from './support/fault-server.js';
import { cliTestBed, countByUser, CSV_HEADER, csvLine, ROOT, runCli, spawnCli, waitFor, wireRow, writeLines } from './support/cli.js';

const KEY = 'test-key-cli-safety';
const env = { THRIVESTACK_API_KEY: KEY };

const bed = cliTestBed(KEY);

const server = bed.server;

const ndjson = (from: number, count: number): string =>
  Array.from({ length: count }, (_, i) => JSON.stringify(wireRow(from + i))).join('\n') + '\n';

describe('a checkpoint keyed by content', () => {
  it('stdin: a second, different piped input with the same checkpoint has every row sent', async () => {
    const s = await server();
    const checkpoint = bed.dir.file('stdin.ckpt');
    const args = ['import', '-', '--format', 'ndjson', '--base-url', s.url, '--checkpoint', checkpoint, '--json', '--quiet'];
    const first = await runCli(args, { env, input: ndjson(0, 2_000) });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli(args, { env, input: ndjson(10_000, 2_000) });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ read: 2_000, sent: 2_000, skipped: 0 });
    // /dev/stdin (a shell pipe) works the same way
    const piped = bed.dir.file('piped.ndjson');
    await writeFile(piped, ndjson(20_000, 500));
    const command = `cat '${piped}' | '${process.execPath}' --import tsx src/cli/index.ts import /dev/stdin ${args.slice(2).map((a) => `'${a}'`).join(' ')}`;
    const third = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('sh', ['-c', command], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ sent: 500, skipped: 0 });
    // and the same input again is skipped row for row, without a duplicate
    const again = await runCli(args, { env, input: ndjson(10_000, 2_000) });
    expect(JSON.parse(again.stdout)).toMatchObject({ sent: 0, skipped: 2_000 });
    expect(countByUser(s.accepted).size).toBe(4_500);
    expect(s.accepted).toHaveLength(4_500);
  });

  it('a rejected row fixed in place (same length, past the first 64 KiB) is sent on the rerun', async () => {
    const s = await server();
    const file = bed.dir.file('fix.ndjson');
    const checkpoint = bed.dir.file('fix.ckpt');
    const rows = ndjson(0, 2_000).split('\n');
    const badAt = 1_500; // well past 64 KiB
    const good = rows[badAt]!;
    const bad = good.replace('"usr_1500"', '"usr_15XX"').replace('"employees":', '"employees":"x",  "_x":');
    // same length as the good row, invalid
    const sameLength = bad.length > good.length ? bad.slice(0, good.length - 1) + '}' : bad.padEnd(good.length, ' ');
    rows[badAt] = sameLength;
    await writeFile(file, rows.join('\n'));
    const args = ['import', file, '--base-url', s.url, '--checkpoint', checkpoint, '--json', '--quiet'];
    const first = await runCli(args, { env });
    expect(first.code).toBe(3);
    expect(JSON.parse(first.stdout)).toMatchObject({ rejected: 1, sent: 1_999 });
    rows[badAt] = good;
    await writeFile(file, rows.join('\n'));
    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ rejected: 0, sent: 1, skipped: 1_999 });
    expect(countByUser(s.accepted).get('usr_1500')).toBe(1);
    expect(s.accepted).toHaveLength(2_000);
  });

  it('a row deleted and another of the same length inserted earlier: the new row is sent, none twice', async () => {
    const s = await server();
    const file = bed.dir.file('swap.ndjson');
    const checkpoint = bed.dir.file('swap.ckpt');
    const rows = ndjson(0, 3_000).trim().split('\n');
    await writeFile(file, `${rows.join('\n')}\n`);
    const args = ['import', file, '--base-url', s.url, '--checkpoint', checkpoint, '--json', '--quiet'];
    expect((await runCli(args, { env })).code).toBe(0);
    const inserted = rows[2_500]!.replace('"usr_2500"', '"usr_9500"'); // same length
    expect(inserted.length).toBe(rows[2_500]!.length);
    rows.splice(2_800, 1); // delete usr_2800
    rows.splice(100, 0, inserted); // insert a new row earlier
    await writeFile(file, `${rows.join('\n')}\n`);
    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ read: 3_000, sent: 1, skipped: 2_999 });
    const counts = countByUser(s.accepted);
    expect(counts.get('usr_9500')).toBe(1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('paths that must not collide, nothing written before the header is checked', () => {
  it('--rejects naming the input (by path or hard link) or the checkpoint: exit 2, the input untouched, nothing sent', async () => {
    const s = await server();
    const file = bed.dir.file('keep.ndjson');
    await writeFile(file, ndjson(0, 100));
    const before = await readFile(file);
    linkSync(file, bed.dir.file('keep-link.ndjson'));
    const cases = [
      ['--rejects', file],
      ['--rejects', bed.dir.file('keep-link.ndjson')],
      ['--checkpoint', file],
      ['--checkpoint', bed.dir.file('same'), '--rejects', bed.dir.file('same')],
    ];
    for (const extra of cases) {
      const result = await runCli(['import', file, '--base-url', s.url, ...extra], { env });
      expect(result.code, extra.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/name the same file/);
    }
    expect(await readFile(file)).toEqual(before);
    expect(existsSync(bed.dir.file('same'))).toBe(false);
    expect(s.log).toHaveLength(0);
    // stdin redirected from the file --rejects names
    const viaStdin = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/index.ts'), 'import', '-', '--format', 'ndjson', '--dry-run', '--rejects', file], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: [openSync(file, 'r'), 'pipe', 'pipe'],
    });
    const [code] = (await once(viaStdin, 'close')) as [number];
    expect(code).toBe(2);
    expect(await readFile(file)).toEqual(before);
  });

  it('a header error writes no checkpoint and no rejects file; the fixed file is then accepted', async () => {
    const s = await server();
    const file = bed.dir.file('header.csv');
    const checkpoint = bed.dir.file('header.ckpt');
    const rejects = bed.dir.file('header.rejects.csv');
    await writeLines(file, 50, csvLine, CSV_HEADER.replace('user_id', 'userid'));
    const args = ['import', file, '--base-url', s.url, '--checkpoint', checkpoint, '--rejects', rejects];
    const broken = await runCli(args, { env });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/no user_id column/);
    expect(existsSync(checkpoint)).toBe(false);
    expect(existsSync(rejects)).toBe(false);
    await writeLines(file, 50, csvLine, CSV_HEADER);
    const fixed = await runCli(args, { env });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(s.accepted).toHaveLength(50);
  });

  it('warns before the line and reason columns of a rejects file become traits', async () => {
    const file = bed.dir.file('from-rejects.csv');
    await writeLines(file, 3, (i) => `${i + 2},some reason,${csvLine(i)}`, `line,reason,${CSV_HEADER}`);
    const result = await runCli(['import', file, '--dry-run'], { env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/the columns "line" and "reason" look like a rejects file's; they will be sent as traits/);
  });
});

/** Runs the CLI with a probe that prints the process's peak RSS as it exits. */
async function runMeasured(args: string[]): Promise<{ code: number; stdout: string; stderr: string; peakMB: number }> {
  const run = await runWithPeakRss(join(ROOT, 'src/cli/index.ts'), args, {
    nodeArgs: ['--import', 'tsx'],
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', ...env },
  });
  return { code: run.code, stdout: run.stdout, stderr: run.stderr, peakMB: run.peakKb / 1024 };
}


describe('monstrous rows are rejected, not fatal', () => {
  const HUGE = 100 * 1024 * 1024;

  it.each(['ndjson', 'csv'] as const)('%s: the good rows around a 100 MB row (NDJSON: and a 20,000-deep row) all arrive; peak RSS under 300 MB', async (format) => {
    const s = await server({ keepCalls: true });
    const file = bed.dir.file(`monster.${format}`);
    const rejects = bed.dir.file(`monster.rejects.${format}`);
    const out = createWriteStream(file);
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, 'drain');
    };
    const good = 1_000;
    if (format === 'csv') await write(`${CSV_HEADER}\n`);
    for (let i = 0; i < good; i++) await write(`${format === 'csv' ? csvLine(i) : JSON.stringify(wireRow(i))}\n`);
    // a 100 MB row, written in pieces
    const piece = 'a'.repeat(1024 * 1024);
    if (format === 'csv') await write('acct_huge,usr_huge,"');
    else await write('{"group_id":"acct_huge","user_id":"usr_huge","traits":{"notes":"');
    for (let written = 0; written < HUGE; written += piece.length) await write(piece);
    await write(format === 'csv' ? '",1,free,r1,dev,product,2024-01-01T00:00:00.000Z\n' : '"}}\n');
    if (format === 'ndjson') await write(`{"group_id":"g","user_id":"usr_deep","traits":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}\n`);
    for (let i = good; i < 2 * good; i++) await write(`${format === 'csv' ? csvLine(i) : JSON.stringify(wireRow(i))}\n`);
    out.end();
    await once(out, 'close');

    const result = await runMeasured(['import', file, '--base-url', s.url, '--rejects', rejects, '--json', '--quiet']);
    expect(result.code, result.stderr.slice(0, 2_000)).toBe(3);
    const summary = JSON.parse(result.stdout);
    const rejected = format === 'ndjson' ? 2 : 1;
    expect(summary).toMatchObject({ sent: 2 * good, rejected, failed: 0 });
    expect(countByUser(s.accepted).size).toBe(2 * good);
    expect(result.peakMB).toBeLessThan(300);
    console.log(`${format}: file ${((await stat(file)).size / 1e6).toFixed(0)} MB, peak RSS ${result.peakMB.toFixed(0)} MB`);
    // the rejects file names the line and size, and holds only a bounded prefix
    const { size } = await stat(rejects);
    expect(size).toBeLessThan(100 * 1024);
    const text = await readFile(rejects, 'utf8');
    const hugeLine = format === 'csv' ? good + 2 : good + 1;
    expect(text).toContain(format === 'csv' ? `${hugeLine},"row is 104,857,` : `{"line":${hugeLine},"reason":"row is 104,857,`);
    if (format === 'ndjson') expect(text).toMatch(new RegExp(`"line":${good + 2},"reason":"nests more than 100 levels deep`));
  }, 180_000);
});

describe('kill -9 at random moments', () => {
  it('20 SIGKILLs on a 20,000-row import: 0 rows lost, duplicates within 2 × concurrency × batch-size per kill', async () => {
    const rows = 20_000;
    const kills = 20;
    const batchSize = 100;
    const concurrency = 4;
    const bound = concurrency * batchSize + Math.max(concurrency * batchSize, 100); // as documented
    const random = seededRandom(2026);
    const s = await server({ plan: () => (random() < 0.5 ? { type: 'slow', delayMs: 1 + Math.floor(random() * 30) } : { type: 'ok' }) });
    const file = bed.dir.file('kills.ndjson');
    const checkpoint = bed.dir.file('kills.ckpt');
    await writeLines(file, rows, (i) => JSON.stringify(wireRow(i)));
    const args = ['import', file, '--base-url', s.url, '--checkpoint', checkpoint, '--batch-size', String(batchSize), '--concurrency', String(concurrency), '--json', '--quiet'];

    let killed = 0;
    let runs = 0;
    const resentPerRun: number[] = [];
    for (; killed < kills && runs < kills * 2; runs++) {
      const before = new Set(s.accepted.map((c) => c.user_id as string));
      const startAt = s.accepted.length;
      const child = spawnCli(args, { env });
      // a random moment: from before the first request (target 0) to ~800 rows into this run
      const target = startAt + Math.floor(random() * 800);
      await Promise.race([waitFor(() => s.accepted.length >= target, 60_000, 'rows to arrive').catch(() => {}), child.output]);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 30)));
      child.kill('SIGKILL');
      const result = await child.output;
      // rows this run sent that earlier runs had delivered already: what the previous kill cost
      resentPerRun.push(s.accepted.slice(startAt).filter((c) => before.has(c.user_id as string)).length);
      if (result.signal === 'SIGKILL') killed++;
      else break; // finished before the kill
    }
    expect(killed).toBe(kills);
    const final = await runCli(args, { env });
    expect(final.code, final.stderr).toBe(0);
    const counts = countByUser(s.accepted);
    expect(counts.size).toBe(rows); // 0 rows lost
    const duplicates = s.accepted.length - rows;
    for (const resent of resentPerRun) expect(resent).toBeLessThanOrEqual(bound);
    expect(duplicates).toBeLessThanOrEqual(killed * bound);
    console.log(`kill test: ${killed} SIGKILLs over ${runs + 1} runs, ${duplicates} duplicate deliveries (bound ${killed * bound})`);
  }, 600_000);
});
