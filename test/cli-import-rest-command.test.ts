/**
 * An import that stops early without --checkpoint prints the command that extracts the rows it did not
 * read. Followed as printed (by a shell), that command and the rejects file together must give back
 * every row of the input exactly once, and nothing else: whatever line breaks the rows hold (a quoted
 * cell with line breaks, a lone CR inside a cell), the rest starts exactly after the last row read,
 * never inside a record and never past rows that were not read.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/cli/read-csv.js';
import { readNdjson } from '../src/cli/read-ndjson.js';
import { newStats, summaryText, type Summary } from '../src/cli/progress.js';
import { cliTestBed, runCli } from './support/cli.js';

const KEY = 'test-key-cli-rest-command-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

const ROWS = 400;

/** The user_id of every row a file holds (CSV through the import's own reader; rejects' cells too). */
async function usersIn(path: string, format: 'csv' | 'ndjson'): Promise<string[]> {
  const users: string[] = [];
  const rows = format === 'csv' ? readCsv(createReadStream(path)) : readNdjson(createReadStream(path));
  for await (const row of rows) {
    expect(row.error, `${path} line ${row.line}: ${row.error}`).toBeUndefined();
    users.push(String((row.wire as { user_id?: unknown }).user_id));
  }
  return users;
}

/**
 * Imports `input` against an API that answers 503 until the CLI gives up, then runs the printed command
 * as printed (a shell, in the directory the import ran from), and returns the file it names.
 */
async function importThenRest(input: string, format: 'csv' | 'ndjson', rejects: string, cwd = process.cwd()) {
  const s = await bed.server({ plan: () => ({ type: 'status', status: 503 }) });
  const args = ['import', input, '--base-url', s.url, '--max-retries', '0', '--rejects', rejects, '--batch-size', '10', '--concurrency', '1', '--quiet'];
  const result = await runCli(args, { env, cwd });
  expect(result.code, result.stderr).toBe(1);
  const read = Number(/^(\d+) rows? read/m.exec(result.stdout)?.[1]);
  expect(read).toBeGreaterThan(0);
  const advice = /To send only the rest: (.* > (\S+)), and import (\S+?)(?: and the rows|\.$| \()/m.exec(result.stdout);
  expect(advice, result.stdout).not.toBeNull();
  const [, command, written, imported] = advice!;
  expect(imported).toBe(written);
  // never the input or the rejects file: `>` empties the file it names before the command reads it
  expect(resolve(cwd, written!)).not.toBe(resolve(cwd, input));
  expect(resolve(cwd, written!)).not.toBe(resolve(cwd, rejects));
  execFileSync('sh', ['-c', command!], { cwd });
  return { read, restFile: resolve(cwd, written!) };
}

/** Writes `content` as the input `name.format`, stops its import early, follows the advice. */
async function stopThenRest(name: string, content: string, format: 'csv' | 'ndjson') {
  const input = bed.dir.file(`${name}.${format}`);
  writeFileSync(input, content);
  const rejects = bed.dir.file(`${name}.rejects.${format}`);
  const { read, restFile } = await importThenRest(input, format, rejects);
  expect(read).toBeLessThan(ROWS); // it stopped early
  const rest = await usersIn(restFile, format);
  return { read, rest, rejects };
}

describe('the "send only the rest" command of an import that stopped early', () => {
  const csvRows = (cell: (i: number) => string): string =>
    ['group_id,user_id,address', ...Array.from({ length: ROWS }, (_, i) => `acct_${i},user_${i},"${cell(i)}"`)].join('\n') + '\n';

  it.each([
    ['multi-line cells (a comma on each line)', (i: number) => `Acme ${i} Inc\n12 Main St, Springfield, IL\nUSA`],
    ['a lone CR inside each cell', (i: number) => `first ${i}\rsecond`],
    ['CRLF inside each cell', (i: number) => `first ${i}\r\nsecond`],
  ])('CSV with %s: the rejects file and the rest give back every row once, and no fragment', async (_, cell) => {
    const { read, rest, rejects } = await stopThenRest(`rest-${cell(0).length}`, csvRows(cell), 'csv');
    // the rest: exactly the rows not read, in order, each whole
    expect(rest).toEqual(Array.from({ length: ROWS - read }, (_, i) => `user_${read + i}`));
    // the rejects file: every row read and not delivered (here all of them, the API refusing everything)
    const listed = await usersIn(rejects, 'csv');
    expect(listed.sort()).toEqual(Array.from({ length: read }, (_, i) => `user_${i}`).sort());
  });

  it.each([
    ['rows ended by a lone CR (old Mac exports)', '\r', ''],
    ['blank lines before the header', '\n', '\n\n'],
    ['a header cell with a line break in quotes, and a BOM', '\r\n', '\uFEFF'],
  ])('CSV with %s: the rest keeps the whole header and nothing else of what was read', async (what, eol, before) => {
    const header = what.startsWith('a header cell') ? 'group_id,user_id,"my\nnote"' : 'group_id,user_id,note';
    const content = before + [header, ...Array.from({ length: ROWS }, (_, i) => `acct_${i},user_${i},n${i}`)].join(eol) + eol;
    const { read, rest, rejects } = await stopThenRest(`rest-header-${what.length}`, content, 'csv');
    expect(rest).toEqual(Array.from({ length: ROWS - read }, (_, i) => `user_${read + i}`));
    expect((await usersIn(rejects, 'csv')).sort()).toEqual(Array.from({ length: read }, (_, i) => `user_${i}`).sort());
  });

  it('CSV whose rows end in CRLF and LF, mixed (a CRLF header): no two rows joined, each at its line, the rest exact', async () => {
    const eols = ['\r\n', '\n', '\n', '\r\n', '\r\n'];
    const content = 'group_id,user_id,note\r\n' + Array.from({ length: ROWS }, (_, i) => `acct_${i},user_${i},n${i}${eols[i % eols.length]}`).join('');
    const lines: number[] = [];
    for await (const row of readCsv(Readable.from([Buffer.from(content)]))) {
      expect(row.error).toBeUndefined();
      lines.push(row.line);
    }
    expect(lines).toEqual(Array.from({ length: ROWS }, (_, i) => i + 2));
    const { read, rest, rejects } = await stopThenRest('rest-mixed-eol', content, 'csv');
    expect(rest).toEqual(Array.from({ length: ROWS - read }, (_, i) => `user_${read + i}`));
    expect((await usersIn(rejects, 'csv')).sort()).toEqual(Array.from({ length: read }, (_, i) => `user_${i}`).sort());
  });

  it('NDJSON: the rest starts with the first row not read', async () => {
    const content = Array.from({ length: ROWS }, (_, i) => JSON.stringify({ group_id: `acct_${i}`, user_id: `user_${i}` })).join('\n') + '\n';
    const { read, rest, rejects } = await stopThenRest('rest-ndjson', content, 'ndjson');
    expect(rest).toEqual(Array.from({ length: ROWS - read }, (_, i) => `user_${read + i}`));
    const listed = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => (JSON.parse((JSON.parse(l) as { row: string }).row) as { user_id: string }).user_id);
    expect(listed.sort()).toEqual(Array.from({ length: read }, (_, i) => `user_${i}`).sort());
  });

  it.each(['csv', 'ndjson'] as const)(
    '%s: followed again once the import of the rest stops too, from an input named rest.csv or rest.ndjson: no row lost, none twice',
    async (format) => {
      const rows = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, k) =>
          format === 'csv' ? `acct_${from + k},user_${from + k}` : JSON.stringify({ group_id: `acct_${from + k}`, user_id: `user_${from + k}` }),
        );
      const header = format === 'csv' ? ['group_id,user_id'] : [];
      // the name the advice used to write to, in the directory the import runs in (as a user runs it):
      // following it a second time emptied the input
      const input = bed.dir.file(`rest.${format}`);
      writeFileSync(input, [...header, ...rows(0, ROWS)].join('\n') + '\n');
      const listed: string[] = [];
      let next = `rest.${format}`;
      for (let run = 1; run <= 2; run++) {
        const rejects = `twice-${run}.rejects.${format}`;
        const { restFile } = await importThenRest(next, format, rejects, bed.dir.path);
        const rejectsPath = bed.dir.file(rejects);
        listed.push(...(format === 'csv' ? await usersIn(rejectsPath, 'csv') : readFileSync(rejectsPath, 'utf8').trim().split('\n').map((l) => (JSON.parse((JSON.parse(l) as { row: string }).row) as { user_id: string }).user_id)));
        next = restFile.slice(bed.dir.path.length + 1);
      }
      const rest = await usersIn(bed.dir.file(next), format);
      expect([...listed, ...rest].sort()).toEqual(Array.from({ length: ROWS }, (_, i) => `user_${i}`).sort());
      expect(await usersIn(input, format)).toHaveLength(ROWS); // the input itself untouched
    },
  );
});

describe('the file the rest command writes', () => {
  /** The summary of an import of `input` (the CSV below) that stopped after its second row (byte 32), its header 18 bytes. */
  const adviceFor = (input: string, rejectsFile?: string) => {
    const summary: Summary = {
      ...newStats(0), read: 1, failed: 1, abandoned: 0, unsent: 0, seconds: 1, rowsPerSecond: 0, outcome: 'aborted', exitCode: 1,
      stoppedAtLine: 4, stoppedAtByte: 32, headerBytes: 18, input, format: 'csv', rejectsFile,
    };
    const advice = /To send only the rest: (.* > (\S+)), and import (\S+?)(?: and the rows|\.$| \()/m.exec(summaryText(summary));
    expect(advice).not.toBeNull();
    return { command: advice![1]!, written: advice![2]!, imported: advice![3]! };
  };
  const CSV = 'group_id,user_id\r\ng1,u1\r\ng2,u2\r\ng3,u3\r\n';

  it.each(['a hard link of the input', 'a symbolic link to the input', 'a link to nothing', 'the rejects file'])(
    'is never a name anything has yet (here %s): following it leaves the input and the rejects whole',
    (what) => {
      const dir = bed.dir.file(`taken-${what.replace(/\W/g, '-')}`);
      mkdirSync(dir);
      const input = join(dir, 'a.csv');
      const rejects = join(dir, 'rejects.csv');
      writeFileSync(input, CSV);
      writeFileSync(rejects, 'line,reason,group_id,user_id\n2,failed,g1,u1\n');
      const taken = join(dir, 'a.rest-33.csv');
      if (what === 'a hard link of the input') linkSync(input, taken);
      else if (what === 'a symbolic link to the input') symlinkSync(input, taken);
      else if (what === 'a link to nothing') symlinkSync(join(dir, 'gone'), taken);
      else symlinkSync(rejects, taken);
      const { command, written, imported } = adviceFor(input, what === 'the rejects file' ? taken : rejects);
      expect(written).toBe(join(dir, 'a.rest-33-2.csv'));
      expect(imported).toBe(written);
      execFileSync('sh', ['-c', command]);
      expect(readFileSync(input, 'utf8')).toBe(CSV);
      expect(readFileSync(rejects, 'utf8')).toMatch(/g1,u1/);
      expect(readFileSync(written, 'utf8')).toBe('group_id,user_id\r\ng3,u3\r\n');
    },
  );

  it('an input whose name starts with "-" is written ./-name, in the command and in what to import next', () => {
    const dir = bed.dir.file('dash');
    mkdirSync(dir);
    writeFileSync(join(dir, '-lead.csv'), CSV);
    const { command, written, imported } = adviceFor('-lead.csv');
    expect(command).toBe('(head -c 18 ./-lead.csv; tail -c +33 ./-lead.csv) > ./-lead.rest-33.csv');
    expect(imported).toBe('./-lead.rest-33.csv');
    execFileSync('sh', ['-c', command], { cwd: dir });
    expect(readFileSync(join(dir, written), 'utf8')).toBe('group_id,user_id\r\ng3,u3\r\n');
  });
});

