/**
 * Who a process is, in a form another process can check later: a random token, the host (name and,
 * on Linux, the kernel's boot id), the PID namespace, the PID and the process's start time. And
 * whether such a process is still running, answered only when it can be proven: a PID means nothing
 * in another PID namespace (two containers sharing a volume both run their import as PID 1) or on
 * another host, and a PID can be reused by a new process (its start time then differs).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { safeText } from '../safe-text.js';

/** What a lock (or a claim on one) records about the process that wrote it. */
export interface ProcessRecord {
  /** Random, unique to one lock attempt: tells two processes apart whatever their PIDs. */
  token: string;
  /** `os.hostname()`. */
  host: string;
  /** The kernel's boot id (Linux; '' elsewhere): the same host name on two machines is two hosts. */
  boot: string;
  /** The PID namespace (Linux, e.g. `pid:[4026531836]`; '' elsewhere). */
  pidns: string;
  pid: number;
  /** The process's start time in clock ticks since boot (Linux; '' elsewhere): a reused PID has another. */
  start: string;
  /** When the record was written (ISO 8601), for messages. */
  since: string;
}

export type Liveness =
  | { state: 'alive' }
  | { state: 'dead' }
  /** Running or not cannot be told from here: another host, another PID namespace, or an unreadable record. */
  | { state: 'unknown'; why: string };

const read = (path: string): string => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
};
const link = (path: string): string => {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
};

/** Field 22 of `/proc/<pid>/stat` (start time), and field 3 (state), read after the command's closing parenthesis. */
function procStat(pid: number | 'self'): { start: string; state: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

interface Self {
  host: string;
  boot: string;
  pidns: string;
  start: string;
  /** `/proc` shows this PID namespace (not a parent's): `/proc/<pid>` of a PID in it is that process. */
  procIsOurs: boolean;
}

let self: Self | undefined;
function me(): Self {
  self ??= {
    host: hostname(),
    boot: read('/proc/sys/kernel/random/boot_id'),
    pidns: link('/proc/self/ns/pid'),
    start: procStat('self')?.start ?? '',
    procIsOurs: link('/proc/self') === String(process.pid),
  };
  return self;
}

/** Tokens of the records this process wrote (a lock taken twice in one process is alive, not stale). */
const own = new Set<string>();

/** A new record of this process, with a fresh token (`token` replaces the random one, for tests). */
export function recordOfThisProcess(token: string = randomBytes(16).toString('hex')): ProcessRecord {
  const { host, boot, pidns, start } = me();
  own.add(token);
  return { token, host, boot, pidns, pid: process.pid, start, since: new Date().toISOString() };
}

/** A record read back from a file, when it is one (every field of the right type). */
export function parseRecord(text: string): ProcessRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const strings = ['token', 'host', 'boot', 'pidns', 'start', 'since'] as const;
  if (!strings.every((k) => typeof r[k] === 'string') || !Number.isSafeInteger(r.pid) || (r.pid as number) <= 0) return undefined;
  // this version writes 32 hex digits; a takeover's claim file is named after the token, so one too long
  // for a file name (or with other characters) is not a record this version wrote: its holder is unknown
  if (!/^[\w-]{1,64}$/.test(r.token as string)) return undefined;
  return value as ProcessRecord;
}

/**
 * Whether the process that wrote `record` still runs. `dead` only when that is certain: same host,
 * same boot, same PID namespace, and the PID is gone, is a zombie, or belongs to a process that
 * started at another time. Another host or namespace is `unknown`, whatever its PID.
 */
export function liveness(record: ProcessRecord): Liveness {
  if (own.has(record.token)) return { state: 'alive' };
  const here = me();
  if (record.host !== here.host || record.boot !== here.boot) {
    // the host name comes from a file anyone could have written: cleaned of what could drive a terminal
    const host = JSON.stringify(safeText(record.host, (t) => t, 64));
    return {
      state: 'unknown',
      why:
        record.host === here.host
          ? `it was taken on this machine (${host}) before a reboot, or on another machine of the same name, where this one cannot see its processes`
          : `it runs on another machine (${host}), where this one cannot see its processes`,
    };
  }
  if (record.pidns !== here.pidns) {
    return { state: 'unknown', why: 'it runs in another PID namespace (another container), where its PID means another process' };
  }
  if (record.pid === process.pid) return { state: 'dead' }; // our PID, not our token: the process that had it is gone
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return { state: 'dead' };
    // EPERM: it exists (another user's)
  }
  if (!here.procIsOurs || here.start === '' || record.start === '') return { state: 'alive' }; // cannot tell a reused PID: assume it is the same
  const stat = procStat(record.pid);
  if (stat === undefined) return { state: 'dead' }; // gone between the two checks
  if (stat.state === 'Z' || stat.state === 'X') return { state: 'dead' };
  return stat.start === record.start ? { state: 'alive' } : { state: 'dead' };
}
