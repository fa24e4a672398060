/**
 * Server text is shown only redacted, cleaned and cut: unit checks of `safeText`, then a server that
 * answers with ANSI escapes and 100 kB of text, through every place its words can surface.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BadRequestError, ServerError, ThriveStack, type DebugEvent } from '../src/index.js';
import { MAX_SERVER_TEXT, SPLIT_KEY_TEXT, safeText } from '../src/safe-text.js';
import { redactorFor } from '../src/redact.js';
import { sendJson, startHostileServer, type HostileServer } from './support/hostile-server.js';

const KEY = 'tsk_safe_text_KEY_0c7d';
const redact = redactorFor(KEY);
// Anything that could steer a terminal or forge a line: ESC, C0/C1 controls, DEL, line separators, bidi overrides.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('safeText', () => {
  it('redacts before cutting: a key across the cut is never half shown', () => {
    for (let pad = MAX_SERVER_TEXT - KEY.length; pad <= MAX_SERVER_TEXT; pad++) {
      const out = safeText(`${'x'.repeat(pad)}${KEY}tail`, redact);
      expect(out).not.toContain(KEY.slice(0, 8));
    }
  });

  it('removes ANSI CSI/OSC sequences and control characters; line breaks become spaces', () => {
    const out = safeText('\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x1b]8;;http://x\x1b\\link\x1b[2J\x9b1mX\r\nnext\tcol\x00\x07\x7f\u202eevil', redact);
    expect(out).toBe('red oklinkX next colevil');
    expect(out).not.toMatch(UNSAFE);
  });

  it('finds a key split by a control character once the character is removed', () => {
    const split = `${KEY.slice(0, 5)}\x1b[0m${KEY.slice(5)}`;
    expect(safeText(`key: ${split}`, redact)).toBe('key: [REDACTED]');
  });

  it('cuts long text, says how much was left out, and never splits a surrogate pair', () => {
    const out = safeText('😀'.repeat(1_000), redact);
    expect(out.length).toBeLessThan(MAX_SERVER_TEXT + 40);
    expect(out).toMatch(/… \(\d+ more characters\)$/);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('leaves plain short text as it is', () => {
    expect(safeText('Invalid JSON', redact)).toBe('Invalid JSON');
  });
});

describe('a server answering ANSI escapes and 100 kB of text', () => {
  let server: HostileServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  const hostileText = `\x1b[2J\x1b[31mALERT\x1b[0m\r\nthrivestack: forged line ${'A'.repeat(100_000)}\x1b]0;pwned\x07`;

  it.each([
    ['400, JSON message', 400, 'json', BadRequestError],
    ['500, plain text', 500, 'text', ServerError],
  ] as const)('%s: truncated and clean in the error, debug events, log lines and the console', async (_name, status, shape, type) => {
    server = await startHostileServer((res) => {
      if (shape === 'json') return sendJson(res, status, { success: false, message: hostileText }, { 'x-note': '\x9b31mred header\x85' });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(hostileText);
    });
    const events: DebugEvent[] = [];
    const lines: string[] = [];
    const logger = { debug: (l: string) => lines.push(l), info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    try {
      const options = { apiKey: KEY, baseUrl: server.url, maxRetries: 0 };
      const error = await new ThriveStack({ ...options, debug: (e) => events.push(e), logLevel: 'debug', logger }).group({ groupId: 'g', userId: 'u' }).catch((e) => e);
      expect(error).toBeInstanceOf(type);
      expect(error.serverMessage).toContain('ALERT');
      expect(error.serverMessage.length).toBeLessThan(400);
      expect(error.message.length).toBeLessThan(800);
      if (shape === 'json') {
        // C1 CSI and NEL: bytes a header may carry (Node sends them UTF-8 encoded; fetch reads latin-1)
        expect(error.headers['x-note']).toContain('red header');
        expect(error.headers['x-note']).not.toMatch(UNSAFE);
      }
      expect(String(error.stack).startsWith(`${error.name}: ${error.message}\n`)).toBe(true);

      const quiet = new ThriveStack(options); // no onError: the queue prints its line on the console
      quiet.enqueue({ groupId: 'g', userId: 'u' });
      await quiet.close({ timeout: 5_000 });

      const response = events.find((e) => e.type === 'response') as Extract<DebugEvent, { type: 'response' }>;
      expect(response.body.length).toBeLessThan(1_100);
      expect(lines.length).toBeGreaterThan(0);
      expect(printed.length).toBeGreaterThan(0);
      for (const text of [error.message, error.serverMessage, JSON.stringify(error), ...events.map((e) => JSON.stringify(e)), ...lines, ...printed]) {
        expect(text).not.toMatch(UNSAFE);
        expect(text).not.toContain('A'.repeat(2_000));
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a key split apart by the server', () => {
  const KEY = 'Sk_live.A1b2C3d4E5f6G7h8';
  const redact = redactorFor(KEY);
  it.each([
    ['a CRLF', 'bad key Sk_live.A1b2\r\nC3d4E5f6G7h8'],
    ['a line feed', 'bad key Sk_live.A1b2\nC3d4E5f6G7h8 here'],
    ['a zero-width space', 'bad key Sk_live.A1b2\u200bC3d4E5f6G7h8'],
    ['a soft hyphen', 'Sk_live.\u00adA1b2C3d4E5f6G7h8'],
  ])('by %s is not shown: the text is replaced whole', (_, text) => {
    const out = safeText(text, redact);
    expect(out).toBe(SPLIT_KEY_TEXT);
    expect(out.replace(/\s|\u200b|\u00ad/g, '')).not.toContain(KEY);
  });

  it('a text without the key keeps its words', () => {
    expect(safeText('Invalid API key\r\nplease check', redact)).toBe('Invalid API key please check');
  });

  // Every code point Unicode calls default-ignorable (drawn by nothing: U+200E, U+2061, U+FE0F, U+034F,
  // U+E0020, the variation selectors, the Hangul fillers...), whatever the list in the code says.
  const ignorable: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if ((cp < 0xd800 || cp > 0xdfff) && /\p{Default_Ignorable_Code_Point}/u.test(String.fromCodePoint(cp))) ignorable.push(cp);
  }

  it(`by any of the ${ignorable.length} default-ignorable code points, or a format character, is not shown`, () => {
    expect(ignorable.length).toBeGreaterThan(4_000);
    // U+FFF9-FFFB (interlinear annotation), U+0600 and U+110BD: format characters that are not default-ignorable
    for (const cp of [...ignorable, 0xfff9, 0xfffb, 0x0600, 0x110bd]) {
      const splitter = String.fromCodePoint(cp);
      const out = safeText(`bad key ${KEY.slice(0, 8)}${splitter}${KEY.slice(8)} given`, redact);
      // replaced whole; or, for a control removed before (the bidi overrides), the rejoined key redacted
      expect([SPLIT_KEY_TEXT, 'bad key [REDACTED] given'], `U+${cp.toString(16).toUpperCase()}`).toContain(out);
    }
  });

  it('by several different ones at once, between every character', () => {
    const splitters = ['\u200e', '\u{e0020}', '\ufe0f', '\u3164', '\u034f', '\u{e0100}', '\u180f', '\u2064'];
    const text = [...KEY].map((c, i) => c + splitters[i % splitters.length]).join('');
    expect(safeText(`key ${text}`, redact)).toBe(SPLIT_KEY_TEXT);
  });

  it('by an escaped invisible character in raw JSON (\\u200e, \\udb40\\udc20 as json.dumps writes them)', () => {
    for (const escape of ['\\u200e', '\\u200B', '\\udb40\\udc20', '\\u00ad\\u034f', '\\u000a']) {
      expect(safeText(`{"message":"${KEY.slice(0, 8)}${escape}${KEY.slice(8)}"}`, redact), escape).toBe(SPLIT_KEY_TEXT);
    }
  });

  it('by a visible character that is not ASCII (a key holds visible ASCII only) is not shown either', () => {
    for (const splitter of ['\u00e9', '\u{1f600}', '\u00e2', '\u3000']) {
      expect(safeText(`bad key ${KEY.slice(0, 8)}${splitter}${KEY.slice(8)}`, redact)).toBe(SPLIT_KEY_TEXT);
    }
  });

  it('invisible characters in a text without the key are left as they are', () => {
    const text = 'Done \u2714\ufe0f: \u{1f44d}\u{1f3fd} ok';
    expect(safeText(text, redact)).toBe(text);
    const json = String.raw`{"message":"caf\u00e9 \u200b\ud83d\udc4d"}`;
    expect(safeText(json, redact)).toBe(json);
  });
});
