/** `thrivestack group` against the Prism mock (the contract) and the fault server (what went on the wire). */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFaultServer, type FaultServer } from './support/fault-server.js';
import { runCli, tempDir, writeLines } from './support/cli.js';

const prismUrl = inject('prismUrl');
const KEY = 'test-key-cli-group';
const env = { THRIVESTACK_API_KEY: KEY };
const base = ['group', '--group-id', 'acct_42', '--user-id', 'usr_7'];

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: FaultServer;
beforeAll(async () => {
  dir = await tempDir();
  server = await startFaultServer({ apiKey: KEY, plan: ({ calls }) => (calls[0]?.group_id === 'echo' ? { type: 'echo-key' } : { type: 'ok' }) });
});
afterAll(async () => {
  await server?.stop();
  await dir?.remove();
});

describe('against Prism', () => {
  it('sends the call and prints the eventId', async () => {
    const result = await runCli(
      [...base, '--trait', 'account_name=Acme Inc', '--trait', 'employees=250', '--source', 'product', '--base-url', prismUrl],
      { env },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('evt_abc123xyz\n');
  });

  it('--json prints ThriveStack’s answer as JSON', async () => {
    const result = await runCli([...base, '--json', '--base-url', prismUrl], { env });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ success: true, eventId: 'evt_abc123xyz' });
  });
});

describe('what goes on the wire', () => {
  it('types reserved traits (employees=250 is a number), keeps custom traits as text, maps every option', async () => {
    const before = server.accepted.length;
    const result = await runCli(
      [
        ...base,
        '--trait', 'employees=250',
        '--trait', 'plan=enterprise',
        '--trait', 'seats=12',
        '--traits-json', '{"beta": true, "tags": ["a"]}',
        '--source', 'marketing',
        '--device-id', 'dev_1',
        '--session-id', 'sess_1',
        '--context', 'group_id=acct_42',
        '--timestamp', '2024-01-15T10:30:00Z',
        '--base-url', server.url,
      ],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^evt_\d+\n$/);
    expect(server.accepted.slice(before)).toEqual([
      {
        group_id: 'acct_42',
        user_id: 'usr_7',
        traits: { beta: true, tags: ['a'], employees: 250, plan: 'enterprise', seats: '12' },
        context: { device_id: 'dev_1', session_id: 'sess_1', source: 'marketing', group_id: 'acct_42' },
        timestamp: '2024-01-15T10:30:00Z',
      },
    ]);
  });

  it('reads the key from --api-key-file; the key never appears in the output, even when the server echoes it', async () => {
    const keyFile = dir.file('key');
    await writeLines(keyFile, 1, () => KEY);
    const result = await runCli(['group', '--group-id', 'echo', '--user-id', 'u', '--api-key-file', keyFile, '--base-url', server.url, '--max-retries', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^thrivestack group: ThriveStack server error \(500\).*\[REDACTED\]/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain(KEY);

    const json = await runCli(['group', '--group-id', 'echo', '--user-id', 'u', '--api-key-file', keyFile, '--base-url', server.url, '--max-retries', '0', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ success: false, error: { type: 'ServerError', status: 500 } });
    expect(json.stdout).not.toContain(KEY);
  });

  it('a refused key exits 1 and says so', async () => {
    const result = await runCli([...base, '--base-url', server.url], { env: { THRIVESTACK_API_KEY: 'wrong' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/401 Unauthorized/);
  });
});

describe('usage errors exit 2 with one line saying what is wrong', () => {
  it.each([
    [['group', '--user-id', 'u'], {}, /^thrivestack group: missing --group-id/],
    [[...base, '--bogus'], {}, /unknown option --bogus/],
    [[...base, '--source', 'web'], {}, /--source: expected one of "product", "marketing", got "web"/],
    [[...base, '--trait', 'employees=many'], {}, /--trait employees: expected a number, got "many"/],
    [[...base, '--trait', 'plan'], {}, /--trait needs NAME=VALUE, got "plan"/],
    [[...base, '--trait', 'plan=a', '--trait', 'Plan=b'], {}, /trait "Plan" is given twice/],
    [[...base, '--traits-json', '{oops'], {}, /--traits-json is not valid JSON/],
    [[...base, '--traits-json', '{"employees":"5"}'], {}, /--traits-json employees: expected a number, got "5"/],
    [[...base, '--timestamp', 'yesterday'], {}, /--timestamp: expected an ISO 8601 date-time/],
    [['group', '--group-id', '', '--user-id', 'usr_7'], {}, /--group-id: must not be empty/],
    [[...base, '--base-url', 'http://example.com'], {}, /--base-url http:\/\/example\.com uses plain http:\/\/.*loopback host, e\.g\. a local mock\)\. \(see/],
    [[...base, '--timeout', 'soon'], {}, /--timeout must be a whole number/],
    [base, { THRIVESTACK_API_KEY: undefined }, /no API key: set THRIVESTACK_API_KEY or pass --api-key-file FILE/],
    [[...base, '--api-key-file', 'sk_live_not_a_path'], {}, /^thrivestack group: cannot read the file given to --api-key-file \(ENOENT\)(?![\s\S]*sk_live)/],
  ])('%j', async (args, extraEnv, message) => {
    const result = await runCli(args as string[], { env: { ...env, ...extraEnv } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('an unknown command, or none, exits 2', async () => {
    const unknown = await runCli(['grop']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^thrivestack: unknown command "grop" \(commands: group, import/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: thrivestack <command>/);
  });
});

describe('--help', () => {
  it.each([
    [['--help'], /Usage: thrivestack <command>[\s\S]*import/],
    [['group', '--help'], /Usage: thrivestack group[\s\S]*--group-id ID[\s\S]*--traits-json JSON[\s\S]*--api-key-file FILE/],
    [['import', '-h'], /Usage: thrivestack import FILE\|-[\s\S]*--checkpoint FILE[\s\S]*--rejects FILE[\s\S]*--dry-run/],
    [['help', 'import'], /Usage: thrivestack import/],
  ])('%j prints help on stdout and exits 0', async (args, text) => {
    const result = await runCli(args, { env: {} });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(text);
    expect(result.stderr).toBe('');
  });
});
