/** Opening the import's input (a file or stdin), telling its format, and what a reader yields. */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { extname } from 'node:path';
import { UsageError, echo } from './args.js';

export type InputFormat = 'csv' | 'ndjson';

/** One row of the input, as read: a wire-format call, or why it could not be read. */
export interface InputRow {
  /** 1-based line number where the row starts. */
  line: number;
  /** The line it ends on, when it spans several (a CSV record with line breaks in quoted cells). */
  endLine?: number;
  /** The row as a wire-format group call object (CSV: built from the cells), when it could be read. */
  wire?: unknown;
  /** Why the row could not be read (not JSON, wrong number of cells, broken CSV quoting). */
  error?: string;
  /** The original row, for the rejects file: the line's text (NDJSON) or the cells (CSV). */
  original: string | string[];
  /** `original` is only the start of a row too large to keep (see `capped-lines.ts`). */
  truncated?: boolean;
  /**
   * Where in the input the row ends (the byte after it, its line break included), when known: the
   * share of the input the rows read so far cover (progress), as opposed to what the file reader has
   * buffered ahead of them, and where the rows not read start (the `tail -c` of the resume advice).
   */
  end?: number;
}

const EXTENSIONS: Record<string, InputFormat> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' };

export function formatOf(file: string, given: string | undefined): InputFormat {
  if (given !== undefined) {
    if (given !== 'csv' && given !== 'ndjson') throw new UsageError(`--format must be csv or ndjson, got ${echo(given)}`);
    return given;
  }
  if (file === '-') throw new UsageError('reading stdin (-) needs --format csv or --format ndjson');
  const format = EXTENSIONS[extname(file).toLowerCase()];
  if (!format) throw new UsageError(`cannot tell the format of ${file} from its extension; pass --format csv or --format ndjson`);
  return format;
}

export interface OpenedInput {
  /** Total bytes, when known (a regular file). */
  size: number | undefined;
  /** The byte stream. */
  stream(): Readable;
}

/** Opens a file (checked now, so a missing file is a usage error) or stdin for `-`. */
export function openInput(file: string): OpenedInput {
  let size: number | undefined;
  let open: () => Readable;
  if (file === '-') {
    open = () => process.stdin;
  } else {
    let stats;
    try {
      stats = statSync(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    if (stats.isDirectory()) throw new UsageError(`${file} is a directory, not a file`);
    if (stats.isFile()) size = stats.size;
    open = () => createReadStream(file);
  }
  return { size, stream: open };
}
