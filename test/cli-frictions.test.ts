/**
 * The command line's small frictions (issue 19): a misspelt flag gets the nearest one, date fields of
 * CSV / NDJSON rows and flags are never told to be "a Date", SIGTERM is not answered with "press
 * Ctrl-C", --version is in --help, and the progress's "% read" follows the rows the import took (not
 * what the file reader buffered ahead of them), with a run that skipped every row not reported at
 * "0 rows/s".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runImport } from '../src/cli/import.js';
import { readCsv } from '../src/cli/read-csv.js';
import { readNdjson } from '../src/cli/read-ndjson.js';
import { cliTestBed, CSV_HEADER, csvLine, ROOT, runCli, spawnCli, waitFor, wireRow, writeLines } from './support/cli.js';

const KEY = 'test-key-cli-frictions-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

describe('a misspelt flag gets the nearest one', () => {
  it.each([
    [['group', '--group-id', 'g', '--user-id', 'u', '--traits', 'plan=pro'], /^thrivestack group: unknown option --traits; did you mean --trait\? \(see thrivestack group --help\)\n$/],
    [['group', '--groupid', 'g'], /unknown option --groupid; did you mean --group-id\?/],
    [['import', 'x.csv', '--concurency', '2'], /unknown option --concurency; did you mean --concurrency\?/],
    [['import', 'x.csv', '--checkpont=x'], /unknown option --checkpont; did you mean --checkpoint\?/],
    [['import', 'x.csv', '--zzz'], /unknown option --zzz \(see/],
  ])('%j', async (args, message) => {
    const result = await runCli(args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('a value flag given twice is refused, not silently the last one', () => {
  it.each([
    [['group', '--group-id', 'g', '--group-id', 'h', '--user-id', 'u'], /^thrivestack group: --group-id is given more than once; give it once/],
    [['group', '--group-id=g', '--user-id', 'u', '--group-id', 'h'], /--group-id is given more than once/],
    [['import', 'x.csv', '--batch-size', '10', '--batch-size', '20'], /--batch-size is given more than once/],
  ])('%j', async (args, message) => {
    const server = await bed.server();
    const result = await runCli([...args, '--base-url', server.url], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(server.log).toHaveLength(0);
  });

  it('--help still wins over a flag given twice', async () => {
    const result = await runCli(['group', '--help', '--group-id', 'a', '--group-id', 'b'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: thrivestack group/);
  });

  it('a flag that may repeat (--trait) still does', async () => {
    const server = await bed.server();
    const result = await runCli(['group', '--group-id', 'g', '--user-id', 'u', '--trait', 'plan=pro', '--trait', 'seats=3', '--base-url', server.url], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(server.accepted[0]).toMatchObject({ traits: { plan: 'pro', seats: '3' } });
  });
});

describe('date fields: a CSV cell, an NDJSON value or a flag is text, never "a Date"', () => {
  it('CSV and NDJSON rows with bad timestamp / created_at are told what text to write', async () => {
    const csv = bed.dir.file('dates.csv');
    writeFileSync(csv, 'group_id,user_id,timestamp,created_at\ng1,u1,2024-01-15T10:30:00,2023-06-01T10:00:00\ng2,u2,yesterday,june\n');
    const ndjson = bed.dir.file('dates.ndjson');
    writeFileSync(ndjson, '{"group_id":"g1","user_id":"u1","timestamp":1700000000000,"traits":{"created_at":1700000000000}}\n');
    const fromCsv = await runCli(['import', csv, '--dry-run'], { env });
    const fromNdjson = await runCli(['import', ndjson, '--dry-run'], { env });
    for (const result of [fromCsv, fromNdjson]) {
      expect(result.code).toBe(3);
      expect(result.stderr).not.toMatch(/\bDate\b/);
    }
    expect(fromCsv.stderr).toContain(
      'line 2: rejected: traits.created_at: expected an ISO 8601 date or date-time such as "2023-06-01", got "2023-06-01T10:00:00", which has no time zone',
    );
    expect(fromCsv.stderr).toContain('timestamp: expected an ISO 8601 date-time such as "2024-01-15T10:30:00Z", got "2024-01-15T10:30:00", which has no time zone');
    expect(fromNdjson.stderr).toContain(
      'timestamp: expected an ISO 8601 date-time such as "2024-01-15T10:30:00Z", got the number 1700000000000; ' +
        'epoch milliseconds are not accepted: write the date-time as text, e.g. "2023-11-14T22:13:20.000Z"',
    );
  });

  it('thrivestack group --timestamp and --trait created_at', async () => {
    const result = await runCli(['group', '--group-id', 'g', '--user-id', 'u', '--timestamp', '2024-01-15T10:30:00', '--trait', 'created_at=2023-06-01T10:00'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--timestamp: expected an ISO 8601 date-time such as "2024-01-15T10:30:00Z", got "2024-01-15T10:30:00", which has no time zone/);
    expect(result.stderr).toMatch(/--trait created_at: expected an ISO 8601 date or date-time/);
    expect(result.stderr).not.toMatch(/\bDate\b/);
  });
});

describe('stopping on SIGTERM', () => {
  it('says what a second SIGTERM (or Ctrl-C) does, not "press Ctrl-C"; the second one abandons the requests in flight', async () => {
    const s = await bed.server({ plan: ({ index }) => (index === 0 ? { type: 'hang' } : { type: 'ok' }) });
    const input = bed.dir.file('term.ndjson');
    writeFileSync(input, Array.from({ length: 20 }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n');
    const child = spawnCli(['import', input, '--base-url', s.url, '--timeout', '60000'], { env });
    await waitFor(() => s.log.length > 0, 30_000, 'the import to send');
    child.kill('SIGTERM');
    await waitFor(() => child.stderrText().includes('stopping'), 30_000, 'the SIGTERM to be taken');
    const said = child.stderrText();
    expect(said).toMatch(/stopping: finishing the 20 rows queued or in flight \(a second SIGTERM \(or Ctrl-C\) abandons them\)/);
    expect(said).not.toMatch(/press Ctrl-C/);
    child.kill('SIGTERM');
    const result = await child.output;
    expect(result.code).toBe(143);
    expect(result.stdout).toMatch(/20 abandoned/);
  });
});

describe('stopping with a row waiting for room in the queue', () => {
  it("counts that row in the summary, in the command line's words, not the library's (enqueueAsync, QueueError)", async () => {
    const s = await bed.server({ plan: () => ({ type: 'hang' }) });
    const input = bed.dir.file('full.ndjson');
    // --batch-size 10: 4 requests in flight and 80 rows queued fill the queue; row 81 waits for room
    writeFileSync(input, Array.from({ length: 200 }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n');
    const rejects = bed.dir.file('full.rejects.ndjson');
    const child = spawnCli(['import', input, '--base-url', s.url, '--batch-size', '10', '--timeout', '60000', '--rejects', rejects], { env });
    await waitFor(() => s.log.length >= 4, 30_000, 'the import to fill its requests');
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGTERM');
    await waitFor(() => child.stderrText().includes('stopping'), 30_000, 'the SIGTERM to be taken');
    child.kill('SIGTERM');
    const result = await child.output;
    expect(result.code).toBe(143);
    expect(result.stdout).toMatch(/81 rows read: 0 sent .*80 abandoned .*1 not sent \(read as the import stopped\)/);
    expect(result.stderr).not.toMatch(/enqueueAsync|QueueError|close\(\)/);
    // the rows in flight may have reached ThriveStack: never called "not sent" in the rejects file
    const reasons = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { reason: string }).reason);
    expect(reasons).toHaveLength(81);
    expect(reasons.filter((r) => r.startsWith('not acknowledged: queued or in flight when the import stopped (if it was in flight, ThriveStack may have recorded it'))).toHaveLength(80);
    expect(reasons.filter((r) => r === 'not sent: read as the import stopped, never queued')).toHaveLength(1);
  });
});

describe('the library\'s own log lines (THRIVESTACK_LOG)', () => {
  it('reach stderr in the command line\'s words, redacted, and never stdout', async () => {
    const s = await bed.server({ plan: () => ({ type: 'ok' }) });
    const result = await runCli(['group', '--group-id', 'g', '--user-id', 'u', '--base-url', s.url], { env: { ...env, THRIVESTACK_LOG: 'debug' } });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^thrivestack: POST http:\/\/127\.0\.0\.1:\d+\/api\/group → 200 in \d+ ms \(attempt 1 of \d+\)/m);
    expect(result.stderr + result.stdout).not.toContain(KEY);
    expect(result.stdout).not.toMatch(/^thrivestack: /m);
  });

  it('a debug line of an attempt shows the body as sent: trait names and values are not reworded', async () => {
    const s = await bed.server({ plan: () => ({ type: 'ok' }) });
    const result = await runCli(
      ['group', '--group-id', 'g', '--user-id', 'u', '--base-url', s.url, '--trait', 'apikey=foo', '--trait', 'baseUrl=bar', '--trait', 'note=see `timeout`'],
      { env: { ...env, THRIVESTACK_LOG: 'debug' } },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('sent [{"group_id":"g","user_id":"u","traits":{"apikey":"foo","baseUrl":"bar","note":"see `timeout`"}}]');
  });

  it('name the flags, not the library\'s options (a retry line at THRIVESTACK_LOG=info)', async () => {
    const result = await runCli(['group', '--group-id', 'g', '--user-id', 'u', '--base-url', 'http://127.0.0.1:9', '--max-retries', '1', '--min-retry-delay', '0', '--max-retry-delay', '10'], {
      env: { ...env, THRIVESTACK_LOG: 'info' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^thrivestack: retrying in \d+ ms \(attempt 2 of 2 next\): Could not reach ThriveStack at http:\/\/127\.0\.0\.1:9 .*Check the network and --base-url, then retry\.$/m);
    expect(result.stderr).not.toMatch(/baseUrl/);
  });
});

describe('--help and --version', () => {
  it('--help lists --version (and the proxy variables); --version prints the package version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}-v, --version {2}print the version$/m);
    expect(help.stdout).toMatch(/HTTPS_PROXY, HTTP_PROXY/);
    expect(help.stdout).toMatch(/^ {2}THRIVESTACK_LOG {10}the client's own lines on stderr: off, error, warn \(default\), info/m);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });
});

describe('progress on a small file', () => {
  /** stderr as a terminal: every redraw of the status line is kept. */
  function terminal(): { stream: Writable & { isTTY: boolean; columns: number }; lines: string[] } {
    const lines: string[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const part of chunk.toString().split('\r\x1b[2K')) if (part.includes('acknowledged')) lines.push(part);
          done();
        },
      }),
      { isTTY: true, columns: 400 },
    );
    return { stream, lines };
  }

  it('"% read" follows the rows read (every line of a 2,000-row CSV), not the bytes the reader buffered', async () => {
    const rows = 2_000;
    const input = bed.dir.file('progress.csv');
    await writeLines(input, rows, csvLine, CSV_HEADER);
    const s = await bed.server({ keepCalls: false, plan: () => ({ type: 'slow', delayMs: 40 }) });
    const err = terminal();
    const out = new Writable({ write: (_c, _e, done) => done() });
    const code = await runImport([input, '--base-url', s.url, '--batch-size', '25', '--concurrency', '1'], {
      stdout: out,
      stderr: err.stream,
      env,
    });
    expect(code).toBe(0);
    expect(err.lines.length).toBeGreaterThan(3); // redrawn every 200 ms for a few seconds
    const size = readFileSync(input).length;
    const header = CSV_HEADER.length + 1;
    for (const line of err.lines) {
      const read = Number(/ · ([\d,]+) read/.exec(line)![1]!.replace(/,/g, ''));
      const percent = Number(/input (\d+)% read/.exec(line)![1]);
      // the bytes the rows read so far cover, to the percent (rows are of about the same size)
      const covered = read === 0 ? 0 : Math.floor(((header + (read / rows) * (size - header)) / size) * 100);
      expect(Math.abs(percent - covered), line).toBeLessThanOrEqual(1);
      expect(line).not.toMatch(/ETA 0:00/);
    }
  }, 60_000);

  it('each row read says where it ends in the input (bytes), whatever the chunks: NDJSON and CSV, oversized rows included', async () => {
    const ndjson = '{"a":1}\r\n\n{"b":"é"}\n' + `{"c":"${'x'.repeat(300)}"}\n` + '{"d":4}';
    const nd = Buffer.from(ndjson);
    const chunks = (bytes: Buffer) => Readable.from(Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7)));
    const ends: number[] = [];
    for await (const row of readNdjson(chunks(nd), undefined, 100)) ends.push(row.end!);
    const after = (text: string, from = 0) => Buffer.byteLength(ndjson.slice(0, ndjson.indexOf(text, from) + text.length));
    expect(ends).toEqual([after('{"a":1}\r\n'), after('"é"}\n'), after(`${'x'.repeat(300)}"}\n`), nd.length]);

    const csv = `group_id,user_id,note\ng1,u1,"two\nlines"\ng2,u2,${'y'.repeat(300)}\ng3,u3,z\n`;
    const bytes = Buffer.from(csv);
    const csvEnds: Array<[number, number]> = [];
    for await (const row of readCsv(chunks(bytes), { cap: 100 })) csvEnds.push([row.line, row.end!]);
    const csvAfter = (text: string) => Buffer.byteLength(csv.slice(0, csv.indexOf(text) + text.length));
    expect(csvEnds).toEqual([
      [2, csvAfter('lines"\n')],
      [4, csvAfter(`${'y'.repeat(300)}\n`)], // oversized: rejected, its bytes counted
      [5, bytes.length],
    ]);
  });

  it('a rerun that skips every row: no "0 rows/s"', async () => {
    const s = await bed.server();
    const input = bed.dir.file('skipped.ndjson');
    writeFileSync(input, Array.from({ length: 50 }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n');
    const args = ['import', input, '--base-url', s.url, '--checkpoint', `${input}.ckpt`];
    expect((await runCli(args, { env })).code).toBe(0);
    const again = await runCli(args, { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^50 rows read: 0 sent \(acknowledged\), 50 skipped \(acknowledged in an earlier run\), 0 rejected, 0 failed in [\d.]+ s \(every valid row skipped: nothing left to send\)\.\n/);
    expect(again.stdout).not.toMatch(/0 rows\/s/);
  });
});
