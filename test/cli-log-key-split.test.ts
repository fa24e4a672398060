/**
 * The command line rewords the library's messages (`cliWords`: option names become flags, advice it has
 * no use for is dropped). A rewording that removes words must not join a key a server wrote in two
 * halves around them: every line is redacted again after it is reworded, on stderr, in log lines
 * (THRIVESTACK_LOG) and in the --rejects file. Log lines of an import go around its progress bar.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runImport } from '../src/cli/import.js';
import { cliWords } from '../src/cli/connection.js';
import { cliTestBed, runCli, wireRow } from './support/cli.js';

const KEY = 'tskey_live_ABCDEFGH12345678';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);

/** Server messages that hold the key in two halves, around words the command line rewrites. */
const SPLIT_MESSAGES: Array<[string, string]> = [
  ['around advice the command line drops', "tskey_live_ABCD (keep them, e.g. from the queue's onError hook)EFGH12345678"],
  ['around advice the command line rewrites', 'tskey_live_ABCD, raise `maxRetries`, or use `enqueue()`, which batches calls and backs off for you EFGH12345678'.replace(' EFGH', 'EFGH')],
  ['around a proxy failure and the base URL advice', 'the proxy in tskey_live_AB answered x Check the network and `baseUrl`CDEFGH12345678'],
];

describe('a key split around reworded words stays redacted', () => {
  it('the premise: without the redaction after it, the rewording joins the halves', () => {
    expect(cliWords(SPLIT_MESSAGES[0]![1])).toContain(KEY);
  });

  it.each(SPLIT_MESSAGES)('%s: group, its retry log line (THRIVESTACK_LOG=info) and its error', async (_name, message) => {
    const s = await bed.server({ plan: () => ({ type: 'status', status: 500, message }) });
    const result = await runCli(
      ['group', '--group-id', 'g', '--user-id', 'u', '--base-url', s.url, '--max-retries', '1', '--min-retry-delay', '0', '--max-retry-delay', '5'],
      { env: { ...env, THRIVESTACK_LOG: 'info' } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^thrivestack: retrying in \d+ ms/m);
    expect(result.stderr + result.stdout).not.toContain(KEY);
    expect(result.stderr + result.stdout).not.toContain('ABCDEFGH');
  });

  it.each(SPLIT_MESSAGES)('%s: import, its failed rows on stderr and in the --rejects file', async (_name, message) => {
    const s = await bed.server({ plan: () => ({ type: 'status', status: 500, message }) });
    const input = bed.dir.file('split.ndjson');
    const rejects = bed.dir.file('split-rejects.ndjson');
    writeFileSync(input, `${JSON.stringify(wireRow(1))}\n`);
    const result = await runCli(['import', input, '--base-url', s.url, '--max-retries', '0', '--rejects', rejects], { env });
    expect(result.code).toBe(1);
    const written = readFileSync(rejects, 'utf8');
    expect(JSON.parse(written.trim())).toMatchObject({ line: 1, reason: expect.stringMatching(/^ThriveStack server error \(500\) after 1 attempt: /) });
    expect(result.stderr).toMatch(/line 1: failed: ThriveStack server error \(500\)/);
    for (const text of [result.stderr, result.stdout, written]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('ABCDEFGH');
    }
  });
});

describe('a --base-url the client refuses', () => {
  it('is quoted back with the key redacted, should the address hold it', async () => {
    const result = await runCli(['group', '--group-id', 'g', '--user-id', 'u', '--base-url', `http://${KEY}.example.com`], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--base-url http:\/\/\[REDACTED\]\.example\.com uses plain http:\/\//);
    expect(result.stderr).not.toContain('ABCDEFGH');
  });
});

describe("an import's log lines", () => {
  it('go through the progress bar (cleared first, never glued to it) and the stderr the import was given', async () => {
    const s = await bed.server({ plan: ({ index }) => (index === 0 ? { type: 'status', status: 503 } : { type: 'slow', delayMs: 300 }) });
    const input = bed.dir.file('bar.ndjson');
    writeFileSync(input, Array.from({ length: 20 }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n');
    let written = '';
    const stderr = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          written += chunk.toString();
          done();
        },
      }),
      { isTTY: true, columns: 200 },
    );
    const stdout = new Writable({ write: (_c, _e, done) => done() });
    const code = await runImport([input, '--base-url', s.url, '--batch-size', '10', '--concurrency', '1', '--min-retry-delay', '300', '--max-retry-delay', '300'], {
      stdout,
      stderr,
      env: { ...env, THRIVESTACK_LOG: 'info' },
    });
    expect(code).toBe(0);
    // the line is in the import's own stderr, alone on its line: after a cleared bar or a line's end
    expect(written).toMatch(/(?:^|\n|\r\x1b\[2K)thrivestack: retrying in \d+ ms \(attempt 2 of \d+ next\): ThriveStack server error \(503\)/);
    for (const line of written.split('\n')) {
      if (!line.includes('thrivestack: retrying')) continue;
      expect(line.replace(/^.*\r\x1b\[2K/, '')).toMatch(/^thrivestack: retrying/);
    }
  }, 30_000);
});
