/**
 * `thrivestack group` inherits the client's refusal to follow redirects: against a server answering
 * 301/302/303/307/308 to another origin (a second local server that would accept anything), the
 * command fails (exit 1), prints no eventId, names the redirect, and the other origin sees nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { sendAccepted, startHostileServer, type HostileServer } from './support/hostile-server.js';

const KEY = 'tsk_cli_redirect_CANARY_9e21';
let other: HostileServer;
const apis = new Map<number, HostileServer>();

beforeAll(async () => {
  other = await startHostileServer((res, _seen, index) => sendAccepted(res, `evt_other_${index}`));
  for (const status of [301, 302, 303, 307, 308]) {
    apis.set(
      status,
      await startHostileServer((res) => {
        res.writeHead(status, { location: `${other.url}/api/group` });
        res.end();
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all([other?.stop(), ...[...apis.values()].map((s) => s.stop())]);
});

describe('thrivestack group against a redirecting server', () => {
  it.each([301, 302, 303, 307, 308])('%i: exit 1, no eventId, nothing sent to the other origin', async (status) => {
    const api = apis.get(status)!;
    const result = await runCli(['group', '--group-id', 'acct_42', '--user-id', 'usr_7', '--base-url', api.url], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).not.toMatch(/evt_other/);
    expect(result.stderr).toContain(`redirect to ${other.url}`);
    expect(result.stderr).not.toContain(KEY);
    expect(api.seen).toHaveLength(1); // never retried
    expect(other.seen).toEqual([]);
  });
});
