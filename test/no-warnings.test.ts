/**
 * test/setup/no-warnings.ts (a setup file of the whole suite) fails a run in which Node prints a
 * warning: run on a fixture that leaks listeners, vitest exits non-zero and names the warning; on the
 * same fixture without the leak, it passes (so the failure is the warning's, nothing else's).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

async function runFixture(warn: boolean): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [VITEST, 'run', '--config', 'test/fixtures/warning/vitest.config.ts', '--reporter', 'default'],
      { cwd: ROOT, env: { ...process.env, FIXTURE_WARN: warn ? '1' : '0', NO_COLOR: '1', FORCE_COLOR: '0' } },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('the suite fails on a process warning', () => {
  it('a test that makes Node print MaxListenersExceededWarning fails the run, naming it', async () => {
    const { code, output } = await runFixture(true);
    expect(code, output).not.toBe(0);
    expect(output).toContain('process warnings');
    expect(output).toMatch(/MaxListenersExceededWarning: Possible EventEmitter memory leak detected/);
  });

  it('the same test without the leak passes', async () => {
    const { code, output } = await runFixture(false);
    expect(code, output).toBe(0);
  });
});
