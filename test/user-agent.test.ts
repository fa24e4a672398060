/**
 * The User-Agent: `thrivestack-group/<version> (<runtime> <version>; <os> <arch>)` from package.json
 * (through the generated src/generated/version.ts), on Node, Deno and Bun; none in a browser; a
 * caller's own User-Agent kept.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThriveStack } from '../src/index.js';
import { userAgent } from '../src/user-agent.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/generated/version.js';
import { sendAccepted, startHostileServer, type HostileServer } from './support/hostile-server.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
let server: HostileServer;
beforeAll(async () => {
  server = await startHostileServer((res, _seen, index) => sendAccepted(res, `evt_${index}`));
});
afterAll(async () => {
  await server?.stop();
});

describe('User-Agent', () => {
  it('names the package and version from package.json, the runtime and the platform', async () => {
    await new ThriveStack({ apiKey: 'k', baseUrl: server.url }).group({ groupId: 'g', userId: 'u' });
    const sent = server.seen.at(-1)!.headers['user-agent'];
    expect(sent).toBe(`${pkg.name}/${pkg.version} (node ${process.versions.node}; ${process.platform} ${process.arch})`);
    expect(`${PACKAGE_NAME}/${PACKAGE_VERSION}`).toBe(`${pkg.name}/${pkg.version}`);
  });

  it("keeps the caller's own User-Agent", async () => {
    await new ThriveStack({ apiKey: 'k', baseUrl: server.url, defaultHeaders: { 'User-Agent': 'my-app/2' } }).group({ groupId: 'g', userId: 'u' });
    expect(server.seen.at(-1)!.headers['user-agent']).toBe('my-app/2');
  });

  it('Deno and Bun are named as such', () => {
    const name = `${pkg.name}/${pkg.version}`;
    expect(userAgent({ Deno: { version: { deno: '2.1.4' }, build: { os: 'linux', arch: 'x86_64' } }, process: { versions: { node: '22.0.0' } } })).toBe(
      `${name} (deno 2.1.4; linux x86_64)`,
    );
    expect(userAgent({ Bun: { version: '1.1.30' }, process: { versions: { node: '22.6.0' }, platform: 'darwin', arch: 'arm64' } })).toBe(
      `${name} (bun 1.1.30; darwin arm64)`,
    );
  });

  it('none in a browser (a forbidden header there; it would widen the CORS preflight), none in an unknown runtime', () => {
    expect(userAgent({ window: {}, document: {} })).toBeUndefined();
    expect(userAgent({ window: {}, document: {}, process: { versions: { node: '20.0.0' } } })).toBeUndefined();
    expect(userAgent({})).toBeUndefined();
  });
});
