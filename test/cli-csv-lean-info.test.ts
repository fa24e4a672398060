/**
 * read-csv.ts replaces csv-parse's per-record info (built with two object spreads, about an eighth of a
 * CSV import's CPU) by the two numbers the reader uses. These tests hold that replacement to csv-parse's
 * own numbers, record by record and error by error, and fail when a csv-parse upgrade removes the
 * internals it reads (the import would silently get slower).
 */
import { describe, expect, it } from 'vitest';
import { parse, type CsvError, type InfoRecord } from 'csv-parse';
import { Readable } from 'node:stream';
import { bothLineEnds, bothLineEndsOnceFound, leanRecordInfo, readCsv } from '../src/cli/read-csv.js';

/** What `on_record` and the `skip` errors report for `input`, with or without the lean info. */
async function seen(input: string, lean: boolean) {
  const records: Array<{ cells: string[]; bytes: number; lines: number }> = [];
  const skips: Array<{ code: string; lines: unknown; raw: unknown; message: string }> = [];
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (cells: string[], info: InfoRecord) => {
      records.push({ cells, bytes: info.bytes, lines: info.lines });
      return cells;
    },
  });
  if (lean) expect(leanRecordInfo(parser)).toBe(true);
  // what read-csv.ts's skip handler reads of an error: its code, lines, raw and message
  parser.on('skip', (error: CsvError) =>
    skips.push({ code: error.code, lines: (error as { lines?: unknown }).lines, raw: (error as { raw?: unknown }).raw, message: error.message }),
  );
  Readable.from([input]).pipe(parser);
  for await (const _ of parser) void _;
  return { records, skips };
}

const INPUTS = [
  'group_id,user_id\ng1,u1\ng2,u2\n',
  '\uFEFFgroup_id,user_id,plan\r\ng1,u1,pro\r\n\r\n\r\ng2,u2,"two\r\nlines"\r\ng3,u3\r\n',
  'group_id,user_id,note\ng1,"u1","é ✓ 😀"\n\n\ng2,u2,"a ""quoted"" word"\ng3,u3,"x\ry"\n',
  'group_id,user_id\ng1,u1\ng2,"u2"x\ng3,u3\n',
  'group_id,user_id\ng1,u1\ng2,"never closed\ng3,u3\n',
  'group_id,user_id\ng1,u1', // no final line break
  'group_id,user_id\r\ng1,u1\r\n\r\ng2,"u2\r\nstill open\r\n', // never closed, CRLF and a blank line before it
];

describe('the lean record info of read-csv.ts', () => {
  it('applies to the csv-parse this package pins (its internals are there)', () => {
    expect(leanRecordInfo(parse())).toBe(true);
  });

  it('leaves a parser without those internals alone', () => {
    expect(leanRecordInfo({})).toBe(false);
    expect(leanRecordInfo({ api: { __infoRecord: () => ({}), info: {} } })).toBe(false);
  });

  it.each(INPUTS.map((input) => [JSON.stringify(input).slice(0, 60), input]))(
    'gives on_record the same bytes and lines as csv-parse, and its errors the same lines: %s',
    async (_, input) => {
      const own = await seen(input, false);
      const lean = await seen(input, true);
      expect(own.records.length).toBeGreaterThan(0);
      expect(lean).toEqual(own);
    },
  );

  it('the inputs above include records csv-parse skips with an error (so those errors are compared too)', async () => {
    // with relax_quotes, a quoted field never closed is what csv-parse still refuses
    const skipped = await Promise.all(INPUTS.map(async (input) => (await seen(input, false)).skips.map((s) => s.code)));
    expect(skipped.flat()).toEqual(['CSV_QUOTE_NOT_CLOSED', 'CSV_QUOTE_NOT_CLOSED']);
  });

  it('readCsv still numbers rows and measures them as an editor does', async () => {
    const input = 'group_id,user_id,note\r\ng1,u1,a\r\n\r\ng2,u2,"two\r\nlines"\r\ng3,u3,é\r\n';
    const rows = [];
    for await (const row of readCsv(Readable.from([input]))) rows.push([row.line, row.end]);
    const endOf = (text: string) => Buffer.byteLength(input.slice(0, input.indexOf(text) + text.length));
    expect(rows).toEqual([
      [2, endOf('g1,u1,a\r\n')],
      [4, endOf('lines"\r\n')],
      [6, endOf('é\r\n')],
    ]);
  });
});

describe('bothLineEnds: CRLF and LF both end a record once either is found', () => {
  it('applies to the pinned csv-parse (its internals are there), after the first line break, and only for CRLF or LF', async () => {
    for (const [input, applies] of [['a,b\r\nc,d\n', true], ['a,b\nc,d\r\n', true], ['a,b\rc,d\r', false]] as const) {
      const parser = parse({ on_record: (cells: string[]) => cells });
      expect(bothLineEnds(parser)).toBe(false); // nothing found yet
      expect(bothLineEndsOnceFound(parse())).toBe(true); // the hook read-csv.ts installs is there
      let applied: boolean | undefined;
      parser.on('data', () => (applied ??= bothLineEnds(parser)));
      Readable.from([input]).pipe(parser);
      for await (const _ of parser) void _;
      expect(applied, JSON.stringify(input)).toBe(applies);
    }
  });

  it('read-csv: rows ending in CRLF and LF, mixed, each a row; a stray CR inside a cell stays in the cell (never cut, never sent in part)', async () => {
    const rows = async (text: string) => {
      const out: Array<{ line: number; error?: string; wire?: unknown }> = [];
      for await (const row of readCsv(Readable.from([Buffer.from(text)]))) out.push({ line: row.line, error: row.error, wire: row.wire });
      return out;
    };
    expect(await rows('group_id,user_id\r\ng1,u1\ng2,u2\r\ng3,u3\n')).toEqual([
      { line: 2, error: undefined, wire: { group_id: 'g1', user_id: 'u1' } },
      { line: 3, error: undefined, wire: { group_id: 'g2', user_id: 'u2' } },
      { line: 4, error: undefined, wire: { group_id: 'g3', user_id: 'u3' } },
    ]);
    const stray = await rows('group_id,user_id,plan\nacct_1,usr_1,enter\rprise\r\nacct_2,usr_2,free\n');
    expect(stray.map((r) => r.wire)).toEqual([
      { group_id: 'acct_1', user_id: 'usr_1', traits: { plan: 'enter\rprise' } },
      { group_id: 'acct_2', user_id: 'usr_2', traits: { plan: 'free' } },
    ]);
  });

  /** What read-csv yields for `text`, handed over `chunk` bytes at a time. */
  const read = async (text: string | Buffer, chunk = 1 << 20) => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
    const pieces = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
    const out: Array<{ line: number; error?: string; wire?: unknown; end?: number }> = [];
    for await (const row of readCsv(Readable.from(pieces))) out.push({ line: row.line, error: row.error, wire: row.wire, end: row.end });
    return out;
  };

  it('a blank CRLF line before an LF header: CRLF found first, the LF rows still each a row', async () => {
    expect((await read('\r\ngroup_id,user_id\na1,u1\na2,u2\n')).map((r) => [r.line, r.wire])).toEqual([
      [3, { group_id: 'a1', user_id: 'u1' }],
      [4, { group_id: 'a2', user_id: 'u2' }],
    ]);
  });

  it.each([1, 3, 7, 1 << 20])(
    'the filter in front of the parser ends records where the parser does (chunks of %i bytes): a stray CR then a quote, bytes that are not UTF-8, after a CR, are rejected, never sent in part',
    async (chunk) => {
      const text = Buffer.concat([
        Buffer.from('group_id,user_id,note\na1,u1,x\r\na2,u2,y\r"acct 3\nsecond line",u3,z\n'),
        Buffer.from('a4,u4,line one\rCaf'), Buffer.from([0xe9]), Buffer.from('\na5,u5,w\r\n'),
      ]);
      const rows = await read(text, chunk);
      expect(rows.map((r) => [r.line, r.error?.replace(/;.*/, '') ?? r.wire])).toEqual([
        [2, { group_id: 'a1', user_id: 'u1', traits: { note: 'x' } }],
        [3, 'a quote (") inside a field that does not start with one'],
        [5, 'a quote (") inside a field that does not start with one'],
        [6, 'not valid UTF-8 (save the file as UTF-8)'],
        [8, { group_id: 'a5', user_id: 'u5', traits: { note: 'w' } }],
      ]);
      expect(rows.at(-1)!.end).toBe(text.length);
    },
  );

  it('a stray CR and a quote in a row do not open a quoted field that swallows the rows after it', async () => {
    const rows = ['group_id,user_id,note', 'a1,u1,x', 'a2,u2\r"q,z', ...Array.from({ length: 3_000 }, (_, i) => `acct_${i},usr_${i},n${i}`)];
    const read3 = await read(rows.join('\n') + '\n', 4_096);
    expect(read3).toHaveLength(3_002);
    expect(read3.filter((r) => r.error)).toHaveLength(1);
    expect(read3.at(-1)).toMatchObject({ line: 3_004, wire: { user_id: 'usr_2999' } }) // the CR of line 3 is a line to an editor;
  });

  it('an oversized record ending in CRLF, in a file of LF rows: the rows after it at their lines', async () => {
    const big = 'x'.repeat(3_000);
    const text = `group_id,user_id,note\na1,u1,"${big}\r\nmore"\r\na2,u2,y\na3,u3,"two\r\nlines"\na4,u4,z\n`;
    const rows: Array<{ line: number; error?: string; end?: number }> = [];
    for await (const row of readCsv(Readable.from([Buffer.from(text)]), { cap: 1_000 })) rows.push({ line: row.line, error: row.error, end: row.end });
    expect(rows.map((r) => [r.line, r.error === undefined])).toEqual([[2, false], [4, true], [5, true], [7, true]]);
    expect(rows.at(-1)!.end).toBe(Buffer.byteLength(text));
  });

  it.each([1, 2, 7, 1 << 20])('a row of exactly the cap, ending in CRLF, is not oversized; one byte more is, its size without the line break (chunks of %i bytes)', async (chunk) => {
    const rowsOf = async (text: string) => {
      const bytes = Buffer.from(text);
      const pieces = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
      const out: Array<{ line: number; error?: string; end?: number }> = [];
      for await (const row of readCsv(Readable.from(pieces), { cap: 50 })) out.push({ line: row.line, error: row.error, end: row.end });
      return out;
    };
    const fits = `group_id,user_id\r\ng1,${'a'.repeat(47)}\r\ng2,u2\r\n`; // its row: 50 bytes before the CRLF
    expect(await rowsOf(fits)).toEqual([{ line: 2, error: undefined, end: 70 }, { line: 3, error: undefined, end: 77 }]);
    const over = `group_id,user_id\r\ng1,${'a'.repeat(48)}\r\ng2,u2\r\n`;
    const rows = await rowsOf(over);
    expect(rows[0]).toMatchObject({ line: 2, end: 71, error: expect.stringMatching(/^row is 51 bytes, over/) });
    expect(rows[1]).toEqual({ line: 3, error: undefined, end: 78 });
  });
});

