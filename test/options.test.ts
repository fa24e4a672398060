/**
 * Every option at every entry point, driven through the values a careless plain-JavaScript caller
 * passes (NaN, negative, zero, strings, Infinity, 2^31, misspelt names): each is a ConfigurationError
 * naming the option and the value, and nothing is sent.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, ThriveStack, type ClientOptions } from '../src/index.js';
import { nearestName } from '../src/option-check.js';
import { sendAccepted, startHostileServer } from './support/hostile-server.js';

function spyFetch() {
  const requests: Request[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    requests.push(request);
    return new Response('{"success":true,"eventId":"evt_1"}', { status: 200 });
  };
  return { requests, fetch };
}

const call = { groupId: 'g', userId: 'u' };
const OVER_TIMER = 2 ** 31;

/** Numeric options: the values each must refuse, and boundary values it must take. */
const NUMERIC: Array<{ name: keyof ClientOptions; refused: unknown[]; accepted: number[] }> = [
  { name: 'timeout', refused: [Number.NaN, -1, 0, '1000', Infinity, OVER_TIMER, null, true], accepted: [1, 2 ** 31 - 1] },
  { name: 'maxRetries', refused: [Number.NaN, -1, 1.5, '3', Infinity, OVER_TIMER, null], accepted: [0, 10] },
  { name: 'minRetryDelay', refused: [Number.NaN, -1, '500', Infinity, OVER_TIMER], accepted: [0, 2 ** 31 - 1] },
  { name: 'maxRetryDelay', refused: [Number.NaN, -1, '8000', Infinity, OVER_TIMER], accepted: [0, 1] },
  { name: 'maxRetryAfter', refused: [Number.NaN, -1, '60', Infinity, OVER_TIMER], accepted: [0, 1] },
  { name: 'flushAt', refused: [Number.NaN, -1, 0, 2.5, '10', Infinity], accepted: [1, 5_000] },
  { name: 'maxBatchSize', refused: [Number.NaN, -1, 0, 2.5, '10', Infinity, 1_001], accepted: [1, 1_000] },
  { name: 'flushInterval', refused: [Number.NaN, -1, '5000', Infinity, OVER_TIMER], accepted: [0, 2 ** 31 - 1] },
  { name: 'maxQueueBytes', refused: [Number.NaN, -1, 0, 1_999_999, 2.5e6 + 0.5, '64000000', Infinity], accepted: [2_000_000, 64_000_000] },
  { name: 'maxQueueSize', refused: [Number.NaN, -1, 0, 1.5, '100', Infinity], accepted: [1, 1_000_000] },
  { name: 'maxConcurrentRequests', refused: [Number.NaN, -1, 0, 1.5, '4', Infinity, 1_001], accepted: [1, 1_000] },
];

/** Non-numeric options and values of the wrong type. */
const TYPED: Array<{ name: keyof ClientOptions; refused: unknown[] }> = [
  { name: 'apiKey', refused: [42, {}, null] },
  { name: 'baseUrl', refused: [42, new URL('https://api.app.thrivestack.ai'), null] },
  { name: 'allowInsecureHttp', refused: ['true', 1, null] },
  { name: 'fetch', refused: ['fetch', {}, null] },
  { name: 'defaultHeaders', refused: ['a: b', { 'x-proxy': 1 }, null, ['a']] },
  { name: 'debug', refused: [true, 'console', null] },
  { name: 'logLevel', refused: ['verbose', 'WARN', 3, null] },
  { name: 'logger', refused: [{}, { info() {} }, 'console', null] },
  { name: 'onError', refused: [true, {}, null] },
  { name: 'onDelivered', refused: [true, {}, null] },
  { name: 'throttle', refused: [{ limit: 2 }, 4, null] },
];

function configurationError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError, nothing was thrown');
}

describe('constructor options', () => {
  for (const { name, refused, accepted } of NUMERIC) {
    it.each(refused.map((value) => [value]))(`refuses ${name}: %s`, (value) => {
      const error = configurationError(() => new ThriveStack({ apiKey: 'k', [name]: value } as ClientOptions));
      expect(error.message).toContain(`\`${name}\``);
      expect(error.message).toMatch(/got (NaN|null|the (number|string|boolean) )/);
    });
    it(`takes ${name} at its boundaries (${accepted.join(', ')})`, () => {
      for (const value of accepted) expect(() => new ThriveStack({ apiKey: 'k', [name]: value })).not.toThrow();
    });
  }

  for (const { name, refused } of TYPED) {
    it.each(refused.map((value) => [value]))(`refuses ${name}: %o`, (value) => {
      const error = configurationError(() => new ThriveStack({ apiKey: 'k', [name]: value } as ClientOptions));
      expect(error.message).toContain(`\`${name}\``);
    });
  }

  it('names the value and its type, e.g. the string "1000"', () => {
    const error = configurationError(() => new ThriveStack({ apiKey: 'k', timeout: '1000' as never }));
    expect(error.message).toContain('got the string "1000"');
  });

  it('lists every problem at once', () => {
    const error = configurationError(() => new ThriveStack({ apiKey: 'k', timeout: Number.NaN, maxRetries: -1, flushat: 3 } as never));
    expect(error.message).toContain('3 problems');
    expect(error.message).toMatch(/`timeout`.*NaN/);
    expect(error.message).toMatch(/`maxRetries`.*-1/);
    expect(error.message).toMatch(/`flushat` is not an option; did you mean `flushAt`\?/);
  });

  it.each([
    ['flushat', 'flushAt'],
    ['timeOut', 'timeout'],
    ['maxRetires', 'maxRetries'],
    ['maxQueueSze', 'maxQueueSize'],
    ['maxBatchsize', 'maxBatchSize'],
    ['apikey', 'apiKey'],
    ['base_url', 'baseUrl'],
    ['onerror', 'onError'],
    ['loglevel', 'logLevel'],
  ])('suggests the nearest name for a misspelt %s', (wrong, right) => {
    const error = configurationError(() => new ThriveStack({ apiKey: 'k', [wrong]: 1 } as never));
    expect(error.message).toContain(`did you mean \`${right}\``);
  });

  it('lists the options when a name is nothing like any of them', () => {
    const error = configurationError(() => new ThriveStack({ apiKey: 'k', colour: 'blue' } as never));
    expect(error.message).toContain('`colour` is not an option; the options are `apiKey`');
    expect(nearestName('colour', ['apiKey', 'timeout'])).toBeUndefined();
  });

  it.each([[null], [42], ['k'], [[{ apiKey: 'k' }]]])('refuses options that are not an object: %o', (options) => {
    const error = configurationError(() => new ThriveStack(options as never));
    expect(error.message).toMatch(/options of new ThriveStack\(\) must be an object/);
  });

  it('counts an option set to undefined as not given', () => {
    expect(() => new ThriveStack({ apiKey: 'k', timeout: undefined, onError: undefined })).not.toThrow();
  });
});

describe('per-call options of group()', () => {
  const PER_CALL: Array<[string, unknown]> = [
    ['timeout', Number.NaN],
    ['timeout', 0],
    ['timeout', -5],
    ['timeout', '1000'],
    ['timeout', Infinity],
    ['timeout', OVER_TIMER],
    ['maxRetries', Number.NaN],
    ['maxRetries', '3'],
    ['maxRetries', -1],
    ['maxRetries', Infinity],
    ['signal', {}],
    ['signal', 'abort'],
    ['headers', { 'x-trace': 7 }],
    ['headers', 'x-trace: 7'],
    ['maxretries', 2],
    ['timout', 5],
  ];
  it.each(PER_CALL)('refuses %s: %o, and sends nothing', async (name, value) => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    const error = await client.group(call, { [name]: value } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`\`${name}\``);
    expect(requests).toHaveLength(0);
  });

  it('refuses options that are not an object, and sends nothing', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    await expect(client.group(call, null as never)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(client.group(call, 5_000 as never)).rejects.toThrow(/must be an object, got the number 5000/);
    expect(requests).toHaveLength(0);
  });

  it('takes valid per-call options', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    await client.group(call, { timeout: 1, maxRetries: 0, signal: new AbortController().signal, headers: { 'x-trace': 'abc' } });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.get('x-trace')).toBe('abc');
  });
});

describe('per-call options of enqueue() and enqueueAsync()', () => {
  it('refuses a misspelt or non-object option, queues nothing', async () => {
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: spyFetch().fetch });
    expect(() => client.enqueue(call, { tags: 'row-1' } as never)).toThrow(/`tags` is not an option; did you mean `tag`\?/);
    expect(() => client.enqueue(call, 'row-1' as never)).toThrow(ConfigurationError);
    await expect(client.enqueueAsync(call, { Tag: 1 } as never)).rejects.toThrow(/did you mean `tag`/);
    expect(client.queueSize).toBe(0);
  });

  it('takes a tag of any value', async () => {
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: spyFetch().fetch, flushInterval: 60_000 });
    expect(client.enqueue(call, { tag: { row: 1 } })).toBe(true);
    await client.enqueueAsync(call, { tag: null });
    expect(client.queueSize).toBe(2);
    await client.close();
  });
});

describe('close() options', () => {
  it.each([[Number.NaN], [-1], ['30000'], [OVER_TIMER], [null]])('refuses timeout: %o, at once', (timeout) => {
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: spyFetch().fetch });
    const error = configurationError(() => client.close({ timeout } as never));
    expect(error.message).toMatch(/`timeout` must be .*or Infinity \(wait until every call is delivered or failed\)/);
  });

  it('refuses a misspelt close() option', () => {
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: spyFetch().fetch });
    expect(() => client.close({ timeOut: 5 } as never)).toThrow(/did you mean `timeout`/);
  });

  it('close({ timeout: Infinity }) waits for a slow server and delivers', async () => {
    let answered = 0;
    const slow = async (): Promise<Response> => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      answered++;
      return new Response('{"success":true,"eventId":"evt_1"}', { status: 200 });
    };
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: slow, flushAt: 1 });
    client.enqueue(call);
    client.enqueue(call);
    const report = await client.close({ timeout: Infinity });
    expect(report).toMatchObject({ delivered: 2, pending: 0, timedOut: false });
    expect(answered).toBeGreaterThanOrEqual(1);
  });
});

describe('the API key', () => {
  it('is trimmed: a key read from a file with its newline is sent without it', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: '  sk_live_canary\n', baseUrl: 'http://127.0.0.1:9', fetch });
    await client.group(call);
    expect(requests[0]!.headers.get('x-api-key')).toBe('sk_live_canary');
  });

  it('is trimmed when read from THRIVESTACK_API_KEY too', async () => {
    const previous = process.env.THRIVESTACK_API_KEY;
    process.env.THRIVESTACK_API_KEY = 'sk_env_canary\r\n';
    try {
      const { requests, fetch } = spyFetch();
      await new ThriveStack({ baseUrl: 'http://127.0.0.1:9', fetch }).group(call);
      expect(requests[0]!.headers.get('x-api-key')).toBe('sk_env_canary');
    } finally {
      if (previous === undefined) delete process.env.THRIVESTACK_API_KEY;
      else process.env.THRIVESTACK_API_KEY = previous;
    }
  });

  it.each([
    ['a line feed', 'sk_live\ncanary'],
    ['a carriage return', 'sk_live\rcanary'],
    ['a NUL', 'sk_live\0canary'],
    ['a space', 'sk_live canary'],
    ['a tab', 'sk_live\tcanary'],
    ['a non-ASCII letter', 'sk_live_cänary'],
    ['an escape', 'sk_live\u001b[31mcanary'],
  ])('holding %s is refused at construction, without echoing it', (_, key) => {
    const error = configurationError(() => new ThriveStack({ apiKey: key }));
    expect(error.message).toContain('holds a character an HTTP header cannot carry');
    for (const text of [error.message, String(error.stack), JSON.stringify(error)]) {
      expect(text).not.toContain('canary');
      expect(text).not.toContain('sk_live');
    }
  });

  it.each([[''], ['   '], ['\n']])('empty after trimming (%o) is refused', (key) => {
    const error = configurationError(() => new ThriveStack({ apiKey: key }));
    expect(error.message).toMatch(/`apiKey` is empty/);
  });

  it.each([['x-api-key'], ['X-API-KEY'], ['X-Api-Key']])('cannot be replaced per call through headers (%s)', async (name) => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    await expect(client.group(call, { headers: { [name]: 'other' } })).rejects.toThrow(/not in `headers`/);
    expect(() => new ThriveStack({ apiKey: 'k', defaultHeaders: { [name]: 'other' } })).toThrow(/not in `defaultHeaders`/);
    expect(requests).toHaveLength(0);
  });

  it('refuses header names and values a request cannot carry, without echoing the value', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    const error = await client.group(call, { headers: { 'x-proxy-auth': 'secret\r\nx-evil: 1' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain('secret');
    expect(() => new ThriveStack({ apiKey: 'k', defaultHeaders: { 'bad name': 'v' } })).toThrow(/not a valid header name/);
    expect(requests).toHaveLength(0);
  });
});

describe('headers fetch refuses, or that break every request', () => {
  // Tried on Node 20's fetch against a local server: the first five make it throw ("fetch failed"),
  // so every call failed four times as "Could not reach ThriveStack"; the others are sent and break
  // the request (content-length), are dropped (host) or invite an answer fetch cannot decode (te).
  it.each([
    ['expect', '100-continue', /fetch refuses it/],
    ['Expect', 'x', /fetch refuses it/],
    ['upgrade', 'websocket', /fetch refuses it/],
    ['KEEP-ALIVE', 'timeout=5', /fetch refuses it/],
    ['transfer-encoding', 'chunked', /fetch refuses it/],
    ['Transfer-Encoding', 'gzip', /fetch refuses it/],
    ['connection', 'upgrade', /fetch refuses it unless it is `close` or `keep-alive`/],
    ['Connection', 'close, upgrade', /fetch refuses it unless it is `close` or `keep-alive`/],
    ['te', 'gzip', /unless it is `trailers`/],
    ['TE', 'trailers, deflate', /unless it is `trailers`/],
    ['content-length', '42', /sets it from each request's body/],
    ['Content-Length', '0', /sets it from each request's body/],
    ['host', 'api.example.com', /set `baseUrl` to the address you need/],
    ['HOST', 'api.app.thrivestack.ai', /set `baseUrl` to the address you need/],
  ])('%s: %s is refused at construction and per call, naming the header, and nothing is sent', async (name, value, reason) => {
    const { requests, fetch } = spyFetch();
    const error = configurationError(() => new ThriveStack({ apiKey: 'k', fetch, defaultHeaders: { 'x-ok': '1', [name]: value } }));
    expect(error.message).toContain(`\`defaultHeaders\`: the header ${JSON.stringify(name)} cannot be sent`);
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/Remove it/);
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    const perCall = await client.group(call, { headers: { [name]: value } }).catch((e: unknown) => e);
    expect(perCall).toBeInstanceOf(ConfigurationError);
    expect((perCall as Error).message).toContain(`\`headers\`: the header ${JSON.stringify(name)} cannot be sent`);
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['connection', 'close'],
    ['Connection', ' Keep-Alive '],
    ['te', 'trailers'],
    ['trailer', 'x-checksum'],
    ['accept-encoding', 'gzip'],
  ])('%s: %o, which fetch sends and which breaks nothing, is allowed (a real request through the platform fetch)', async (name, value) => {
    const server = await startHostileServer((res, _seen, index) => sendAccepted(res, `evt_${index}`));
    try {
      const client = new ThriveStack({ apiKey: 'k', baseUrl: server.url, maxRetries: 0, defaultHeaders: { [name]: value } });
      await expect(client.group(call)).resolves.toEqual({ success: true, eventId: 'evt_0' });
      await expect(client.group(call, { headers: { [name]: value } })).resolves.toEqual({ success: true, eventId: 'evt_1' });
      expect(String(server.seen[0]!.headers[name.toLowerCase()]).toLowerCase()).toBe(value.trim().toLowerCase());
    } finally {
      await server.stop();
    }
  });
});

describe('baseUrl', () => {
  it('refuses credentials in the URL', () => {
    expect(() => new ThriveStack({ apiKey: 'k', baseUrl: 'https://user:pass@api.app.thrivestack.ai' })).toThrow(/user name or password/);
  });
});

describe('options as a careless or clever caller builds them', () => {
  it('an inherited option is checked like an own one, and nothing is sent', async () => {
    const { requests, fetch } = spyFetch();
    const inherited = Object.assign(Object.create({ maxRetries: Infinity, timeout: -5 }), { apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    const error = configurationError(() => new ThriveStack(inherited));
    expect(error.message).toMatch(/`timeout`.*-5/);
    expect(error.message).toMatch(/`maxRetries`.*Infinity/);
    expect(requests).toHaveLength(0);
  });

  it('a getter is read once: checked, then used as checked (it cannot answer NaN later)', async () => {
    const { requests, fetch } = spyFetch();
    let reads = 0;
    const config = {
      apiKey: 'k',
      baseUrl: 'http://127.0.0.1:9',
      fetch,
      get maxRetries() {
        reads++;
        return reads === 1 ? 0 : Number.NaN;
      },
    };
    const client = new ThriveStack(config);
    await client.group(call);
    expect(reads).toBe(1);
    expect(requests).toHaveLength(1);
  });

  it('a getter (or Proxy) that throws is a ConfigurationError naming the option', () => {
    const config = {
      apiKey: 'k',
      get timeout(): number {
        throw new Error('config service down');
      },
    };
    const error = configurationError(() => new ThriveStack(config));
    expect(error.message).toContain('reading `timeout` threw');
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('no'); } });
    expect(() => new ThriveStack(proxy)).toThrow(/could not be read/);
  });

  it('per-call headers as a Headers object are checked too: x-api-key cannot be set that way', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    await expect(client.group(call, { headers: new Headers({ 'x-api-key': 'other' }) as never })).rejects.toThrow(/not in `headers`/);
    expect(() => new ThriveStack({ apiKey: 'k', defaultHeaders: new Headers({ 'X-Api-Key': 'x' }) as never })).toThrow(/not in `defaultHeaders`/);
    expect(requests).toHaveLength(0);
  });

  it('headers as a Headers object or as pairs are sent, not dropped', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch, defaultHeaders: new Headers({ 'x-proxy': 'p' }) as never });
    await client.group(call, { headers: [['x-trace', 't']] as never });
    expect(requests[0]!.headers.get('x-proxy')).toBe('p');
    expect(requests[0]!.headers.get('x-trace')).toBe('t');
  });

  it.each([[new Number(10)], [new Map([['a', 'b']])], [[['a']]]])('refuses headers that are no headers: %o', (headers) => {
    expect(() => new ThriveStack({ apiKey: 'k', defaultHeaders: headers as never })).toThrow(/`defaultHeaders` must be an object whose values are strings/);
  });

  it('a look-alike signal without removeEventListener is refused before anything is sent', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    const fake = { aborted: false, addEventListener() {} };
    await expect(client.group(call, { signal: fake as never })).rejects.toThrow(/`signal` must be an AbortSignal/);
    expect(requests).toHaveLength(0);
  });

  it('never echoes a long string (it may be the key, passed to the wrong place)', async () => {
    const key = 'ts_live_9f8e7d6c5b4a39281706';
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch: spyFetch().fetch });
    const errors = [
      configurationError(() => new ThriveStack(key as never)),
      configurationError(() => new ThriveStack({ apiKey: 'k', baseUrl: key })),
      configurationError(() => new ThriveStack({ apiKey: 'k', logLevel: key as never })),
      configurationError(() => client.close(key as never)),
      (await client.group(call, key as never).catch((e: unknown) => e)) as Error,
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).not.toContain('9f8e7d6c');
      expect(error.message).toMatch(/a string of 28 characters \(not shown: it could be a secret\)/);
    }
    expect(errors[4]!.message).toMatch(/^The options of group\(\) must be an object/);
  });
});

describe('second adversary pass: options', () => {
  it('headers are copied once when checked: a Proxy cannot show x-api-key to the request only', async () => {
    const { requests, fetch } = spyFetch();
    const client = new ThriveStack({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', fetch });
    let reads = 0;
    const sneaky = new Proxy({ a: 'b', 'X-Api-Key': 'STOLEN' } as Record<string, string>, {
      ownKeys: (target) => (++reads <= 1 ? ['a'] : Reflect.ownKeys(target)),
    });
    await client.group(call, { headers: sneaky });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.get('x-api-key')).toBe('k');
    expect(requests[0]!.headers.get('a')).toBe('b');
  });

  it('a logger or headers Proxy whose traps throw is a ConfigurationError', () => {
    const trap = () => {
      throw new Error('trap');
    };
    expect(() => new ThriveStack({ apiKey: 'k', logger: new Proxy({}, { get: trap }) as never })).toThrow(/reading `logger` threw/);
    expect(() => new ThriveStack({ apiKey: 'k', defaultHeaders: new Proxy({}, { ownKeys: trap }) as never })).toThrow(/reading `defaultHeaders` threw/);
  });

  it.each([['https://api.example.com/?x=1'], ['https://api.example.com/v1#frag'], ['https://api.example.com#']])(
    'a baseUrl with a query or fragment (%s) is refused',
    (baseUrl) => {
      expect(() => new ThriveStack({ apiKey: 'k', baseUrl })).toThrow(/must not hold a query .* or a fragment/);
    },
  );
});
