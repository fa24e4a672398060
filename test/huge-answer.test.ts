/**
 * Bounded answers: a 400 MB answer, on a 200 and on a 500, is read only up to the cap and the rest
 * is cancelled, so the client process grows by far less than 50 MB. Measured in a child process (a
 * clean heap), with generous margins; no timing.
 */
import { spawn } from 'node:child_process';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';
import { startHostileServer, type HostileServer } from './support/hostile-server.js';

const HUGE = 400 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
let server: HostileServer;
const written: number[] = [];
// 60 MB of JSON-looking text gzipped to under 64 KiB: an announced length small enough to be
// trusted, were the compression not noticed
const BOMB = 60 * 1024 * 1024;
let bomb: Buffer;

/** Gzips `size` bytes of a 200 body's text, chunk by chunk (never the whole text in memory). */
async function gzipBomb(size: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => gzip.once('end', resolve));
  gzip.write('{"success":true,"eventId":"');
  for (let sent = 0; sent < size; sent += CHUNK.length) if (!gzip.write(CHUNK)) await new Promise((resolve) => gzip.once('drain', resolve));
  gzip.end('"}');
  await done;
  return Buffer.concat(out);
}

beforeAll(async () => {
  bomb = await gzipBomb(BOMB);
  expect(bomb.length).toBeLessThan(64 * 1024);
  server = await startHostileServer(async (res, _seen, index) => {
    if (index === 0) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"success":true,"eventId":"evt_warm"}');
    }
    if (index === 3) {
      // a gzip bomb: a small announced length, 60 MB once decompressed by fetch
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      return void res.end(bomb);
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
        // whichever comes first removes the other listener: one pair per wait, not one more each time
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
    if (!res.destroyed) res.end();
  });
}, 120_000);
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

describe('a 400 MB answer, and a gzip bomb', () => {
  it('on a 200, on a 500, and 60 MB gzipped into 60 kB: RSS grows by under 50 MB, the rest is never read', async () => {
    const { baseline, peak, results } = await runChild(server.url, 3);
    expect(results[0]!.name).toBe('UnexpectedResponseError');
    expect(results[0]!.message).toMatch(/most likely accepted.*larger than 65536 bytes/s);
    expect(results[1]!.name).toBe('ServerError');
    expect(results[1]!.message).toContain('the first part of a huge answer');
    expect(results[1]!.message.length).toBeLessThan(800);
    expect(results[2]!.name).toBe('UnexpectedResponseError'); // the gzip bomb: cut once decompressed
    expect(results[2]!.message).toMatch(/larger than 65536 bytes/);
    const grewMb = (peak - baseline) / 1024 / 1024;
    if (process.env.THRIVESTACK_TEST_VERBOSE) console.log(`RSS growth ${grewMb.toFixed(1)} MB; server wrote ${written[1]} and ${written[2]} bytes`);
    expect(grewMb).toBeLessThan(50);
    // the server was stopped long before the end (socket buffers hold a few MB at most)
    expect(written[1]).toBeLessThan(HUGE / 4);
    expect(written[2]).toBeLessThan(HUGE / 4);
  }, 180_000);
});
