/**
 * The import's resend bound while a checkpoint write stalls longer than the queue honours a pause
 * (60 s): rows acknowledged but not yet in the checkpoint stay below `holdAt + concurrency ×
 * batch-size` however long the write takes, because the hold is `QueueThrottle.held` (no cap), not a
 * pause. The import runs in this process with its checkpoint writes stalled until the test lets them
 * go, ThriveStack answered by a stub `fetch`, and the clock faked: 61 s pass in an instant.
 */
import { fdatasync, write } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppendIO } from '../src/cli/checkpoint.js';
import { runImport } from '../src/cli/import.js';
import { checkpointRows, tempDir, wireRow } from './support/cli.js';

const realSetTimeout = globalThis.setTimeout;
const realSleep = (ms: number) => new Promise<void>((resolve) => realSetTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('a checkpoint write that stalls for more than 60 s', () => {
  it('keeps rows acknowledged but not in the checkpoint within holdAt + concurrency × batch-size; every row arrives once after', async () => {
    const dir = await tempDir();
    try {
      const rows = 3_000;
      const concurrency = 2;
      const batchSize = 50;
      const holdAt = Math.max(concurrency * batchSize, 100); // import.ts
      const bound = holdAt + concurrency * batchSize;
      const input = dir.file('stall.ndjson');
      writeFileSync(input, Array.from({ length: rows }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n');
      const checkpoint = dir.file('stall.ckpt');

      // ThriveStack: every request acknowledged at once; what it acknowledged is counted
      const acknowledged = new Map<string, number>();
      let inFlight = 0;
      vi.stubGlobal('fetch', async (request: Request) => {
        inFlight++;
        try {
          const calls = JSON.parse(await request.text()) as Array<{ user_id: string }>;
          for (const call of calls) acknowledged.set(call.user_id, (acknowledged.get(call.user_id) ?? 0) + 1);
          return Response.json({ success: true, eventId: 'evt_1' });
        } finally {
          inFlight--;
        }
      });
      const acked = () => [...acknowledged.values()].reduce((a, b) => a + b, 0);

      // the disk: writes go through, but no flush completes until the test lets it
      let letGo!: () => void;
      const stall = new Promise<void>((resolve) => (letGo = resolve));
      let stalled = false;
      const io: AppendIO = {
        write: promisify(write),
        datasync: async (fd) => {
          stalled = true;
          await stall;
          await promisify(fdatasync)(fd);
        },
      };

      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
      const out = new PassThrough();
      const err = new PassThrough();
      let stdout = '';
      let stderr = '';
      out.on('data', (c: Buffer) => (stdout += c));
      err.on('data', (c: Buffer) => (stderr += c));
      let code: number | undefined;
      const run = runImport(
        [input, '--base-url', 'http://127.0.0.1:9', '--checkpoint', checkpoint, '--concurrency', String(concurrency),
          '--batch-size', String(batchSize), '--timeout', '3600000', '--quiet', '--json'],
        { stdout: out, stderr: err, env: { THRIVESTACK_API_KEY: 'test-key-cli-stall-0123456789' } },
        { checkpointIO: io },
      ).then((c) => (code = c));

      /** Waits until nothing moves: no request in flight and the count unchanged over several looks. */
      const settle = async (): Promise<void> => {
        let still = 0;
        let last = -1;
        while (still < 5) {
          await realSleep(40);
          const now = acked();
          still = now === last && inFlight === 0 ? still + 1 : 0;
          last = now;
        }
      };

      // the hold engages once holdAt rows wait for the stalled write
      await settle();
      expect(stalled).toBe(true);
      expect(acked()).toBeGreaterThanOrEqual(holdAt);
      expect(acked()).toBeLessThanOrEqual(bound);
      // 61 s of stall (the queue gives up on a pause after 60 s): still held
      await vi.advanceTimersByTimeAsync(61_000);
      await settle();
      await vi.advanceTimersByTimeAsync(600_000);
      await settle();
      expect(acked(), 'rows acknowledged while no checkpoint write completed').toBeLessThanOrEqual(bound);
      expect(code).toBeUndefined(); // still waiting for the disk

      // the disk comes back: the import goes on and ends, every row acknowledged once
      letGo();
      while (code === undefined) {
        await vi.advanceTimersByTimeAsync(1_000);
        await realSleep(5);
      }
      vi.useRealTimers();
      await run;
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ read: rows, sent: rows, failed: 0 });
      expect(acknowledged.size).toBe(rows);
      expect(acked()).toBe(rows);
      expect(await checkpointRows(checkpoint)).toBe(rows);
    } finally {
      await dir.remove();
    }
  }, 120_000);
});
