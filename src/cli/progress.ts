/**
 * Progress of an import on stderr: a bar redrawn in place on a terminal, a plain line every few
 * seconds otherwise (logs, CI), nothing with --quiet; and the summary at the end.
 */
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

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
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
  bytesRead: () => number;
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

  /** The status line: counts, rate, and with a known size the share done and the ETA. */
  line(width = 80): string {
    const { stats, totalBytes } = this.#o;
    const now = (this.#o.now ?? Date.now)();
    const elapsed = Math.max(1, now - stats.startedAt);
    const rate = (stats.read / elapsed) * 1000;
    const counts = `${n(stats.read)} read · ${n(stats.sent)} sent${stats.skipped ? ` · ${n(stats.skipped)} skipped` : ''} · ${n(stats.rejected)} rejected · ${n(stats.failed)} failed · ${n(rate)} rows/s`;
    if (!totalBytes) return counts;
    const done = Math.min(1, this.#o.bytesRead() / totalBytes);
    const eta = done > 0 && done < 1 ? ` · ETA ${duration((elapsed / done) * (1 - done))}` : '';
    const percent = `${Math.floor(done * 100)}%`.padStart(4);
    if (!this.#tty) return `${percent} · ${counts}${eta}`;
    // share done and ETA first, so that a narrow terminal cuts the counts rather than the ETA
    const barWidth = width >= 120 ? 24 : 12;
    const filled = Math.round(done * barWidth);
    return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${percent}${eta.replace(' · ', ' ')} · ${counts}`;
  }

  render(): void {
    if (this.#o.quiet) return;
    const stream = this.#o.stream;
    if (this.#tty) {
      const width = stream.columns ?? 80;
      const text = this.line(width);
      stream.write(`\r\x1b[2K${text.length > width - 1 ? text.slice(0, width - 1) : text}`);
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

export function summaryText(s: Summary): string {
  const lines = [
    `${s.outcome === 'dry-run' ? 'Dry run: nothing was sent. ' : ''}` +
      `${n(s.read)} rows read, ${n(s.sent)} sent, ${n(s.rejected)} rejected, ${n(s.failed)} failed` +
      `${s.skipped ? `, ${n(s.skipped)} skipped (acknowledged in an earlier run)` : ''} in ${s.seconds.toFixed(1)} s` +
      `${s.outcome === 'dry-run' ? '' : ` (${n(s.rowsPerSecond)} rows/s)`}.`,
  ];
  if (s.error) lines.push(`Stopped: ${s.error}`);
  if (s.outcome === 'interrupted') {
    lines.push(
      s.checkpoint
        ? `Interrupted. Run the same command again to resume from ${s.checkpoint}.`
        : 'Interrupted. Without --checkpoint a rerun sends every row again.',
    );
  }
  if (s.rejected + s.failed > 0 && s.rejectsFile) lines.push(`Rejected and failed rows, with the reason: ${s.rejectsFile}`);
  if (s.failed > 0 && s.checkpoint) lines.push(`Rows that failed are not in the checkpoint: run the same command again to retry them.`);
  return `${lines.join('\n')}\n`;
}
