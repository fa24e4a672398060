/**
 * Found by an adversarial review. The promise (security guide: "A server's text that holds the key split apart is replaced whole ... a line
 * break ... or any of these written as a JSON escape such as `\u200e`").
 *
 * A server echoes the key with a line break (or a tab) in the middle, in a JSON error body. JSON
 * writers (JSON.stringify, Python's json.dumps, Go, PHP) write those characters as the short escapes
 * `\n`, `\r`, `\t`, not as `\u000a`. The parsed `serverMessage` is caught (the real line break is
 * squeezed out), but the raw body shown in the `debug` `response` event and in the debug log line
 * keeps `\n` as two visible ASCII characters, which SPLITTERS does not remove: the key is shown there
 * in two halves separated by `\n`.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack, type DebugEvent } from '../src/index.js';

const KEY = 'sk_live_0123456789abcdefXYZ';

describe('the key split by a JSON short escape (\\n, \\t, \\r\\n) in a raw JSON answer', () => {
  it.each(['\n', '\t', '\r\n'])('is never shown in debug events or log lines (separator %j)', async (separator) => {
    const events: DebugEvent[] = [];
    const lines: string[] = [];
    const sink = (line: string): void => void lines.push(line);
    const body = JSON.stringify({ message: `Invalid API key ${KEY.slice(0, 12)}${separator}${KEY.slice(12)}` });
    const client = new ThriveStack({
      apiKey: KEY,
      baseUrl: 'https://api.example.test',
      maxRetries: 0,
      debug: (event) => void events.push(event),
      logLevel: 'debug',
      logger: { debug: sink, info: sink, warn: sink, error: sink },
      fetch: async () => new Response(body, { status: 401, headers: { 'content-type': 'application/json' } }),
    });
    const error = await client.group({ groupId: 'acct-1', userId: 'user-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const shown = [JSON.stringify(events), ...lines, JSON.stringify(error), (error as Error).message].join('\n');
    // what a reader sees once the escape between the halves is ignored
    const squeezed = shown.replace(/\\+[ntr]/g, '');
    expect(squeezed).not.toContain(KEY);
  });
});
