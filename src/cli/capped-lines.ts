/**
 * Reading the input in bounded pieces, whatever its rows look like. A row longer than the cap (the
 * 2 MB request limit: such a row can never be sent) is not buffered: the reader keeps a short prefix
 * for the report, counts its bytes, skips to the end of the row and reports it as oversized. Memory
 * stays at about one cap's worth whatever the input holds (a 600 MB line included).
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { MAX_REQUEST_BYTES } from '../generated/constants.js';

/** Rows longer than this many bytes are rejected without being buffered. */
export const MAX_ROW_BYTES = MAX_REQUEST_BYTES;
/** Bytes of an oversized row kept for the report and the rejects file. */
export const OVERSIZED_PREFIX_BYTES = 200;

export interface Oversized {
  /** 1-based line where the row starts. */
  line: number;
  /** The row's length in bytes (its line break excluded). */
  bytes: number;
  /** Its first bytes, decoded (at most OVERSIZED_PREFIX_BYTES). */
  prefix: string;
}

export type RawLine = { line: number; text: string } | { line: number; oversized: Oversized };

export function oversizedReason(o: Oversized): string {
  return (
    `row is ${o.bytes.toLocaleString('en-US')} bytes, over the ${MAX_ROW_BYTES.toLocaleString('en-US')}-byte request limit ` +
    'of the API: it can never be sent (split it, or shorten its traits)'
  );
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * The lines of `stream` (split at `\n`, a trailing `\r` dropped), each at most `cap` bytes; longer
 * ones come as `oversized`. Ends early, without an error, when `signal` aborts.
 */
export async function* cappedLines(stream: Readable, cap = MAX_ROW_BYTES, signal?: AbortSignal): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let dropping: Oversized | undefined;
  let droppedCr = false;
  let line = 1;
  const stop = (): void => {
    stream.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  const finish = (): RawLine => {
    const at = line++;
    if (dropping) {
      const done = dropping;
      dropping = undefined;
      if (droppedCr) done.bytes--; // the \r of a \r\n line break
      return { line: at, oversized: done };
    }
    let buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    if (buffer.length > 0 && buffer[buffer.length - 1] === CR) buffer = buffer.subarray(0, buffer.length - 1);
    return { line: at, text: buffer.toString('utf8') };
  };
  const keep = (piece: Buffer): void => {
    if (dropping) {
      dropping.bytes += piece.length;
      if (piece.length > 0) droppedCr = piece[piece.length - 1] === CR;
      return;
    }
    if (partBytes + piece.length <= cap) {
      parts.push(piece);
      partBytes += piece.length;
      return;
    }
    const head = Buffer.concat([...parts, piece.subarray(0, OVERSIZED_PREFIX_BYTES)]).subarray(0, OVERSIZED_PREFIX_BYTES);
    dropping = { line, bytes: partBytes + piece.length, prefix: head.toString('utf8').replace(/\uFFFD$/, '') };
    droppedCr = piece.length > 0 && piece[piece.length - 1] === CR;
    parts = [];
    partBytes = 0;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let start = 0;
      for (;;) {
        const end = buffer.indexOf(NL, start);
        if (end === -1) break;
        keep(buffer.subarray(start, end));
        yield finish();
        start = end + 1;
      }
      if (start < buffer.length) keep(buffer.subarray(start));
    }
    if (partBytes > 0 || dropping) yield finish();
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}

/** A record csv-parse reads in place of an oversized CSV record (whose details come from `taken()`). */
export const OVERSIZED_CSV_MARK = '\u0000thrivestack:oversized-record\u0000';

export interface OversizedRecord extends Oversized {
  /** Line breaks inside the record's quoted cells, as an editor counts them (`\r\n` is one). */
  editorBreaks: number;
}

/**
 * A filter in front of the CSV parser: passes records through unchanged while they are at most
 * `cap` bytes, and replaces a longer one (quoted line breaks included) by one record holding
 * `OVERSIZED_CSV_MARK`, keeping its details for `taken()`. Tracks quotes (RFC 4180: `""` inside a
 * quoted cell toggles twice) to tell a record's end from a line break inside a cell. Holds back at
 * most one record's first `cap` bytes.
 */
export class CsvRecordCap extends Transform {
  readonly #cap: number;
  #inQuotes = false;
  /** The current record's bytes from earlier chunks, held back (it may still grow past the cap). */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #dropping: OversizedRecord | undefined;
  /** Editor line of the current position, and where the current record started. */
  #line = 1;
  #recordLine = 1;
  /** Editor breaks inside quotes in the current record so far. */
  #recordBreaks = 0;
  #lastWasCr = false;
  readonly #found: OversizedRecord[] = [];

  constructor(cap = MAX_ROW_BYTES) {
    super();
    this.#cap = cap;
  }

  /** The next oversized record replaced by a mark (in file order). */
  taken(): OversizedRecord | undefined {
    return this.#found.shift();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let passFrom = 0; // chunk bytes before this were pushed or dropped
    let recordFrom = 0; // where the current record's bytes in this chunk start
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x22) this.#inQuotes = !this.#inQuotes;
      if (c === NL || c === CR) {
        const editorBreak = !(c === NL && this.#lastWasCr);
        this.#lastWasCr = c === CR;
        if (editorBreak) this.#line++;
        if (!this.#inQuotes) {
          if (this.#dropping) {
            this.#found.push(this.#dropping);
            this.#dropping = undefined;
            this.push(Buffer.concat([Buffer.from(`"${OVERSIZED_CSV_MARK}"`), chunk.subarray(i, i + 1)]));
            passFrom = i + 1;
          } else if (this.#held.length > 0) {
            for (const piece of this.#held) this.push(piece);
            this.#held = [];
            this.#heldBytes = 0;
          }
          recordFrom = i + 1;
          this.#recordLine = this.#line;
          this.#recordBreaks = 0;
          continue;
        }
        if (editorBreak) {
          this.#recordBreaks++;
          if (this.#dropping) this.#dropping.editorBreaks++;
        }
      } else {
        this.#lastWasCr = false;
      }
      if (this.#dropping) {
        this.#dropping.bytes++;
        passFrom = i + 1;
        continue;
      }
      if (this.#heldBytes + (i + 1 - recordFrom) > this.#cap) {
        // over the cap: let the complete records before it through, drop it, keep a prefix
        if (recordFrom > passFrom) this.push(chunk.subarray(passFrom, recordFrom));
        const head = Buffer.concat([...this.#held, chunk.subarray(recordFrom, Math.min(i + 1, recordFrom + OVERSIZED_PREFIX_BYTES))]);
        this.#dropping = {
          line: this.#recordLine,
          bytes: this.#heldBytes + (i + 1 - recordFrom),
          prefix: head.subarray(0, OVERSIZED_PREFIX_BYTES).toString('utf8').replace(/\uFFFD$/, ''),
          editorBreaks: this.#recordBreaks,
        };
        this.#held = [];
        this.#heldBytes = 0;
        passFrom = i + 1;
      }
    }
    if (!this.#dropping) {
      if (recordFrom > passFrom) this.push(chunk.subarray(passFrom, recordFrom));
      if (recordFrom < chunk.length) {
        const rest = chunk.subarray(Math.max(recordFrom, passFrom));
        this.#held.push(rest);
        this.#heldBytes += rest.length;
      }
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#dropping) {
      this.#found.push(this.#dropping);
      this.#dropping = undefined;
      this.push(Buffer.from(`"${OVERSIZED_CSV_MARK}"\n`));
    } else {
      for (const piece of this.#held) this.push(piece);
    }
    this.#held = [];
    done();
  }
}
