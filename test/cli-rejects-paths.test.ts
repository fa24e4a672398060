/**
 * Attack: two flags naming one path, beyond those the paths check compared.
 * - `--rejects` = `--api-key-file`: the key file was read, then emptied and overwritten with the
 *   rejects report: the user's only copy of the key was gone. The guide: the files an import writes are
 *   checked "before anything is opened for writing"; the key file was not among them. Now it is.
 * - `--rejects` naming a FIFO that no one reads: the import blocked in a synchronous open(), where
 *   neither Ctrl-C nor SIGTERM is handled ("Ctrl-C or SIGTERM stops reading ..."). Now it is opened
 *   with O_NONBLOCK: no reader is a usage error (exit 2) at once; with a reader, the rows reach it.
 * The waits (60 s to start, 30 s to exit) are liveness bounds (the failure lasts forever), not timings.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, createReadStream, openSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliTestBed, runCli, spawnCli, waitFor, type CliResult } from './support/cli.js';

const KEY = 'attack-key-paths-0123456789abcdef';
const bed = cliTestBed(KEY);

describe('--rejects and the other files the command touches', () => {
  it('--rejects naming the --api-key-file: exit 2, the key file untouched', async () => {
    const s = await bed.server();
    const keyFile = bed.dir.file('key.txt');
    writeFileSync(keyFile, `${KEY}\n`);
    const input = bed.dir.file('two.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\nnot json\n');
    const result = await runCli(['import', input, '--api-key-file', keyFile, '--rejects', keyFile, '--base-url', s.url]);
    expect(readFileSync(keyFile, 'utf8')).toBe(`${KEY}\n`);
    expect(result.code).toBe(2);
    expect(s.log).toHaveLength(0);
  });

  it('--rejects naming a FIFO no one reads: exit 2 at once, never blocked where Ctrl-C is not handled', async () => {
    const s = await bed.server();
    const fifo = bed.dir.file('rejects.fifo');
    execFileSync('mkfifo', [fifo]);
    const input = bed.dir.file('one.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\n');
    const child = spawnCli(['import', input, '--rejects', fifo, '--base-url', s.url], { env: { THRIVESTACK_API_KEY: KEY } });
    // the input is open: the import has read past its setup and is about to open its outputs
    const opened = (): boolean => {
      try {
        return readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === input;
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    // (or it exited already: the FIFO is refused as soon as the outputs are opened)
    await waitFor(() => opened() || child.exitCode !== null, 60_000, 'the input to be opened');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (child.exitCode === null) child.kill('SIGINT');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      child.output,
      new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 30_000))),
    ]);
    clearTimeout(timer);
    if (outcome === 'still running') {
      child.kill('SIGKILL');
      await child.output;
    }
    expect(outcome).not.toBe('still running');
    expect((outcome as CliResult).code).toBe(2);
    expect((outcome as CliResult).stderr).toMatch(/--rejects .*rejects\.fifo is a named pipe \(or socket\) that no process is reading/);
    expect(s.log).toHaveLength(0);
  }, 120_000);

  it('--rejects naming a FIFO with a reader: the rejected rows reach it', async () => {
    const s = await bed.server();
    const fifo = bed.dir.file('read.fifo');
    execFileSync('mkfifo', [fifo]);
    const input = bed.dir.file('mixed.ndjson');
    writeFileSync(input, '{"group_id":"acct_1","user_id":"usr_1"}\nnot json\n');
    const reader = createReadStream(fifo, 'utf8'); // its open waits for the writer (in the thread pool)
    let read = '';
    reader.on('data', (chunk) => (read += chunk));
    const ended = once(reader, 'end');
    const result = await runCli(['import', input, '--rejects', fifo, '--base-url', s.url], { env: { THRIVESTACK_API_KEY: KEY } });
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); // the reader ends even if the import never wrote
    } catch {
      // ENXIO: the reader is gone already (the import wrote and closed)
    }
    await ended;
    expect(result.code, result.stderr).toBe(3);
    expect(s.acceptedCount()).toBe(1);
    expect(read.trim().split('\n').map((line) => JSON.parse(line) as { line: number; row: string })).toEqual([
      expect.objectContaining({ line: 2, row: 'not json' }),
    ]);
  }, 60_000);
});
