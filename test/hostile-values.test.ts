/**
 * Values built to exhaust the process (issue 18): every one is a ValidationError, in bounded time and
 * memory, never "JavaScript heap out of memory" or a raw RangeError. Each case runs in a child process
 * whose peak RSS is measured (bench/peak-rss.ts); the bounds are generous, the failures they catch are
 * not (before: 225 MB for one DAG call, a heap crash for 100, 1.25 GB and a RangeError for the string).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWithPeakRss } from '../bench/peak-rss.js';
import { ROOT } from './support/cli.js';

async function run(which: string): Promise<{ outcome: { thrown: string | null; issues?: Array<{ path: string; message: string }> }; peakMB: number }> {
  const child = await runWithPeakRss(join(ROOT, 'test/fixtures/hostile-values-child.ts'), [which], {
    nodeArgs: ['--import', 'tsx', '--max-old-space-size=1024'],
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1' },
  });
  expect(child.code, child.stderr.slice(0, 2_000)).toBe(0);
  return { outcome: JSON.parse(child.stdout.trim().split('\n').pop()!), peakMB: child.peakKb / 1024 };
}

describe('values that would exhaust the process are refused within what one request can carry', () => {
  it('a DAG of shared references (40 levels, no cycle) in each of 100 calls of one group(): one ValidationError, bounded memory', async () => {
    const { outcome, peakMB } = await run('dag-group');
    expect(outcome.thrown).toBe('ValidationError');
    expect(outcome.issues!.some((i) => /more than 2,000,000 bytes/.test(i.message))).toBe(true);
    expect(peakMB).toBeLessThan(400);
  }, 60_000);

  it('the same DAG in one enqueue(): a ValidationError naming the trait', async () => {
    const { outcome, peakMB } = await run('dag-enqueue');
    expect(outcome.thrown).toBe('ValidationError');
    expect(outcome.issues).toEqual([{ path: 'call.traits.shape', message: expect.stringMatching(/^holds more than 2,000,000 bytes of JSON/) }]);
    expect(peakMB).toBeLessThan(400);
  }, 60_000);

  it.each(['string-group', 'string-enqueue'])('one 1.9 MB string referenced by 300 traits (%s): a ValidationError naming the traits, never a RangeError', async (which) => {
    const { outcome, peakMB } = await run(which);
    expect(outcome.thrown).toBe('ValidationError');
    // the reading stops once the traits pass what a request can carry: 2 of the 300 are read, not 300
    expect(outcome.issues).toEqual([{ path: 'call.traits', message: expect.stringMatching(/^holds more than 2,000,000 bytes of JSON/) }]);
    expect(peakMB).toBeLessThan(400);
  }, 60_000);
});
