/**
 * Starts a Prism mock of openapi/openapi.yaml on a free port on 127.0.0.1 and stops it again.
 * Used by the vitest global setup, `npm start` and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const SPEC = fileURLToPath(new URL('../openapi/openapi.yaml', import.meta.url));

export interface RunningPrism {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A port the OS says is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Asks a child process to stop (SIGTERM unless told otherwise), and kills it if it has not within 3 s. */
export function stopChild(child: ChildProcess, ask: () => void = () => child.kill('SIGTERM')): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    ask();
  });
}

/** Resolves once a Prism process says "Prism is listening"; rejects with its output if it exits or takes longer than `timeoutMs`. */
export function untilListening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Prism did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited with code ${code} before listening:\n${output}`));
    });
  });
}

export async function startPrism(options: { timeoutMs?: number; attempts?: number } = {}): Promise<RunningPrism> {
  const bin = require.resolve('@stoplight/prism-cli/dist/index.js');
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.attempts ?? 3); attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'mock', SPEC, '--host', '127.0.0.1', '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    try {
      await untilListening(child, options.timeoutMs ?? 30_000);
      // keep draining its output so the pipe never fills up and blocks it
      child.stdout!.resume();
      child.stderr!.resume();
      return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child) };
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  throw lastError;
}
