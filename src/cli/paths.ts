/**
 * The files an import reads and writes must be distinct: `--rejects` naming the input would empty it
 * before it is read, `--rejects` naming the checkpoint would lose the rejected rows, `--rejects` naming
 * the --api-key-file would destroy the key (and a key file read as the input would put the key in the
 * rejects). Compared by resolved path and, for what exists (stdin included, and pipes and sockets:
 * `--rejects /dev/stdin` with the input piped in), by device and inode, so that links and other
 * spellings of one file are caught too. A file that does not exist yet is named by the real path of
 * its directory and its name (so `dir-link/../x` is where the system would create it), and a dangling
 * symbolic link by its target (which writing through it would create). Checked before anything is
 * opened for writing.
 */
import { fstatSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from './args.js';

export interface NamedPath {
  /** How the user named it: `the input`, `--rejects`, `--checkpoint`. */
  role: string;
  /** The path as given; `-` for stdin. */
  path: string;
  /** Only read (the input, the key file); files written come after every file only read. */
  readOnly?: boolean;
}

function identity(path: string): string | undefined {
  try {
    const stats = path === '-' ? fstatSync(0) : statSync(path);
    // A pipe or a socket is compared too: `--rejects /dev/stdin` with the input piped in is that pipe, and
    // the import would read its own rejects back, forever. A character device (a terminal, /dev/null)
    // is not: writing one destroys nothing the import reads.
    return stats.isCharacterDevice() ? undefined : `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/** Where `path` really is: its real path, or for a file not there yet, where writing it would create it. */
export function canonicalPath(path: string, depth = 0): string {
  try {
    return realpathSync.native(path); // the system's: `link/..` is the parent of the link's target (the JS one normalizes first)
  } catch {
    // not there (yet), or a dangling link
  }
  if (depth < 40) {
    try {
      if (lstatSync(path).isSymbolicLink()) {
        const target = readlinkSync(path);
        return canonicalPath(isAbsolute(target) ? target : `${dirname(path)}/${target}`, depth + 1);
      }
    } catch {
      // not there: name it by its directory below
    }
    const parent = dirname(path);
    if (parent !== path) return join(canonicalPath(parent, depth + 1), basename(path));
  }
  return resolve(path);
}

/** Throws `UsageError` when two of `paths` name the same file. */
export function assertDistinct(paths: readonly NamedPath[]): void {
  const seen = paths.map((p) => ({ ...p, resolved: p.path === '-' ? undefined : canonicalPath(p.path), id: identity(p.path) }));
  for (let i = 0; i < seen.length; i++) {
    for (let j = i + 1; j < seen.length; j++) {
      const a = seen[i]!;
      const b = seen[j]!;
      const samePath = a.resolved !== undefined && a.resolved === b.resolved;
      const sameFile = a.id !== undefined && a.id === b.id;
      if (samePath || sameFile) {
        const path = b.path === '-' ? a.path : b.path;
        const why = b.readOnly ? '' : `: writing ${b.role} would destroy ${a.role}`;
        throw new UsageError(`${a.role} and ${b.role} name the same file (${path})${why}; give ${b.role} another file`);
      }
    }
  }
}
