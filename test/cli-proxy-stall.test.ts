/**
 * Attack: a proxy (HTTPS_PROXY) that accepts the connection and never answers the CONNECT. The attempt
 * times out (--timeout) and the command reports it, but then the process does not exit: undici's
 * tunnel request, never aborted, keeps the event loop alive until undici's own 300 s headers timeout.
 * The command line promises a per-attempt timeout and an exit status; a command that has printed its
 * result must exit. Now each command destroys the proxy's dispatcher when it ends (`proxy.ts`).
 * The 30 s bound is a liveness bound (the failure it catches lasts 300 s), not a timing assertion.
 */
import { createServer, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, tempDir, waitFor, type CliResult } from './support/cli.js';

const KEY = 'attack-key-proxy-stall-0123456789';
/** Far below undici's 300 s, far above what a finished command needs to exit on a loaded machine. */
const EXIT_WITHIN_MS = 30_000;

let proxyUrl = '';
const sockets = new Set<Socket>();
const proxy = createServer((socket) => {
  sockets.add(socket); // reads the CONNECT, never answers
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {});
});
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  dir = await tempDir();
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy.close(resolve));
  await dir.remove();
});

async function exitsAfterReporting(args: string[], reported: RegExp): Promise<CliResult | 'still running'> {
  const child = spawnCli(args, { env: { THRIVESTACK_API_KEY: KEY, HTTPS_PROXY: proxyUrl } });
  await waitFor(() => reported.test(child.stderrText()), 60_000, 'the timeout to be reported');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    child.output,
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), EXIT_WITHIN_MS))),
  ]);
  clearTimeout(timer);
  if (outcome === 'still running') {
    child.kill('SIGKILL');
    await child.output;
  }
  return outcome;
}

describe('a proxy that never answers CONNECT', () => {
  it('thrivestack group reports the timeout and exits 1', async () => {
    const outcome = await exitsAfterReporting(
      ['group', '--group-id', 'acct_1', '--user-id', 'usr_1', '--timeout', '500', '--max-retries', '0'],
      /did not answer within 500 ms/,
    );
    expect(outcome).not.toBe('still running');
    expect((outcome as CliResult).code).toBe(1);
  }, 120_000);

  it('thrivestack import prints its summary and exits 1', async () => {
    const input = dir.file('one.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\n');
    const outcome = await exitsAfterReporting(['import', input, '--timeout', '500', '--max-retries', '0', '--quiet'], /did not answer within 500 ms/);
    expect(outcome).not.toBe('still running');
    expect((outcome as CliResult).code).toBe(1);
  }, 120_000);
});
