/**
 * NDJSON input: one wire-format group call per line, read line by line with a hard cap per line
 * (`capped-lines.ts`): a line over the 2 MB request limit is reported as rejected, not buffered.
 * Nesting deeper than the library's limit is a per-row rejection, found without recursion.
 */
import type { Readable } from 'node:stream';
import type { InputRow } from './input.js';
import { cappedLines, MAX_ROW_BYTES, oversizedReason } from './capped-lines.js';
import { MAX_NESTING_DEPTH, NESTING_REASON, nestingDeeperThan } from './nesting.js';

/**
 * Yields every non-blank line as a row; blank lines are skipped but still counted. Ends early
 * (without an error) when `signal` aborts, even while waiting for input.
 */
export async function* readNdjson(stream: Readable, signal?: AbortSignal, cap = MAX_ROW_BYTES): AsyncGenerator<InputRow> {
  for await (const lines of cappedLines(stream, cap, signal)) {
    for (const raw of lines) {
      if (signal?.aborted) return;
      if ('oversized' in raw) {
        yield { line: raw.line, end: raw.end, error: oversizedReason(raw.oversized), original: raw.oversized.prefix, truncated: true };
        continue;
      }
      if (raw.invalidUtf8) {
        yield { line: raw.line, end: raw.end, error: 'not valid UTF-8 (save the file as UTF-8)', original: raw.text };
        continue;
      }
      const text = raw.line === 1 && raw.text.charCodeAt(0) === 0xfeff ? raw.text.slice(1) : raw.text;
      if (text.trim() === '') continue;
      let row: InputRow;
      try {
        const wire = JSON.parse(text) as unknown;
        // fewer than 2 × the limit characters cannot nest deeper than the limit
        row = text.length > 2 * MAX_NESTING_DEPTH && nestingDeeperThan(wire, MAX_NESTING_DEPTH)
          ? { line: raw.line, end: raw.end, error: NESTING_REASON, original: text }
          : { line: raw.line, end: raw.end, wire, original: text };
      } catch (error) {
        row = { line: raw.line, end: raw.end, error: `not valid JSON (${(error as Error).message})`, original: text };
      }
      yield row;
    }
  }
}
