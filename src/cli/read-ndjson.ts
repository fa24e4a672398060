/** NDJSON input: one wire-format group call per line, read line by line (node:readline, streaming). */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { InputRow } from './input.js';

/**
 * Yields every non-blank line as a row; blank lines are skipped but still counted. Ends early
 * (without an error) when `signal` aborts, even while waiting for input.
 */
export async function* readNdjson(stream: Readable, signal?: AbortSignal): AsyncGenerator<InputRow> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const stop = (): void => {
    lines.close();
    stream.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  let line = 0;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === '') continue;
      let row: InputRow;
      try {
        row = { line, wire: JSON.parse(text) as unknown, original: text };
      } catch (error) {
        row = { line, error: `not valid JSON (${(error as Error).message})`, original: text };
      }
      yield row;
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}
