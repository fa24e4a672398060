/**
 * The import checkpoint: which line ranges of the input ThriveStack has acknowledged.
 *
 * Every batch the importer sends covers a span of input lines: from the line after the previous
 * batch's last row to its own last row (a batch isolated by halving: each half covers its own part).
 * When ThriveStack acknowledges a batch (200), its span is merged into the acknowledged ranges and the
 * checkpoint is rewritten at once (temp file, fsync, rename), before anything else happens, so a file
 * on disk never claims a batch that was not acknowledged and a kill at any instant leaves either the
 * old or the new file. A rerun reads the whole input again and validates every row: valid rows inside
 * acknowledged ranges are skipped, everything else (rows never sent, in flight at the time, failed,
 * refused) is sent. Invalid rows are never sent, so they may lie inside a range: they are reported
 * again on every run.
 *
 * A failed or unsent batch leaves a hole, so the list stays as short as the number of holes.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';

/** Sorted, disjoint, non-adjacent inclusive line ranges. */
export class LineRanges {
  readonly #ranges: Array<[number, number]>;

  constructor(ranges: ReadonlyArray<readonly [number, number]> = []) {
    this.#ranges = [];
    for (const [from, to] of ranges) this.add(from, to);
  }

  /** Adds lines `from`..`to` (inclusive), merging with overlapping or adjacent ranges. */
  add(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 1 && to >= from)) {
      throw new RangeError(`not a line range: ${from}-${to}`);
    }
    const list = this.#ranges;
    // first range that ends at or after from - 1 (could merge)
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]![1] < from - 1) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    let start = from;
    let stop = to;
    while (end < list.length && list[end]![0] <= to + 1) {
      start = Math.min(start, list[end]![0]);
      stop = Math.max(stop, list[end]![1]);
      end++;
    }
    list.splice(lo, end - lo, [start, stop]);
  }

  has(line: number): boolean {
    const list = this.#ranges;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [from, to] = list[mid]!;
      if (line < from) hi = mid - 1;
      else if (line > to) lo = mid + 1;
      else return true;
    }
    return false;
  }

  toJSON(): Array<[number, number]> {
    return this.#ranges.map(([a, b]) => [a, b]);
  }

  get size(): number {
    return this.#ranges.length;
  }
}

/** What identifies the input a checkpoint belongs to. */
export interface InputFingerprint {
  /** The file's name, for people reading the checkpoint. */
  name: string;
  format: 'csv' | 'ndjson';
  /** Size in bytes; null for stdin. */
  bytes: number | null;
  /** SHA-256 of the first 64 KiB; null for stdin. */
  head: string | null;
}

export interface CheckpointFile {
  version: 1;
  input: InputFingerprint;
  /** Line ranges whose valid rows ThriveStack acknowledged. */
  acknowledged: Array<[number, number]>;
  /** Rows acknowledged in all runs so far. */
  acknowledgedRows: number;
  /** True when a run read the whole input and every valid row was acknowledged. */
  complete: boolean;
  updatedAt: string;
}

export class CheckpointError extends Error {}

const HEAD_BYTES = 64 * 1024;

/** The fingerprint of a file: its size and a hash of its first 64 KiB. */
export async function fingerprintFile(path: string, format: 'csv' | 'ndjson'): Promise<InputFingerprint> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex');
    return { name: basename(path), format, bytes: size, head };
  } finally {
    await handle.close();
  }
}

export class Checkpoint {
  readonly path: string;
  readonly ranges: LineRanges;
  /** Rows acknowledged by earlier runs (when the checkpoint was loaded). */
  readonly previousRows: number;
  readonly input: InputFingerprint;
  #rows: number;
  #complete = false;

  private constructor(path: string, input: InputFingerprint, ranges: LineRanges, rows: number) {
    this.path = path;
    this.input = input;
    this.ranges = ranges;
    this.previousRows = rows;
    this.#rows = rows;
  }

  /**
   * Loads the checkpoint at `path` for this input, or starts a new one (and writes it, so that an
   * unwritable path fails before anything is sent). Throws `CheckpointError` when the file is not a
   * checkpoint or belongs to another input.
   */
  static open(path: string, input: InputFingerprint): Checkpoint {
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CheckpointError(`cannot read checkpoint ${path}: ${(error as Error).message}`);
      }
    }
    if (text === undefined) {
      const fresh = new Checkpoint(path, input, new LineRanges(), 0);
      fresh.save();
      return fresh;
    }
    const saved = parseCheckpoint(text, path);
    const same = (a: unknown, b: unknown): boolean => a === null || b === null || a === b;
    if (saved.input.format !== input.format || !same(saved.input.bytes, input.bytes) || !same(saved.input.head, input.head)) {
      throw new CheckpointError(
        `checkpoint ${path} was written for another input (${saved.input.name}, ${saved.input.format}` +
          `${saved.input.bytes === null ? '' : `, ${saved.input.bytes} bytes`}); ` +
          'pass a new --checkpoint file, or delete this one to start over',
      );
    }
    const loaded = new Checkpoint(path, input, new LineRanges(saved.acknowledged), saved.acknowledgedRows);
    loaded.#complete = saved.complete;
    return loaded;
  }

  /** Rows acknowledged in all runs. */
  get acknowledgedRows(): number {
    return this.#rows;
  }

  get complete(): boolean {
    return this.#complete;
  }

  /** Records that ThriveStack acknowledged the `rows` valid rows of lines `from`..`to`, and saves. */
  acknowledge(from: number, to: number, rows: number): void {
    this.ranges.add(from, to);
    this.#rows += rows;
    this.save();
  }

  markComplete(): void {
    this.#complete = true;
    this.save();
  }

  /** Writes the checkpoint atomically: a temp file beside it, flushed to disk, renamed over it. */
  save(): void {
    const data: CheckpointFile = {
      version: 1,
      input: this.input,
      acknowledged: this.ranges.toJSON(),
      acknowledgedRows: this.#rows,
      complete: this.#complete,
      updatedAt: new Date().toISOString(),
    };
    const temp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, `${JSON.stringify(data)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
  }
}

function parseCheckpoint(text: string, path: string): CheckpointFile {
  const bad = (why: string): CheckpointError =>
    new CheckpointError(`${path} is not a thrivestack import checkpoint (${why}); delete it to start over`);
  let data: CheckpointFile;
  try {
    data = JSON.parse(text) as CheckpointFile;
  } catch {
    throw bad('not JSON');
  }
  if (data?.version !== 1) throw bad('unknown version');
  const okRanges =
    Array.isArray(data.acknowledged) &&
    data.acknowledged.every((r) => Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 1 && r[1] >= r[0]);
  if (!okRanges || typeof data.input !== 'object' || data.input === null || !Number.isInteger(data.acknowledgedRows)) {
    throw bad('missing or malformed fields');
  }
  return data;
}
