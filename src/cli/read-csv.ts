/**
 * CSV input, parsed by csv-parse's streaming parser. The header row names the columns: `group_id`,
 * `user_id`, `timestamp`, `context.<key>` (e.g. `context.device_id`), and every other column is a
 * trait (`traits.<name>` also works). Empty cells are omitted; reserved traits are typed as the
 * document types them (`employees` → number); other cells stay text.
 */
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse';
import type { Readable } from 'node:stream';
import { UsageError } from './args.js';
import { safeText } from '../safe-text.js';
import type { InputRow } from './input.js';
import { typedTrait } from './reserved-traits.js';
import { CALL_FIELDS, setOwn } from '../wire.js';
import { CsvRecordCap, MAX_ROW_BYTES, OVERSIZED_CSV_MARK, OVERSIZED_PREFIX_BYTES, oversizedReason, type CsvRecordFlag } from './capped-lines.js';

/** Bytes the parser reads in place of an oversized record: the mark, quoted. */
const MARK_BYTES = Buffer.byteLength(`"${OVERSIZED_CSV_MARK}"`);

const FLAG_REASONS: Record<CsvRecordFlag, string> = {
  'stray-quote':
    'a quote (") inside a field that does not start with one; quote the whole field and double the quotes inside ' +
    '(27" Monitors → "27"" Monitors")',
  'invalid-utf8': 'not valid UTF-8 (save the file as UTF-8)',
};

/** A call's own scalar fields (everything but `traits` and `context`): `group_id`, `user_id`, `timestamp`, ... */
type FieldName = Exclude<(typeof CALL_FIELDS)[keyof typeof CALL_FIELDS], 'traits' | 'context'>;

type Column =
  | { kind: 'field'; name: FieldName }
  | { kind: 'context'; key: string }
  | { kind: 'trait'; name: string };

/**
 * Taken from the document's field list (`wire.ts`'s `CALL_FIELDS`, type-checked against the generated
 * types): a field added to the document becomes a CSV column of its own, never a trait by mistake.
 */
const FIELDS: ReadonlySet<string> = new Set<string>(
  Object.values(CALL_FIELDS).filter((name): name is FieldName => name !== 'traits' && name !== 'context'),
);

/** A header's text in a message: escapes and controls removed, cut (it is not a secret: nothing redacted). */
const shown = (text: string): string => safeText(text, (t) => t, 200);

/** The header row → what each column holds. Throws `UsageError` for a header that cannot work. */
export function columnsOf(header: readonly string[]): Column[] {
  const seen = new Map<string, number>();
  const columns = header.map((raw, i): Column => {
    const name = raw.trim();
    const where = `CSV header, column ${i + 1}`;
    let column: Column;
    if (name === '') throw new UsageError(`${where} has no name`);
    if (FIELDS.has(name)) column = { kind: 'field', name: name as FieldName };
    else if (name.startsWith('context.')) column = { kind: 'context', key: name.slice('context.'.length) };
    else if (name.startsWith('traits.')) column = { kind: 'trait', name: name.slice('traits.'.length) };
    else column = { kind: 'trait', name };
    if ((column.kind === 'context' && column.key === '') || (column.kind === 'trait' && column.name === '')) {
      throw new UsageError(`${where} (${shown(JSON.stringify(name))}) names no ${column.kind === 'context' ? 'context key' : 'trait'}`);
    }
    // trait names are case-insensitive at ThriveStack: `Plan` and `plan` are one trait
    const key =
      column.kind === 'field' ? column.name : column.kind === 'context' ? `context.${column.key}` : `traits.${column.name.toLowerCase()}`;
    const before = seen.get(key);
    if (before !== undefined) {
      // the header's own text: cleaned of what could drive a terminal, like every text read from a file
      throw new UsageError(`CSV header, columns ${before + 1} and ${i + 1} both give ${shown(key.replace(/^traits\./, 'trait '))}; keep one`);
    }
    seen.set(key, i);
    return column;
  });
  for (const required of ['group_id', 'user_id']) {
    if (!seen.has(required)) throw new UsageError(`the CSV header has no ${required} column`);
  }
  return columns;
}

/**
 * One row's cells → a wire-format call. Cells are trimmed of leading and trailing white space unless
 * `trim` is false (`--no-trim`); empty cells are left out.
 */
export function wireFromCells(columns: readonly Column[], cells: readonly string[], trim = true): Record<string, unknown> {
  const call: Record<string, unknown> = {};
  let context: Record<string, unknown> | undefined;
  let traits: Record<string, unknown> | undefined;
  for (let i = 0; i < columns.length; i++) {
    const raw = cells[i];
    const cell = trim ? raw?.trim() : raw;
    if (cell === undefined || cell === '') continue;
    const column = columns[i]!;
    // setOwn: a `__proto__` column is a key like any other, never a prototype
    if (column.kind === 'field') setOwn(call, column.name, cell);
    else if (column.kind === 'context') setOwn((context ??= {}), column.key, cell);
    else setOwn((traits ??= {}), column.name, typedTrait(column.name, cell));
  }
  if (traits) call.traits = traits;
  if (context) call.context = context;
  return call;
}

/**
 * Line breaks inside a record's cells: as an editor counts them (`\r\n`, `\n` or `\r`, each one
 * break), and as csv-parse's `info.lines` counts them (every `\r` and every `\n`).
 */
function breaksIn(cells: readonly string[]): { editor: number; parser: number } {
  let editor = 0;
  let parser = 0;
  for (const cell of cells) {
    for (let i = 0; i < cell.length; i++) {
      const c = cell.charCodeAt(i);
      if (c === 10) {
        parser++;
        if (i === 0 || cell.charCodeAt(i - 1) !== 13) editor++;
      } else if (c === 13) {
        parser++;
        editor++;
      }
    }
  }
  return { editor, parser };
}

/** The internals of csv-parse 6 that `leanRecordInfo` reads and replaces. */
interface ParserInternals {
  api?: { __infoRecord?: unknown; info?: { bytes?: unknown; lines?: unknown } };
}

/**
 * csv-parse hands `on_record` a fresh info object for every record, built with two object spreads (its
 * `__infoRecord`), of which this reader uses two numbers, `bytes` and `lines`: measured on a 300,000-row
 * import, building it is about an eighth of the whole import's CPU. The parser keeps both numbers live
 * on its `info`, so the info handed over is those two, read from there. This reaches into csv-parse's
 * internals (pinned in package.json): a version without them keeps its own info, slower but the same
 * to this reader, and test/cli-csv-lean-info.test.ts fails so that the change is seen. Errors csv-parse
 * builds from the same info keep `lines`, which the `skip` handler reads; their `raw` (set only with
 * csv-parse's `raw` option, off here) would be lost. Returns whether it applied.
 */
export function leanRecordInfo(parser: unknown): boolean {
  const api = (parser as ParserInternals).api;
  const info = api?.info;
  if (!api || typeof api.__infoRecord !== 'function' || typeof info?.bytes !== 'number' || typeof info.lines !== 'number') return false;
  api.__infoRecord = () => ({ bytes: info.bytes, lines: info.lines });
  return true;
}

/** The internals of csv-parse 6 that `bothLineEnds` reads and widens. */
interface ParserDelimiters {
  api?: {
    options?: { record_delimiter?: unknown };
    state?: { recordDelimiterMaxLength?: unknown };
    __autoDiscoverRecordDelimiter?: unknown;
  };
}

/**
 * csv-parse takes the first line break it meets (`\r\n`, `\n` or `\r`) as the end of every record, so a
 * file whose rows end in both CRLF and LF (an export edited by hand or appended to) would have pairs of
 * rows joined. Once it has found an LF or a CRLF, this makes it take either (widening its list in place,
 * and the longest delimiter it waits for at a chunk's end). A lone CR stays what it was: a character of
 * the cell in such a file, and the end of each row in a file whose rows end in CR (old Mac exports).
 * Asking csv-parse for all three from the start would cut a cell holding a stray CR in two, and send its
 * first half. This reaches into csv-parse's internals (pinned in package.json); a version without them
 * parses as csv-parse does, and test/cli-csv-lean-info.test.ts fails so that the change is seen.
 * Returns whether it applied.
 */
export function bothLineEnds(parser: unknown): boolean {
  const api = (parser as ParserDelimiters).api;
  const found = api?.options?.record_delimiter;
  if (!Array.isArray(found) || found.length !== 1 || !Buffer.isBuffer(found[0]) || !api?.state) return false;
  const text = found[0].toString();
  if (text !== '\n' && text !== '\r\n') return false;
  found.splice(0, 1, Buffer.from('\r\n'), Buffer.from('\n'));
  api.state.recordDelimiterMaxLength = 2;
  return true;
}

/**
 * Has `bothLineEnds` run the moment csv-parse finds the first line break (a blank CRLF line before an
 * LF header is found before any record ends). Returns whether it could (csv-parse's internals there).
 * The same rule is `CsvRecordCap`'s (capped-lines.ts), which must end records where the parser does.
 */
export function bothLineEndsOnceFound(parser: unknown): boolean {
  const api = (parser as ParserDelimiters).api;
  const discover = api?.__autoDiscoverRecordDelimiter;
  if (typeof discover !== 'function') return false;
  api!.__autoDiscoverRecordDelimiter = function (this: unknown, ...args: unknown[]): unknown {
    const found = (discover as (...a: unknown[]) => unknown).apply(this, args);
    if (found) bothLineEnds(parser);
    return found;
  };
  return true;
}

export interface CsvReadOptions {
  /** Receives the header cells once they are read, and the byte after the header row. */
  onHeader?: (cells: string[], end: number) => void;
  /** Ends the rows early (without an error), even while waiting for input. */
  signal?: AbortSignal;
  /** Trim leading and trailing white space of cell values (default true; `--no-trim`). */
  trim?: boolean;
  /** Records longer than this many bytes are rejected without being buffered (default: 2 MB). */
  cap?: number;
}

/**
 * Yields every data row (blank lines skipped). A row with the wrong number of cells, or broken
 * quoting, is yielded with an `error` (csv-parse skips it and goes on with the next record).
 */
export async function* readCsv(stream: Readable, hooks: CsvReadOptions = {}): AsyncGenerator<InputRow> {
  /** Lines csv-parse counted that an editor does not (a `\r\n` inside a quoted cell counts as two). */
  let overcount = 0;
  /** Editor line breaks inside oversized records, which the parser never saw. */
  let removed = 0;
  /** Bytes of oversized records the parser never saw (it read a short mark in their place). */
  let removedBytes = 0;
  const skipped: InputRow[] = [];
  const cap = new CsvRecordCap(hooks.cap ?? MAX_ROW_BYTES);
  const options: Options<{ cells: string[]; line: number }, string[]> = {
    bom: true,
    relax_column_count: true,
    // a quote inside an unquoted field is read as a character, never as the start of a quoted field
    // that would swallow the rest of the file; the cap in front flags such records and the row is
    // rejected (below), alone: every row after it is read
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // runs as each record is parsed, in file order, with csv-parse's line count at the record's end
    on_record: (cells: string[], context: InfoRecord) => {
      if (cells.length === 1 && cells[0] === OVERSIZED_CSV_MARK) {
        const oversized = cap.taken();
        if (oversized) {
          removed += oversized.editorBreaks;
          removedBytes += oversized.bytes - MARK_BYTES;
          return { cells, line: oversized.line, endLine: oversized.line + oversized.editorBreaks, oversized, end: context.bytes + removedBytes };
        }
      }
      const end = context.bytes + removedBytes;
      const breaks = breaksIn(cells);
      overcount += breaks.parser - breaks.editor;
      const endLine = context.lines + removed - overcount;
      const line = endLine - breaks.editor;
      if (cap.flagged.size > 0) {
        const flag = cap.flagged.get(line);
        if (flag !== undefined) {
          cap.flagged.delete(line);
          return { cells, line, endLine, flag, end };
        }
      }
      return { cells, line, endLine, end };
    },
  };
  const parser = parse(options as unknown as Options); // the typings assume on_record returns cells
  leanRecordInfo(parser);
  bothLineEndsOnceFound(parser);
  // csv-parse may report one broken record more than once: each line is reported once
  let lastSkippedLine = 0;
  parser.on('skip', (error: CsvError) => {
    const unclosed = error.code === 'CSV_QUOTE_NOT_CLOSED' ? cap.unclosedQuoteLine : undefined;
    const line = unclosed ?? (Number((error as { lines?: unknown }).lines) || 0) + removed - overcount;
    if (line <= lastSkippedLine) return;
    lastSkippedLine = line;
    // csv-parse gives the text of a record it skips only with its `raw` option, which copies every byte
    // of the input (and which `leanRecordInfo` does not keep): such a row is reported by its line, with
    // no cells (the guide says to copy it from the input by that line)
    const raw = (error as { raw?: unknown }).raw;
    const text = typeof raw === 'string' ? raw.replace(/\r?\n$/, '') : '';
    skipped.push({
      line,
      error:
        unclosed !== undefined
          ? 'a quoted field that starts on this line is never closed: every line from here to the end of the input was read as ' +
            'part of it, and none of them was sent (close the quote)'
          : `unreadable CSV (${error.message})`,
      original: [text.length > OVERSIZED_PREFIX_BYTES ? text.slice(0, OVERSIZED_PREFIX_BYTES) : text],
      truncated: text.length > OVERSIZED_PREFIX_BYTES,
    });
  });
  stream.on('error', (error) => parser.destroy(error));
  cap.on('error', (error) => parser.destroy(error));
  stream.pipe(cap).pipe(parser);
  const stop = (): void => {
    stream.unpipe(cap);
    cap.unpipe(parser);
    parser.destroy();
    cap.destroy();
    stream.destroy();
  };
  hooks.signal?.addEventListener('abort', stop, { once: true });
  let columns: Column[] | undefined;
  try {
    type Parsed = { cells: string[]; line: number; endLine: number; end: number; oversized?: { bytes: number; prefix: string; line: number }; flag?: CsvRecordFlag };
    for await (const { cells: record, line, endLine, end, oversized, flag } of parser as AsyncIterable<Parsed>) {
      while (skipped.length > 0 && skipped[0]!.line < line) yield skipped.shift()!;
      if (oversized) {
        if (columns === undefined) throw new UsageError(`the CSV header row is ${oversizedReason(oversized).replace(/^row is /, '')}`);
        yield { line, endLine, end, error: oversizedReason(oversized), original: [oversized.prefix], truncated: true };
        continue;
      }
      if (flag !== undefined) {
        if (columns === undefined) throw new UsageError(`the CSV header row is unusable: ${FLAG_REASONS[flag]}`);
        yield { line, endLine, end, error: FLAG_REASONS[flag], original: record };
        continue;
      }
      if (columns === undefined) {
        columns = columnsOf(record);
        hooks.onHeader?.(record, end);
        continue;
      }
      if (record.length !== columns.length) {
        yield { line, endLine, end, error: `has ${record.length} cells, but the header has ${columns.length}`, original: record };
        continue;
      }
      yield { line, endLine, end, wire: wireFromCells(columns, record, hooks.trim ?? true), original: record };
    }
    while (skipped.length > 0) yield skipped.shift()!;
    if (columns === undefined) throw new UsageError('the CSV input is empty: it needs a header row (group_id,user_id,...)');
  } catch (error) {
    if (!hooks.signal?.aborted) throw error;
  } finally {
    hooks.signal?.removeEventListener('abort', stop);
    stop();
  }
}
