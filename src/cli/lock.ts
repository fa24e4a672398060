/**
 * One import at a time per checkpoint: `<checkpoint>.lock`. Two imports writing one checkpoint would
 * each send the rows the other has not recorded yet (duplicates beyond the bound) and interleave their
 * records.
 *
 * The lock file holds a record of the import that holds it (`process-identity.ts`: a random token,
 * host and boot, PID namespace, PID, start time). It appears atomically, with its record already in
 * it: a temp file (created exclusively under a random name, so a planted symbolic link is never
 * followed) hard-linked to the lock's name, which fails if the lock exists.
 *
 * Taking over a stale lock is a compare-and-swap, with no window in which two imports both win:
 * - a lock whose holder is provably gone (same host and PID namespace, and its PID is gone or now
 *   belongs to a process started at another time) is claimed by creating `<lock>.next-<its token>`
 *   exclusively: of all the imports that found it stale at once, exactly one creates that file;
 * - the claimant then checks that the lock still holds that same token (a takeover that completed in
 *   between makes the claim void: the claim file is only deleted after the lock was replaced), and
 *   renames its own record over the lock;
 * - a claimant killed before the rename leaves its claim file: the next import follows the chain of
 *   claims to the last one and, that claimant being gone too, claims after it.
 * A holder that cannot be proven gone (another host, another PID namespace, a record this version did
 * not write) is never taken over: the import exits 2 saying how to remove the lock if it really is stale.
 */
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { safeText } from '../safe-text.js';
import { UsageError } from './args.js';
import { liveness, parseRecord, recordOfThisProcess, type ProcessRecord } from './process-identity.js';

/** Bytes of a lock file read at most (a record is about 250). */
const MAX_RECORD_BYTES = 4_096;
/** Claims followed at most (each one left by a claimant killed mid-takeover). */
const MAX_CHAIN = 64;
/** Rounds of looking again (the lock released, a claim lost) before giving up. */
const MAX_ROUNDS = 100;
/** Looks at a lock whose record is not complete yet (written by a create-then-write fallback) before giving up on it. */
const MAX_PARTIAL_READS = 20;
const PARTIAL_WAIT_MS = 25;

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
/** Create, never open an existing path (O_EXCL also refuses a symbolic link, dangling or not). */
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;
/** Read without following a symbolic link, and without blocking on a planted FIFO. */
const READ_NOFOLLOW = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

/** Error codes of file systems that have no hard links (the fallback is an exclusive create, then a write). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

type Found =
  | { kind: 'missing' }
  | { kind: 'not-a-file' }
  | { kind: 'unreadable'; text: string }
  | { kind: 'record'; record: ProcessRecord };

/** What is at `path`: nothing, something that is not a regular file (a planted link), or a record. */
function readRecordAt(path: string): Found {
  let fd: number;
  try {
    fd = openSync(path, READ_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP' || code === 'EISDIR' || code === 'ENXIO') return { kind: 'not-a-file' };
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) return { kind: 'not-a-file' };
    const buffer = Buffer.alloc(MAX_RECORD_BYTES);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0 || (length += n) === buffer.length) break;
    }
    const text = buffer.subarray(0, length).toString('utf8');
    const record = parseRecord(text);
    return record ? { kind: 'record', record } : { kind: 'unreadable', text };
  } finally {
    closeSync(fd);
  }
}

/** Creates `path` exclusively (never through a link) holding `text`, flushed. Throws EEXIST if anything is there. */
function createFile(path: string, text: string): void {
  const fd = openSync(path, CREATE_EXCLUSIVE, 0o644);
  try {
    const bytes = Buffer.from(text);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes `path` appear holding the same record as `temp` (a hard link), or fails with EEXIST. */
function publish(temp: string, path: string, text: string): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    createFile(path, text); // readers that see it still empty wait for its record (MAX_PARTIAL_READS)
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** A record's fields for a message (they come from a file anyone could have written: cleaned). */
const shown = (text: string): string => safeText(text, (t) => t, 80);

export interface TakeOptions {
  /** Tokens to use instead of random ones (tests: a temp path known in advance). */
  token?: () => string;
  /** Where the checkpoint really is (`checkpointFile()`): the lock is beside it, whatever name it was given by. */
  file?: string;
}

export class CheckpointLock {
  readonly path: string;
  readonly #token: string;
  #held = true;

  private constructor(path: string, token: string) {
    this.path = path;
    this.#token = token;
  }

  /**
   * Takes the lock of `checkpointPath`, or throws `UsageError` (another import holds it, whether it
   * still runs cannot be told, or the lock cannot be written).
   */
  static take(checkpointPath: string, options: TakeOptions = {}): CheckpointLock {
    const path = `${options.file ?? checkpointPath}.lock`;
    const { temp, record, text } = writeTemp(checkpointPath, path, options);
    // Any other failure reading the lock or a claim (EACCES, EIO, ENAMETOOLONG for a claim named after a
    // token this version never writes...) means the holder cannot be checked: exit 2 naming the lock.
    const readRecord = (at: string): Found => {
      try {
        return readRecordAt(at);
      } catch (error) {
        throw unknownHolder(checkpointPath, path, `${at === path ? 'it' : 'a takeover of it'} could not be read (${errorCode(error)})`);
      }
    };
    try {
      let partialReads = 0;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        // 1. no lock: create it (atomically, with the record in it)
        try {
          publish(temp, path, text);
          return new CheckpointLock(path, record.token);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(path, error);
        }
        // 2. a lock is there: whose, and has a takeover of it begun?
        const head = readRecord(path);
        if (head.kind === 'missing') continue; // released meanwhile
        if (head.kind === 'not-a-file') throw notAFile(checkpointPath, path);
        if (head.kind === 'unreadable') {
          if (head.text.trim() === '' && ++partialReads < MAX_PARTIAL_READS) {
            sleep(PARTIAL_WAIT_MS); // being written (a file system without hard links)
            continue;
          }
          throw unknownHolder(checkpointPath, path, foreignText(head.text));
        }
        let tail = head.record;
        const chain: string[] = []; // the claims followed, each by an import gone before it renamed
        let depth = 0;
        for (; depth < MAX_CHAIN; depth++) {
          const next = readRecord(claimPath(path, tail.token));
          if (next.kind === 'missing') break;
          if (next.kind === 'not-a-file') throw notAFile(checkpointPath, claimPath(path, tail.token));
          if (next.kind === 'unreadable') {
            if (next.text.trim() === '' && ++partialReads < MAX_PARTIAL_READS) break; // looked at again next round
            throw unknownHolder(checkpointPath, path, 'a takeover of it was left unreadable');
          }
          chain.push(claimPath(path, tail.token));
          tail = next.record;
        }
        if (depth === MAX_CHAIN) throw unknownHolder(checkpointPath, path, `${MAX_CHAIN} takeovers of it were left unfinished`);
        const state = liveness(tail);
        if (state.state === 'alive') throw inUse(checkpointPath, path, tail, tail !== head.record);
        if (state.state === 'unknown') throw unknownHolder(checkpointPath, path, `it was taken by PID ${tail.pid} at ${shown(tail.since)}, and ${state.why}`);
        // 3. its holder is gone: claim the succession (one claimant wins), then check nothing moved
        const claim = claimPath(path, tail.token);
        try {
          publish(temp, claim, text);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // another import claimed it first
          throw unknownHolder(checkpointPath, path, `its holder is gone, but taking it over failed (${errorCode(error)})`);
        }
        const now = readRecord(path);
        if (now.kind !== 'record' || now.record.token !== head.record.token) {
          unlinkQuietly(claim); // a takeover completed since (or the lock was released): look again
          continue;
        }
        renameSync(temp, path);
        // only now (the lock holds another token) may the claims go: a claim deleted earlier could be made again
        for (const done of [claim, ...chain]) unlinkQuietly(done);
        removeLeftovers(path, record.token);
        return new CheckpointLock(path, record.token);
      }
      throw new UsageError(
        `cannot take the lock ${path} of --checkpoint ${checkpointPath}: other imports keep taking and releasing it; ` +
          'run one import per checkpoint',
      );
    } finally {
      unlinkQuietly(temp);
    }
  }

  /** Releases the lock (if it is still ours). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    let found: Found;
    try {
      found = readRecordAt(this.path);
    } catch {
      return; // unreadable now: left as it is (the next import reports it)
    }
    if (found.kind === 'record' && found.record.token === this.#token) unlinkQuietly(this.path);
  }
}

/** The name of a claim on the succession of the holder with `token`. */
const claimPath = (lock: string, token: string): string => `${lock}.next-${token.replace(/[^0-9a-zA-Z]/g, '_')}`;

/** This attempt's record in a new temp file beside the lock (a fresh random name while one is taken or planted). */
function writeTemp(checkpointPath: string, lock: string, options: TakeOptions): { temp: string; record: ProcessRecord; text: string } {
  for (let attempt = 0; ; attempt++) {
    const record = recordOfThisProcess(options.token?.());
    const text = `${JSON.stringify(record)}\n`;
    const temp = `${lock}.${record.token}.tmp`;
    try {
      createFile(temp, text);
      return { temp, record, text };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (code === 'EEXIST' && attempt < 10) continue; // something is there under this name: never written through
      const hint = code === 'ENOENT' ? ' (no such directory)' : '';
      throw new UsageError(`cannot write --checkpoint ${checkpointPath}: ${code}${hint}`);
    }
  }
}

/**
 * After a takeover: the claims and temp files of imports that are gone (the chain just followed,
 * claimants killed mid-takeover). A claim on a token that is not the lock's any more is void anyway.
 */
function removeLeftovers(lock: string, ownToken: string): void {
  const dir = dirname(lock);
  const prefix = `${basename(lock)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (!/^next-[\w]+$|^[0-9a-f]{32}\.tmp$/.test(rest)) continue;
    let found: Found;
    try {
      found = readRecordAt(join(dir, name));
    } catch {
      continue; // unreadable: not ours to remove
    }
    if (found.kind !== 'record' || found.record.token === ownToken) continue;
    if (liveness(found.record).state === 'dead') unlinkQuietly(join(dir, name));
  }
}

function foreignText(text: string): string {
  const pid = /^\s*(\d+)\s*$/.exec(text)?.[1];
  return pid !== undefined
    ? `it was written by an earlier version of thrivestack (PID ${pid}), whose locks this one cannot check`
    : 'it does not hold a lock record of this version';
}

const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? shown((error as Error).message);

function cannotCreate(path: string, error: unknown): UsageError {
  return new UsageError(`cannot create the lock file ${path}: ${errorCode(error)}`);
}

function inUse(checkpointPath: string, path: string, holder: ProcessRecord, takingOver: boolean): UsageError {
  return new UsageError(
    `another import (PID ${holder.pid}, since ${shown(holder.since)}) is ${takingOver ? 'taking over' : 'using'} --checkpoint ${checkpointPath}: ` +
      `two at once would send rows twice. Wait for it to finish, or pass another --checkpoint (the lock is ${path})`,
  );
}

function unknownHolder(checkpointPath: string, path: string, why: string): UsageError {
  return new UsageError(
    `--checkpoint ${checkpointPath} is locked (${path}) and whether the import holding it still runs cannot be checked from here: ${why}. ` +
      `If no import is using this checkpoint (on any machine or container), delete ${path} and run again`,
  );
}

function notAFile(checkpointPath: string, path: string): UsageError {
  return new UsageError(
    `${path} is not a lock file (a symbolic link, a directory or another special file; imports never create one): ` +
      `it is not followed nor replaced. Delete it and run again, or pass another --checkpoint than ${checkpointPath}`,
  );
}
