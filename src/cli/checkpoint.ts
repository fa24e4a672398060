/**
 * The import checkpoint: which rows ThriveStack acknowledged, by content.
 *
 * A row's key is the first 8 bytes of the SHA-256 of its normalized call (the exact JSON the client
 * sends for it, from `prepareCall`). The checkpoint holds one key per acknowledged row; identical rows
 * are each accounted for, since a key appears once per acknowledged copy (an occurrence count). A
 * rerun reads the whole input again and validates every row; a valid row is skipped only when an
 * acknowledged copy of the same call is left unclaimed in the checkpoint, and it claims that copy. So
 * no edit of the input (in place, shifted, appended, truncated, another file, stdin) can make a row
 * that was never acknowledged be skipped: a row is skipped only if the very same call was delivered.
 * Rejected and failed rows are never recorded. Two different calls share a key with a probability of
 * about n²/2⁶⁵ (3 in a million for 10,000,000 rows).
 *
 * Cost: 8 bytes per acknowledged row on disk and in memory (plus 1 bit while resuming): 10,000,000
 * rows take an 80 MB checkpoint.
 *
 * Writes are atomic (a temp file beside it, fsync, rename), so a kill at any instant leaves the old or
 * the new file. They are batched (group commit): acknowledgements arriving while a write is under way
 * go in the next one, so a small --batch-size does not wait for a disk flush per request. Temp files
 * left by killed writes are removed when an import starts writing.
 */
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

const MAGIC = 'thrivestack-import-checkpoint v2\n';
const KEY_BYTES = 8;

/** The key of a row: 64 bits of the SHA-256 of its normalized call JSON. */
export function rowKey(callJson: string): bigint {
  return createHash('sha256').update(callJson).digest().readBigUInt64LE(0);
}

export class CheckpointError extends Error {}

interface Header {
  /** Keys in the file (acknowledged rows in all runs). */
  rows: number;
  updatedAt: string;
  key: string;
}

export class Checkpoint {
  readonly path: string;
  /** Keys acknowledged by earlier runs, sorted; `#claimed` marks those a row of this run matched. */
  readonly #previous: BigUint64Array;
  readonly #claimed: Uint8Array;
  /** Keys acknowledged in this run, in a growing buffer. */
  #fresh = new BigUint64Array(1024);
  #freshCount = 0;
  #savedFresh = 0;
  #saving: Promise<void> | undefined;
  #again = false;
  #lastSaveMs = 0;
  #lastSaveEnd = 0;
  #error: Error | undefined;
  readonly #savedListeners = new Set<() => void>();

  private constructor(path: string, previous: BigUint64Array) {
    this.path = path;
    this.#previous = previous;
    this.#claimed = new Uint8Array(Math.ceil(previous.length / 8));
  }

  /**
   * Reads the checkpoint at `path` (none yet: an empty one). Writes nothing. Throws `CheckpointError`
   * when the file is not a checkpoint this version can use.
   */
  static load(path: string): Checkpoint {
    let data: Buffer | undefined;
    try {
      data = readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CheckpointError(`cannot read checkpoint ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    if (data === undefined) return new Checkpoint(path, new BigUint64Array(0));
    const bad = (why: string): CheckpointError =>
      new CheckpointError(`${path} is not a thrivestack import checkpoint (${why}); delete it to start over, or pass another --checkpoint`);
    if (data[0] === 0x7b /* { */) {
      throw new CheckpointError(
        `checkpoint ${path} was written by an earlier version (it records line numbers, which cannot tell which rows were ` +
          'acknowledged once the input changes); delete it and run again (rows it covered are sent again), or pass another --checkpoint',
      );
    }
    if (!data.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) throw bad('unknown format');
    const headerEnd = data.indexOf(0x0a, MAGIC.length);
    if (headerEnd === -1) throw bad('no header');
    let header: Header;
    try {
      header = JSON.parse(data.subarray(MAGIC.length, headerEnd).toString('utf8')) as Header;
    } catch {
      throw bad('header is not JSON');
    }
    const body = data.subarray(headerEnd + 1);
    if (!Number.isInteger(header.rows) || body.length !== header.rows * KEY_BYTES) throw bad('truncated or corrupt');
    const keys = new BigUint64Array(header.rows);
    for (let i = 0; i < header.rows; i++) keys[i] = body.readBigUInt64LE(i * KEY_BYTES);
    keys.sort();
    return new Checkpoint(path, keys);
  }

  /** Rows acknowledged by earlier runs. */
  get previousRows(): number {
    return this.#previous.length;
  }

  /** Rows acknowledged in all runs (those of this run not yet written included). */
  get acknowledgedRows(): number {
    return this.#previous.length + this.#freshCount;
  }

  /** Rows acknowledged in this run and not yet on disk. */
  get unsaved(): number {
    return this.#freshCount - this.#savedFresh;
  }

  /** The error of the last failed write, if any (the import must stop). */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Whether an acknowledged copy of this row is left unclaimed; if so, claims it (the row is skipped).
   */
  claim(key: bigint): boolean {
    const keys = this.#previous;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < keys.length && keys[i] === key; i++) {
      const bit = 1 << (i & 7);
      if ((this.#claimed[i >>> 3]! & bit) === 0) {
        this.#claimed[i >>> 3]! |= bit;
        return true;
      }
    }
    return false;
  }

  /** Removes temp files of killed writes, and writes the checkpoint once (an unwritable path fails now). */
  start(): void {
    const dir = dirname(this.path);
    const prefix = `${basename(this.path)}.`;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // the write below reports an unusable directory
    }
    for (const name of names) {
      const match = name.startsWith(prefix) ? /^(\d+)\.tmp$/.exec(name.slice(prefix.length)) : null;
      if (!match) continue;
      const pid = Number(match[1]);
      if (pid !== process.pid && processAlive(pid)) continue; // another import is writing it
      try {
        unlinkSync(join(dir, name));
      } catch {
        // gone already
      }
    }
    this.#writeSync();
  }

  /** Records rows ThriveStack acknowledged; they are written soon (see `durable()`). */
  acknowledge(keys: readonly bigint[]): void {
    if (this.#freshCount + keys.length > this.#fresh.length) {
      const grown = new BigUint64Array(Math.max(this.#fresh.length * 2, this.#freshCount + keys.length));
      grown.set(this.#fresh.subarray(0, this.#freshCount));
      this.#fresh = grown;
    }
    for (const key of keys) this.#fresh[this.#freshCount++] = key;
    this.#schedule();
  }

  /** Calls `listener` after every completed write. Returns the function that stops listening. */
  onSaved(listener: () => void): () => void {
    this.#savedListeners.add(listener);
    return () => this.#savedListeners.delete(listener);
  }

  /** Resolves once every row acknowledged so far is on disk; rejects if a write failed. */
  async durable(): Promise<void> {
    while (this.#saving || this.unsaved > 0) {
      if (this.#error) throw this.#error;
      if (!this.#saving) this.#schedule(true);
      await this.#saving;
    }
    if (this.#error) throw this.#error;
  }

  #schedule(now = false): void {
    if (this.#error) return;
    if (this.#saving) {
      this.#again = true;
      return;
    }
    this.#saving = this.#loop(now).finally(() => (this.#saving = undefined));
  }

  async #loop(now: boolean): Promise<void> {
    let first = true;
    do {
      this.#again = false;
      // a small file is written again as soon as the last write ended (group commit); a large one,
      // whose writes take long, waits 4 × its last write so that writing stays a small share of the time
      const gap = (this.#lastSaveMs > 25 ? 4 * this.#lastSaveMs : 0) - (Date.now() - this.#lastSaveEnd);
      if (!(first && now) && gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      first = false;
      const count = this.#freshCount;
      const started = Date.now();
      try {
        await this.#writeAsync(count);
      } catch (error) {
        this.#error = error as Error;
        for (const listener of this.#savedListeners) listener();
        return;
      }
      this.#savedFresh = Math.max(this.#savedFresh, count);
      this.#lastSaveEnd = Date.now();
      this.#lastSaveMs = this.#lastSaveEnd - started;
      for (const listener of this.#savedListeners) listener();
    } while (this.#again || this.unsaved > 0);
  }

  #parts(freshCount: number): Buffer[] {
    const header: Header = { rows: this.#previous.length + freshCount, updatedAt: new Date().toISOString(), key: 'sha256-64le of the call JSON' };
    const view = (keys: BigUint64Array, n: number) => Buffer.from(keys.buffer, keys.byteOffset, n * KEY_BYTES);
    return [Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), view(this.#previous, this.#previous.length), view(this.#fresh, freshCount)];
  }

  get #temp(): string {
    return `${this.path}.${process.pid}.tmp`;
  }

  #writeSync(): void {
    const fd = openSync(this.#temp, 'w');
    try {
      for (const part of this.#parts(this.#freshCount)) {
        let offset = 0;
        while (offset < part.length) offset += writeSync(fd, part, offset, part.length - offset);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(this.#temp, this.path);
    this.#savedFresh = this.#freshCount;
  }

  async #writeAsync(count: number): Promise<void> {
    const handle = await open(this.#temp, 'w');
    try {
      await handle.writev(this.#parts(count));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.#temp, this.path);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
