/**
 * Logging: THRIVESTACK_LOG=debug makes a process print one line per attempt to stderr (method, URL,
 * status, attempt n of m, request id), never the key; a `logger` object receives lines at the level
 * chosen and none above it.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThriveStack } from '../src/index.js';
import { ROOT } from './support/cli.js';
import { sendJson, startHostileServer, type HostileServer } from './support/hostile-server.js';

const KEY = 'tsk_log_CANARY_3b9f';
let server: HostileServer;

beforeAll(async () => {
  // odd requests answer 503, even ones 200: every call is one retry then a success
  server = await startHostileServer((res, seen, index) => {
    const echo = { 'x-request-id': `req_${index}`, 'x-echo': String(seen.headers['x-api-key']) };
    if (index % 2 === 0) return sendJson(res, 503, { success: false, message: `busy, key ${seen.headers['x-api-key']}` }, { ...echo, 'retry-after-ms': '1' });
    sendJson(res, 200, { success: true, eventId: `evt_${index}` }, echo);
  });
});
afterAll(async () => {
  await server?.stop();
});

function runChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/log-child.ts', server.url, KEY], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('THRIVESTACK_LOG', () => {
  it('=debug prints each attempt to stderr: method, URL, status, attempt, request id; never the key', async () => {
    const { code, stdout, stderr } = await runChild({ THRIVESTACK_LOG: 'debug' });
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ success: true });
    expect(stderr).toMatch(new RegExp(`POST ${server.url}/api/group → 503 in \\d+ ms \\(attempt 1 of 4, request id req_\\d+`));
    expect(stderr).toMatch(new RegExp(`POST ${server.url}/api/group → 200 in \\d+ ms \\(attempt 2 of 4, request id req_\\d+`));
    expect(stderr).toMatch(/retrying in \d+ ms/);
    expect(stderr).not.toContain(KEY);
    expect(stdout).not.toContain('thrivestack:'); // log lines never go to stdout
  }, 30_000);

  it('unset (warn): a retried success prints nothing', async () => {
    const { code, stderr } = await runChild({});
    expect(code).toBe(0);
    expect(stderr).toBe('');
  }, 30_000);
});

describe('a logger object', () => {
  function capture() {
    const lines: Array<[string, string]> = [];
    const logger = {
      debug: (l: string) => lines.push(['debug', l]),
      info: (l: string) => lines.push(['info', l]),
      warn: (l: string) => lines.push(['warn', l]),
      error: (l: string) => lines.push(['error', l]),
    };
    return { lines, logger };
  }

  it('at debug: attempt lines (with the answer body, key redacted) and retry lines', async () => {
    const { lines, logger } = capture();
    await new ThriveStack({ apiKey: KEY, baseUrl: server.url, minRetryDelay: 1, logLevel: 'debug', logger }).group({ groupId: 'g', userId: 'u' });
    const debug = lines.filter(([level]) => level === 'debug').map(([, l]) => l);
    expect(debug).toHaveLength(2);
    expect(debug[0]).toMatch(/→ 503 .*; sent \[\{"group_id":"g","user_id":"u"\}\]; answered .*busy, key \[REDACTED\]/);
    expect(lines.some(([level, l]) => level === 'info' && /retrying in/.test(l))).toBe(true);
    expect(lines.map(([, l]) => l).join('\n')).not.toContain(KEY);
  });

  it('bodies in debug lines are cut', async () => {
    const { lines, logger } = capture();
    const calls = Array.from({ length: 200 }, (_, i) => ({ groupId: `g${i}`, userId: `u${i}`, traits: { plan: 'x'.repeat(50) } }));
    await new ThriveStack({ apiKey: KEY, baseUrl: server.url, minRetryDelay: 1, logLevel: 'debug', logger }).group(calls);
    const debug = lines.filter(([level]) => level === 'debug').map(([, l]) => l);
    expect(debug.length).toBeGreaterThan(0);
    for (const line of debug) {
      expect(line).toMatch(/; sent \[.{900,}… \(\d+ more characters\); answered /);
      expect(line.length).toBeLessThan(2_600);
    }
  });

  it('at info: the retry line, no attempt lines', async () => {
    const { lines, logger } = capture();
    await new ThriveStack({ apiKey: KEY, baseUrl: server.url, minRetryDelay: 1, logLevel: 'info', logger }).group({ groupId: 'g', userId: 'u' });
    expect(lines.map(([level]) => level)).toEqual(['info']);
    expect(lines[0]![1]).toMatch(/^thrivestack: retrying in \d+ ms \(attempt 2 of 4 next\): ThriveStack server error \(503\)/);
  });

  it('at warn or off: nothing for a call that succeeded after a retry', async () => {
    for (const logLevel of ['warn', 'off'] as const) {
      const { lines, logger } = capture();
      await new ThriveStack({ apiKey: KEY, baseUrl: server.url, minRetryDelay: 1, logLevel, logger }).group({ groupId: 'g', userId: 'u' });
      expect(lines).toEqual([]);
    }
  });
});
