/**
 * A row read under the 2 MB limit whose JSON grows past it (a CSV cell of backslashes doubles; numbers
 * such as `1e21` are written out longer): it is rejected alone, with its line and the size it would
 * take, and every row after it is read and delivered. It never stops the import.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareRow } from '../src/cli/import.js';
import { countByUser, cliTestBed, runCli } from './support/cli.js';

const KEY = 'test-key-cli-row-outgrows-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

/** 1.5 MB of backslashes: 1.5 MB in a file, 3 MB once written as JSON. */
const BACKSLASHES = '\\'.repeat(1_500_000);
/** An NDJSON row of 1.9 MB whose JSON is about 2.3 MB (`1e21` is written `1e+21`). */
const NUMBERS_ROW = `{"group_id":"g2","user_id":"u2","traits":{"a":[${Array(380_000).fill('1e21').join(',')}]}}`;

describe('a row whose JSON outgrows one request', () => {
  it('prepareRow rejects it with the size it would take', () => {
    const row = { line: 3, wire: { group_id: 'g2', user_id: 'u2', traits: { note: BACKSLASHES } }, original: [] };
    const prepared = prepareRow(row);
    expect(prepared.ok).toBe(false);
    expect(!prepared.ok && prepared.reason).toMatch(/3,0\d\d,\d{3} bytes of JSON, but one request holds at most 2,000,000 bytes; shrink its traits/);
  });

  it.each([
    ['csv', `group_id,user_id,note\ng1,u1,a\ng2,u2,${BACKSLASHES}\ng3,u3,c\ng4,u4,d\n`],
    ['ndjson', ['{"group_id":"g1","user_id":"u1"}', NUMBERS_ROW, '{"group_id":"g3","user_id":"u3"}', '{"group_id":"g4","user_id":"u4"}'].join('\n') + '\n'],
  ])('%s: that row is rejected alone (exit 3) and every other row is delivered', async (format, content) => {
    const s = await bed.server();
    const input = bed.dir.file(`outgrows.${format}`);
    writeFileSync(input, content);
    const rejects = bed.dir.file(`outgrows.rejects.${format}`);
    const result = await runCli(['import', input, '--base-url', s.url, '--rejects', rejects, '--json', '--quiet'], { env });
    expect(result.code, result.stderr).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 4, sent: 3, rejected: 1, failed: 0, unsent: 0, outcome: 'complete' });
    expect([...countByUser(s.accepted).keys()].sort()).toEqual(['u1', 'u3', 'u4']);
    const report = readFileSync(rejects, 'utf8');
    const firstLine = format === 'csv' ? 3 : 2;
    expect(report).toMatch(new RegExp(`^${format === 'csv' ? '' : '\\{"line":'}${firstLine}\\b`, 'm'));
    expect(report).toContain('bytes of JSON, but one request holds at most 2,000,000 bytes');
  });
});
