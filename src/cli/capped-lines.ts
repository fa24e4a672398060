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

/**
 * `invalidUtf8`: the line's bytes are not UTF-8 (`text` has U+FFFD in their place). `end`: the byte
 * offset in the input just after the line (its line break included): how much of the input the rows
 * read so far cover, for the progress.
 */
export type RawLine = { line: number; end: number; text: string; invalidUtf8?: true } | { line: number; end: number; oversized: Oversized };

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `bytes` are valid UTF-8 (checked only when decoding produced a U+FFFD, which is rare). */
function validUtf8(bytes: Uint8Array): boolean {
  try {
    STRICT_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

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
 * ones come as `oversized`. Yields the lines each chunk of the input completes, together (one step of
 * the async iteration per chunk, not per line: measured, a few % of an NDJSON import). Ends early,
 * without an error, when `signal` aborts.
 */
export async function* cappedLines(stream: Readable, cap = MAX_ROW_BYTES, signal?: AbortSignal): AsyncGenerator<RawLine[]> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let dropping: Oversized | undefined;
  let droppedCr = false;
  let line = 1;
  /** Bytes of the chunks before the current one. */
  let base = 0;
  const stop = (): void => {
    stream.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  const finish = (end: number): RawLine => {
    const at = line++;
    if (dropping) {
      const done = dropping;
      dropping = undefined;
      if (droppedCr) done.bytes--; // the \r of a \r\n line break
      return { line: at, end, oversized: done };
    }
    let buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    if (buffer.length > 0 && buffer[buffer.length - 1] === CR) buffer = buffer.subarray(0, buffer.length - 1);
    const text = buffer.toString('utf8');
    return text.includes('\uFFFD') && !validUtf8(buffer) ? { line: at, end, text, invalidUtf8: true } : { line: at, end, text };
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
      const lines: RawLine[] = [];
      let start = 0;
      for (;;) {
        const end = buffer.indexOf(NL, start);
        if (end === -1) break;
        keep(buffer.subarray(start, end));
        lines.push(finish(base + end + 1));
        start = end + 1;
      }
      if (start < buffer.length) keep(buffer.subarray(start));
      base += buffer.length;
      if (lines.length > 0) yield lines;
    }
    if (partBytes > 0 || dropping) yield [finish(base)];
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

/** Why the CSV reader must reject a record the parser reads without complaint (see `CsvRecordCap.flagged`). */
export type CsvRecordFlag = 'stray-quote' | 'invalid-utf8';

const BOM = [0xef, 0xbb, 0xbf];

/** Quote states, as csv-parse has them with `relax_quotes`. */
const FIELD_START = 0; // nothing of the field read yet: a quote here opens a quoted field
const UNQUOTED = 1; // inside an unquoted field: a quote is a literal character (and makes the record suspect)
const QUOTED = 2; // inside a quoted field: line breaks and commas are part of the value
const QUOTE_IN_QUOTED = 3; // a quote inside a quoted field: `""` is an escaped quote, else it closes the field

/**
 * Which line breaks end a record, as the parser has them (csv-parse takes the first break it meets
 * outside quotes; read-csv.ts's `bothLineEnds` then makes CRLF and LF alike): not known yet; the first
 * was a CR (the next byte tells CRLF from CR alone); LF and CRLF (a lone CR is a character of its
 * cell); CR alone (an LF is a character of its cell).
 */
const ENDS_UNKNOWN = 0;
const ENDS_FIRST_CR = 1;
const ENDS_LF = 2;
const ENDS_CR = 3;

/**
 * A filter in front of the CSV parser: passes records through unchanged while they are at most
 * `cap` bytes, and replaces a longer one (quoted line breaks included) by one record holding
 * `OVERSIZED_CSV_MARK`, keeping its details for `taken()`. Tracks quotes exactly as csv-parse does
 * with `relax_quotes` (a quote opens a quoted field only at the very start of a field; inside one,
 * `""` is a quote and a quote followed by a comma or line break closes it; any other quote is a
 * literal character), and ends records at the line breaks the parser ends them at (`ENDS_*`: a lone
 * CR in a file of LF or CRLF rows is a character of its cell), so it never mistakes where a record
 * ends, whatever stray quotes or line breaks a row holds. Records with a stray quote or with bytes that are not UTF-8 are flagged by the line they start on
 * (`flagged`), for the reader to reject. Holds back at most one record's first `cap` bytes.
 */
export class CsvRecordCap extends Transform {
  readonly #cap: number;
  #quote = FIELD_START;
  /** UTF-8: continuation bytes still expected, and the range the next one must be in. */
  #need = 0;
  #lower = 0x80;
  #upper = 0xbf;
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
  #ends = ENDS_UNKNOWN;
  /** A CR outside quotes in a file whose records end in LF or CRLF: a CRLF's, or a character (the next byte tells). */
  #crPending = false;
  /** Bytes of a leading byte-order mark seen so far (csv-parse drops it: it is not part of a field). */
  #bom = 0;
  readonly #found: OversizedRecord[] = [];
  /** At the end of the input: the line where a quoted field that is never closed starts. */
  unclosedQuoteLine: number | undefined;
  /** Records to reject, by the editor line they start on (taken by the reader as it meets them). */
  readonly flagged = new Map<number, CsvRecordFlag>();

  constructor(cap = MAX_ROW_BYTES) {
    super();
    this.#cap = cap;
  }

  /** The next oversized record replaced by a mark (in file order). */
  taken(): OversizedRecord | undefined {
    return this.#found.shift();
  }

  #flag(flag: CsvRecordFlag): void {
    if (!this.flagged.has(this.#recordLine)) this.flagged.set(this.#recordLine, flag);
  }

  /** Checks one byte of UTF-8 (called for bytes ≥ 0x80, and for any byte while a sequence is open). */
  #utf8(c: number): void {
    if (this.#need > 0) {
      if (c >= this.#lower && c <= this.#upper) {
        this.#need--;
        this.#lower = 0x80;
        this.#upper = 0xbf;
        return;
      }
      this.#need = 0;
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#flag('invalid-utf8');
      if (c < 0x80) return;
    }
    if (c >= 0xc2 && c <= 0xdf) this.#need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      this.#need = 2;
      if (c === 0xe0) this.#lower = 0xa0;
      else if (c === 0xed) this.#upper = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      this.#need = 3;
      if (c === 0xf0) this.#lower = 0x90;
      else if (c === 0xf4) this.#upper = 0x8f;
    } else this.#flag('invalid-utf8');
  }

  /** A line break that does not end the record (`#ends`): a character of the current field. */
  #breakInField(editorBreak: boolean): void {
    if (editorBreak) {
      this.#recordBreaks++;
      if (this.#dropping) this.#dropping.editorBreaks++;
    }
    if (this.#quote === FIELD_START) this.#quote = UNQUOTED;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let passFrom = 0; // chunk bytes before this were pushed or dropped
    let recordFrom = 0; // where the current record's bytes in this chunk start
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#ends === ENDS_FIRST_CR) this.#ends = c === NL ? ENDS_LF : ENDS_CR;
      // a CR held back: the start of a CRLF that ends the record (`crlf`), or a character of the field,
      // and a line to an editor; as a character it counts toward the record's size from here on
      const crlf = this.#crPending && c === NL;
      if (this.#crPending) {
        this.#crPending = false;
        if (!crlf) {
          this.#breakInField(true);
          if (this.#dropping) this.#dropping.bytes++;
        }
      }
      if (c >= 0x80 || this.#need > 0) this.#utf8(c);
      if (this.#bom >= 0 && this.#bom < 3 && c === BOM[this.#bom] && this.#line === 1 && this.#quote === FIELD_START) {
        this.#bom++;
        if (this.#heldBytes + (i + 1 - recordFrom) <= this.#cap) continue;
      } else {
        this.#bom = -1;
      }
      let quote = this.#quote;
      if (quote === QUOTE_IN_QUOTED) {
        // the quote before this byte: escaped (`""`), closing (then a comma or line break), or literal
        if (c === 0x22) quote = QUOTED;
        else if (c === 0x2c || c === NL || c === CR) quote = UNQUOTED;
        else {
          quote = UNQUOTED;
          this.#flag('stray-quote');
        }
      } else if (c === 0x22) {
        if (quote === FIELD_START) quote = QUOTED;
        else if (quote === QUOTED) quote = QUOTE_IN_QUOTED;
        else this.#flag('stray-quote');
      } else if (quote === FIELD_START) {
        if (c !== 0x2c && c !== NL && c !== CR) quote = UNQUOTED;
      }
      if (c === 0x2c && quote === UNQUOTED) quote = FIELD_START;
      this.#quote = quote;
      if (c === NL || c === CR) {
        const editorBreak = !(c === NL && this.#lastWasCr);
        this.#lastWasCr = c === CR;
        if (editorBreak) this.#line++;
        if (quote !== QUOTED && this.#ends === ENDS_UNKNOWN) this.#ends = c === NL ? ENDS_LF : ENDS_FIRST_CR;
        const endsRecord = this.#ends === ENDS_LF ? c === NL : this.#ends === ENDS_CR ? c === CR : true;
        if (quote !== QUOTED && !endsRecord) {
          // a CR where LF ends records: a CRLF's (its LF ends the record) or a character (`#crPending`);
          // an LF where CR alone ends records: a character
          if (c === CR) {
            // not counted yet: a CRLF's CR is the record's line break, which the size leaves out
            this.#crPending = true;
            continue;
          }
          this.#breakInField(editorBreak);
        } else if (quote !== QUOTED) {
          this.#quote = FIELD_START;
          if (this.#dropping) {
            this.#found.push(this.#dropping);
            this.#dropping = undefined;
            // the record's line break after the mark (a CRLF's CR was held back, maybe in an earlier chunk)
            this.push(Buffer.concat([Buffer.from(`"${OVERSIZED_CSV_MARK}"${crlf ? '\r' : ''}`), chunk.subarray(i, i + 1)]));
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
        } else if (editorBreak) {
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
    if (this.#crPending) {
      // the input's last byte, a CR of the last field
      this.#breakInField(true);
      if (this.#dropping) this.#dropping.bytes++;
    }
    if (this.#need > 0) this.#flag('invalid-utf8'); // a sequence cut short by the end of the input
    if (this.#quote === QUOTED) this.unclosedQuoteLine = this.#recordLine;
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
