/**
 * One import at a time per checkpoint: `<checkpoint>.lock` holds the PID of the import using it. Two
 * imports writing one checkpoint would each send the rows the other has not recorded yet (duplicates
 * beyond the bound) and interleave their records. The lock appears atomically with its PID in it (a
 * temp file hard-linked to the lock's name, which fails if the lock exists; an exclusive `wx` create
 * where hard links are not supported); a lock whose process is gone (killed) is taken over.
 */
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { UsageError } from './args.js';

export class CheckpointLock {
  readonly path: string;
  #held = true;

  private constructor(path: string) {
    this.path = path;
  }

  /** Takes the lock of `checkpointPath`, or throws `UsageError` (another import holds it, or it cannot be written). */
  static take(checkpointPath: string): CheckpointLock {
    const path = `${checkpointPath}.lock`;
    const temp = `${checkpointPath}.${process.pid}.lock-tmp`;
    try {
      writeFileSync(temp, `${process.pid}\n`, { flag: 'w' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const hint = code === 'ENOENT' ? ' (no such directory)' : '';
      throw new UsageError(`cannot write --checkpoint ${checkpointPath}: ${code}${hint}`);
    }
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          createExclusive(temp, path);
          return new CheckpointLock(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
            throw new UsageError(`cannot create the lock file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          }
        }
        const owner = lockOwner(path);
        if (owner !== undefined && owner !== process.pid && processAlive(owner) || attempt >= 2) {
          throw new UsageError(
            `another import (PID ${owner ?? '?'}) is using --checkpoint ${checkpointPath}: two at once would send rows twice. ` +
              `Wait for it to finish, or pass another --checkpoint (if no import is running, delete ${path})`,
          );
        }
        // the import that held it is gone: take it over
        try {
          unlinkSync(path);
        } catch {
          // another import took it over first: the next link attempt tells
        }
      }
    } finally {
      try {
        unlinkSync(temp);
      } catch {
        // gone already
      }
    }
  }

  /** Releases the lock (if it is still ours). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (lockOwner(this.path) !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch {
      // gone already
    }
  }
}

/**
 * Creates `path` holding this process's PID, failing with EEXIST if it exists: a hard link of `temp`
 * (the lock appears with its PID already in it), or, where the file system has no hard links, an
 * exclusive create (`wx`) and a write.
 */
function createExclusive(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
  }
}

function lockOwner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
