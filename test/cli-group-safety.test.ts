/**
 * `thrivestack group` against a hostile server (its answer is printed only cleaned and redacted, and
 * only the documented fields), and context keys and trait names that are also names of
 * Object.prototype's members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startHostileServer, type HostileServer } from './support/hostile-server.js';
import { runCli } from './support/cli.js';

const KEY = 'sk_live_cli_group_safety_0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const base = ['group', '--group-id', 'acct_42', '--user-id', 'usr_7'];
/** ESC, BEL and the other C0/C1 controls a terminal acts on (line breaks end the output itself). */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

let hostile: HostileServer;
let echoing: HostileServer;
beforeAll(async () => {
  // the answer of issue 18: escapes in the eventId, the key in it and in an extra field
  hostile = await startHostileServer((res) => {
    const body = `{"success":true,"eventId":"evt\\u001b[2J\\u001b]0;X\\u0007 key=${KEY}","echo":"${KEY}"}`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  // a well-behaved server that records what it received
  echoing = await startHostileServer((res) => sendJson(res, 200, { success: true, eventId: 'evt_1' }));
});
afterAll(async () => {
  await hostile?.stop();
  await echoing?.stop();
});

describe('a hostile answer: the eventId is cleaned and redacted, extra fields are not printed', () => {
  it('plain output: one line, no key, no ESC or BEL', async () => {
    const result = await runCli([...base, '--base-url', hostile.url, '--max-retries', '0'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(KEY);
    expect(result.stdout + result.stderr).not.toMatch(CONTROL);
    expect(result.stdout).toMatch(/^evt.* key=\[REDACTED\]\n$/);
    expect(result.stdout).not.toContain('echo');
  });

  it('--json: exactly {success, eventId}, cleaned; the escapes are not even written as JSON escapes', async () => {
    const result = await runCli([...base, '--base-url', hostile.url, '--max-retries', '0', '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(KEY);
    expect(result.stdout + result.stderr).not.toMatch(CONTROL);
    expect(result.stdout).not.toMatch(/\\u00(1b|07)/i);
    const answer = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(['eventId', 'success']);
    expect(answer.success).toBe(true);
    expect(answer.eventId).toMatch(/^evt.* key=\[REDACTED\]$/);
    expect(answer.eventId).not.toMatch(CONTROL);
  });

  it('an error answer echoing the key with escapes: cleaned on stderr and in --json', async () => {
    const server = await startHostileServer((res) =>
      sendJson(res, 400, { success: false, message: `bad \u001b[31mred\u0007 ${KEY}` }),
    );
    try {
      for (const json of [false, true]) {
        const result = await runCli([...base, '--base-url', server.url, '--max-retries', '0', ...(json ? ['--json'] : [])], { env });
        expect(result.code).toBe(1);
        expect(result.stdout + result.stderr).not.toContain(KEY);
        expect(result.stdout + result.stderr).not.toMatch(CONTROL);
        expect(json ? result.stdout : result.stderr).toMatch(/400/);
      }
    } finally {
      await server.stop();
    }
  });
});

describe("names of Object.prototype's members are keys like any other", () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('--context %s=x and --trait of the same name are sent', async (name) => {
    const before = echoing.seen.length;
    const result = await runCli([...base, '--context', `${name}=x`, '--trait', `${name}=y`, '--base-url', echoing.url], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('evt_1\n');
    expect(echoing.seen).toHaveLength(before + 1);
    // parsed as JSON.parse does (an own "__proto__" key stays a key)
    const [call] = JSON.parse(echoing.seen[before]!.body) as Array<{ context: Record<string, unknown>; traits: Record<string, unknown> }>;
    expect(Object.getOwnPropertyDescriptor(call!.context, name)?.value).toBe('x');
    expect(Object.getOwnPropertyDescriptor(call!.traits, name)?.value).toBe('y');
    expect(Object.keys(call!.context)).toEqual([name]);
  });

  it('a key given twice is still refused', async () => {
    const result = await runCli([...base, '--context', 'constructor=x', '--context', 'constructor=y', '--base-url', echoing.url], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--context constructor is given twice/);
  });
});
