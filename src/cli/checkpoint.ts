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
 * The file starts with a magic line and a JSON line naming the API that acknowledged its rows (base
 * URL and an API key fingerprint, `checkpointIdentity`); a checkpoint used against another API or key
 * is refused, since its rows say nothing about what that API has.
 *
 * Cost: 8 bytes per acknowledged row on disk and in memory (plus 1 bit while resuming, and 12 bytes
 * per write): 10,000,000 rows take an 80 MB checkpoint.
 *
 * Writing. When an import starts writing, the checkpoint is rewritten atomically (a temp file beside
 * it, fsync, rename: a kill at any instant leaves the old or the new file), which also drops any torn
 * record and removes temp files of killed writes. During the run, acknowledged rows are appended in
 * records that carry their own count and checksum, and each append is flushed to disk (fdatasync)
 * before the next; acknowledgements arriving meanwhile go in the next record (group commit), so a
 * small --batch-size never waits for one disk flush per request, and a write costs only the rows it
 * adds, however large the checkpoint. A record torn by a kill fails its checksum and is ignored when
 * the checkpoint is read: its rows count as not acknowledged (they are sent again), never the other way.
 * Damage in the middle is skipped byte by byte up to the next intact record, and reported (`damage`).
 */
import { closeSync, constants, fdatasync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import * as crypto from 'node:crypto';
import { basename, dirname, join } from 'node:path';

const MAGIC = 'thrivestack-import-checkpoint v3\n';
/** Create, never open what is there (O_EXCL also refuses a symbolic link). */
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const MAGIC_V2 = 'thrivestack-import-checkpoint v2\n';
/** Records a writer puts in one record at most (so a reader resynchronising tries bounded counts). */
const MAX_RECORD_KEYS = 65_536;
/** Bytes of the identity line after the magic, at most. */
const MAX_IDENTITY_BYTES = 4_096;
const KEY_BYTES = 8;
const MASK = (1n << 64n) - 1n;
/** Mixed into each record's checksum, so that a zero-filled tail never passes as a record. */
const SALT = 0x9e3779b97f4a7c15n;

/** How appends reach the disk (replaceable in tests, to see a failing disk). */
export interface AppendIO {
  write(fd: number, buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>;
  datasync(fd: number): Promise<void>;
}
const FS_IO: AppendIO = { write: promisify(write), datasync: promisify(fdatasync) };

/** One-shot hashing (Node 20.12+), about twice as fast per row as a Hash object; the same digest. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;

/** The key of a row: 64 bits of the SHA-256 of its normalized call JSON. */
export function rowKey(callJson: string): bigint {
  const digest = oneShot ? oneShot('sha256', callJson, 'buffer') : crypto.createHash('sha256').update(callJson).digest();
  return digest.readBigUInt64LE(0);
}

export class CheckpointError extends Error {}

/**
 * Which API acknowledged a checkpoint's rows: the base URL (origin and path) and a fingerprint of the
 * API key (the first 8 hex digits of its SHA-256: tells keys apart, never reveals one). Rows
 * acknowledged by a mock or another account say nothing about what the real API has.
 */
export interface CheckpointIdentity {
  api: string;
  key: string;
}

/** The identity of `baseUrl` + `apiKey` as recorded in a checkpoint. */
export function checkpointIdentity(baseUrl: string, apiKey: string): CheckpointIdentity {
  const url = new URL(baseUrl);
  return {
    api: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    key: crypto.createHash('sha256').update(apiKey).digest('hex').slice(0, 8),
  };
}

const identityLine = (id: CheckpointIdentity): string => `${JSON.stringify({ api: id.api, key: id.key })}\n`;

/** Something wrong found while reading a checkpoint, worth telling the user (its rows count as not acknowledged). */
export interface CheckpointDamage {
  /** Byte offset where the unreadable bytes start, and how many there are. */
  offset: number;
  bytes: number;
  /** Intact records (and their rows) found after the damaged bytes and kept. */
  recordsKeptAfter: number;
  rowsKeptAfter: number;
  /** The damage is at the very end: a write cut short (a kill), not corruption in the middle. */
  tornTail: boolean;
}

/** One record: [u32 count][count × u64 key][u64 checksum], little-endian. */
function record(keys: BigUint64Array): Buffer {
  const buffer = Buffer.alloc(4 + keys.length * KEY_BYTES + 8);
  buffer.writeUInt32LE(keys.length, 0);
  let sum = SALT ^ BigInt(keys.length);
  for (let i = 0; i < keys.length; i++) {
    buffer.writeBigUInt64LE(keys[i]!, 4 + i * KEY_BYTES);
    sum = (sum * 31n + keys[i]!) & MASK;
  }
  buffer.writeBigUInt64LE(sum, 4 + keys.length * KEY_BYTES);
  return buffer;
}

/** The keys of the record at `offset` when it is intact (count within bounds, checksum right). */
function recordAt(data: Buffer, offset: number, resync: boolean): BigUint64Array | undefined {
  if (offset + 4 > data.length) return undefined;
  const count = data.readUInt32LE(offset);
  if (resync && (count === 0 || count > MAX_RECORD_KEYS)) return undefined;
  const end = offset + 4 + count * KEY_BYTES + 8;
  if (end > data.length) return undefined;
  const keys = new BigUint64Array(count);
  let sum = SALT ^ BigInt(count);
  for (let i = 0; i < count; i++) {
    keys[i] = data.readBigUInt64LE(offset + 4 + i * KEY_BYTES);
    sum = (sum * 31n + keys[i]!) & MASK;
  }
  return data.readBigUInt64LE(end - 8) === sum ? keys : undefined;
}

/**
 * The keys of every intact record from `offset`. At a torn or corrupt record, looks for the next
 * intact one byte by byte (a record's 64-bit checksum makes a false match practically impossible) and
 * goes on from there; every stretch of unreadable bytes is reported in `damage`.
 */
function readRecords(data: Buffer, offset: number): { keys: BigUint64Array; damage: CheckpointDamage[] } {
  const chunks: BigUint64Array[] = [];
  const damage: CheckpointDamage[] = [];
  let total = 0;
  let current: CheckpointDamage | undefined;
  while (offset < data.length) {
    const keys = recordAt(data, offset, current !== undefined);
    if (keys === undefined) {
      current ??= { offset, bytes: 0, recordsKeptAfter: 0, rowsKeptAfter: 0, tornTail: false };
      offset++;
      continue;
    }
    if (current) {
      current.bytes = offset - current.offset;
      damage.push(current);
      current = undefined;
    }
    for (const d of damage) {
      d.recordsKeptAfter++;
      d.rowsKeptAfter += keys.length;
    }
    chunks.push(keys);
    total += keys.length;
    offset += 4 + keys.length * KEY_BYTES + 8;
  }
  if (current) {
    current.bytes = data.length - current.offset;
    current.tornTail = isTornTail(data, current.offset);
    damage.push(current);
  }
  const all = new BigUint64Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return { keys: all, damage };
}

/** Whether the bytes from `offset` look like one record cut short: its count says it would run past the end. */
function isTornTail(data: Buffer, offset: number): boolean {
  if (offset + 4 > data.length) return true;
  const count = data.readUInt32LE(offset);
  return count <= MAX_RECORD_KEYS && offset + 4 + count * KEY_BYTES + 8 > data.length;
}

/** One line for the user about damage found in a checkpoint. */
export function damageText(path: string, d: CheckpointDamage): string {
  const bytes = `${d.bytes.toLocaleString('en-US')} byte${d.bytes === 1 ? '' : 's'}`;
  if (d.tornTail) {
    return `checkpoint ${path}: the last ${bytes} (from byte ${d.offset}) are a write cut short (the import was killed); the rows it held count as not acknowledged and are sent again`;
  }
  const kept =
    d.recordsKeptAfter > 0
      ? `${d.recordsKeptAfter.toLocaleString('en-US')} intact record(s) after them (${d.rowsKeptAfter.toLocaleString('en-US')} rows) were kept`
      : 'nothing readable follows them';
  return (
    `warning: checkpoint ${path} is damaged: ${bytes} from byte offset ${d.offset} are not a valid record and were ignored ` +
    `(the rows recorded there, if any, count as not acknowledged and are sent again: duplicates at ThriveStack are possible); ${kept}`
  );
}

export class Checkpoint {
  /** The checkpoint as the user named it (for messages). */
  readonly path: string;
  /** Where it really is (`checkpoint-file.ts`): read, rewritten and renamed there, so a symbolic link stays a link. */
  readonly #file: string;
  /** Keys acknowledged by earlier runs, sorted; `#claimed` marks those a row of this run matched. */
  readonly #previous: BigUint64Array;
  readonly #claimed: Uint8Array;
  /** Keys acknowledged in this run, in a growing buffer. */
  #fresh = new BigUint64Array(1024);
  #freshCount = 0;
  #savedFresh = 0;
  #fd: number | undefined;
  #saving: Promise<void> | undefined;
  #error: Error | undefined;
  readonly #savedListeners = new Set<() => void>();
  readonly #io: AppendIO;

  readonly #identity: CheckpointIdentity;
  /** Unreadable stretches found when the checkpoint was read (see `damageText`). */
  readonly damage: readonly CheckpointDamage[];

  private constructor(
    path: string,
    file: string,
    identity: CheckpointIdentity,
    previous: BigUint64Array,
    damage: CheckpointDamage[],
    io: AppendIO,
  ) {
    this.path = path;
    this.#file = file;
    this.#io = io;
    this.#identity = identity;
    this.#previous = previous;
    this.damage = damage;
    this.#claimed = new Uint8Array(Math.ceil(previous.length / 8));
  }

  /**
   * Reads the checkpoint at `path` (none yet: an empty one) for imports to `identity` (the API and
   * key; without it, the checkpoint is only inspected, and must exist). Writes nothing. Throws `CheckpointError` when the file is not a checkpoint this version can
   * use, or when its rows were acknowledged by another API or with another key. `file` is where the
   * checkpoint really is (`checkpointFile(path)`), when `path` may be a link to it.
   */
  static load(path: string, identity?: CheckpointIdentity, io: AppendIO = FS_IO, file: string = path): Checkpoint {
    let data: Buffer | undefined;
    try {
      data = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CheckpointError(`cannot read checkpoint ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    if (data === undefined) {
      if (!identity) throw new CheckpointError(`checkpoint ${path} does not exist`);
      return new Checkpoint(path, file, identity, new BigUint64Array(0), [], io);
    }
    if (data[0] === 0x7b /* { */) {
      throw new CheckpointError(
        `checkpoint ${path} was written by an earlier version (it records line numbers, which cannot tell which rows were ` +
          'acknowledged once the input changes); delete it and run again (rows it covered are sent again), or pass another --checkpoint',
      );
    }
    if (data.subarray(0, MAGIC_V2.length).equals(Buffer.from(MAGIC_V2))) {
      throw new CheckpointError(
        `checkpoint ${path} was written by an earlier version, which did not record which API acknowledged its rows; ` +
          'delete it and run again (rows it covered are sent again), or pass another --checkpoint',
      );
    }
    if (!data.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) {
      throw new CheckpointError(`${path} is not a thrivestack import checkpoint; delete it to start over, or pass another --checkpoint`);
    }
    const lineEnd = data.indexOf(0x0a, MAGIC.length);
    let recorded: CheckpointIdentity | undefined;
    if (lineEnd !== -1 && lineEnd - MAGIC.length <= MAX_IDENTITY_BYTES) {
      try {
        const parsed = JSON.parse(data.subarray(MAGIC.length, lineEnd).toString('utf8')) as Partial<CheckpointIdentity>;
        if (typeof parsed.api === 'string' && typeof parsed.key === 'string') recorded = { api: parsed.api, key: parsed.key };
      } catch {
        // reported below
      }
    }
    if (!recorded) {
      throw new CheckpointError(`checkpoint ${path} is damaged (its header is unreadable); delete it to start over, or pass another --checkpoint`);
    }
    identity ??= recorded; // read only to inspect it (tests, tools)
    const differs = [
      recorded.api !== identity.api ? `API ${JSON.stringify(recorded.api)}, not ${JSON.stringify(identity.api)} (--base-url)` : '',
      recorded.key !== identity.key ? `an API key with fingerprint ${recorded.key}, not ${identity.key}` : '',
    ].filter(Boolean);
    if (differs.length > 0) {
      throw new CheckpointError(
        `checkpoint ${path} records rows acknowledged by ${differs.join(' and by ')}: they say nothing about what this API has. ` +
          'Pass another --checkpoint for this API, or delete it to start over',
      );
    }
    const { keys, damage } = readRecords(data, lineEnd + 1);
    keys.sort();
    return new Checkpoint(path, file, identity, keys, damage, io);
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

  /**
   * Starts writing: removes temp files of killed writes, rewrites the checkpoint atomically (an
   * unwritable path fails now, before anything is sent) and opens it for appending.
   */
  start(): void {
    // the import holds the checkpoint's lock (lock.ts): every temp file beside it is a killed write's
    const dir = dirname(this.#file);
    const prefix = `${basename(this.#file)}.`;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // the write below reports an unusable directory
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !/^(?:\d+|[0-9a-f]{32})\.tmp$/.test(name.slice(prefix.length))) continue;
      try {
        unlinkSync(join(dir, name));
      } catch {
        // gone already
      }
    }
    // a new name, created exclusively: a symbolic link planted under a temp name is never written through
    const temp = `${this.#file}.${crypto.randomBytes(16).toString('hex')}.tmp`;
    const fd = openSync(temp, CREATE_EXCLUSIVE, 0o644);
    const put = (part: Buffer): void => {
      let offset = 0;
      while (offset < part.length) offset += writeSync(fd, part, offset, part.length - offset);
    };
    try {
      try {
        put(Buffer.from(MAGIC + identityLine(this.#identity)));
        // the rows of earlier runs as records of at most MAX_RECORD_KEYS keys, so no copy of them all is made
        const all = this.#previous;
        for (let from = 0; from < all.length; from += MAX_RECORD_KEYS) put(record(all.subarray(from, from + MAX_RECORD_KEYS)));
        const fresh = this.#fresh.subarray(0, this.#freshCount);
        for (let from = 0; from < fresh.length; from += MAX_RECORD_KEYS) put(record(fresh.subarray(from, from + MAX_RECORD_KEYS)));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.#file); // the real file: a symbolic link the user named it by stays a link
    } catch (error) {
      // a full disk or a failed rename leaves no temp file behind
      try {
        unlinkSync(temp);
      } catch {
        // not there
      }
      throw error;
    }
    this.#savedFresh = this.#freshCount;
    this.#fd = openSync(this.#file, 'a');
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
    while (this.#saving || (this.unsaved > 0 && this.#fd !== undefined && !this.#error)) {
      if (!this.#saving) this.#schedule();
      await this.#saving;
    }
    if (this.#error) throw this.#error;
  }

  /** Writes what is left and closes the file. */
  async close(): Promise<void> {
    try {
      await this.durable();
    } finally {
      if (this.#fd !== undefined) closeSync(this.#fd);
      this.#fd = undefined;
    }
  }

  #schedule(): void {
    if (this.#error || this.#saving || this.#fd === undefined) return;
    this.#saving = this.#loop().finally(() => (this.#saving = undefined));
  }

  /** Appends a record of the rows not yet written, flushes it to disk; again while more arrived. */
  async #loop(): Promise<void> {
    while (this.unsaved > 0 && this.#fd !== undefined) {
      const upTo = Math.min(this.#freshCount, this.#savedFresh + MAX_RECORD_KEYS);
      const buffer = record(this.#fresh.slice(this.#savedFresh, upTo));
      try {
        let offset = 0;
        while (offset < buffer.length) offset += (await this.#io.write(this.#fd, buffer, offset, buffer.length - offset)).bytesWritten;
        await this.#io.datasync(this.#fd);
      } catch (error) {
        this.#error = error as Error;
        for (const listener of this.#savedListeners) listener();
        return;
      }
      this.#savedFresh = upTo;
      for (const listener of this.#savedListeners) listener();
    }
  }
}
