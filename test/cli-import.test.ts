/**
 * `thrivestack import` end to end against the fault-injecting server: 100,000-row files delivered
 * completely under 429s (with and without Retry-After) and 5xx; bad rows reported exactly and never
 * sent while the good ones all arrive; rows ThriveStack refuses isolated; usage errors.
 */
import { readFile } from 'node:fs/promises';
import { Checkpoint } from '../src/cli/checkpoint.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, type FaultAction } from './support/fault-server.js';
import { canonical, cliTestBed, countByUser, CSV_HEADER, csvLine, runCli, wireRow, writeLines } from './support/cli.js';
import { scaled } from './support/test-scale.js';

const KEY = 'test-key-cli-import';
/** 100,000 rows in CI (CI=true or THRIVESTACK_TEST_FULL=1), 20,000 in a default local run. */
const ROWS = scaled(100_000, 20_000);
/** Batches sized so that either size makes about 100 requests: enough for every kind of fault to be met. */
const BATCH = String(ROWS / 100);
const FAST = ['--min-retry-delay', '5', '--max-retry-delay', '40', '--max-retry-after', '1500'];

const bed = cliTestBed(KEY);

beforeAll(async () => {
  await writeLines(bed.dir.file('accounts.csv'), ROWS, csvLine, CSV_HEADER);
  await writeLines(bed.dir.file('accounts.ndjson'), ROWS, (i) => JSON.stringify(wireRow(i)));
});


const server = bed.server;

/**
 * A seeded mix of faults: 429 without Retry-After, with retry-after-ms, with Retry-After: 1 (twice), 500,
 * 503, resets. (A 200 without the documented body fails its rows: test/cli-odd-answer.test.ts.)
 */
function faultyPlan(seed: number): (request: { index: number }) => FaultAction {
  const random = seededRandom(seed);
  return ({ index }): FaultAction => {
    if (index === 5 || index === 60) return { type: 'status', status: 429, headers: { 'retry-after': '1' } };
    const r = random();
    if (r < 0.08) return { type: 'status', status: 429 };
    if (r < 0.14) return { type: 'status', status: 429, headers: { 'retry-after-ms': '15' } };
    if (r < 0.19) return { type: 'status', status: 500 };
    if (r < 0.23) return { type: 'status', status: 503 };
    if (r < 0.26) return { type: 'reset' };
    return { type: 'ok' };
  };
}

function expectRecordMatchesFile(accepted: ReadonlyArray<Record<string, unknown>>, rows: number): void {
  expect(accepted.length).toBe(rows);
  const got = accepted.map(canonical).sort();
  const want = Array.from({ length: rows }, (_, i) => canonical(wireRow(i))).sort();
  // compare in one step, but without a 100,000-line diff on failure
  const firstDifference = got.findIndex((g, i) => g !== want[i]);
  expect(firstDifference === -1 ? 'identical' : `differs at ${firstDifference}: ${got[firstDifference]} vs ${want[firstDifference]}`).toBe('identical');
}

describe.each([
  ['CSV', 'accounts.csv', 1],
  ['NDJSON', 'accounts.ndjson', 2],
])(`a ${ROWS.toLocaleString('en-US')}-row %s file under injected 429s and 5xx`, (_name, file, seed) => {
  it('is delivered completely: the server record matches the file row for row', async () => {
    const s = await server({ plan: faultyPlan(seed) });
    const checkpoint = bed.dir.file(`${file}.checkpoint`);
    const result = await runCli(['import', bed.dir.file(file), '--base-url', s.url, '--json', '--checkpoint', checkpoint, '--batch-size', BATCH, ...FAST], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.stderr).not.toContain(KEY);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ read: ROWS, sent: ROWS, rejected: 0, failed: 0, outcome: 'complete', exitCode: 0 });
    expectRecordMatchesFile(s.accepted, ROWS);

    // the faults did happen, and were ridden out rather than reported
    const actions = s.log.map((l) => l.action);
    expect(actions.filter((a) => a === 'status').length).toBeGreaterThan(10);
    expect(actions.filter((a) => a === 'reset').length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/rate-limited \d+ request/);
    // batches of at most 1,000 calls
    expect(Math.max(...s.log.map((l) => l.calls))).toBeLessThanOrEqual(1000);

    // one 8-byte key per acknowledged row
    expect(Checkpoint.load(checkpoint).previousRows).toBe(ROWS);
  }, 55_000);
});

/** An NDJSON file whose bad rows sit at known lines, among good rows and blank lines. */
function ndjsonWithBadRows(count: number) {
  const variants: Array<[string, RegExp]> = [
    ['{"group_id":"g-bad"}', /user_id: is required/],
    ['{"group_id":"g","user_id":"u","traits":{"employees":"many"}}', /traits\.employees: expected a number, got "many"/],
    ['{"group_id":"g","user_id":"u","context":{"source":"web"}}', /context\.source: expected one of "product", "marketing"/],
    ['{"group_id":"g","user_id":"u","timestamp":"yesterday"}', /timestamp: expected an ISO 8601 date-time/],
    ['{"group_id": "g", "user_id": ', /not valid JSON/],
    ['[{"group_id":"g","user_id":"u"}]', /row: expected a group call object, got an array/],
    ['{"groupId":"g","user_id":"u"}', /groupId: is not a field of a group call; use "group_id"/],
    ['{"group_id":"g","user_id":"u","traits":{"plan":"a","PLAN":"b"}}', /name the same trait/],
    ['{"group_id":"","user_id":"u"}', /group_id: must not be empty/],
    ['{"group_id":"g","user_id":"u","traits":{"created_at":"June 2023"}}', /traits\.created_at: expected an ISO 8601 date/],
  ];
  const lines: string[] = [];
  const bad = new Map<number, { text: string; reason: RegExp }>();
  const good: Array<Record<string, unknown>> = [];
  let v = 0;
  for (let i = 0; i < count; i++) {
    if (i % 97 === 13) {
      const [text, reason] = variants[v++ % variants.length]!;
      lines.push(text);
      bad.set(lines.length, { text, reason });
    } else {
      lines.push(JSON.stringify(wireRow(i)));
      good.push(wireRow(i));
    }
    if (i % 211 === 5) lines.push('   '); // blank lines are not rows, but count as lines
  }
  return { text: `${lines.join('\n')}\n`, bad, good };
}

function rejectedLines(stderr: string, kind = 'rejected'): number[] {
  return [...stderr.matchAll(new RegExp(`^line (\\d+): ${kind}: `, 'gm'))].map((m) => Number(m[1]));
}

describe('bad rows', () => {
  it('NDJSON: all good rows arrive; exactly the bad ones are reported, with their line numbers, and never sent', async () => {
    const { text, bad, good } = ndjsonWithBadRows(3_000);
    const path = bed.dir.file('bad.ndjson');
    await writeLines(path, 1, () => text.slice(0, -1));
    const s = await server({ plan: faultyPlan(7) });
    const rejects = bed.dir.file('bad.rejects.ndjson');
    const result = await runCli(['import', path, '--base-url', s.url, '--rejects', rejects, '--batch-size', '250', '--json', ...FAST], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.code, result.stderr).toBe(3); // every valid row was delivered, some rows were rejected
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 3_000, sent: good.length, rejected: bad.size, failed: 0, exitCode: 3 });
    expect(s.accepted.map(canonical).sort()).toEqual(good.map(canonical).sort());

    const written = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(written.map((r) => r.line)).toEqual([...bad.keys()]);
    for (const entry of written) {
      const expected = bad.get(entry.line)!;
      expect(entry.row).toBe(expected.text);
      expect(entry.reason).toMatch(expected.reason);
    }
    // with a rejects file, stderr shows the first few and points to the file
    expect(rejectedLines(result.stderr)).toEqual([...bad.keys()].slice(0, 10));
    expect(result.stderr).toContain(`see ${rejects}`);
  }, 30_000);

  it('--dry-run validates the whole file, reports every bad row on stderr, and sends nothing', async () => {
    const { text, bad } = ndjsonWithBadRows(3_000);
    const path = bed.dir.file('dry.ndjson');
    await writeLines(path, 1, () => text.slice(0, -1));
    const s = await server();
    const result = await runCli(['import', path, '--dry-run', '--base-url', s.url], { env: { THRIVESTACK_API_KEY: KEY } });
    expect(result.code).toBe(3); // the same status a real run gives
    expect(rejectedLines(result.stderr)).toEqual([...bad.keys()]);
    for (const [line, { reason }] of bad) {
      expect(result.stderr.split('\n').find((l) => l.startsWith(`line ${line}: `))).toMatch(reason);
    }
    expect(result.stdout).toMatch(new RegExp(`Dry run: nothing was sent\\. 3,000 rows read, ${(3_000 - bad.size).toLocaleString('en-US')} valid, ${bad.size} rejected`));
    expect(s.log).toEqual([]);
  }, 20_000);

  it('CSV: line numbers follow the file (multi-line cells, blank lines), cells are typed, bad rows go to a CSV rejects file', async () => {
    const rows: string[] = [CSV_HEADER];
    const bad = new Map<number, RegExp>();
    const good: Array<Record<string, unknown>> = [];
    const nextLine = (): number => rows.join('\n').split('\n').length + 1;
    for (let i = 0; i < 2_000; i++) {
      if (i === 100) {
        // one record on two lines (a quoted cell with a line break): the rows after it start one line later
        bad.set(nextLine(), /traits\.employees: expected a number, got "many"/);
        rows.push('acct_x,usr_x,"Name on\ntwo lines",many,free,r1,dev_x,product,2024-01-01T00:00:00.000Z');
      } else if (i === 500) {
        bad.set(nextLine(), /has 4 cells, but the header has 9/);
        rows.push('acct_y,usr_y,Acme,10');
      } else if (i === 900) {
        bad.set(nextLine(), /user_id: is required; context\.source: expected one of/);
        rows.push('acct_z,,Acme,10,free,r1,dev_z,web,2024-01-01T00:00:00.000Z');
      } else {
        if (i === 1500) rows.push(''); // a blank line
        rows.push(csvLine(i));
        good.push(wireRow(i));
      }
    }
    expect([...bad.keys()]).toEqual([102, 503, 903]);
    const path = bed.dir.file('bad.csv');
    await writeLines(path, 1, () => rows.join('\n'));
    const s = await server({ plan: faultyPlan(3) });
    const rejects = bed.dir.file('bad.rejects.csv');
    const result = await runCli(['import', path, '--base-url', s.url, '--rejects', rejects, '--batch-size', '300', ...FAST], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(s.accepted.map(canonical).sort()).toEqual(good.map(canonical).sort());
    expect(rejectedLines(result.stderr)).toEqual([...bad.keys()]);
    for (const [line, reason] of bad) {
      expect(result.stderr.split('\n').find((l) => l.startsWith(`line ${line}: `))).toMatch(reason);
    }
    const written = await readFile(rejects, 'utf8');
    expect(written.split('\n')[0]).toBe(`line,reason,${CSV_HEADER}`);
    expect(written).toContain('102,"traits.employees: expected a number, got ""many""",acct_x,usr_x,"Name on\ntwo lines",many,');
    expect(written).toContain('has 4 cells, but the header has 9",acct_y,usr_y,Acme,10\n');
  }, 30_000);

  it('rows ThriveStack refuses (400) are isolated by halving: the rest arrive, the refused ones are reported as failed', async () => {
    const refused = new Set(['usr_1234', 'usr_1235', 'usr_2999']);
    const s = await server({ isBad: (call) => refused.has(call.user_id as string) });
    const path = bed.dir.file('refused.ndjson');
    await writeLines(path, 3_000, (i) => JSON.stringify(wireRow(i)));
    const rejects = bed.dir.file('refused.rejects.ndjson');
    const result = await runCli(['import', path, '--base-url', s.url, '--rejects', rejects, '--json', ...FAST], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 3_000, sent: 2_997, failed: 3, rejected: 0, outcome: 'failed' });
    const counts = countByUser(s.accepted);
    expect(counts.size).toBe(2_997);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const id of refused) expect(counts.has(id)).toBe(false);
    expect(rejectedLines(result.stderr, 'failed').sort((a, b) => a - b)).toEqual([1235, 1236, 3000]); // batches finish in any order
    const written = (await readFile(rejects, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(written.map((r) => r.line).sort((a, b) => a - b)).toEqual([1235, 1236, 3000]);
    expect(written[0].reason).toMatch(/400 Bad Request.*Invalid request/);
    expect(JSON.parse(written[0].row).user_id).toMatch(/^usr_(1234|1235|2999)$/);
  }, 30_000);
});

describe('input and usage', () => {
  it('reads NDJSON from stdin with -', async () => {
    const s = await server();
    const input = Array.from({ length: 50 }, (_, i) => JSON.stringify(wireRow(i))).join('\n');
    const result = await runCli(['import', '-', '--format', 'ndjson', '--base-url', s.url, '--quiet'], { env: { THRIVESTACK_API_KEY: KEY }, input });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^50 rows read: 50 sent \(acknowledged\), 0 rejected, 0 failed in /);
    expect(result.stderr).toBe('');
    expect(s.accepted.map(canonical)).toEqual(Array.from({ length: 50 }, (_, i) => canonical(wireRow(i))));
  });

  it('reads the API key from --api-key-file and never prints it, even when the server echoes it', async () => {
    const keyFile = bed.dir.file('key.txt');
    await writeLines(keyFile, 1, () => KEY);
    const s = await server({ plan: () => ({ type: 'echo-key' }) });
    const path = bed.dir.file('echo.ndjson');
    await writeLines(path, 10, (i) => JSON.stringify(wireRow(i)));
    const result = await runCli(['import', path, '--api-key-file', keyFile, '--base-url', s.url, '--max-retries', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line 1: failed: .*500/);
    expect(result.stderr).toContain('[REDACTED]');
    expect(result.stderr + result.stdout).not.toContain(KEY);
  });

  it('stops at once when the key is refused (401)', async () => {
    const s = await server();
    const path = bed.dir.file('unauthorized.ndjson');
    await writeLines(path, 5_000, (i) => JSON.stringify(wireRow(i)));
    const result = await runCli(['import', path, '--base-url', s.url, '--batch-size', '100', '--concurrency', '1', '--json'], {
      env: { THRIVESTACK_API_KEY: 'wrong-key' },
    });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.outcome).toBe('aborted');
    expect(summary.error).toMatch(/401 Unauthorized/);
    expect(s.log.length).toBeLessThanOrEqual(2);
  });

  it.each([
    [['import'], /^thrivestack import: missing FILE/],
    [['import', 'a.csv', 'b.csv'], /unexpected argument "b.csv"/],
    [['import', 'accounts.txt'], /cannot tell the format of accounts\.txt/],
    [['import', '-'], /reading stdin \(-\) needs --format/],
    [['import', 'missing.csv', '--dry-run'], /cannot read missing\.csv: no such file/],
    [['import', 'x.csv', '--format', 'xml'], /--format must be csv or ndjson/],
    [['import', 'x.csv', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64, got "0"/],
    [['import', 'x.csv', '--batch-size', '5000'], /--batch-size must be a whole number from 1 to 1000/],
    [['import', 'x.csv', '--bogus'], /unknown option --bogus/],
    [['import', 'x.csv', '--checkpoint'], /option --checkpoint needs a value/],
  ])('usage error %j exits 2 with one line', async (args, message) => {
    const result = await runCli(args, { env: { THRIVESTACK_API_KEY: KEY } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/\(see thrivestack import --help\)\n$/);
  });

  it('a file without an API key, a CSV without user_id, or a file that is not a checkpoint are usage errors', async () => {
    const csv = bed.dir.file('no-user.csv');
    await writeLines(csv, 1, () => 'group_id,plan\ng1,free');
    const noKey = await runCli(['import', bed.dir.file('accounts.ndjson')]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^thrivestack import: no API key: set THRIVESTACK_API_KEY or pass --api-key-file FILE/);

    const noUser = await runCli(['import', csv, '--dry-run']);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/the CSV header has no user_id column/);

    const s = await server();
    const notCheckpoint = bed.dir.file('not.checkpoint');
    await writeLines(notCheckpoint, 1, () => 'hello');
    const old = bed.dir.file('old.checkpoint');
    await writeLines(old, 1, () => JSON.stringify({ version: 1, acknowledged: [[1, 10]] }));
    for (const [path, message] of [[notCheckpoint, /is not a thrivestack import checkpoint/], [old, /written by an earlier version/]] as const) {
      const result = await runCli(['import', bed.dir.file('accounts.ndjson'), '--base-url', s.url, '--checkpoint', path], { env: { THRIVESTACK_API_KEY: KEY } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(s.log).toHaveLength(0);
  });
});
