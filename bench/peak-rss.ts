/**
 * Runs a Node process with a probe that prints its peak RSS as it exits, and reads it back: how the
 * import benchmark and the CLI's memory tests measure one process's memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Loaded with `--import`: prints `PEAK_RSS_KB <n> CPU_US <n>` to stderr when the process exits. */
const RSS_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    'import { writeSync } from "node:fs"; process.on("exit", () => { const u = process.resourceUsage(); ' +
      'writeSync(2, `\\nPEAK_RSS_KB ${u.maxRSS} CPU_US ${u.userCPUTime + u.systemCPUTime}\\n`); });',
  );

export interface MeasuredRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in KiB (NaN when the process died before printing it). */
  peakKb: number;
  /** CPU time of the process (user + system), ms (NaN as above). */
  cpuMs: number;
  /** Wall time from start to exit, ms. */
  wallMs: number;
}

/** `node [nodeArgs] --import <probe> script ...args`, with its output and peak RSS. */
export async function runWithPeakRss(
  script: string,
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; env: NodeJS.ProcessEnv; cwd?: string },
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', RSS_PROBE, script, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const [code] = (await once(child, 'close')) as [number];
  const wallMs = performance.now() - started;
  const cpuUs = Number(/PEAK_RSS_KB \d+ CPU_US (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  return { code, stdout, stderr, peakKb: Number(/PEAK_RSS_KB (\d+)/.exec(stderr)?.[1] ?? Number.NaN), cpuMs: cpuUs / 1000, wallMs };
}
