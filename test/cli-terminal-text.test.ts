/**
 * Attack: text from files the command reads reaches the terminal raw. The project cleans every such
 * text with safeText (the import's rows, reasons, the server's words: "escape sequences from the input
 * reach neither the terminal nor the rejects file"), but two messages skipped it:
 * - a CSV header with two columns naming one trait: `columns 3 and 4 both give trait <header text>`,
 *   escape sequences included (OSC sets the terminal's title, CSI recolours or clears it);
 * - a lock file from "another machine": its host name was shown through JSON.stringify, which escapes
 *   C0 controls but not the 8-bit CSI U+009B nor the bidi override U+202E (safeText removes both).
 * Both now pass through safeText (`read-csv.ts`, `process-identity.ts`).
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliTestBed, runCli } from './support/cli.js';

const KEY = 'attack-key-terminal-text-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);
/** What safeText removes: C0/C1 controls (ESC, BEL, U+009B), DEL, line/paragraph separators, bidi controls. */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('text from the files read never drives the terminal', () => {
  it('a CSV header naming one trait twice, with escape sequences in the names', async () => {
    const input = bed.dir.file('esc-header.csv');
    writeFileSync(input, 'group_id,user_id,\x1b]0;PWNED\x07\x1b[31mPlan,\x1b]0;PWNED\x07\x1b[31mplan\nacct_1,usr_1,a,b\n');
    const result = await runCli(['import', input, '--dry-run'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/both give trait/);
    expect(result.stderr).not.toMatch(UNSAFE);
  });

  it('a lock file whose host name holds an 8-bit CSI and a bidi override', async () => {
    const input = bed.dir.file('one.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\n');
    const checkpoint = bed.dir.file('foreign.ckpt');
    const record = { token: 'a'.repeat(32), host: 'build\u009b2J\u202egnp.exe', boot: 'b', pidns: 'pid:[1]', pid: 4242, start: '1', since: '2024-01-01T00:00:00.000Z' };
    writeFileSync(`${checkpoint}.lock`, `${JSON.stringify(record)}\n`);
    const result = await runCli(['import', input, '--checkpoint', checkpoint, '--base-url', 'http://127.0.0.1:9'], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/another machine/);
    expect(result.stderr).not.toMatch(UNSAFE);
  });
});
