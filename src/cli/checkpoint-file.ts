/**
 * Where a --checkpoint really is. Its lock (`<file>.lock`), the temp files of its atomic rewrite and
 * the rename that ends that rewrite all use the real path, so that one checkpoint named two ways (a
 * symbolic link to it, `dir-link/../x`) is one checkpoint with one lock, and a user's symbolic link
 * stays a link: the rename replaces the file it points to, never the link (which would leave the real
 * file without the rows acknowledged through the link).
 *
 * A checkpoint with more than one hard link is refused. Hard links have no real name to resolve
 * to: each name would get its own lock (two imports at once, each sending the rows the other has not
 * recorded), and the first rewrite (a rename onto one name) splits them into two files, the other
 * name keeping the old rows. No lock beside a name can cover the others (they may be in other
 * directories), so no safe way to use one was found: the user keeps one name.
 */
import { statSync } from 'node:fs';
import { UsageError } from './args.js';
import { canonicalPath } from './paths.js';

/** The real path of the checkpoint named `path` (of its directory and its name, for a new one). */
export function checkpointFile(path: string): string {
  return canonicalPath(path);
}

/**
 * Throws `UsageError` when the checkpoint at `real` (named `path`) cannot be used: not a regular file,
 * or more than one hard link. Called after the paths check, which says more when it is the input.
 */
export function assertUsableCheckpoint(path: string, real: string): void {
  let stats;
  try {
    stats = statSync(real);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // a new checkpoint: created there
    throw new UsageError(`cannot read --checkpoint ${path}: ${code ?? (error as Error).message}`);
  }
  if (!stats.isFile()) {
    throw new UsageError(`--checkpoint ${path} is not a regular file (a directory, a pipe or a device): pass a file for the checkpoint`);
  }
  if (stats.nlink > 1) {
    throw new UsageError(
      `--checkpoint ${path} has ${stats.nlink} hard links (other names for the same file): an import through each name ` +
        'would take its own lock and send the rows the other has not recorded, and rewriting it would split the names ' +
        'into two checkpoints. Keep one name (delete the other links; a symbolic link is fine) and run again',
    );
  }
}
