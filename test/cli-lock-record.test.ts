/**
 * Attack: a stale lock (this host, this PID namespace, a PID that is not running) whose record holds a
 * long token. The takeover looked for a claim named after the token (`<lock>.next-<token>`); past the
 * file system's 255-byte name limit, open() failed with ENAMETOOLONG, which the lock code rethrew as
 * is: the import exited 1 with a raw errno message, not the documented exit 2 saying what to do about
 * the lock ("A lock ... is never taken over: the import exits 2, saying to delete the lock file").
 * Now a token this version could not have written (over 64 characters, or other than letters, digits,
 * `_` and `-`) makes the record one of an unknown holder, and any other failure reading the lock or a
 * claim (here a claim name too long for a long checkpoint name) is an unknown holder too: exit 2.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliTestBed, runCli } from './support/cli.js';
import { recordOfThisProcess } from '../src/cli/process-identity.js';

const KEY = 'attack-key-lock-record-0123456789';
const bed = cliTestBed(KEY);

describe('a lock record this version could not have written', () => {
  it('a 300-character token: exit 2 naming the lock file, never a raw ENAMETOOLONG', async () => {
    const input = bed.dir.file('one.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\n');
    const checkpoint = bed.dir.file('long-token.ckpt');
    // this host and PID namespace, a PID that is not running: provably stale
    const record = { ...recordOfThisProcess(), token: 't'.repeat(300), pid: 4_194_000, start: '1' };
    writeFileSync(`${checkpoint}.lock`, `${JSON.stringify(record)}\n`);
    const result = await runCli(['import', input, '--checkpoint', checkpoint, '--base-url', 'http://127.0.0.1:9'], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.stderr).not.toMatch(/ENAMETOOLONG/);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${checkpoint}.lock`);
  });

  it('a claim name too long for the file system (a long checkpoint name): exit 2 naming the lock file', async () => {
    const input = bed.dir.file('two.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\n');
    // the lock's temp file (<name>.lock.<32 hex>.tmp) fits in 255 bytes; the claim (<name>.lock.next-<64 characters>) does not
    const checkpoint = bed.dir.file('c'.repeat(190));
    const record = { ...recordOfThisProcess(), token: 't'.repeat(64), pid: 4_194_000, start: '1' };
    writeFileSync(`${checkpoint}.lock`, `${JSON.stringify(record)}\n`);
    const result = await runCli(['import', input, '--checkpoint', checkpoint, '--base-url', 'http://127.0.0.1:9'], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^thrivestack import: --checkpoint .* is locked .* a takeover of it could not be read \(ENAMETOOLONG\)/);
    expect(result.stderr).toContain(`delete ${checkpoint}.lock and run again`);
  });
});
