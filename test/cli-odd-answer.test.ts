/**
 * `thrivestack import` when the address answers 2xx without the documented body (a web front end
 * answering 200 HTML, a proxy, a malformed answer): those rows are failed, never acknowledged, never
 * checkpointed, and listed in the rejects file with a reason that says to check --base-url.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoint } from '../src/cli/checkpoint.js';
import { startFaultServer, type FaultServer } from './support/fault-server.js';
import { listenOnLoopback } from './support/listen.js';
import { runCli, tempDir, wireRow, writeLines } from './support/cli.js';

const KEY = 'test-key-cli-odd-answer';
const FAST = ['--min-retry-delay', '5', '--max-retry-delay', '40'];
let dir: Awaited<ReturnType<typeof tempDir>>;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await dir?.remove();
});

describe('a 2xx without the documented body', () => {
  it('a web front end answering 200 HTML: no row is acknowledged or checkpointed, the import stops and says to check the address', async () => {
    let requests = 0;
    const site = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><body>Welcome</body></html>');
      });
    });
    const { url, close } = await listenOnLoopback(site);
    stops.push(close);
    const path = dir.file('front-end.ndjson');
    await writeLines(path, 200, (i) => JSON.stringify(wireRow(i)));
    const checkpoint = dir.file('front-end.checkpoint');
    const rejects = dir.file('front-end.rejects.ndjson');
    const result = await runCli(
      ['import', path, '--base-url', url, '--batch-size', '10', '--concurrency', '1', '--checkpoint', checkpoint, '--rejects', rejects, '--json', ...FAST],
      { env: { THRIVESTACK_API_KEY: KEY } },
    );
    expect(result.code, result.stderr).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ sent: 0, outcome: 'aborted', exitCode: 1 });
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary.error).toMatch(/answered 200 \(the calls were most likely accepted\).*check --base-url/);
    expect(requests).toBeLessThan(200 / 10); // it stopped early: not every batch went to the wrong address
    expect(Checkpoint.load(checkpoint).previousRows).toBe(0);
    const written = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string });
    // the failed rows, then the rows the stop left unsent (so rejects + the rest of the input cover every row)
    expect(written).toHaveLength(summary.failed + (summary.abandoned ?? 0) + (summary.unsent ?? 0));
    expect(written.filter((w) => /most likely accepted.*Do not resend blindly/.test(w.reason))).toHaveLength(summary.failed);
  }, 30_000);

  it('one malformed 200 among good answers: its rows fail and stay out of the checkpoint; a rerun sends exactly them', async () => {
    const s: FaultServer = await startFaultServer({ apiKey: KEY, plan: ({ index }) => (index === 2 ? { type: 'malformed' } : { type: 'ok' }) });
    stops.push(() => s.stop());
    const path = dir.file('one-odd.ndjson');
    await writeLines(path, 100, (i) => JSON.stringify(wireRow(i)));
    const checkpoint = dir.file('one-odd.checkpoint');
    const args = ['import', path, '--base-url', s.url, '--batch-size', '10', '--concurrency', '1', '--checkpoint', checkpoint, '--json', ...FAST];
    const first = await runCli(args, { env: { THRIVESTACK_API_KEY: KEY } });
    expect(first.code, first.stderr).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ read: 100, sent: 90, failed: 10, outcome: 'failed' });
    expect(first.stderr).toMatch(/line \d+: failed: ThriveStack answered 200 \(the calls were most likely accepted\)/);
    expect(Checkpoint.load(checkpoint).previousRows).toBe(90);
    const oddBatch = s.log[2]!.ids;

    const second = await runCli(args, { env: { THRIVESTACK_API_KEY: KEY } });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ read: 100, skipped: 90, sent: 10, failed: 0, outcome: 'complete' });
    expect(s.log.at(-1)!.ids).toEqual(oddBatch);
  }, 30_000);
});
