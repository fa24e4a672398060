/**
 * Every form in which a hostile server can hand the key back is redacted: in any letter case (a host
 * or header name is lowercased), JSON-escaped the ways other writers escape (`\/` as PHP writes,
 * `\u0026` as Go writes), in a redirect's Location, in a header name, and cut at the 64 KiB answer
 * cap behind control characters or ANSI escapes. Short keys are redacted as whole tokens only, and
 * the debug `request` event's URL is redacted too. Unit checks of the redactor first, then servers
 * that echo the key, scanned through the error, its JSON, the debug events and the log lines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedirectError, ThriveStack, type DebugEvent } from '../src/index.js';
import { REDACTED, redactorFor } from '../src/redact.js';
import { SPLIT_KEY_TEXT, safeText } from '../src/safe-text.js';
import { MAX_ANSWER_BYTES } from '../src/transport.js';
import { sendAccepted, startHostileServer, type Handler, type HostileServer } from './support/hostile-server.js';

const call = { groupId: 'acct-1', userId: 'user-1' };

describe('redactorFor', () => {
  const KEY = 'AbC123dEf456GhI789';
  const redact = redactorFor(KEY);

  it('finds the key in any letter case', () => {
    expect(redact(`https://${KEY.toLowerCase()}.evil.example`)).toBe(`https://${REDACTED}.evil.example`);
    expect(redact(`x-${KEY.toUpperCase()}-y`)).toBe(`x-${REDACTED}-y`);
  });

  it('finds the key however a JSON writer or a URL escaped its characters, mixed freely', () => {
    const key = 'ab/cd&ef<gh>ij"k\\l';
    const r = redactorFor(key);
    const forms = [
      key,
      JSON.stringify(key).slice(1, -1),
      'ab\\/cd&ef<gh>ij\\"k\\\\l', // PHP: \/
      'ab/cd\\u0026ef\\u003cgh\\u003eij\\u0022k\\u005cl', // Go: \u0026 \u003c \u003e
      'ab\\u002Fcd\\u0026ef\\u003Cgh\\u003Eij\\"k\\\\l', // upper-case hex
      'ab%2Fcd%26ef%3Cgh%3Eij%22k%5Cl', // percent-encoded
      '\\u0061\\u0062\\/cd&ef<gh>ij\\"k\\\\l',
    ];
    for (const form of forms) expect(r(`<${form}>`), form).toBe(`<${REDACTED}>`);
  });

  it('redacts a key shorter than 8 characters only as a whole token', () => {
    expect(redactorFor('a')('Too many requests: a')).toBe(`Too many requests: ${REDACTED}`);
    expect(redactorFor('e')('error: key e refused')).toBe(`error: key ${REDACTED} refused`);
    const group = redactorFor('group');
    expect(group('POST http://127.0.0.1/api/group')).toBe(`POST http://127.0.0.1/api/${REDACTED}`);
    expect(group('groups and regroup')).toBe('groups and regroup');
    expect(group('GROUP')).toBe(REDACTED);
  });

  it('tail drops a trailing start of the key (any case, any escape), and nothing else', () => {
    const tail = redact.tail!;
    expect(tail(`text ${KEY.slice(0, 9)}`)).toBe('text ');
    expect(tail(`text ${KEY.slice(0, 1)}`)).toBe('text ');
    expect(tail(`text ${KEY.slice(0, 12).toLowerCase()}`)).toBe('text ');
    expect(tail('text \\u0041bC12')).toBe('text ');
    expect(tail('text AbC1\\u00')).toBe('text ');
    expect(tail('text done')).toBe('text done');
    expect(tail(`${KEY.slice(0, 6)} text`)).toBe(`${KEY.slice(0, 6)} text`);
    // a short key: only a whole token's start
    expect(redactorFor('abcdef').tail!('sabc')).toBe('sabc');
    expect(redactorFor('abcdef').tail!('s abc')).toBe('s ');
  });
});

describe('safeText on text cut before redaction', () => {
  const KEY = 'Zq9abc123def456ghi789';
  const redact = redactorFor(KEY);
  it('never shows the start of a key cut at the end, behind NULs, ANSI escapes or a CSI that would eat digits', () => {
    for (let n = 1; n < KEY.length; n++) {
      const part = KEY.slice(0, n);
      for (const pad of ['\x00'.repeat(5_000), '\x1b[0m'.repeat(2_000), 'x\x1b[', 'text \x1b']) {
        const out = safeText(pad + part, redact, 300, true);
        expect(out, JSON.stringify(pad.slice(0, 8) + part)).not.toContain(part.slice(Math.max(0, n - 5)) || part);
      }
      // the key's start interleaved with NULs, rejoined by stripping
      const interleaved = [...part].join('\x00');
      expect(safeText(`say ${interleaved}`, redact, 300, true)).toBe('say ');
    }
  });
  it('keeps text that is not cut as it was', () => {
    expect(safeText(`ends with ${KEY.slice(0, 5)}`, redact)).toBe(`ends with ${KEY.slice(0, 5)}`);
  });
});

/** A client against a server echoing the key, with every output captured. */
async function provoke(key: string, handler: Handler, extra: Partial<ConstructorParameters<typeof ThriveStack>[0]> = {}) {
  server = await startHostileServer(handler);
  const logs: string[] = [];
  const events: DebugEvent[] = [];
  const log = (line: string): void => void logs.push(line);
  const client = new ThriveStack({
    apiKey: key,
    baseUrl: server.url,
    maxRetries: 0,
    logLevel: 'debug',
    logger: { debug: log, info: log, warn: log, error: log },
    debug: (event) => events.push(event),
    ...extra,
  });
  let error: unknown;
  let result: unknown;
  try {
    result = await client.group(call);
  } catch (thrown) {
    error = thrown;
  }
  const texts = [
    String((error as Error | undefined)?.message),
    JSON.stringify(error),
    String((error as Error | undefined)?.stack),
    JSON.stringify(events),
    logs.join('\n'),
  ].join('\n');
  return { error, result, texts, events, logs };
}

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const echoed = (seen: { headers: Record<string, unknown> }): string => String(seen.headers['x-api-key']);

describe('servers handing the key back', () => {
  it("a redirect's Location with the key as its host: RedirectError's location and message are redacted", async () => {
    const KEY = 'abc123def456ghi789';
    const { error, texts } = await provoke(KEY, (res, seen) => {
      res.writeHead(302, { location: `https://${echoed(seen)}.evil.example/x` });
      res.end();
    });
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as RedirectError).location).toBe(`https://${REDACTED}.evil.example`);
    expect(texts.toLowerCase()).not.toContain(KEY.toLowerCase());
  });

  it('a Location with upper-case letters in the key (lowercased by URL parsing) and the key as its scheme', async () => {
    const KEY = 'SeCrEtKeY123abc';
    for (const location of [(k: string) => `https://${k}.evil.example/`, (k: string) => `${k}:foo`]) {
      const { error, texts } = await provoke(KEY, (res, seen) => {
        res.writeHead(307, { location: location(echoed(seen)) });
        res.end();
      });
      expect(error).toBeInstanceOf(RedirectError);
      expect(texts.toLowerCase()).not.toContain(KEY.toLowerCase());
      await server?.stop();
    }
  });

  it('the key as a response header name (lowercased by Headers)', async () => {
    const KEY = 'SeCrEtKeY123';
    const { error, texts } = await provoke(KEY, (res, seen) => {
      res.writeHead(500, { [echoed(seen)]: '1' });
      res.end();
    });
    expect(Object.keys((error as { headers: Record<string, string> }).headers)).toContain(REDACTED);
    expect(texts.toLowerCase()).not.toContain(KEY.toLowerCase());
  });

  it('the key escaped as PHP (\\/) and Go (\\u0026) write JSON, in a body that is not the documented error', async () => {
    const KEY = 'ab/cd&ef<gh>ij';
    const php = KEY.replace(/\//g, '\\/');
    const go = KEY.replace(/[&<>]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const { texts } = await provoke(KEY, (res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(`{"ok":false,"php":"${php}","go":"${go}"}`);
    });
    for (const form of [KEY, php, go]) expect(texts).not.toContain(form);
    expect(texts).toContain(`"php":"${REDACTED}","go":"${REDACTED}"`);
  });

  for (const [label, pad] of [
    ['NULs', (n: number) => '\x00'.repeat(n)],
    ['ANSI resets', (n: number) => '\x1b[0m'.repeat(Math.ceil(n / 4)).slice(0, n)],
  ] as const) {
    it(`an answer cut at the 64 KiB cap inside the key, behind ${label}: no start of the key anywhere`, async () => {
      const KEY = 'Zq9abc123def456ghi789';
      for (const shown of [5, 11, KEY.length - 1]) {
        const { error, texts } = await provoke(KEY, (res, seen) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(pad(MAX_ANSWER_BYTES - shown) + echoed(seen) + ' and more after the cap');
        });
        expect((error as Error).name).toBe('ServerError');
        expect(texts, `${shown} characters of the key before the cap`).not.toContain(KEY.slice(0, shown));
        await server?.stop();
      }
    });
  }

  it('a one-character key leaves the server\'s words whole; a key inside the URL is redacted in the request event', async () => {
    const short = await provoke('a', (res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ success: false, message: 'Too many requests' }));
    });
    expect((short.error as Error).message).toContain('Too many requests');
    await server?.stop();

    const { events, logs, result } = await provoke('group', (res, _seen, index) => sendAccepted(res, `evt_${index}`));
    expect(result).toEqual({ success: true, eventId: 'evt_0' });
    const request = events.find((event) => event.type === 'request') as Extract<DebugEvent, { type: 'request' }>;
    expect(request.url).toMatch(/\/api\/\[REDACTED\]$/);
    expect(JSON.stringify(events)).not.toMatch(/\bgroup\b/i);
    expect(logs.join('\n')).not.toMatch(/\bgroup\b/i);
  });
});

/** Characters drawn as nothing, one of each kind (Unicode's Default_Ignorable_Code_Point set and more). */
const INVISIBLE: Array<[string, number]> = [
  ['U+200E left-to-right mark', 0x200e],
  ['U+200F right-to-left mark', 0x200f],
  ['U+2061 function application', 0x2061],
  ['U+2062 invisible times', 0x2062],
  ['U+2063 invisible separator', 0x2063],
  ['U+2064 invisible plus', 0x2064],
  ['U+FE0F variation selector 16', 0xfe0f],
  ['U+FE00 variation selector 1', 0xfe00],
  ['U+E0100 variation selector 17', 0xe0100],
  ['U+E01EF variation selector 256', 0xe01ef],
  ['U+034F combining grapheme joiner', 0x034f],
  ['U+061C Arabic letter mark', 0x061c],
  ['U+E0020 tag space', 0xe0020],
  ['U+E0001 language tag', 0xe0001],
  ['U+E007F cancel tag', 0xe007f],
  ['U+115F Hangul choseong filler', 0x115f],
  ['U+1160 Hangul jungseong filler', 0x1160],
  ['U+3164 Hangul filler', 0x3164],
  ['U+FFA0 halfwidth Hangul filler', 0xffa0],
  ['U+180B Mongolian free variation selector 1', 0x180b],
  ['U+180F Mongolian free variation selector 4', 0x180f],
  ['U+180E Mongolian vowel separator', 0x180e],
  ['U+00AD soft hyphen', 0x00ad],
  ['U+17B4 Khmer vowel inherent AQ', 0x17b4],
  ['U+1BCA0 shorthand format letter overlap', 0x1bca0],
  ['U+1D173 musical symbol begin beam', 0x1d173],
  ['U+2065 (unassigned, default-ignorable)', 0x2065],
  ['U+FFF0 (unassigned, default-ignorable)', 0xfff0],
  ['U+E0FFF (unassigned, default-ignorable)', 0xe0fff],
  ['U+200B zero-width space', 0x200b],
  ['U+FEFF byte order mark', 0xfeff],
  ['U+FFF9 interlinear annotation anchor (format)', 0xfff9],
];

/** What a reader sees of a text: without what is drawn as nothing (and without header bytes read as latin-1). */
const visible = (text: string): string => text.replace(/[\s\p{Default_Ignorable_Code_Point}\p{Cf}\x80-\xff]/gu, '');

describe('the key split by a character drawn as nothing: in the message, a header, the request id and the log lines', () => {
  const KEY = 'Sk_live.A1b2C3d4E5f6G7h8';
  it.each(INVISIBLE)('%s', async (_name, cp) => {
    const split = (key: string): string => `${key.slice(0, 8)}${String.fromCodePoint(cp)}${key.slice(8)}`;
    // a header's value goes out as UTF-8 bytes, as most servers write it (node:http writes a header's
    // characters as bytes when the body is a Buffer); fetch reads them back as latin-1
    const asHeader = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
    const { error, texts, events, logs } = await provoke(KEY, (res, seen) => {
      res.writeHead(400, {
        'content-type': 'application/json',
        'x-note': asHeader(`got ${split(echoed(seen))}`),
        'x-request-id': asHeader(split(echoed(seen))),
      });
      res.end(Buffer.from(JSON.stringify({ success: false, message: `bad key ${split(echoed(seen))}` })));
    });
    const failure = error as { serverMessage: string; headers: Record<string, string>; requestId: string };
    expect(failure.serverMessage).toBe(SPLIT_KEY_TEXT);
    expect(failure.headers['x-note']).toBe(SPLIT_KEY_TEXT);
    expect(failure.requestId).toBe(SPLIT_KEY_TEXT);
    const response = events.find((event) => event.type === 'response') as Extract<DebugEvent, { type: 'response' }>;
    expect(response.body).toBe(SPLIT_KEY_TEXT);
    expect(logs.some((line) => line.includes(`answered ${SPLIT_KEY_TEXT}`))).toBe(true);
    expect(visible(texts).toLowerCase()).not.toContain(KEY.toLowerCase());
  });
});

describe('the key split by an escaped invisible character, in a body as Python writes JSON (ensure_ascii)', () => {
  const KEY = 'Sk_live.A1b2C3d4E5f6G7h8';
  // every character outside ASCII written as \uXXXX (a pair of them beyond U+FFFF), as json.dumps does
  const asciiJson = (value: unknown): string =>
    JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  it.each([
    ['U+200E', 0x200e],
    ['U+E0020', 0xe0020],
    ['U+FE0F', 0xfe0f],
    ['U+00AD', 0x00ad],
  ] as const)('%s: the debug body and the log line show no key', async (_name, cp) => {
    const { error, events, logs } = await provoke(KEY, (res, seen) => {
      const key = echoed(seen);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(asciiJson({ success: false, message: `bad key ${key.slice(0, 8)}${String.fromCodePoint(cp)}${key.slice(8)}` }));
    });
    expect((error as { serverMessage: string }).serverMessage).toBe(SPLIT_KEY_TEXT);
    const response = events.find((event) => event.type === 'response') as Extract<DebugEvent, { type: 'response' }>;
    expect(response.body).toBe(SPLIT_KEY_TEXT);
    expect(logs.some((line) => line.includes(`answered ${SPLIT_KEY_TEXT}`))).toBe(true);
    expect(logs.join('\n')).not.toContain(KEY.slice(8));
  });
});
