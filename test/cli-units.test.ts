/** The CLI's parts on their own: reserved trait types, wire→camelCase, CSV mapping, checkpoint ranges, batching, rate gate, progress. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromWireCall, wirePath } from '../src/from-wire.js';
import { prepareCall } from '../src/validate.js';
import { MAX_REQUEST_BYTES } from '../src/generated/constants.js';
import { RESERVED_TRAIT_TYPES, typedTrait } from '../src/cli/reserved-traits.js';
import { Checkpoint, CheckpointError, LineRanges, type InputFingerprint } from '../src/cli/checkpoint.js';
import { columnsOf, readCsv, wireFromCells } from '../src/cli/read-csv.js';
import { readNdjson } from '../src/cli/read-ndjson.js';
import { BatchBuilder, RateGate } from '../src/cli/sender.js';
import { Progress, newStats } from '../src/cli/progress.js';
import { csvField } from '../src/cli/rejects.js';
import { prepareRow } from '../src/cli/import.js';
import type { ValidationIssue } from '../src/index.js';
import { tempDir } from './support/cli.js';

const spec = parse(readFileSync(new URL('../openapi/openapi.yaml', import.meta.url), 'utf8'));

describe('reserved traits', () => {
  it('are exactly the GroupTraits properties of openapi/openapi.yaml, with their JSON types', () => {
    const properties = spec.components.schemas.GroupTraits.properties as Record<string, { type?: string; anyOf?: Array<{ type: string }> }>;
    const fromDocument = Object.fromEntries(
      Object.entries(properties).map(([name, schema]) => {
        const types = new Set(schema.type ? [schema.type] : (schema.anyOf ?? []).map((s) => s.type));
        expect(types.size, name).toBe(1);
        return [name, [...types][0]];
      }),
    );
    expect(RESERVED_TRAIT_TYPES).toEqual(fromDocument);
  });

  it('type text as the document does: numbers for employees, text stays text otherwise', () => {
    expect(typedTrait('employees', '250')).toBe(250);
    expect(typedTrait('Employees', ' 1.5e3 ')).toBe(1500);
    expect(typedTrait('employees', 'many')).toBe('many'); // left for the validator to report
    expect(typedTrait('employees', '')).toBe('');
    expect(typedTrait('plan', '250')).toBe('250');
    expect(typedTrait('seats', '12')).toBe('12');
    expect(typedTrait('created_at', '2023-06-01')).toBe('2023-06-01');
  });
});

describe('fromWireCall', () => {
  const text = fc.string({ minLength: 1, maxLength: 12 });
  const customKey = fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !(k.toLowerCase() in RESERVED_TRAIT_TYPES) && k !== '__proto__');
  const wireCall = fc.record(
    {
      group_id: text,
      user_id: text,
      traits: fc
        .record(
          { account_name: text, employees: fc.integer({ min: 0, max: 1e6 }), plan: text, created_at: fc.constantFrom('2023-06-01', '2023-06-01T08:00:00Z') },
          { requiredKeys: [] },
        )
        .chain((reserved) =>
          fc.dictionary(customKey, fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 3 }).map((custom) => {
            const lower = new Set(Object.keys(reserved));
            const kept = Object.fromEntries(
              Object.entries(custom).filter(([k], i, all) => !lower.has(k.toLowerCase()) && all.findIndex(([o]) => o.toLowerCase() === k.toLowerCase()) === i),
            );
            return { ...reserved, ...kept };
          }),
        ),
      context: fc.record(
        { device_id: text, session_id: text, source: fc.constantFrom('product', 'marketing'), group_id: text, page: text },
        { requiredKeys: [] },
      ),
      timestamp: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    },
    { requiredKeys: ['group_id', 'user_id'] },
  );

  it('is the inverse of the client’s wire mapping: a valid wire call comes back out of prepareCall unchanged', () => {
    fc.assert(
      fc.property(wireCall, (wire) => {
        const issues: ValidationIssue[] = [];
        const call = fromWireCall(wire, '', issues);
        expect(issues).toEqual([]);
        const prepared = prepareCall(call);
        expect(prepared.call).toEqual(wire);
        expect(JSON.parse(prepared.json)).toEqual(wire);
      }),
      { numRuns: 300 },
    );
  });

  it('maps wire names to camelCase and keeps traits and other context keys as written', () => {
    const issues: ValidationIssue[] = [];
    const call = fromWireCall(
      { group_id: 'g', user_id: 'u', traits: { account_name: 'A', Seats: 3 }, context: { device_id: 'd', session_id: 's', source: 'product', group_id: 'g' }, timestamp: 't' },
      '',
      issues,
    );
    expect(issues).toEqual([]);
    expect(call).toEqual({
      groupId: 'g',
      userId: 'u',
      traits: { account_name: 'A', Seats: 3 },
      context: { deviceId: 'd', sessionId: 's', source: 'product', group_id: 'g' },
      timestamp: 't',
    });
  });

  it('reports camelCase or unknown keys instead of letting them through', () => {
    const issues: ValidationIssue[] = [];
    fromWireCall({ groupId: 'g', user_id: 'u', extra: 1, context: { deviceId: 'd' } }, '', issues);
    expect(issues).toEqual([
      { path: '.groupId', message: 'is not a field of a group call; use "group_id"' },
      { path: '.extra', message: 'is not a field of a group call' },
      { path: '.context.deviceId', message: 'is not a wire-format field; use "device_id"' },
    ]);
    const notObject: ValidationIssue[] = [];
    fromWireCall('text', '', notObject);
    expect(notObject).toEqual([{ path: '', message: 'expected a group call object, got "text"' }]);
  });

  it('keeps a "__proto__" key as data', () => {
    const call = fromWireCall(JSON.parse('{"group_id":"g","user_id":"u","traits":{"__proto__":{"x":1}}}'), '', []);
    expect(Object.getPrototypeOf(call)).toBe(Object.prototype);
    expect(Object.keys(call.traits!)).toEqual(['__proto__']);
  });

  it('never mistakes constructor or __proto__ keys for fields', () => {
    const issues: ValidationIssue[] = [];
    const call = fromWireCall(JSON.parse('{"group_id":"g","user_id":"u","constructor":1,"__proto__":2,"context":{"constructor":"c","__proto__":"p","device_id":"d"}}'), 'row', issues);
    expect(issues).toEqual([
      { path: 'row.constructor', message: 'is not a field of a group call' },
      { path: 'row.__proto__', message: 'is not a field of a group call' },
    ]);
    expect(Object.keys(call.context!)).toEqual(['constructor', '__proto__', 'deviceId']);
    expect(typedTrait('constructor', '5')).toBe('5');
  });

  it('prepareRow reports every problem of a row in wire terms', () => {
    expect(prepareRow({ line: 1, wire: { group_id: 'g', user_id: 'u', traits: { employees: 'many' }, context: { source: 'web' } }, original: '' })).toEqual({
      ok: false,
      reason: 'traits.employees: expected a number, got "many"; context.source: expected one of "product", "marketing", got "web"',
    });
    expect(prepareRow({ line: 1, wire: [], original: '' })).toEqual({ ok: false, reason: 'row: expected a group call object, got an array' });
    const ok = prepareRow({ line: 1, wire: { group_id: 'g', user_id: 'u' }, original: '' });
    expect(ok).toEqual({ ok: true, call: { groupId: 'g', userId: 'u' }, bytes: '{"group_id":"g","user_id":"u"}'.length });
  });

  it('wirePath turns caller paths into wire paths', () => {
    expect(wirePath('call.groupId')).toBe('group_id');
    expect(wirePath('call.context.deviceId')).toBe('context.device_id');
    expect(wirePath('call.traits.employees')).toBe('traits.employees');
    expect(wirePath('call.traits["a b"]')).toBe('traits["a b"]');
    expect(wirePath('call')).toBe('');
  });
});

describe('CSV columns', () => {
  it('map group_id, user_id, timestamp, context.* and traits; empty cells are left out; reserved traits typed', () => {
    const columns = columnsOf(['group_id', 'user_id', 'timestamp', 'context.device_id', 'context.source', 'employees', 'Plan', 'traits.seats', ' region ']);
    expect(wireFromCells(columns, ['g', 'u', '2024-01-15T10:30:00Z', 'd', '', '250', 'pro', '7', ''])).toEqual({
      group_id: 'g',
      user_id: 'u',
      timestamp: '2024-01-15T10:30:00Z',
      context: { device_id: 'd' },
      traits: { employees: 250, Plan: 'pro', seats: '7' },
    });
    expect(wireFromCells(columns, ['g', 'u', '', '', '', '', '', '', ''])).toEqual({ group_id: 'g', user_id: 'u' });
  });

  it.each([
    [['group_id', 'plan'], /no user_id column/],
    [['user_id', 'plan'], /no group_id column/],
    [['group_id', 'user_id', 'plan', 'Plan'], /columns 3 and 4 both give trait plan/],
    [['group_id', 'user_id', 'plan', 'traits.plan'], /columns 3 and 4 both give trait plan/],
    [['group_id', 'user_id', 'group_id'], /columns 1 and 3 both give group_id/],
    [['group_id', 'user_id', ''], /column 3 has no name/],
    [['group_id', 'user_id', 'context.'], /names no context key/],
  ])('a header %j is refused', (header, message) => {
    expect(() => columnsOf(header)).toThrow(message);
  });

  it('rows carry the line they start on, across blank lines and quoted line breaks', async () => {
    const input = 'group_id,user_id,description\r\ng1,u1,a\r\n\r\ng2,u2,"two\r\nlines"\r\ng3,u3\r\ng4,u4,"x ""y"""\r\n';
    const rows = [];
    for await (const row of readCsv(Readable.from([input]))) rows.push(row);
    expect(rows.map((r) => [r.line, r.wire ?? r.error])).toEqual([
      [2, { group_id: 'g1', user_id: 'u1', traits: { description: 'a' } }],
      [4, { group_id: 'g2', user_id: 'u2', traits: { description: 'two\r\nlines' } }],
      [6, 'has 2 cells, but the header has 3'],
      [7, { group_id: 'g4', user_id: 'u4', traits: { description: 'x "y"' } }],
    ]);
  });

  it('broken quoting is reported as an unreadable row, not a crash', async () => {
    const rows = [];
    for await (const row of readCsv(Readable.from(['group_id,user_id\ng1,u1\ng2,"u2"x\n']))) rows.push(row);
    expect(rows[0]).toMatchObject({ line: 2, wire: { group_id: 'g1', user_id: 'u1' } });
    expect(rows.slice(1).every((r) => r.error?.startsWith('unreadable CSV'))).toBe(true);
    expect(rows[1]!.line).toBe(3);
  });

  it('NDJSON rows: blank lines skipped but counted, a BOM removed, bad JSON reported', async () => {
    const rows = [];
    for await (const row of readNdjson(Readable.from(['\uFEFF{"a":1}\n\n  \n{"b"\n{"c":3}']))) rows.push(row);
    expect(rows.map((r) => [r.line, r.wire ?? r.error?.slice(0, 14)])).toEqual([
      [1, { a: 1 }],
      [4, 'not valid JSON'],
      [5, { c: 3 }],
    ]);
  });

  it('csvField quotes what RFC 4180 needs quoted', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });
});

describe('LineRanges', () => {
  it('behaves like the set of lines added (merged, sorted, disjoint)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 15 })), { maxLength: 40 }), (adds) => {
        const ranges = new LineRanges();
        const model = new Set<number>();
        for (const [from, length] of adds) {
          ranges.add(from, from + length);
          for (let l = from; l <= from + length; l++) model.add(l);
        }
        for (let line = 0; line <= 220; line++) expect(ranges.has(line)).toBe(model.has(line));
        const list = ranges.toJSON();
        for (let i = 1; i < list.length; i++) expect(list[i]![0]).toBeGreaterThan(list[i - 1]![1] + 1);
        expect(new LineRanges(list).toJSON()).toEqual(list);
      }),
    );
  });

  it('refuses a range that is not one', () => {
    expect(() => new LineRanges().add(5, 4)).toThrow(RangeError);
    expect(() => new LineRanges().add(0, 4)).toThrow(RangeError);
  });
});

describe('Checkpoint', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(async () => dir?.remove());
  const input: InputFingerprint = { name: 'a.csv', format: 'csv', bytes: 100, head: 'abc' };

  it('is written at once, updated atomically on every acknowledgement, and loaded by the next run', () => {
    const path = dir.file('c1.json');
    const first = Checkpoint.open(path, input);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, acknowledged: [], acknowledgedRows: 0, complete: false });
    first.acknowledge(1, 1000, 999);
    first.acknowledge(2001, 3000, 1000);
    first.acknowledge(1001, 2000, 1000);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ acknowledged: [[1, 3000]], acknowledgedRows: 2999 });
    expect(readdirSync(dir.path).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const second = Checkpoint.open(path, input);
    expect(second.previousRows).toBe(2999);
    expect(second.ranges.has(3000)).toBe(true);
    expect(second.ranges.has(3001)).toBe(false);
  });

  it('refuses a checkpoint of another input, or a file that is not a checkpoint', () => {
    const path = dir.file('c2.json');
    Checkpoint.open(path, input);
    expect(() => Checkpoint.open(path, { ...input, bytes: 101 })).toThrow(CheckpointError);
    expect(() => Checkpoint.open(path, { ...input, head: 'other' })).toThrow(/written for another input \(a\.csv, csv, 100 bytes\)/);
    expect(() => Checkpoint.open(path, { ...input, format: 'ndjson' })).toThrow(CheckpointError);
    const junk = dir.file('junk.json');
    writeFileSync(junk, 'not json');
    expect(() => Checkpoint.open(junk, input)).toThrow(/is not a thrivestack import checkpoint \(not JSON\)/);
    writeFileSync(junk, JSON.stringify({ version: 1, input, acknowledged: [[3, 1]], acknowledgedRows: 0 }));
    expect(() => Checkpoint.open(junk, input)).toThrow(/malformed/);
    expect(existsSync(path)).toBe(true);
  });
});

describe('BatchBuilder', () => {
  const row = (line: number, bytes: number) => ({ line, bytes, call: { groupId: 'g', userId: 'u' }, original: '' });

  it('cuts batches at the row limit and gives rows spans that cover every line', () => {
    const builder = new BatchBuilder(3, MAX_REQUEST_BYTES);
    const batches = [];
    for (const line of [2, 3, 5, 6, 9, 10, 11]) {
      const full = builder.add(row(line, 10));
      if (full) batches.push(full);
    }
    batches.push(builder.take()!);
    expect(builder.take()).toBeUndefined();
    expect(batches.map((b) => b.rows.map((r) => [r.spanStart, r.line]))).toEqual([
      [[1, 2], [3, 3], [4, 5]],
      [[6, 6], [7, 9], [10, 10]],
      [[11, 11]],
    ]);
  });

  it('cuts batches so their JSON never exceeds 2 MB, measured like the client measures it', () => {
    const big = prepareCall({ groupId: 'g', userId: 'u', traits: { description: 'x'.repeat(300_000) } });
    const builder = new BatchBuilder(1000, MAX_REQUEST_BYTES);
    const sizes: number[] = [];
    for (let line = 1; line <= 20; line++) {
      const full = builder.add(row(line, big.bytes));
      if (full) sizes.push(full.rows.length);
    }
    sizes.push(builder.take()!.rows.length);
    expect(sizes).toEqual([6, 6, 6, 2]);
    const body = `[${Array(6).fill(big.json).join(',')}]`;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(Buffer.byteLength(`[${Array(7).fill(big.json).join(',')}]`)).toBeGreaterThan(MAX_REQUEST_BYTES);
  });
});

describe('RateGate', () => {
  it('halves the batches in flight on a 429, waits out Retry-After, and climbs back one at a time', () => {
    const gate = new RateGate(8);
    gate.observe(429, new Headers(), 1_000);
    expect(gate.limit).toBe(4);
    expect(gate.pausedUntil).toBe(0);
    gate.observe(429, new Headers({ 'retry-after': '2' }), 1_000);
    expect(gate.limit).toBe(2);
    expect(gate.pausedUntil).toBe(3_000);
    gate.observe(429, new Headers({ 'retry-after-ms': '50' }), 1_000);
    expect(gate.limit).toBe(1);
    expect(gate.pausedUntil).toBe(3_000); // never shortened
    for (let i = 0; i < 1; i++) gate.observe(200, new Headers());
    expect(gate.limit).toBe(2);
    for (let i = 0; i < 2; i++) gate.observe(200, new Headers());
    expect(gate.limit).toBe(3);
    for (let i = 0; i < 100; i++) gate.observe(200, new Headers());
    expect(gate.limit).toBe(8);
    expect(gate.rateLimited).toBe(3);
  });
});

describe('Progress', () => {
  function sink(isTTY: boolean) {
    let text = '';
    const stream = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          text += chunk;
          done();
        },
      }),
      { isTTY, columns: 120 },
    );
    return { stream, text: () => text };
  }
  const stats = { ...newStats(0), read: 5_000, sent: 4_000, rejected: 2, failed: 1 };

  it('draws a bar with the share done and an ETA on a terminal', () => {
    const out = sink(true);
    const progress = new Progress({ stream: out.stream, stats, totalBytes: 1_000, bytesRead: () => 250, quiet: false, now: () => 10_000 });
    progress.render();
    expect(out.text()).toBe('\r\x1b[2K[######..................]  25% ETA 0:30 · 5,000 read · 4,000 sent · 2 rejected · 1 failed · 500 rows/s');
  });

  it('cuts the counts, not the ETA, on a narrow terminal', () => {
    const out = sink(true);
    out.stream.columns = 50;
    const progress = new Progress({ stream: out.stream, stats, totalBytes: 1_000, bytesRead: () => 250, quiet: false, now: () => 10_000 });
    progress.render();
    const line = out.text().replace('\r\x1b[2K', '');
    expect(line).toHaveLength(49);
    expect(line).toMatch(/^\[###\.{9}\]  25% ETA 0:30 · 5,000 read · /);
  });

  it('writes plain lines when stderr is not a terminal, without ETA when the size is unknown', () => {
    const out = sink(false);
    const progress = new Progress({ stream: out.stream, stats, totalBytes: undefined, bytesRead: () => 250, quiet: false, now: () => 10_000 });
    progress.render();
    expect(out.text()).toBe('thrivestack import: 5,000 read · 4,000 sent · 2 rejected · 1 failed · 500 rows/s\n');
  });

  it('is silent with --quiet', () => {
    const out = sink(true);
    const progress = new Progress({ stream: out.stream, stats, totalBytes: 1_000, bytesRead: () => 250, quiet: true });
    progress.start();
    progress.render();
    progress.stop();
    expect(out.text()).toBe('');
  });
});
