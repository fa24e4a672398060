/**
 * Progress of an import on stderr: a bar redrawn in place on a terminal, a plain line every few
 * seconds otherwise (logs, CI), nothing with --quiet; and the summary at the end.
 */
import { lstatSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';

export interface ImportStats {
  /** Rows read from the input (valid or not). */
  read: number;
  /** Rows ThriveStack acknowledged in this run. */
  sent: number;
  /** Valid rows skipped because the checkpoint shows them acknowledged by an earlier run. */
  skipped: number;
  /** Rows refused before sending (invalid), never sent. */
  rejected: number;
  /** Valid rows not delivered: refused by ThriveStack or still failing after every retry. */
  failed: number;
  startedAt: number;
}

export const newStats = (now = Date.now()): ImportStats => ({ read: 0, sent: 0, skipped: 0, rejected: 0, failed: 0, startedAt: now });

const n = (value: number): string => Math.round(value).toLocaleString('en-US');

/** `1 row`, `2 rows`, `1,000 rows`. */
export function plural(count: number, noun: string): string {
  return `${n(count)} ${noun}${Math.round(count) === 1 ? '' : 's'}`;
}

/** `ms` as `m:ss` (or `h:mm:ss`), rounded; `up` rounds up instead (an ETA never shows 0:00 while time remains). */
export function duration(ms: number, up = false): string {
  const s = Math.max(0, up ? Math.ceil(ms / 1000) : Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  stats: ImportStats;
  /** Input size in bytes, when known: enables the bar's percentage and the ETA. */
  totalBytes: number | undefined;
  /**
   * Bytes of the input the rows read so far cover (up to the end of the last row the import took),
   * not what the file reader buffered ahead of them: on a small file that is most of it at once.
   */
  bytesConsumed: () => number;
  quiet: boolean;
  /** Plain mode: ms between lines (default 5,000). */
  intervalMs?: number;
  now?: () => number;
}

export class Progress {
  readonly #o: ProgressOptions;
  readonly #tty: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #drawn = false;

  constructor(options: ProgressOptions) {
    this.#o = options;
    this.#tty = options.stream.isTTY === true;
  }

  start(): void {
    if (this.#o.quiet || this.#timer) return;
    this.#timer = setInterval(() => this.render(), this.#tty ? 200 : (this.#o.intervalMs ?? 5_000));
    this.#timer.unref();
  }

  /** Writes a line (a rejected row, a notice) without tearing the bar. */
  log(line: string): void {
    this.#clear();
    this.#o.stream.write(`${line}\n`);
    if (this.#tty && this.#timer) this.render();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  /**
   * The status line: rows acknowledged against rows read (and to be sent), then the other counts, the
   * rate, the share of the input read and the ETA. Parts are dropped from the end, whole, so that the
   * line fits in `width` columns; it is never cut mid-word.
   *
   * The ETA is the rows left to settle (acknowledged, failed, rejected or skipped) at the rate rows
   * settled so far; the rows of the input not read yet are estimated from the share of its bytes the
   * rows read so far cover. Rounded up: it never says 0:00 while rows remain.
   */
  line(width = Infinity): string {
    const { stats, totalBytes } = this.#o;
    const now = (this.#o.now ?? Date.now)();
    const elapsed = Math.max(1, now - stats.startedAt);
    const perSecond = (count: number): number => (count / elapsed) * 1000;
    const toSend = stats.read - stats.rejected - stats.skipped;
    const share = toSend > 0 ? ` (${Math.floor((stats.sent / toSend) * 100)}%)` : '';
    const parts = [`${n(stats.sent)} of ${plural(toSend, 'row')} acknowledged${share}`, `${n(stats.read)} read`];
    if (stats.skipped) parts.push(`${n(stats.skipped)} skipped`);
    parts.push(`${n(stats.rejected)} rejected`, `${n(stats.failed)} failed`);
    // nothing sent yet (a resume skipping what earlier runs sent): the pace of reading, not "0 rows/s"
    parts.push(stats.sent > 0 || stats.read === 0 ? `${n(perSecond(stats.sent))} rows/s` : `${n(perSecond(stats.read))} rows read/s`);
    if (totalBytes) {
      const done = Math.min(1, this.#o.bytesConsumed() / totalBytes);
      parts.push(`input ${Math.floor(done * 100)}% read`);
      const settled = stats.sent + stats.failed + stats.rejected + stats.skipped;
      const expected = done >= 1 ? stats.read : done > 0 ? stats.read / done : undefined;
      if (expected !== undefined && settled > 0 && expected > settled) {
        parts.push(`ETA ${duration(((expected - settled) / settled) * elapsed, true)}`);
      }
    }
    let text = parts[0]!;
    for (const part of parts.slice(1)) {
      if (text.length + 3 + part.length > width) break;
      text += ` · ${part}`;
    }
    return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  }

  render(): void {
    if (this.#o.quiet) return;
    const stream = this.#o.stream;
    if (this.#tty) {
      const width = stream.columns ?? 80;
      stream.write(`\r\x1b[2K${this.line(width - 1)}`);
      this.#drawn = true;
    } else {
      stream.write(`thrivestack import: ${this.line()}\n`);
    }
  }

  #clear(): void {
    if (this.#tty && this.#drawn) this.#o.stream.write('\r\x1b[2K');
    this.#drawn = false;
  }
}

export interface Summary extends ImportStats {
  /** Rows queued or in flight when the import gave up on them (a second Ctrl-C, a fatal error). */
  abandoned: number;
  /** Rows read as the import stopped, never handed to the queue (0 or 1). */
  unsent: number;
  /** The first line not read or not handed over, when the import stopped before the end of its input. */
  stoppedAtLine?: number | undefined;
  /** Where the rows not read or not handed over start in the input, in bytes (0: the first byte). */
  stoppedAtByte?: number | undefined;
  /** CSV: the bytes of the input up to the end of its header row (blank lines and a BOM before it included). */
  headerBytes?: number | undefined;
  /** The input file (undefined for stdin) and its format, for the resume advice. */
  input?: string | undefined;
  format?: 'csv' | 'ndjson';
  seconds: number;
  rowsPerSecond: number;
  /** How the run ended. */
  outcome: 'complete' | 'failed' | 'interrupted' | 'dry-run' | 'aborted';
  exitCode: number;
  checkpoint?: string | undefined;
  rejectsFile?: string | undefined;
  /** Rows acknowledged in all runs recorded by the checkpoint. */
  acknowledgedInAllRuns?: number | undefined;
  error?: string | undefined;
}

const shellWord = (text: string): string => (/^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);
/** A path as a shell word that no command takes for an option (`-lead.csv` → `./-lead.csv`). */
const shellPath = (path: string): string => shellWord(path.startsWith('-') ? `./${path}` : path);

/**
 * The file the rest goes to: beside the input, named after it and the byte the rest starts at
 * (`accounts.rest-967.csv`), and a name nothing has yet (else `-2`, `-3`, ...). So it is never the input
 * or the rejects file, not even through a link: the shell empties the file `>` names before the command
 * reads anything, and `tail -c +967 rest.csv > rest.csv` (a fixed name, followed once more after a
 * second stop) destroyed every row not sent yet.
 */
function restFile(input: string, ext: string, at: number, rejects: string | undefined): string {
  const stem = basename(input).replace(/(.)\.[^.]*$/, '$1');
  const taken = new Set([input, rejects].filter((path) => path !== undefined).map((path) => resolve(path)));
  for (let n = 1; ; n++) {
    const file = join(dirname(input), `${stem}.rest-${at + 1}${n > 1 ? `-${n}` : ''}.${ext}`);
    if (!taken.has(resolve(file)) && !exists(file)) return file;
  }
}

/** Whether anything is at `path`, a link to nothing included. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command that writes the rows of `input` from byte `at` on (0: the first) to a file of their own
 * (`restFile`), and the words to import it: by bytes (`tail -c`), which land exactly between two rows
 * whatever line breaks the rows (and the header) hold or end with; a CSV keeps its header, its first
 * `header` bytes (`head -c`), unless nothing past it was read.
 */
function restCommand(input: string, format: 'csv' | 'ndjson' | undefined, at: number, header: number, rejects: string | undefined): string {
  const file = shellPath(input);
  const ext = format === 'csv' ? 'csv' : 'ndjson';
  const rest = shellPath(restFile(input, ext, at, rejects));
  const tail = `tail -c +${at + 1} ${file}`;
  const command = format === 'csv' && at > 0 && header > 0 ? `(head -c ${header} ${file}; ${tail})` : tail;
  return `${command} > ${rest}, and import ${rest}`;
}

/**
 * The summary: every row read accounted for (sent + rejected + failed + skipped + abandoned + not
 * sent = read), and, when the import stopped early, where, and what to run next.
 */
export function summaryText(s: Summary): string {
  const dry = s.outcome === 'dry-run';
  const parts = [`${n(s.sent)} sent (acknowledged)`];
  if (s.skipped) parts.push(`${n(s.skipped)} skipped (acknowledged in an earlier run)`);
  parts.push(`${n(s.rejected)} rejected`, `${n(s.failed)} failed`);
  if (s.abandoned) parts.push(`${n(s.abandoned)} abandoned (queued or in flight when the import stopped: not acknowledged)`);
  if (s.unsent) parts.push(`${n(s.unsent)} not sent (read as the import stopped)`);
  const counts = dry
    ? `${plural(s.read, 'row')} read, ${n(s.read - s.rejected)} valid, ${n(s.rejected)} rejected`
    : `${plural(s.read, 'row')} read: ${parts.join(', ')}`;
  // a rate only of rows sent: a run that skipped every row sent none, at no rate worth showing
  const everySkipped = s.sent === 0 && s.skipped > 0 && s.skipped === s.read - s.rejected;
  const pace = dry ? '' : s.sent > 0 ? ` (${n(s.rowsPerSecond)} rows/s)` : everySkipped ? ' (every valid row skipped: nothing left to send)' : '';
  const lines = [`${dry ? 'Dry run: nothing was sent. ' : ''}${counts} in ${s.seconds.toFixed(1)} s${pace}.`];
  if (s.error) lines.push(`Stopped: ${s.error}`);
  const notDelivered = s.failed + s.abandoned + s.unsent;
  if (s.stoppedAtLine !== undefined && s.outcome !== 'complete' && s.outcome !== 'failed') {
    const where = s.input ? ` of ${s.input}` : '';
    lines.push(
      `The import stopped at line ${s.stoppedAtLine}${where}: that row and every one after it were not sent (not even read).`,
    );
    const interrupted = s.outcome === 'interrupted' ? 'Interrupted. ' : '';
    if (s.checkpoint) {
      lines.push(
        `${interrupted}Run the same command again to resume from ${s.checkpoint}. Acknowledged rows are skipped; ` +
          'the failed, abandoned and unread ones are sent.',
      );
    } else {
      const rest = s.input ? ` To send only the rest: ${restCommand(s.input, s.format, s.stoppedAtByte ?? 0, s.headerBytes ?? 0, s.rejectsFile)}` +
          `${notDelivered > 0 ? (s.rejectsFile ? ` and the rows in ${s.rejectsFile} marked failed, not acknowledged or not sent` : ' (the failed and abandoned rows above it are not listed: pass --rejects FILE)') : ''}.`
        : '';
      lines.push(`${interrupted}Without --checkpoint a rerun sends every row again (duplicates at ThriveStack).${rest}`);
    }
  } else if (s.outcome === 'interrupted') {
    lines.push(
      s.checkpoint
        ? `Interrupted. Run the same command again to resume from ${s.checkpoint}.`
        : 'Interrupted. Without --checkpoint a rerun sends every row again.',
    );
  }
  if (s.rejected + notDelivered > 0 && s.rejectsFile) {
    lines.push(`Every row read and not delivered (rejected, failed, not acknowledged, not sent), with its line and the reason: ${s.rejectsFile}`);
  }
  if (notDelivered > 0 && s.checkpoint && s.stoppedAtLine === undefined) {
    lines.push(`Rows that failed are not in the checkpoint: run the same command again to retry them.`);
  }
  return `${lines.join('\n')}\n`;
}
