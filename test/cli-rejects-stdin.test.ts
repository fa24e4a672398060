/**
 * Attack: `--rejects /dev/stdin` (or /proc/self/fd/0) while the input is `-` from a shell pipe
 * (`producer | thrivestack import - ...`). The paths check compared only regular files ("pipes and
 * terminals have no file to collide with"), but that path IS the input pipe: the import opened it for
 * writing, wrote each rejected row into its own input, read it back as a new row, rejected it
 * again... It never ended (it held a write end of its own input, so the input never reached its end).
 * The guide: "The input, --rejects and --checkpoint must be three different files ... otherwise the
 * import exits 2 before opening anything for writing." Now pipes and sockets are compared by device
 * and inode too (`paths.ts`). The 45 s wait (from the start, tsx included) is a liveness bound: the
 * failure lasts forever, and a run that works ends in about 2 s (the pause in the pipe).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

const KEY = 'attack-key-rejects-stdin-0123456789';

/** `(one bad row; a pause) | thrivestack import - --rejects PATH --dry-run`, through a real pipe (sh). */
async function importFromPipe(rejects: string): Promise<{ code: number | null; stderr: string; stillRunning: boolean }> {
  const cli = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/index.ts'), 'import', '-', '--format', 'ndjson', '--rejects', rejects, '--dry-run']
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('sh', ['-c', `(printf 'not json\\n'; sleep 2) | exec ${cli}`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', THRIVESTACK_API_KEY: KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the whole pipeline can be stopped
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c.slice(0, 10_000)));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let stillRunning = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    exited,
    new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        stillRunning = true;
        process.kill(-child.pid!, 'SIGKILL');
        resolve(null);
      }, 45_000);
    }),
  ]);
  clearTimeout(timer);
  return { code, stderr, stillRunning };
}

describe('--rejects naming the stdin pipe the input comes from', () => {
  for (const path of ['/dev/stdin', '/proc/self/fd/0']) {
    it(`${path}: exit 2 before anything is written, never a loop reading its own rejects`, async () => {
      const result = await importFromPipe(path);
      expect(result.stderr).not.toMatch(/line 2: rejected/); // a reject line read back as input
      expect(result.stillRunning).toBe(false);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/name the same file/);
    }, 90_000);
  }
});
