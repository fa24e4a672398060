/**
 * Importing an NDJSON rejects file by mistake: the import's warning gives the command that keeps the
 * original rows, the same one the backfill guide gives (`node -e ...`: Node is there wherever the
 * command runs, jq may not be), and that command, run by a shell on a real rejects file, gives back
 * exactly the rows that were rejected.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NDJSON_ROWS_COMMAND } from '../src/cli/rejects.js';
import { cliTestBed, ROOT, runCli } from './support/cli.js';

const KEY = 'test-key-cli-rejects-rows-0123456789';
const bed = cliTestBed(KEY);

describe('the rows of an NDJSON rejects file', () => {
  it('the warning, the guide and a shell agree on one command, which gives back the rejected rows', async () => {
    const rows = ['not json', '{"group_id":"acct_1"}', '{"group_id":"acct_2","user_id":"usr_2","traits":{"note":"a \\"quoted\\" value"}}'];
    const input = bed.dir.file('bad.ndjson');
    writeFileSync(input, `${rows.join('\n')}\n`);
    const rejects = bed.dir.file('rejects.ndjson');
    const first = await runCli(['import', input, '--dry-run', '--rejects', rejects, '--quiet']);
    expect(first.code).toBe(3);

    // the rejects file imported by mistake: the warning names the command
    const mistaken = await runCli(['import', rejects, '--dry-run', '--quiet']);
    expect(mistaken.stderr).toContain(`import the rows it holds instead: ${NDJSON_ROWS_COMMAND}`);
    expect(mistaken.stderr).not.toMatch(/\bjq\b/);
    expect(readFileSync(join(ROOT, 'docs/guides/cli-backfill.md'), 'utf8').replace(/\n\s*/g, ' ')).toContain(`(\`${NDJSON_ROWS_COMMAND}\`)`);

    // the command as a user runs it, in the rejects file's directory
    execFileSync('sh', ['-c', NDJSON_ROWS_COMMAND], { cwd: bed.dir.path });
    expect(readFileSync(bed.dir.file('fixed.ndjson'), 'utf8')).toBe(`${rows.filter((r) => r !== rows[2]).join('\n')}\n`);
  });
});
