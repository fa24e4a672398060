/** Where a command writes and what it reads from its surroundings (the process, or a test's fakes). */
import type { Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

const guarded = new WeakSet<Writable>();

/**
 * A reader of the command's output that goes away (`... 2>&1 | head`, a dead ssh session) makes the
 * next write fail with EPIPE, emitted as an 'error' event: with no listener, the process would crash
 * mid-import (no summary, its lock left behind). With this listener the stream is given up (Node
 * destroys it; later writes to it go nowhere) and the command carries on: the rows are still sent,
 * the checkpoint saved, and the exit status is the one the run deserves.
 */
export function survivingClosedOutput(io: CliIO): void {
  for (const stream of [io.stdout, io.stderr]) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', () => {
      // nothing to tell, and nowhere to tell it: this stream is gone
    });
  }
}
