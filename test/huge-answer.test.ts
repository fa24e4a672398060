/**
 * Bounded answers: a 400 MB answer, on a 200 and on a 500, is read only up to the cap and the rest
 * is cancelled, so the client process grows by far less than 50 MB. Measured in a child process (a
 * clean heap), with generous margins; no timing.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';
import { startHostileServer, type HostileServer } from './support/hostile-server.js';

const HUGE = 400 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
let server: HostileServer;
const written: number[] = [];

beforeAll(async () => {
  server = await startHostileServer(async (res, _seen, index) => {
    if (index === 0) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"success":true,"eventId":"evt_warm"}');
    }
    // 1: a 200 with a content-length; 2: a 500, chunked (no length announced)
    const ok = index === 1;
    res.writeHead(ok ? 200 : 500, ok ? { 'content-type': 'application/json', 'content-length': String(HUGE) } : { 'content-type': 'text/plain' });
    let sent = 0;
    written[index] = 0;
    if (!ok) {
      const head = Buffer.from('{"success":false,"message":"the first part of a huge answer ');
      res.write(head);
      sent += head.length;
    }
    while (sent < HUGE && !res.destroyed) {
      const more = res.write(CHUNK.subarray(0, Math.min(CHUNK.length, HUGE - sent)));
      sent += Math.min(CHUNK.length, HUGE - sent);
      written[index] = sent;
      if (!more) await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    if (!res.destroyed) res.end();
  });
});
afterAll(async () => {
  await server?.stop();
});

function runChild(url: string, count: number): Promise<{ baseline: number; peak: number; results: Array<{ name: string; message: string }> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/support/huge-answer-child.ts', url, String(count)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('close', (code) => {
      try {
        if (code !== 0) throw new Error(`child exited ${code}: ${err}`);
        resolve(JSON.parse(out));
      } catch (error) {
        reject(error);
      }
    });
  });
}

describe('a 400 MB answer', () => {
  it('on a 200 and on a 500: RSS grows by under 50 MB, the rest is never read', async () => {
    const { baseline, peak, results } = await runChild(server.url, 2);
    expect(results[0]!.name).toBe('UnexpectedResponseError');
    expect(results[0]!.message).toMatch(/most likely accepted.*larger than 65536 bytes/s);
    expect(results[1]!.name).toBe('ServerError');
    expect(results[1]!.message).toContain('the first part of a huge answer');
    expect(results[1]!.message.length).toBeLessThan(800);
    const grewMb = (peak - baseline) / 1024 / 1024;
    if (process.env.THRIVESTACK_TEST_VERBOSE) console.log(`RSS growth ${grewMb.toFixed(1)} MB; server wrote ${written[1]} and ${written[2]} bytes`);
    expect(grewMb).toBeLessThan(50);
    // the server was stopped long before the end (socket buffers hold a few MB at most)
    expect(written[1]).toBeLessThan(HUGE / 4);
    expect(written[2]).toBeLessThan(HUGE / 4);
  }, 120_000);
});
