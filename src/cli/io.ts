/** Where a command writes and what it reads from its surroundings (the process, or a test's fakes). */
import type { Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}
