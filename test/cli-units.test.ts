/** The CLI's parts on their own: reserved trait types, wire→camelCase, CSV mapping, checkpoint ranges, batching, rate gate, progress. */
import { existsSync, linkSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromWireCall, wirePath } from '../src/from-wire.js';
import { prepareCall } from '../src/validate.js';
import { MAX_REQUEST_BYTES } from '../src/generated/constants.js';
import { RESERVED_TRAIT_TYPES, typedTrait } from '../src/cli/reserved-traits.js';
import { Checkpoint, CheckpointError, checkpointIdentity, rowKey } from '../src/cli/checkpoint.js';
const ID = checkpointIdentity('http://127.0.0.1:1', 'test-key');
import { cappedLines } from '../src/cli/capped-lines.js';
import { nestingDeeperThan } from '../src/cli/nesting.js';
import { assertDistinct } from '../src/cli/paths.js';
import { columnsOf, readCsv, wireFromCells } from '../src/cli/read-csv.js';
import { readNdjson } from '../src/cli/read-ndjson.js';
import { RateGate } from '../src/cli/rate-gate.js';
import { Progress, newStats, summaryText, type Summary } from '../src/cli/progress.js';
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
    const json = '{"group_id":"g","user_id":"u"}';
    expect(ok).toEqual({ ok: true, prepared: { call: { group_id: 'g', user_id: 'u' }, json }, bytes: json.length });
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

  it('a __proto__ or constructor column is a trait like any other, never a prototype', () => {
    const columns = columnsOf(['group_id', 'user_id', '__proto__', 'constructor', 'context.__proto__']);
    const call = wireFromCells(columns, ['g', 'u', 'a', 'b', 'c']);
    const traits = call.traits as Record<string, unknown>;
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect(Object.keys(traits)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(call)).toBe('{"group_id":"g","user_id":"u","traits":{"__proto__":"a","constructor":"b"},"context":{"__proto__":"c"}}');
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

  it('broken quoting is reported once as a rejected row with its cells, not a crash, and the next rows are read', async () => {
    const rows = [];
    for await (const row of readCsv(Readable.from(['group_id,user_id\ng1,u1\ng2,"u2"x\ng3,u3\n']))) rows.push(row);
    expect(rows[0]).toMatchObject({ line: 2, wire: { group_id: 'g1', user_id: 'u1' } });
    expect(rows[1]).toMatchObject({ line: 3, original: ['g2', '"u2"x'] });
    expect(rows[1]!.error).toMatch(/a quote \(\"\) inside a field/);
    expect(rows[2]).toMatchObject({ line: 4, wire: { group_id: 'g3', user_id: 'u3' } });
    expect(rows).toHaveLength(3);
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

describe('Checkpoint (content-keyed)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(async () => dir?.remove());
  const key = (text: string) => rowKey(JSON.stringify({ group_id: 'g', user_id: text }));

  it('skips a row only while an acknowledged copy of the very same call is left unclaimed', async () => {
    const path = dir.file('c1.ckpt');
    const first = Checkpoint.load(path, ID);
    expect(first.previousRows).toBe(0);
    first.start();
    first.acknowledge([key('a'), key('a'), key('b')]);
    await first.durable();
    expect(readdirSync(dir.path).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const second = Checkpoint.load(path, ID);
    expect(second.previousRows).toBe(3);
    expect(second.claim(key('a'))).toBe(true);
    expect(second.claim(key('a'))).toBe(true);
    expect(second.claim(key('a'))).toBe(false); // a third identical row was never acknowledged
    expect(second.claim(key('b'))).toBe(true);
    expect(second.claim(key('c'))).toBe(false);
  });

  it('property: whatever was acknowledged, a row is skipped exactly as often as it was acknowledged', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), async (acked, rerun) => {
        const path = dir.file(`p${n++}.ckpt`);
        const checkpoint = Checkpoint.load(path, ID);
        checkpoint.start();
        checkpoint.acknowledge(acked.map((i) => key(String(i))));
        await checkpoint.durable();
        const loaded = Checkpoint.load(path, ID);
        const left = new Map<number, number>();
        for (const i of acked) left.set(i, (left.get(i) ?? 0) + 1);
        for (const i of rerun) {
          const expected = (left.get(i) ?? 0) > 0;
          if (expected) left.set(i, left.get(i)! - 1);
          expect(loaded.claim(key(String(i)))).toBe(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('batches its disk flushes: 2,000 acknowledgements one row at a time take far fewer writes', async () => {
    const path = dir.file('c2.ckpt');
    const checkpoint = Checkpoint.load(path, ID);
    checkpoint.start();
    let writes = 0;
    checkpoint.onSaved(() => writes++);
    for (let i = 0; i < 2_000; i++) {
      checkpoint.acknowledge([key(`r${i}`)]);
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await checkpoint.durable();
    expect(checkpoint.unsaved).toBe(0);
    expect(Checkpoint.load(path, ID).previousRows).toBe(2_000);
    expect(writes).toBeLessThan(100);
  });

  it('a row key is the first 64 bits of the SHA-256 of the call JSON (whichever hashing API Node has)', async () => {
    const { createHash } = await import('node:crypto');
    const json = '{"group_id":"g","user_id":"u"}';
    expect(rowKey(json)).toBe(createHash('sha256').update(json).digest().readBigUInt64LE(0));
  });

  it('costs 8 bytes per row on disk', async () => {
    const path = dir.file('c3.ckpt');
    const checkpoint = Checkpoint.load(path, ID);
    checkpoint.start();
    checkpoint.acknowledge(Array.from({ length: 10_000 }, (_, i) => key(`r${i}`)));
    await checkpoint.durable();
    const { statSync } = await import('node:fs');
    expect(statSync(path).size - 10_000 * 8).toBeLessThan(200); // the header and the records' counts and checksums
  });

  it('removes temp files of killed writes when it starts writing (the import holds the lock: no other writer), and nothing else', () => {
    const path = dir.file('c4.ckpt');
    const killed = [`${path}.999999999.tmp`, `${path}.1.tmp`, `${path}.${'ab12'.repeat(8)}.tmp`];
    const others = [`${path}.lock`, `${path}.lock.${'cd34'.repeat(8)}.tmp`, `${path}.notes.tmp`];
    for (const file of [...killed, ...others]) writeFileSync(file, 'x');
    Checkpoint.load(path, ID).start();
    for (const file of killed) expect(existsSync(file), file).toBe(false);
    for (const file of others) expect(existsSync(file), file).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a file that is not a checkpoint, and one of the earlier line-range format', () => {
    const junk = dir.file('junk.ckpt');
    writeFileSync(junk, 'not a checkpoint');
    expect(() => Checkpoint.load(junk, ID)).toThrow(CheckpointError);
    expect(() => Checkpoint.load(junk, ID)).toThrow(/is not a thrivestack import checkpoint/);
    writeFileSync(junk, JSON.stringify({ version: 1, acknowledged: [[1, 5]], acknowledgedRows: 5 }));
    expect(() => Checkpoint.load(junk, ID)).toThrow(/written by an earlier version/);
  });

  it('a record torn by a kill (cut short, or zero-filled) counts as not acknowledged, never the other way', async () => {
    const path = dir.file('c5.ckpt');
    const checkpoint = Checkpoint.load(path, ID);
    checkpoint.start();
    checkpoint.acknowledge([key('x'), key('y')]);
    await checkpoint.durable();
    checkpoint.acknowledge([key('z')]);
    await checkpoint.close();
    expect(Checkpoint.load(path, ID).previousRows).toBe(3);
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 3)); // the last append cut short
    const torn = Checkpoint.load(path, ID);
    expect(torn.previousRows).toBe(2);
    expect(torn.claim(key('z'))).toBe(false);
    writeFileSync(path, Buffer.concat([whole, Buffer.alloc(64)])); // a zero-filled tail
    expect(Checkpoint.load(path, ID).previousRows).toBe(3);
    // the next run's start() rewrites it whole, without the torn record
    writeFileSync(path, whole.subarray(0, whole.length - 3));
    const next = Checkpoint.load(path, ID);
    next.start();
    await next.close();
    expect(readFileSync(path).length).toBeLessThan(whole.length);
    expect(Checkpoint.load(path, ID).previousRows).toBe(2);
  });

  it('a write that fails makes durable() reject (the import stops rather than claim rows it did not record)', async () => {
    const path = dir.file('c6.ckpt');
    const failing = { write: () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })), datasync: () => Promise.resolve() };
    const checkpoint = Checkpoint.load(path, ID, failing);
    checkpoint.start();
    checkpoint.acknowledge([key('z')]);
    await expect(checkpoint.durable()).rejects.toThrow(/no space left/);
    expect(checkpoint.error).toBeDefined();
    expect(checkpoint.unsaved).toBe(1);
    await expect(checkpoint.close()).rejects.toThrow();
    expect(Checkpoint.load(path, ID).previousRows).toBe(0);
  });
});

import * as fsModule from 'node:fs';
function require_fs() {
  return fsModule;
}

describe('reading with a cap', () => {
  it('a line over the cap is reported with its line number and size, only a prefix kept; the next lines go on', async () => {
    const long = 'x'.repeat(1_000);
    const lines = [];
    for await (const chunkLines of cappedLines(Readable.from([Buffer.from(`short\n${long.slice(0, 400)}`), Buffer.from(`${long.slice(400)}\r\nafter\n`)]), 100)) lines.push(...chunkLines);
    // `end`: the byte offset just after each line (line break included)
    expect(lines[0]).toEqual({ line: 1, end: 6, text: 'short' });
    expect(lines[1]).toMatchObject({ line: 2, end: 6 + 1_002, oversized: { line: 2, bytes: 1_000 } });
    expect((lines[1] as { oversized: { prefix: string } }).oversized.prefix.length).toBeLessThanOrEqual(200);
    expect(lines[2]).toEqual({ line: 3, end: 6 + 1_002 + 6, text: 'after' });
  });

  it('NDJSON: an oversized line and a 20,000-deep row are per-row rejections, and the rows around them are read', async () => {
    const deep = `{"group_id":"g","user_id":"u","traits":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    const rows = [];
    for await (const row of readNdjson(Readable.from([`{"a":1}\n${'y'.repeat(60_000)}\n${deep}\n{"b":2}\n`]), undefined, 50_000)) rows.push(row);
    expect(rows.map((r) => [r.line, r.wire ?? r.error?.slice(0, 20)])).toEqual([
      [1, { a: 1 }],
      [2, 'row is 60,000 bytes,'],
      [3, 'nests more than 100 '],
      [4, { b: 2 }],
    ]);
    expect(rows[1]!.truncated).toBe(true);
    expect((rows[1]!.original as string).length).toBeLessThanOrEqual(200);
  });

  it('nestingDeeperThan needs no recursion', () => {
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    expect(nestingDeeperThan(value, 100)).toBe(true);
    expect(nestingDeeperThan({ a: [[{ b: 1 }]] }, 4)).toBe(false);
    expect(nestingDeeperThan({ a: [[{ b: {} }]] }, 4)).toBe(true);
  });

  it('CSV: an oversized record (quoted line breaks included) is rejected and the line numbers after it stay right', async () => {
    const big = `"${'z'.repeat(300)}\n${'z'.repeat(300)}"`;
    const input = `group_id,user_id,note\ng1,u1,a\ng2,u2,${big}\ng3,u3,"two\nlines"\ng4,u4,b\n`;
    const rows = [];
    for await (const row of readCsv(Readable.from([input]), { cap: 200 })) rows.push(row);
    expect(rows.map((r) => [r.line, r.error?.slice(0, 14) ?? (r.wire as { user_id: string }).user_id])).toEqual([
      [2, 'u1'],
      [3, 'row is 609 byt'],
      [5, 'u3'],
      [7, 'u4'],
    ]);
    expect(rows[1]!.truncated).toBe(true);
  });

  it('CSV values are trimmed unless trim is false (--no-trim)', async () => {
    const input = 'group_id,user_id,plan\n g1 , u1 ,  pro  \n';
    const read = async (trim: boolean) => {
      const rows = [];
      for await (const row of readCsv(Readable.from([input]), { trim })) rows.push(row.wire);
      return rows;
    };
    expect(await read(true)).toEqual([{ group_id: 'g1', user_id: 'u1', traits: { plan: 'pro' } }]);
    expect(await read(false)).toEqual([{ group_id: ' g1 ', user_id: ' u1 ', traits: { plan: '  pro  ' } }]);
  });
});

describe('paths that must not collide', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => (dir = await tempDir()));
  afterAll(async () => dir?.remove());

  it('refuses the same file by path, by another spelling, by hard link and by symbolic link', () => {
    const input = dir.file('in.csv');
    writeFileSync(input, 'group_id,user_id\n');
    linkSync(input, dir.file('hard.csv'));
    symlinkSync(input, dir.file('soft.csv'));
    const spellings = [input, `${dir.path}/./in.csv`, dir.file('hard.csv'), dir.file('soft.csv')];
    for (const other of spellings) {
      expect(() => assertDistinct([{ role: 'the input', path: input }, { role: '--rejects', path: other }])).toThrow(
        /the input and --rejects name the same file .*writing --rejects would destroy the input/,
      );
    }
    expect(() => assertDistinct([{ role: 'the input', path: input }, { role: '--checkpoint', path: dir.file('x') }, { role: '--rejects', path: dir.file('x') }])).toThrow(
      /--checkpoint and --rejects name the same file/,
    );
    expect(() => assertDistinct([{ role: 'the input', path: input }, { role: '--rejects', path: dir.file('r.csv') }])).not.toThrow();
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

describe('RateGate hold', () => {
  it('holds every new request back while the checkpoint catches up, and wakes the queue when let go', () => {
    const gate = new RateGate(4);
    let woken = 0;
    gate.onRaise(() => woken++);
    gate.hold(true);
    expect(gate.held).toBe(true); // QueueThrottle.held: no cap, unlike a pause (test/cli-import-stall.test.ts)
    expect(gate.pausedUntil).toBe(0);
    gate.hold(true);
    gate.hold(false);
    expect(gate.held).toBe(false);
    expect(woken).toBe(1);
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

  it('shows rows acknowledged against rows read, then the share of the input read and the ETA', () => {
    const out = sink(true);
    const progress = new Progress({ stream: out.stream, stats, totalBytes: 1_000, bytesConsumed: () => 250, quiet: false, now: () => 10_000 });
    progress.render();
    // 4,003 rows settled in 10 s; the rows read cover 25% of the input: about 20,000 rows in all, 15,997 left
    expect(out.text()).toBe(
      '\r\x1b[2K4,000 of 4,998 rows acknowledged (80%) · 5,000 read · 2 rejected · 1 failed · 400 rows/s · input 25% read · ETA 0:40',
    );
  });

  it('the ETA counts the rows left to acknowledge (also once the whole input is read), rounded up: never 0:00 while rows remain', () => {
    const at = (s: Partial<typeof stats>, consumed: number, now: number) =>
      new Progress({ stream: sink(false).stream, stats: { ...newStats(0), ...s }, totalBytes: 1_000, bytesConsumed: () => consumed, quiet: false, now: () => now }).line();
    // every row read (the queue holds the rest): 4,000 of 5,000 acknowledged in 16 s, 1,000 left at 250/s
    expect(at({ read: 5_000, sent: 4_000 }, 1_000, 16_000)).toMatch(/input 100% read · ETA 0:04$/);
    // 999 of 1,000 after 10 s: 0.01 s left is shown as 0:01, not 0:00
    expect(at({ read: 1_000, sent: 999 }, 1_000, 10_000)).toMatch(/ETA 0:01$/);
    // all settled: no ETA
    expect(at({ read: 1_000, sent: 1_000 }, 1_000, 10_000)).toMatch(/input 100% read$/);
    // nothing settled yet: no ETA rather than a guess
    expect(at({ read: 300 }, 100, 10_000)).toMatch(/input 10% read$/);
  });

  it('a resume that has only skipped rows so far shows the pace of reading, not "0 rows/s"', () => {
    const progress = new Progress({
      stream: sink(false).stream,
      stats: { ...newStats(0), read: 3_000, skipped: 3_000 },
      totalBytes: undefined,
      bytesConsumed: () => 0,
      quiet: false,
      now: () => 2_000,
    });
    expect(progress.line()).toBe('0 of 0 rows acknowledged · 3,000 read · 3,000 skipped · 0 rejected · 0 failed · 1,500 rows read/s');
  });

  it('the summary of a run that skipped every row says so instead of "0 rows/s"', () => {
    const summary: Summary = { ...newStats(0), read: 5_000, skipped: 4_990, rejected: 10, abandoned: 0, unsent: 0, seconds: 0.4, rowsPerSecond: 0, outcome: 'complete', exitCode: 3 };
    const text = summaryText(summary);
    expect(text).not.toMatch(/rows\/s/);
    expect(text).toMatch(/^5,000 rows read: 0 sent \(acknowledged\), 4,990 skipped \(acknowledged in an earlier run\), 10 rejected, 0 failed in 0\.4 s \(every valid row skipped: nothing left to send\)\./);
    expect(summaryText({ ...summary, skipped: 10, sent: 4_980, rowsPerSecond: 12_450 })).toMatch(/in 0\.4 s \(12,450 rows\/s\)\./);
  });

  it('fits any terminal width by dropping whole parts, never cutting a word', () => {
    const progress = new Progress({ stream: sink(true).stream, stats, totalBytes: 1_000, bytesConsumed: () => 250, quiet: false, now: () => 10_000 });
    const full = progress.line();
    for (let width = 45; width <= 140; width++) {
      const line = progress.line(width);
      expect(line.length).toBeLessThanOrEqual(width);
      expect(full.startsWith(line)).toBe(true);
      expect(full.slice(line.length) === '' || full.slice(line.length).startsWith(' · ')).toBe(true);
    }
    expect(progress.line(20).length).toBeLessThanOrEqual(20);
  });

  it('writes plain lines when stderr is not a terminal, without ETA when the size is unknown', () => {
    const out = sink(false);
    const progress = new Progress({ stream: out.stream, stats, totalBytes: undefined, bytesConsumed: () => 250, quiet: false, now: () => 10_000 });
    progress.render();
    expect(out.text()).toBe('thrivestack import: 4,000 of 4,998 rows acknowledged (80%) · 5,000 read · 2 rejected · 1 failed · 400 rows/s\n');
  });

  it('summaries use correct plurals', () => {
    const one: Summary = { ...newStats(0), read: 1, sent: 1, abandoned: 0, unsent: 0, seconds: 1, rowsPerSecond: 1, outcome: 'complete', exitCode: 0 };
    expect(summaryText(one)).toMatch(/^1 row read: 1 sent/);
    expect(summaryText({ ...one, read: 2 })).toMatch(/^2 rows read/);
    expect(summaryText({ ...one, read: 1, outcome: 'dry-run' })).toMatch(/^Dry run: nothing was sent\. 1 row read, 1 valid, 0 rejected/);
  });

  it('is silent with --quiet', () => {
    const out = sink(true);
    const progress = new Progress({ stream: out.stream, stats, totalBytes: 1_000, bytesConsumed: () => 250, quiet: true });
    progress.start();
    progress.render();
    progress.stop();
    expect(out.text()).toBe('');
  });
});

describe('CSV columns follow the document', () => {
  it('every scalar field of a group call in the document is a column of its own, never a trait', async () => {
    const { CALL_FIELDS } = await import('../src/wire.js');
    const scalars = Object.values(CALL_FIELDS).filter((name) => name !== 'traits' && name !== 'context');
    expect(scalars).toEqual(expect.arrayContaining(['group_id', 'user_id', 'timestamp']));
    const columns = columnsOf(['group_id', 'user_id', ...scalars.filter((n) => n !== 'group_id' && n !== 'user_id'), 'plan']);
    for (const name of scalars) expect(columns).toContainEqual({ kind: 'field', name });
    expect(columns).toContainEqual({ kind: 'trait', name: 'plan' });
  });
});
