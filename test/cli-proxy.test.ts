/**
 * The command line honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (undici's EnvHttpProxyAgent): each
 * request really goes through a small forward proxy on 127.0.0.1 (which counts what it carried), or
 * bypasses it when NO_PROXY names the host.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy } from './support/forward-proxy.js';
import { sendJson, startHostileServer, type HostileServer } from './support/hostile-server.js';
import { ROOT, runCli, tempDir, wireRow } from './support/cli.js';

const KEY = 'test-key-cli-proxy-0123456789';
// warnings shown (NODE_NO_WARNINGS=0): undici's "experimental" warning must not reach the user
const env = { THRIVESTACK_API_KEY: KEY, NODE_NO_WARNINGS: '0', NODE_EXTRA_CA_CERTS: join(ROOT, 'test/fixtures/tls/localhost-cert.pem') };
const base = ['group', '--group-id', 'acct_42', '--user-id', 'usr_7', '--max-retries', '0'];

let proxy: ForwardProxy;
let api: HostileServer;
let tlsApi: HostileServer;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  proxy = await startForwardProxy();
  const answer = (res: Parameters<Parameters<typeof startHostileServer>[0]>[0], seen: { body: string }) =>
    sendJson(res, 200, { success: true, eventId: `evt_${(JSON.parse(seen.body) as unknown[]).length}` });
  api = await startHostileServer(answer);
  tlsApi = await startHostileServer(answer, { tls: true });
  dir = await tempDir();
});
afterAll(async () => {
  await proxy?.stop();
  await api?.stop();
  await tlsApi?.stop();
  await dir?.remove();
});

const hostOf = (url: string) => new URL(url).host;

describe('thrivestack group through a proxy', () => {
  it('HTTPS_PROXY carries an https:// request (a CONNECT tunnel to the API)', async () => {
    const before = { tunnels: proxy.tunnels.length, seen: tlsApi.seen.length };
    const result = await runCli([...base, '--base-url', tlsApi.url], { env: { ...env, HTTPS_PROXY: proxy.url } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('evt_1\n');
    expect(result.stderr).toBe(''); // no warning
    expect(proxy.tunnels.slice(before.tunnels)).toEqual([hostOf(tlsApi.url)]);
    expect(tlsApi.seen.length).toBe(before.seen + 1);
  });

  it('HTTP_PROXY carries an http:// request (a loopback mock); HTTPS_PROXY alone does not', async () => {
    let before = proxy.count();
    const result = await runCli([...base, '--base-url', api.url], { env: { ...env, HTTP_PROXY: proxy.url } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(proxy.count()).toBe(before + 1);
    expect([...proxy.tunnels, ...proxy.forwarded].at(-1)).toContain(hostOf(api.url));
    before = proxy.count();
    const direct = await runCli([...base, '--base-url', api.url], { env: { ...env, HTTPS_PROXY: proxy.url } });
    expect(direct.code, direct.stderr).toBe(0);
    expect(proxy.count()).toBe(before);
  });

  it('NO_PROXY names hosts reached directly', async () => {
    const before = { proxied: proxy.count(), seen: tlsApi.seen.length };
    const result = await runCli([...base, '--base-url', tlsApi.url], {
      env: { ...env, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(proxy.count()).toBe(before.proxied);
    expect(tlsApi.seen.length).toBe(before.seen + 1);
  });

  it('a proxy variable that is not a URL is a usage error that does not show its value', async () => {
    const result = await runCli([...base, '--base-url', api.url], { env: { ...env, https_proxy: 'user:s3cret@proxy' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^thrivestack group: https_proxy must be a proxy URL/);
    expect(result.stderr).not.toContain('s3cret');
  });

  it('a proxy that is down is a connection failure (exit 1), not a silent direct request', async () => {
    const before = api.seen.length;
    const result = await runCli([...base, '--base-url', api.url], { env: { ...env, HTTP_PROXY: 'http://127.0.0.1:9' } });
    expect(result.code).toBe(1);
    expect(api.seen.length).toBe(before);
  });
});

describe('thrivestack import through a proxy', () => {
  it('every batch goes through HTTPS_PROXY', async () => {
    const input = dir.file('proxied.ndjson');
    writeFileSync(input, Array.from({ length: 30 }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n');
    const before = { tunnels: proxy.tunnels.length, seen: tlsApi.seen.length };
    const result = await runCli(['import', input, '--base-url', tlsApi.url, '--batch-size', '10', '--concurrency', '1', '--json', '--quiet'], {
      env: { ...env, HTTPS_PROXY: proxy.url },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 30, sent: 30 });
    expect(tlsApi.seen.length).toBe(before.seen + 3);
    // one tunnel per connection (kept alive between requests): at least one, none direct
    expect(proxy.tunnels.length).toBeGreaterThan(before.tunnels);
    expect(new Set(proxy.tunnels.slice(before.tunnels))).toEqual(new Set([hostOf(tlsApi.url)]));
  });
});
