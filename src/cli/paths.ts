/**
 * The files an import reads and writes must be distinct: `--rejects` naming the input would empty it
 * before it is read, `--rejects` naming the checkpoint would lose the rejected rows. Compared by
 * resolved path and, for files that exist (stdin redirected from a file included), by device and inode,
 * so that links and other spellings of one file are caught too. Checked before anything is opened
 * for writing.
 */
import { fstatSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './args.js';

export interface NamedPath {
  /** How the user named it: `the input`, `--rejects`, `--checkpoint`. */
  role: string;
  /** The path as given; `-` for stdin. */
  path: string;
}

function identity(path: string): string | undefined {
  try {
    const stats = path === '-' ? fstatSync(0) : statSync(path);
    // pipes and terminals have no file to collide with
    return stats.isFile() ? `${stats.dev}:${stats.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Throws `UsageError` when two of `paths` name the same file. */
export function assertDistinct(paths: readonly NamedPath[]): void {
  const seen = paths.map((p) => ({ ...p, resolved: p.path === '-' ? undefined : resolve(p.path), id: identity(p.path) }));
  for (let i = 0; i < seen.length; i++) {
    for (let j = i + 1; j < seen.length; j++) {
      const a = seen[i]!;
      const b = seen[j]!;
      const samePath = a.resolved !== undefined && a.resolved === b.resolved;
      const sameFile = a.id !== undefined && a.id === b.id;
      if (samePath || sameFile) {
        const path = b.path === '-' ? a.path : b.path;
        throw new UsageError(`${a.role} and ${b.role} name the same file (${path}): writing ${b.role} would destroy ${a.role}; give ${b.role} another file`);
      }
    }
  }
}
