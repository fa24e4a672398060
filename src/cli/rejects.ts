/**
 * The --rejects file: every row that was not delivered, as it was in the input, with its line number
 * and the reason. CSV input gives a CSV file (columns `line`, `reason`, then the input's columns);
 * NDJSON input gives NDJSON lines `{"line": 12, "reason": "...", "row": "<the original line>"}`.
 * A row too large to send (over 2 MB) is not copied: only its first 200 bytes are written (NDJSON:
 * `"row"` holds them and `"truncated": true`; CSV: the reason quotes them, the cells stay empty).
 */
import { closeSync, constants, createWriteStream, fstatSync, ftruncateSync, openSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { UsageError } from './args.js';
import type { InputFormat } from './input.js';

/**
 * The shell command that keeps the original rows of an NDJSON rejects file (the guide shows the same):
 * Node is there wherever the command runs, jq may not be.
 */
export const NDJSON_ROWS_COMMAND =
  `node -e 'for (const l of require("fs").readFileSync(0, "utf8").split("\\n")) if (l) console.log(JSON.parse(l).row)' ` +
  '< rejects.ndjson > fixed.ndjson';

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

/**
 * Opens `path` for appending without ever blocking: a synchronous open() of a named pipe nobody reads
 * waits for a reader, and no signal is handled meanwhile (Ctrl-C and SIGTERM ignored). Opened with
 * O_NONBLOCK, such a pipe fails at once with ENXIO. O_NONBLOCK means nothing to a regular file, which
 * is kept as opened. Anything else (a pipe with a reader, a terminal, /dev/stderr) is opened again
 * without it, since its writes must wait for the reader rather than fail with EAGAIN; the first open
 * is closed only after that (a pipe's reader sees its end once no writer is left, and would go).
 */
function openWithoutBlocking(path: string): number {
  const probe = openSync(path, APPEND | (constants.O_NONBLOCK ?? 0), 0o666);
  try {
    if (fstatSync(probe).isFile()) return probe;
  } catch (error) {
    closeSync(probe);
    throw error;
  }
  try {
    return openSync(path, APPEND, 0o666); // a reader is there: it does not wait
  } finally {
    closeSync(probe);
  }
}

export class RejectsWriter {
  readonly path: string;
  readonly #format: InputFormat;
  readonly #out: WriteStream;
  readonly #fd: number;
  #header: string[] | undefined;
  #wroteHeader = false;
  #error: Error | undefined;

  private constructor(path: string, format: InputFormat, fd: number) {
    const out = createWriteStream('', { fd });
    this.path = path;
    this.#fd = fd;
    this.#format = format;
    this.#out = out;
    out.on('error', (error) => (this.#error = error));
  }

  /**
   * Opens the file now without emptying it (so that an unwritable path is a usage error before
   * anything is sent, and a run that stops with a usage error leaves an earlier report intact);
   * `truncate()` empties it once every such check passed.
   */
  static open(path: string, format: InputFormat): RejectsWriter {
    let fd: number;
    try {
      fd = openWithoutBlocking(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENXIO') {
        throw new UsageError(
          `--rejects ${path} is a named pipe (or socket) that no process is reading: start its reader first, or give --rejects a file`,
        );
      }
      throw new UsageError(`cannot write --rejects ${path}: ${code ?? (error as Error).message}`);
    }
    return new RejectsWriter(path, format, fd);
  }

  /** Empties the file (opened for appending): this run's report replaces the last one. */
  truncate(): void {
    if (fstatSync(this.#fd).isFile()) ftruncateSync(this.#fd, 0);
  }

  /** The input's CSV header, written after `line,reason`. */
  setHeader(cells: string[]): void {
    this.#header = cells;
  }

  /** Writes one row; resolves once the stream can take more (backpressure). */
  async write(line: number, reason: string, original: string | string[], truncated = false): Promise<void> {
    if (this.#error) throw this.#error;
    let text: string;
    if (this.#format === 'csv') {
      if (!this.#wroteHeader) {
        this.#wroteHeader = true;
        this.#out.write(`${['line', 'reason', ...(this.#header ?? [])].map(csvField).join(',')}\n`);
      }
      const cells = Array.isArray(original) ? original : [original];
      const why = truncated ? `${reason}; it starts: ${JSON.stringify(cells.join(','))}` : reason;
      text = `${[String(line), why, ...(truncated ? [] : cells)].map(csvField).join(',')}\n`;
    } else {
      const row = Array.isArray(original) ? original.join(',') : original;
      text = `${JSON.stringify(truncated ? { line, reason, row, truncated: true } : { line, reason, row })}\n`;
    }
    if (!this.#out.write(text)) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    if (this.#out.closed) return;
    this.#out.end();
    await once(this.#out, 'close');
    if (this.#error) throw this.#error;
  }
}
