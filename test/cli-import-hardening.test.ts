/**
 * `thrivestack import` against the second adversarial review: a checkpoint bound to the API that
 * acknowledged its rows, stray CSV quotes that must not swallow the file, invalid UTF-8 rejected, one
 * import per checkpoint, damaged checkpoints reported, paths compared where they really are, outputs
 * emptied only once the run can start, and summaries that account for every row read.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Checkpoint, CheckpointError, checkpointIdentity, damageText, rowKey } from '../src/cli/checkpoint.js';
import { readCsv } from '../src/cli/read-csv.js';
import { readNdjson } from '../src/cli/read-ndjson.js';
import { cliTestBed, countByUser, CSV_HEADER, csvLine, runCli, spawnCli, waitFor, wireRow, writeLines } from './support/cli.js';
import { scaled } from './support/test-scale.js';
import { cliWords } from '../src/cli/connection.js';
import { recordOfThisProcess } from '../src/cli/process-identity.js';

const KEY = 'test-key-cli-hardening-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };

const bed = cliTestBed(KEY);

const server = bed.server;

const ndjson = (from: number, count: number): string =>
  Array.from({ length: count }, (_, i) => JSON.stringify(wireRow(from + i))).join('\n') + '\n';

describe('1. a checkpoint records which API acknowledged its rows', () => {
  it('a checkpoint filled against a mock is refused against another API (exit 2, nothing sent); the same API resumes', async () => {
    const mock = await server();
    const real = await server();
    const input = bed.dir.file('api.ndjson');
    writeFileSync(input, ndjson(0, 300));
    const checkpoint = bed.dir.file('api.ckpt');
    const first = await runCli(['import', input, '--base-url', mock.url, '--checkpoint', checkpoint, '--json', '--quiet'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(readFileSync(checkpoint).includes(Buffer.from(KEY))).toBe(false); // never the key
    const other = await runCli(['import', input, '--base-url', real.url, '--checkpoint', checkpoint, '--quiet'], { env });
    expect(other.code, other.stderr).toBe(2);
    expect(other.stderr).toContain(new URL(mock.url).origin);
    expect(other.stderr).toContain(new URL(real.url).origin);
    expect(other.stderr).toMatch(/another --checkpoint|delete it/);
    expect(real.log).toHaveLength(0);
    // the same API and key: every row skipped
    const again = await runCli(['import', input, '--base-url', mock.url, '--checkpoint', checkpoint, '--json', '--quiet'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 300, skipped: 300, sent: 0 });
  });

  it('another API key on the same URL is refused too, naming fingerprints and never a key', async () => {
    const s = await server();
    const input = bed.dir.file('key.ndjson');
    writeFileSync(input, ndjson(0, 10));
    const checkpoint = bed.dir.file('key.ckpt');
    expect((await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env })).code).toBe(0);
    const otherKey = 'test-key-other-account-9876543210';
    const result = await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env: { THRIVESTACK_API_KEY: otherKey } });
    expect(result.code, result.stderr).toBe(2);
    const print = (k: string) => createHash('sha256').update(k).digest('hex').slice(0, 8);
    expect(result.stderr).toContain(print(KEY));
    expect(result.stderr).toContain(print(otherKey));
    expect(result.stderr).not.toContain(KEY);
    expect(result.stderr).not.toContain(otherKey);
  });

  it('a checkpoint of the previous format (no API recorded) is refused', () => {
    const path = bed.dir.file('v2.ckpt');
    writeFileSync(path, 'thrivestack-import-checkpoint v2\n');
    expect(() => Checkpoint.load(path, checkpointIdentity('http://127.0.0.1:1', 'k'))).toThrow(/did not record which API/);
  });
});

describe('2. a stray quote in an unquoted CSV field', () => {
  it('rejects only that row (with its line) and reads every row after it: dry run and real run', async () => {
    const rows = scaled(60_000, 6_000);
    const input = bed.dir.file('stray.csv');
    await writeLines(input, rows, (i) => (i === 5 ? 'acct_5,usr_5,27" Monitors Inc' : `acct_${i},usr_${i},Account ${i}`), 'group_id,user_id,account_name');
    const dry = await runCli(['import', input, '--dry-run', '--json', '--quiet'], { env });
    expect(dry.code, dry.stderr).toBe(3);
    expect(JSON.parse(dry.stdout)).toMatchObject({ read: rows, rejected: 1 });
    const s = await server({ keepCalls: true });
    const rejects = bed.dir.file('stray.rej.csv');
    const real = await runCli(['import', input, '--base-url', s.url, '--rejects', rejects, '--json', '--quiet'], { env });
    expect(real.code, real.stderr).toBe(3);
    expect(JSON.parse(real.stdout)).toMatchObject({ read: rows, sent: rows - 1, rejected: 1, failed: 0 });
    expect(s.acceptedCount()).toBe(rows - 1);
    expect(countByUser(s.accepted).has('usr_5')).toBe(false);
    expect(countByUser(s.accepted).get(`usr_${rows - 1}`)).toBe(1);
    const report = readFileSync(rejects, 'utf8').trim().split('\n');
    expect(report).toHaveLength(2);
    expect(report[1]).toMatch(/^7,"a quote \(""\) inside a field/);
    expect(report[1]).toContain(',acct_5,usr_5,"27"" Monitors Inc"');
  });

  it('quotes are read as csv-parse reads them: quoted fields (commas, line breaks, "") stay whole around a stray quote', async () => {
    const text = 'group_id,user_id,note\ng1,u1,"a ""b"", c\nd"\ng2,u2,x"y\ng3,u3,"q"z\ng4,u4,ok\n';
    const rows = [];
    for await (const row of readCsv(Readable.from([text]))) rows.push(row);
    expect(rows.map((r) => [r.line, r.error ? 'rejected' : (r.wire as { user_id: string }).user_id])).toEqual([
      [2, 'u1'],
      [4, 'rejected'],
      [5, 'rejected'],
      [6, 'u4'],
    ]);
    expect((rows[0]!.wire as { traits: { note: string } }).traits.note).toBe('a "b", c\nd');
  });
});

describe('3. invalid UTF-8 is rejected, never delivered as U+FFFD', () => {
  const bad = Buffer.from([0x41, 0xff, 0x42]); // A, a byte UTF-8 never has, B
  it('CSV and NDJSON, dry run and real run: the row is rejected with its line; a real U+FFFD is fine', async () => {
    const csv = bed.dir.file('enc.csv');
    writeFileSync(csv, Buffer.concat([Buffer.from('group_id,user_id,note\ng1,u1,ok\ng2,u2,'), bad, Buffer.from('\ng3,u3,\uFFFD real\n')]));
    const nd = bed.dir.file('enc.ndjson');
    writeFileSync(nd, Buffer.concat([Buffer.from('{"group_id":"g1","user_id":"u1"}\n{"group_id":"g2","user_id":"'), bad, Buffer.from('"}\n{"group_id":"g3","user_id":"u3\uFFFD"}\n')]));
    for (const file of [csv, nd]) {
      const dry = await runCli(['import', file, '--dry-run', '--json'], { env });
      expect(dry.code, dry.stderr).toBe(3);
      expect(dry.stderr).toMatch(/line [23]: rejected: not valid UTF-8/);
      expect(JSON.parse(dry.stdout)).toMatchObject({ read: 3, rejected: 1 });
      const s = await server();
      const real = await runCli(['import', file, '--base-url', s.url, '--checkpoint', `${file}.ckpt`, '--json'], { env });
      expect(real.code, real.stderr).toBe(3);
      expect(real.stderr).toMatch(/not valid UTF-8/);
      expect(s.accepted.map((c) => c.user_id)).toEqual(['u1', file === csv ? 'u3' : 'u3\uFFFD']);
      expect(JSON.stringify(s.accepted)).not.toContain('A\uFFFDB');
    }
  });

  it('a multi-byte character split across chunks is valid; a sequence cut by a line break is not', async () => {
    const euro = Buffer.from('€'); // 3 bytes
    const chunks = [Buffer.from('group_id,user_id\ng1,u'), euro.subarray(0, 1), euro.subarray(1), Buffer.from('\ng2,u'), euro.subarray(0, 2), Buffer.from('\ng3,u3\n')];
    const rows = [];
    for await (const row of readCsv(Readable.from(chunks))) rows.push(row);
    expect(rows.map((r) => [r.line, r.error ?? (r.wire as { user_id: string }).user_id])).toEqual([
      [2, 'u€'],
      [3, 'not valid UTF-8 (save the file as UTF-8)'],
      [4, 'u3'],
    ]);
    const lines = [];
    for await (const row of readNdjson(Readable.from([Buffer.from('{"a":"'), euro.subarray(0, 2), Buffer.from('"}\n{"b":1}\n')]))) lines.push(row);
    expect(lines.map((r) => r.error ?? 'ok')).toEqual(['not valid UTF-8 (save the file as UTF-8)', 'ok']);
  });
});

describe('4. one import at a time per checkpoint', () => {
  it('a second import on a checkpoint in use exits 2 before sending anything; the lock goes with the first', async () => {
    const s = await server({ plan: ({ index }) => (index === 0 ? { type: 'slow', delayMs: 60_000 } : { type: 'ok' }) });
    const input = bed.dir.file('lock.ndjson');
    writeFileSync(input, ndjson(0, 50));
    const checkpoint = bed.dir.file('lock.ckpt');
    const args = ['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--timeout', '60000'];
    const first = spawnCli(args, { env });
    await waitFor(() => s.log.length > 0, 30_000, 'the first import to send');
    expect(existsSync(`${checkpoint}.lock`)).toBe(true);
    const second = await runCli([...args, '--quiet'], { env });
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`another import \\(PID ${first.pid}, since [^)]+\\) is using --checkpoint`));
    expect(s.log).toHaveLength(1); // the second sent nothing
    first.kill('SIGINT');
    await waitFor(() => first.stderrText().includes('stopping'), 30_000, 'the first Ctrl-C to be taken');
    first.kill('SIGINT'); // abandon the request that hangs (two signals sent at once may arrive as one)
    expect((await first.output).code).toBe(130);
    expect(existsSync(`${checkpoint}.lock`)).toBe(false);
  });

  it('a lock left by a killed import (its PID is gone) is taken over; a live one is respected', async () => {
    const s = await server();
    const input = bed.dir.file('stale.ndjson');
    writeFileSync(input, ndjson(0, 20));
    const checkpoint = bed.dir.file('stale.ckpt');
    // a PID that cannot be alive: a child that has exited (more cases in cli-lock.test.ts)
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('close', resolve));
    const record = recordOfThisProcess();
    writeFileSync(`${checkpoint}.lock`, JSON.stringify({ ...record, token: 'killed-import', pid: gone.pid }));
    const result = await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(s.acceptedCount()).toBe(20);
    expect(existsSync(`${checkpoint}.lock`)).toBe(false);
    // a live process's lock (this test's) is respected
    writeFileSync(`${checkpoint}.lock`, JSON.stringify(record));
    const refused = await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env });
    expect(refused.code).toBe(2);
    expect(existsSync(`${checkpoint}.lock`)).toBe(true);
  });
});

describe('5. a damaged checkpoint', () => {
  const id = checkpointIdentity('http://127.0.0.1:1', 'k');
  const key = (i: number) => rowKey(`{"n":${i}}`);

  it('a corrupt record in the middle is reported with its offset and size; the records after it are kept', async () => {
    const path = bed.dir.file('damaged.ckpt');
    const checkpoint = Checkpoint.load(path, id);
    checkpoint.start();
    for (let r = 0; r < 3; r++) {
      checkpoint.acknowledge([key(r * 10), key(r * 10 + 1)]);
      await checkpoint.durable();
    }
    await checkpoint.close();
    const data = readFileSync(path);
    const recordBytes = 4 + 2 * 8 + 8;
    const second = data.length - 2 * recordBytes;
    data[second + 6]! ^= 0xff; // a flipped byte inside the second record's keys
    writeFileSync(path, data);
    const loaded = Checkpoint.load(path, id);
    expect(loaded.previousRows).toBe(4);
    expect(loaded.claim(key(0))).toBe(true);
    expect(loaded.claim(key(21))).toBe(true); // after the damage: kept
    expect(loaded.claim(key(10))).toBe(false);
    expect(loaded.damage).toEqual([{ offset: second, bytes: recordBytes, recordsKeptAfter: 1, rowsKeptAfter: 2, tornTail: false }]);
    expect(damageText(path, loaded.damage[0]!)).toMatch(new RegExp(`${recordBytes} bytes from byte offset ${second} .*1 intact record\\(s\\) after them \\(2 rows\\) were kept`));
  });

  it('the import warns on stderr (even with --quiet) and goes on', async () => {
    const s = await server();
    const input = bed.dir.file('warn.ndjson');
    writeFileSync(input, ndjson(0, 30));
    const checkpoint = bed.dir.file('warn.ckpt');
    const args = ['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet', '--json', '--batch-size', '10', '--concurrency', '1'];
    expect((await runCli(args, { env })).code).toBe(0);
    const data = readFileSync(checkpoint);
    const header = data.indexOf(0x0a, data.indexOf(0x0a) + 1) + 1;
    data[header + 8]! ^= 0xff; // inside the first record
    writeFileSync(checkpoint, data);
    const result = await runCli(args, { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`checkpoint .* is damaged: \\d+ bytes from byte offset ${header} `));
    const summary = JSON.parse(result.stdout);
    expect(summary.skipped + summary.sent).toBe(30);
    expect(summary.skipped).toBeGreaterThan(0); // the records after the damage were kept
  });
});

describe('6. paths that name one file in other ways', () => {
  it('a dangling symlink as --rejects to the --checkpoint file: exit 2', async () => {
    const input = bed.dir.file('links.ndjson');
    writeFileSync(input, ndjson(0, 5));
    symlinkSync(bed.dir.file('new.ckpt'), bed.dir.file('rej-link.ndjson'));
    const result = await runCli(['import', input, '--checkpoint', bed.dir.file('new.ckpt'), '--rejects', bed.dir.file('rej-link.ndjson'), '--base-url', 'http://127.0.0.1:1', '--max-retries', '0'], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/name the same file/);
    expect(existsSync(bed.dir.file('new.ckpt'))).toBe(false);
  });

  it('dir-symlink/../x names the file beside the link target, not beside the link', async () => {
    const input = bed.dir.file('dots.ndjson');
    writeFileSync(input, ndjson(0, 5));
    mkdirSync(bed.dir.file('real/deep'), { recursive: true });
    symlinkSync(bed.dir.file('real/deep'), bed.dir.file('hop'));
    const spelled = `${bed.dir.path}/hop/../x.ckpt`; // not normalized: the system resolves hop first
    const result = await runCli(['import', input, '--checkpoint', spelled, '--rejects', bed.dir.file('real/x.ckpt'), '--base-url', 'http://127.0.0.1:1', '--max-retries', '0'], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/name the same file/);
  });
});

describe('7. the rejects file is emptied only once the run can start', () => {
  it('a --checkpoint in a missing directory exits 2 and leaves the last rejects file as it was', async () => {
    const input = bed.dir.file('keep.ndjson');
    writeFileSync(input, ndjson(0, 5));
    const rejects = bed.dir.file('keep.rej.ndjson');
    writeFileSync(rejects, 'last run\n');
    const result = await runCli(['import', input, '--checkpoint', bed.dir.file('nodir/x.ckpt'), '--rejects', rejects, '--base-url', 'http://127.0.0.1:1', '--max-retries', '0'], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--checkpoint .*nodir\/x\.ckpt/);
    expect(readFileSync(rejects, 'utf8')).toBe('last run\n');
  });

  it('a checkpoint that cannot be rewritten exits 2, leaves the rejects file alone and no temp file behind', async () => {
    const input = bed.dir.file('keep2.ndjson');
    writeFileSync(input, ndjson(0, 5));
    const rejects = bed.dir.file('keep2.rej.ndjson');
    writeFileSync(rejects, 'last run\n');
    const s = await server();
    const checkpoint = bed.dir.file('keep2.ckpt');
    expect((await runCli(['import', input, '--checkpoint', checkpoint, '--base-url', s.url, '--quiet'], { env })).code).toBe(0);
    // the checkpoint's name now a non-empty directory: reading it fails first (exit 2)
    const blocked = bed.dir.file('keep3.ckpt');
    const failing = Checkpoint.load(blocked, checkpointIdentity(s.url, KEY));
    mkdirSync(blocked);
    writeFileSync(`${blocked}/inside`, 'x');
    expect(() => failing.start()).toThrow();
    expect(readdirSync(bed.dir.path).filter((f) => f.startsWith('keep3.ckpt.') && f.endsWith('.tmp'))).toEqual([]);
    const result = await runCli(['import', input, '--checkpoint', blocked, '--rejects', rejects, '--base-url', s.url], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(readFileSync(rejects, 'utf8')).toBe('last run\n');
  });
});

describe('8. a malformed CSV line is reported once, with its text', () => {
  it('acct_1, "usr_1": one rejection, its cells in the rejects file', async () => {
    const input = bed.dir.file('once.csv');
    writeFileSync(input, 'group_id,user_id\nacct_0,usr_0\nacct_1, "usr_1"\nacct_2,usr_2\n');
    const rejects = bed.dir.file('once.rej.csv');
    const result = await runCli(['import', input, '--dry-run', '--rejects', rejects, '--json'], { env });
    expect(result.code, result.stderr).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 3, rejected: 1 });
    expect(result.stderr.match(/line 3: rejected/g)).toHaveLength(1);
    const lines = readFileSync(rejects, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^3,.*,acct_1," ""usr_1"""$/);
  });

  it('a quote never closed is one rejection saying where the unread part starts', async () => {
    const rows = [];
    for await (const row of readCsv(Readable.from(['group_id,user_id\ng1,u1\ng2,"u2\ng3,u3\n']))) rows.push(row);
    expect(rows.filter((r) => r.error)).toHaveLength(1);
    expect(rows[1]).toMatchObject({ line: 3 });
    expect(rows[1]!.error).toMatch(/never closed/);
  });
});

describe('9. an import that stops early says where, and how to send the rest', () => {
  const stopAt = async (withCheckpoint: boolean) => {
    const s = await server({ plan: () => ({ type: 'status', status: 503 }) });
    const input = bed.dir.file(`dead-${withCheckpoint}.csv`);
    const rows = 10_001;
    await writeLines(input, rows, csvLine, CSV_HEADER);
    const rejects = bed.dir.file(`dead-${withCheckpoint}.rej.csv`);
    const args = ['import', input, '--base-url', s.url, '--max-retries', '0', '--rejects', rejects, '--batch-size', '100', '--concurrency', '2', '--quiet'];
    if (withCheckpoint) args.push('--checkpoint', bed.dir.file('dead.ckpt'));
    const json = await runCli([...args, '--json'], { env });
    expect(json.code, json.stderr).toBe(1);
    const summary = JSON.parse(json.stdout);
    expect(summary.read).toBeLessThan(rows);
    expect(summary.sent + summary.rejected + summary.failed + summary.skipped + summary.abandoned + summary.unsent).toBe(summary.read);
    expect(summary.stoppedAtLine).toBeGreaterThan(1);
    // the rejects file lists every row read and not delivered
    const listed = readFileSync(rejects, 'utf8').trim().split('\n').length - 1;
    expect(listed).toBe(summary.failed + summary.abandoned + summary.unsent);
    const text = await runCli(args, { env });
    return { text: text.stdout, input };
  };

  it('with --checkpoint: the line it stopped at and "run the same command again"', async () => {
    const { text } = await stopAt(true);
    expect(text).toMatch(/The import stopped at line \d+ of .*dead-true\.csv: that row and every one after it were not sent/);
    expect(text).toMatch(/Run the same command again to resume from .*dead\.ckpt\./);
  });

  it('without: the rows from line N on were not sent, and the command that sends only them', async () => {
    const { text, input } = await stopAt(false);
    const line = Number(/stopped at line (\d+)/.exec(text)![1]);
    // the rest by bytes (exact whatever the rows' line breaks), the header kept: here every row is one
    // line, so the rest is the header and the input from that line on
    const command = new RegExp(`To send only the rest: (\\(head -c \\d+ ${input}; tail -c \\+\\d+ ${input}\\)) > \\S+\\.rest-\\d+\\.csv`).exec(text)?.[1];
    expect(command, text).toBeDefined();
    const rest = execFileSync('sh', ['-c', command!], { encoding: 'utf8' });
    const lines = readFileSync(input, 'utf8').split('\n');
    expect(rest).toBe([lines[0], ...lines.slice(line - 1)].join('\n'));
    expect(text).toMatch(/Without --checkpoint a rerun sends every row again/);
  });
});

describe('10. a failing output is named', () => {
  it('a full disk under --rejects names --rejects, not the input', async () => {
    if (!existsSync('/dev/full')) return;
    const input = bed.dir.file('full.ndjson');
    writeFileSync(input, `${'{"bad json\n'.repeat(20_000)}`);
    const result = await runCli(['import', input, '--dry-run', '--rejects', '/dev/full', '--json', '--quiet'], { env });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.error).toMatch(/cannot write --rejects \/dev\/full: .*ENOSPC|no space/i);
    expect(summary.error).not.toMatch(/cannot read/);
  });
});

describe('11. messages', () => {
  it('escape sequences from the input reach neither the terminal nor the rejects file', async () => {
    const input = bed.dir.file('esc.ndjson');
    writeFileSync(input, '{"group_id":"g","user_id":\x1b[31mred\x1b]0;title\x07}\n');
    const rejects = bed.dir.file('esc.rej.ndjson');
    const result = await runCli(['import', input, '--dry-run', '--rejects', rejects], { env });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/line 1: rejected: not valid JSON/);
    expect(result.stderr).not.toMatch(/[\x1b\x07]/);
    const reason = (JSON.parse(readFileSync(rejects, 'utf8')) as { reason: string }).reason;
    expect(reason).not.toMatch(/[\x1b\x07]/);
  });

  it('nesting is counted as the library counts it: 100 levels below a field', async () => {
    const input = bed.dir.file('deep.ndjson');
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    writeFileSync(input, `{"group_id":"g","user_id":"u","traits":{"x":${nest(100)}}}\n{"group_id":"g","user_id":"v","traits":{"x":${nest(101)}}}\n`);
    const result = await runCli(['import', input, '--dry-run', '--json'], { env });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 2, rejected: 1 });
    expect(result.stderr).toMatch(/line 2: rejected: nests more than 100 levels deep below a field/);
  });

  it('a long string where an argument belongs (the key) is never echoed', async () => {
    const result = await runCli(['import', 'a.csv', 'sk_live_0123456789abcdefghij'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('sk_live');
    expect(result.stderr).toMatch(/unexpected argument \(a 28-character value, not shown\)/);
    const short = await runCli(['import', 'a.csv', 'extra'], { env });
    expect(short.stderr).toContain('unexpected argument "extra"');
  });

  it('library option names become the flags: an http:// URL on another host names --base-url', async () => {
    writeFileSync(bed.dir.file('x.ndjson'), ndjson(0, 1));
    const result = await runCli(['import', bed.dir.file('x.ndjson'), '--base-url', 'http://example.com'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--base-url');
    expect(result.stderr).not.toMatch(/baseUrl|allowInsecureHttp/);
  });

  it('one rate-limited request is "it", not "them"', async () => {
    const s = await server({ plan: ({ index }) => (index === 0 ? { type: 'status', status: 429, headers: { 'retry-after': '0' } } : { type: 'ok' }) });
    const input = bed.dir.file('rl.ndjson');
    writeFileSync(input, ndjson(0, 5));
    const result = await runCli(['import', input, '--base-url', s.url, '--min-retry-delay', '0'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('ThriveStack rate-limited 1 request; the import slowed down and retried it\n');
  });

  it('library messages name the command line\'s flags and variable, not the options', () => {
    expect(cliWords('check `baseUrl` and raise `maxRetries`; pass the API key as `apiKey`.')).toBe(
      'check --base-url and raise --max-retries; pass the API key as THRIVESTACK_API_KEY (or --api-key-file).',
    );
    expect(cliWords('check baseUrl points at the ThriveStack API')).toBe('check --base-url points at the ThriveStack API');
  });

  it('--quiet without --rejects prints a few rejected rows and a count, not thousands', async () => {
    const input = bed.dir.file('many.ndjson');
    writeFileSync(input, 'not json\n'.repeat(2_000));
    const result = await runCli(['import', input, '--dry-run', '--quiet'], { env });
    expect(result.code).toBe(3);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('line ')).length).toBeLessThanOrEqual(10);
    expect(result.stderr).toMatch(/pass --rejects FILE/);
    expect(result.stdout).toMatch(/2,000 rejected/);
  });
});
