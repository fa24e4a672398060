/**
 * Attack (a user behind a corporate proxy): HTTPS_PROXY names a proxy that refuses the tunnel with
 * 407 Proxy Authentication Required (no or wrong credentials in the URL). The command says "Could not
 * reach ThriveStack ...: fetch failed. Check the network and --base-url", which names neither the proxy
 * nor the 407: the advice is wrong (the network and --base-url are fine). Project rule: "Every failure
 * a user can hit is a typed error whose message says what to do." Now a failure through a proxy is
 * told in its terms (`proxy.ts`): the variable (never its value: it may hold a password), its answer,
 * and for a 407 where the user and password go.
 */
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

let proxyUrl = '';
const sockets = new Set<Socket>();
const proxy = createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {});
  socket.once('data', () => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'));
});
beforeAll(async () => {
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy.close(resolve));
});

describe('a proxy that refuses the tunnel with 407', () => {
  it('thrivestack group names the proxy variable and its 407, not --base-url', async () => {
    const result = await runCli(['group', '--group-id', 'acct_1', '--user-id', 'usr_1', '--max-retries', '0'], {
      env: { THRIVESTACK_API_KEY: 'attack-key-proxy-407-0123456789', HTTPS_PROXY: proxyUrl },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTTPS_PROXY/);
    expect(result.stderr).toMatch(/407/);
    expect(result.stderr).toMatch(/user and password/);
    expect(result.stderr).not.toMatch(/--base-url/);
    expect(result.stderr).not.toContain(proxyUrl);
  }, 60_000);
});
