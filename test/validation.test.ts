/** Everything refused before sending: every problem listed at once, in the caller's terms, nothing sent. */
import { describe, expect, it } from 'vitest';
import { ThriveStack, ValidationError, type GroupCall } from '../src/index.js';

function recordingClient() {
  const sent: string[] = [];
  const client = new ThriveStack({
    apiKey: 'k',
    baseUrl: 'http://127.0.0.1:9',
    fetch: async (request) => {
      sent.push(await request.text());
      return new Response('{"success":true,"eventId":"evt_1"}', { status: 200 });
    },
  });
  return { client, sent };
}

async function refusal(input: GroupCall | GroupCall[]): Promise<ValidationError> {
  const { client, sent } = recordingClient();
  const error = await client.group(input).catch((e) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(sent).toEqual([]);
  return error;
}

const ok = { groupId: 'g', userId: 'u' };

describe('schema rules (from the generated validator)', () => {
  it('lists every problem at once, with paths in the caller\'s terms', async () => {
    const error = await refusal([
      ok,
      { groupId: '', userId: 'u', context: { source: 'web' as never } },
      { groupId: 'g', userId: 'u', traits: { employees: 'many' as never, created_at: 'last year' }, timestamp: 'yesterday' },
      { groupId: 'g' } as GroupCall,
    ]);
    expect(error.issues).toEqual([
      { path: 'calls[1].groupId', message: 'must not be empty' },
      { path: 'calls[1].context.source', message: 'expected one of "product", "marketing", got "web"' },
      { path: 'calls[2].traits.employees', message: 'expected a number, got "many"' },
      { path: 'calls[2].traits.created_at', message: 'expected an ISO 8601 date or date-time such as "2023-06-01", got "last year"' },
      { path: 'calls[2].timestamp', message: 'expected an ISO 8601 date-time such as "2024-01-15T10:30:00Z", got "yesterday"' },
      { path: 'calls[3].userId', message: 'is required' },
    ]);
    expect(error.message).toContain('nothing was sent');
    expect(error.message).toContain('calls[2].traits.employees: expected a number, got "many"');
  });

  it('names a single call `call`', async () => {
    const error = await refusal({ groupId: 'g', userId: 42 as never, context: { deviceId: 7 as never } });
    expect(error.issues).toEqual([
      { path: 'call.userId', message: 'expected a string, got 42' },
      { path: 'call.context.deviceId', message: 'expected a string, got 7' },
    ]);
  });

  it('refuses an empty array', async () => {
    const error = await refusal([]);
    expect(error.issues).toEqual([{ path: 'calls', message: 'expected at least 1 group call, got 0' }]);
  });

  it('refuses more than 1,000 calls in one group() and points to the queue', async () => {
    const error = await refusal(Array.from({ length: 1001 }, () => ok));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('calls');
    expect(error.issues[0]!.message).toMatch(/holds 1001 calls, but one request holds at most 1000; use enqueue\(\)/);
  });

  it('names unknown fields, with a hint for snake_case ones', async () => {
    const error = await refusal({ group_id: 'g', userId: 'u' } as never);
    expect(error.issues).toContainEqual({ path: 'call.group_id', message: 'is not a field of a group call; use "groupId"' });
  });

  it('accepts what the reference allows: custom traits and context keys, dates and date-times', async () => {
    const { client, sent } = recordingClient();
    await client.group({
      ...ok,
      traits: { employees: 12.5, created_at: '2023-06-01', seats: 3, tags: ['a'], nested: { x: null } },
      context: { source: 'marketing', page: '/pricing', group_id: 'g' },
      timestamp: '2024-02-29t10:30:00+05:30',
    });
    expect(sent).toHaveLength(1);
  });
});

describe('values JSON cannot carry faithfully', () => {
  it('refuses each with its own message', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const error = await refusal({
      ...ok,
      traits: {
        big: 10n,
        fn: () => 1,
        sym: Symbol('s'),
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        when: new Date('not a date'),
        map: new Map([['a', 1]]),
        list: [1, undefined],
        circular,
      } as never,
    });
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(byPath).toEqual({
      'call.traits.big': 'is a BigInt, which JSON cannot carry; convert it to a number or a string',
      'call.traits.fn': 'is a function, which JSON would drop; send its result instead',
      'call.traits.sym': 'is a symbol, which JSON would drop; send a string instead',
      'call.traits.nan': 'is NaN, which JSON would send as null; send a finite number',
      'call.traits.inf': 'is Infinity, which JSON would send as null; send a finite number',
      'call.traits.when': 'is an invalid Date, which JSON would send as null; pass a valid Date or an ISO 8601 string',
      'call.traits.map': 'is a Map, which JSON would send as {}; convert it to a plain object or array',
      'call.traits.list[1]': 'is undefined inside an array, which JSON would send as null',
      'call.traits.circular.self': 'refers back to an object that contains it (a circular structure), which JSON cannot carry',
    });
  });

  it('a BigInt `employees` is reported once, as a BigInt', async () => {
    const error = await refusal({ ...ok, traits: { employees: 10n as never } });
    expect(error.issues).toEqual([{ path: 'call.traits.employees', message: 'is a BigInt, which JSON cannot carry; convert it to a number or a string' }]);
  });

  it('an invalid Date timestamp', async () => {
    const error = await refusal({ ...ok, timestamp: new Date('nope') });
    expect(error.issues).toEqual([{ path: 'call.timestamp', message: 'is an invalid Date; pass a valid Date or an ISO 8601 string' }]);
  });

  it('a valid Date timestamp is sent as ISO 8601', async () => {
    const { client, sent } = recordingClient();
    await client.group({ ...ok, timestamp: new Date(Date.UTC(2024, 0, 15, 10, 30)) });
    expect(JSON.parse(sent[0]!)[0].timestamp).toBe('2024-01-15T10:30:00.000Z');
  });

  it('undefined fields are simply left out', async () => {
    const { client, sent } = recordingClient();
    await client.group({ ...ok, traits: { plan: undefined }, context: undefined, timestamp: undefined });
    expect(JSON.parse(sent[0]!)).toEqual([{ group_id: 'g', user_id: 'u', traits: {} }]);
  });
});

describe('limits and ambiguities', () => {
  it('refuses a single call larger than the 2 MB request limit', async () => {
    const error = await refusal({ ...ok, traits: { description: 'x'.repeat(2_000_000) } });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('call');
    expect(error.issues[0]!.message).toMatch(/^is 2,000,0\d\d bytes of JSON, but one request holds at most 2,000,000 bytes/);
  });

  it('refuses calls that fit alone but not together, and points to the queue', async () => {
    const half = { ...ok, traits: { description: 'x'.repeat(1_100_000) } };
    const error = await refusal([half, half]);
    expect(error.issues).toEqual([{ path: 'calls', message: expect.stringMatching(/bytes of JSON.*use enqueue\(\), which splits batches by size/) }]);
  });

  it('refuses two traits whose names differ only in case', async () => {
    const error = await refusal({ ...ok, traits: { plan: 'pro', Plan: 'free', PLAN: 'x' } });
    expect(error.issues).toEqual([
      { path: 'call.traits', message: '"plan" and "Plan" name the same trait (trait names are case-insensitive); keep one' },
      { path: 'call.traits', message: '"plan" and "PLAN" name the same trait (trait names are case-insensitive); keep one' },
    ]);
  });

  it('refuses a context key given in both casings', async () => {
    const error = await refusal({ ...ok, context: { deviceId: 'a', device_id: 'b' } });
    expect(error.issues).toEqual([{ path: 'call.context', message: 'both "deviceId" and "device_id" are given; keep one' }]);
  });

  it('enqueue() refuses synchronously with the same messages', () => {
    const { client } = recordingClient();
    expect(() => client.enqueue({ ...ok, traits: { employees: 'many' as never } })).toThrow(
      /call\.traits\.employees: expected a number, got "many"/,
    );
    expect(client.queueSize).toBe(0);
  });
});

describe('keys that name prototype properties are plain data', () => {
  it('carries __proto__, constructor and prototype in traits and context without touching any prototype', async () => {
    const { client, sent } = recordingClient();
    const traits = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": "p"}');
    const context = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c", "deviceId": "d"}');
    await client.group({ ...ok, traits, context });
    const body = JSON.parse(sent[0]!)[0];
    expect(Object.keys(body.traits)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.keys(body.context)).toEqual(['__proto__', 'constructor', 'device_id']);
    expect(sent[0]).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // and a call whose context has such keys is validated and named like any other
    const error = await client.group({ ...ok, context: JSON.parse('{"constructor": 5, "source": "web"}') }).catch((e) => e);
    expect(error.issues).toEqual([{ path: 'call.context.source', message: 'expected one of "product", "marketing", got "web"' }]);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('wrong arguments from plain JavaScript are ValidationErrors, never raw TypeErrors', () => {
  it.each([
    ['nothing', undefined],
    ['null', null],
    ['a number', 42],
    ['a string', 'acct-1'],
    ['a function', () => ok],
  ])('group(%s) is refused with one issue, nothing sent', async (_, input) => {
    const error = await refusal(input as never);
    expect(error.issues).toEqual([{ path: 'call', message: expect.stringMatching(/^expected a group call object such as \{ groupId, userId \}, got /) }]);
  });

  it('an array holding null or a number names each bad entry once, and still checks the others', async () => {
    const error = await refusal([null, ok, 7, { groupId: 'g' }] as never);
    expect(error.issues).toEqual([
      { path: 'calls[0]', message: 'expected a group call object such as { groupId, userId }, got null' },
      { path: 'calls[2]', message: 'expected a group call object such as { groupId, userId }, got 7' },
      { path: 'calls[3].userId', message: 'is required' },
    ]);
  });

  it.each([[undefined], [null], [42], [[ok]]])('enqueue(%o) throws ValidationError and queues nothing', (input) => {
    const { client } = recordingClient();
    expect(() => client.enqueue(input as never)).toThrow(ValidationError);
    expect(client.queueSize).toBe(0);
  });

  it('enqueueAsync(null) rejects with ValidationError', async () => {
    const { client } = recordingClient();
    await expect(client.enqueueAsync(null as never)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('nesting depth', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
  };

  it('a trait nested 20,000 deep is a ValidationError naming the trait (no stack overflow), nothing sent', async () => {
    const error = await refusal({ ...ok, traits: { deep: nested(20_000) as never, plan: 'pro' } });
    expect(error.issues).toEqual([{ path: 'call.traits.deep', message: 'nests more than 100 levels deep, which the client refuses; flatten it' }]);
  });

  it('arrays count as levels too, and so do context values; enqueue() refuses likewise', async () => {
    let list: unknown = 1;
    for (let i = 0; i < 5_000; i++) list = [list];
    const error = await refusal({ ...ok, context: { trail: list } });
    expect(error.issues).toEqual([{ path: 'call.context.trail', message: expect.stringContaining('nests more than 100 levels deep') }]);
    const { client } = recordingClient();
    expect(() => client.enqueue({ ...ok, traits: { deep: nested(10_000) as never } })).toThrow(/call\.traits\.deep: nests more than 100/);
  });

  it('100 levels are accepted and sent as written', async () => {
    const { client, sent } = recordingClient();
    await client.group({ ...ok, traits: { deep: nested(100) as never } });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.split('{"a":').length - 1).toBe(100);
  });
});

describe('messages say what to do', () => {
  it('uses the right article: "an object", "an array", "a Date"', async () => {
    const error = await refusal({ ...ok, traits: { plan: {} as never, industry: [] as never } });
    expect(error.issues).toHaveLength(2);
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'call.traits.plan', message: 'expected a string, got an object' },
        { path: 'call.traits.industry', message: 'expected a string, got an array' },
      ]),
    );
    expect((await refusal(new Date(0) as never)).issues[0]!.message).toMatch(/got a Date$/);
  });

  it('created_at takes a Date, like timestamp, sent as an ISO date-time', async () => {
    const { client, sent } = recordingClient();
    const traits = { created_at: new Date(Date.UTC(2023, 5, 1)) as never, plan: 'pro' };
    await client.group({ ...ok, traits });
    expect(JSON.parse(sent[0]!)[0].traits).toEqual({ created_at: '2023-06-01T00:00:00.000Z', plan: 'pro' });
    expect(traits.created_at).toBeInstanceOf(Date); // the caller's object is left as it was
    const error = await refusal({ ...ok, traits: { created_at: new Date('nope') as never } });
    expect(error.issues).toEqual([{ path: 'call.traits.created_at', message: 'is an invalid Date, which JSON would send as null; pass a valid Date or an ISO 8601 string' }]);
  });

  it('a date-time without a time zone says the zone is what is missing', async () => {
    const error = await refusal({ ...ok, timestamp: '2024-01-15T10:30:00', traits: { created_at: '2023-06-01 08:00:00' } });
    expect(error.issues).toEqual([
      { path: 'call.traits.created_at', message: expect.stringContaining('which has no time zone; add "Z" (UTC) or an offset such as "+02:00"') },
      { path: 'call.timestamp', message: expect.stringContaining('"2024-01-15T10:30:00", which has no time zone; add "Z" (UTC) or an offset') },
    ]);
  });

  it('epoch milliseconds where a date is expected point to Date', async () => {
    const error = await refusal({ ...ok, timestamp: 1_705_314_600_000 as never, traits: { created_at: 1_685_577_600_000 as never } });
    expect(error.issues).toEqual([
      { path: 'call.traits.created_at', message: expect.stringContaining('got the number 1685577600000; pass a Date (e.g. `new Date(1685577600000)`') },
      { path: 'call.timestamp', message: expect.stringContaining('got the number 1705314600000; pass a Date (e.g. `new Date(1705314600000)`') },
    ]);
  });
});

describe('what is validated is what is sent: every value read once, into a plain copy', () => {
  it('a getter that answers differently later cannot slip a refused value past validation', async () => {
    let reads = 0;
    const traits = {
      get employees() {
        reads++;
        return reads === 1 ? 5 : 'many';
      },
    };
    const { client, sent } = recordingClient();
    await client.group({ ...ok, traits: traits as never });
    expect(JSON.parse(sent[0]!)[0].traits).toEqual({ employees: 5 });
    reads = 0;
    client.enqueue({ ...ok, traits: traits as never });
    await client.flush();
    expect(JSON.parse(sent[1]!)[0].traits).toEqual({ employees: 5 });
    expect(reads).toBe(1);
  });

  it('a toJSON is called once and what it returns is checked like any value', async () => {
    const error = await refusal({
      ...ok,
      traits: {
        nan: { toJSON: () => Number.NaN },
        map: { toJSON: () => new Map() },
        big: { toJSON: () => 10n },
        throws: { toJSON: () => { throw new Error('boom'); } },
        when: Object.assign(new Date(0), { toJSON: () => Number.NaN }),
      } as never,
    });
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(byPath).toEqual({
      'call.traits.nan': 'is NaN, which JSON would send as null; send a finite number',
      'call.traits.map': 'is a Map, which JSON would send as {}; convert it to a plain object or array',
      'call.traits.big': 'is a BigInt, which JSON cannot carry; convert it to a number or a string',
      'call.traits.throws': 'has a toJSON() that threw; send plain data instead',
      'call.traits.when': 'is NaN, which JSON would send as null; send a finite number',
    });
  });

  it('a toJSON returning a circular or endless structure is refused, never a raw TypeError or RangeError', async () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    let endless: unknown = 'x';
    for (let i = 0; i < 10_000; i++) endless = { a: endless };
    const chain = (): unknown => ({ toJSON: chain }); // every toJSON returns another one
    const error = await refusal({ ...ok, traits: { loop: { toJSON: () => loop }, deep: { toJSON: () => endless }, chain: chain() } as never });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['call.traits.chain', 'call.traits.deep', 'call.traits.loop.self']);
  });

  it('a toJSON giving plain data is sent as that data (a Date as its ISO string, as JSON would)', async () => {
    const { client, sent } = recordingClient();
    await client.group({ ...ok, traits: { plan: { toJSON: () => 'pro' } as never, renewed: new Date(0) as never, seats: new Number(3) as never } });
    expect(JSON.parse(sent[0]!)[0].traits).toEqual({ plan: 'pro', renewed: '1970-01-01T00:00:00.000Z', seats: 3 });
  });

  it.each([
    ['a Promise (a forgotten await)', Promise.resolve(3), /is a Promise \(did you forget `await`\?\)/],
    ['an Error', new Error('x'), /is an instance of Error, not a plain object/],
    ['a RegExp', /x/, /is an instance of RegExp, not a plain object/],
    ['a WeakMap', new WeakMap(), /is an instance of WeakMap, not a plain object/],
    ['a class instance', new (class Account { plan = 'pro'; })(), /is an instance of Account, not a plain object/],
    ['a Uint8Array', new Uint8Array([1, 2]), /is a Uint8Array, which JSON would send as an object of indexes; convert it with Array\.from\(\)/],
    ['a boxed NaN', Object(Number.NaN), /is NaN/],
  ])('refuses %s instead of sending {} or null', async (_, value, message) => {
    const error = await refusal({ ...ok, traits: { seats: value } as never });
    expect(error.issues).toEqual([{ path: 'call.traits.seats', message: expect.stringMatching(message) }]);
  });

  it('undefined fields are left out before the duplicate checks: they clash with nothing', async () => {
    const { client, sent } = recordingClient();
    await client.group({ ...ok, traits: { plan: 'a', PLAN: undefined }, context: { deviceId: undefined, device_id: 'd' } as never });
    expect(JSON.parse(sent[0]!)[0]).toEqual({ group_id: 'g', user_id: 'u', traits: { plan: 'a' }, context: { device_id: 'd' } });
  });
});

describe('inputs built to make validation slow or crash', () => {
  it('more than 1,000 calls are refused at once, with one issue, without validating each', async () => {
    const error = await refusal(new Array(200_000).fill(null));
    expect(error.issues).toEqual([{ path: 'calls', message: expect.stringMatching(/^holds 200000 calls, but one request holds at most 1000; use enqueue\(\)/) }]);
  });

  it('a huge array of bad values is told in at most 100 issues (no RangeError)', async () => {
    const error = await refusal({ ...ok, traits: { many: Array.from({ length: 300_000 }, () => 1n) as never } });
    expect(error.issues.length).toBeLessThanOrEqual(100);
    expect(error.issues[0]).toEqual({ path: 'call.traits.many[0]', message: expect.stringContaining('BigInt') });
  });

  it('a sparse array that could never fit in a request is refused without walking it', async () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    const error = await refusal({ ...ok, traits: { sparse } as never });
    expect(error.issues).toEqual([{ path: 'call.traits.sparse', message: 'holds 4,294,967,295 elements, more than one 2,000,000-byte request can carry' }]);
    const { client } = recordingClient();
    expect(() => client.enqueue({ ...ok, traits: { holes: new Array(1_000) } as never })).toThrow(/call\.traits\.holes\[0\]: is undefined inside an array/);
  });
});

describe('values that cannot be read', () => {
  it('a trait getter or Proxy that throws is a ValidationError naming the field, nothing sent', async () => {
    const throwing = { get plan(): string { throw new Error('lazy load failed'); } };
    const error = await refusal({ ...ok, traits: throwing as never });
    expect(error.issues).toEqual([{ path: 'call.traits.plan', message: 'could not be read (a getter or Proxy threw); send plain data instead' }]);
    const getterCall = { groupId: 'g', get userId(): string { throw new Error('no session'); } };
    expect((await refusal(getterCall as never)).issues).toContainEqual({ path: 'call.userId', message: 'could not be read (a getter or Proxy threw); send plain data instead' });
    const getterContext = { get deviceId(): string { throw new Error('no device'); } };
    expect((await refusal({ ...ok, context: getterContext as never })).issues[0]!.message).toMatch(/could not be read/);
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('no'); } });
    const second = await refusal({ ...ok, context: { page: proxy } as never });
    expect(second.issues[0]!.message).toMatch(/could not be read/);
  });
});

describe('second adversary pass', () => {
  it.each([
    ['a Map', new Map([['source', 'product']]), /is a Map/],
    ['a Set', new Set([1]), /is a Set/],
    ['a Promise', Promise.resolve({}), /did you forget `await`/],
    ['a class instance', new (class Ctx { source = 'product'; })(), /is an instance of Ctx/],
    ['a Date', new Date(0), /expected an object/],
    ['a String object', new String('ab'), /expected an object/],
  ])('a context that is %s is refused, never sent as {}', async (_, context, message) => {
    const error = await refusal({ ...ok, context: context as never });
    expect(error.issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(message);
  });

  it("a context's toJSON is honoured like any value's (its result is what is validated and sent)", async () => {
    const { client, sent } = recordingClient();
    await client.group({ ...ok, context: { toJSON: () => ({ device_id: 'x' }), source: 's' } as never });
    expect(JSON.parse(sent[0]!)[0].context).toEqual({ device_id: 'x' });
  });

  it('shared references that expand past what a request can carry are refused quickly, not walked forever', async () => {
    let shared: unknown = {};
    for (let i = 0; i < 40; i++) shared = { a: shared, b: shared }; // 2^40 values once expanded
    const error = await refusal({ ...ok, traits: { x: shared as never } });
    expect(error.issues).toEqual([{ path: 'call.traits.x', message: expect.stringMatching(/^holds more than 2,000,000 bytes of JSON \(shared objects count each time/) }]);
    const grid = new Array(3000).fill(new Array(3000).fill(0));
    expect((await refusal({ ...ok, traits: { grid } as never })).issues[0]!.message).toMatch(/holds more than 2,000,000 bytes of JSON/);
  });

  it('a call Proxy whose traps throw is a ValidationError, in group() and enqueue()', async () => {
    const hostile = new Proxy({ groupId: 'g', userId: 'u' }, { get() { throw new Error('boom'); } });
    const error = await refusal(hostile as never);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.path).toBe('call');
    const { client } = recordingClient();
    expect(() => client.enqueue(hostile as never)).toThrow(ValidationError);
    const protoTrap = new Proxy({}, { getPrototypeOf() { throw 42; } });
    await expect(client.group(protoTrap as never)).rejects.toBeInstanceOf(ValidationError);
  });

  it('inside an array, a toJSON or a boxed value giving undefined is refused like undefined itself', async () => {
    const error = await refusal({ ...ok, traits: { a: [{ toJSON: () => undefined }] } as never });
    expect(error.issues).toEqual([{ path: 'call.traits.a[0]', message: 'is undefined inside an array, which JSON would send as null' }]);
  });
});

describe('a misspelt field of a call names the field meant', () => {
  it.each([
    ['trait', 'traits'],
    ['groupid', 'groupId'],
    ['user', 'userId'],
    ['timeStamp', 'timestamp'],
    ['contexts', 'context'],
  ])('%s: "did you mean %s?"', async (given, meant) => {
    const error = await refusal({ ...ok, [given]: { plan: 'pro' } } as never);
    expect(error.issues).toContainEqual({ path: `call.${given}`, message: `is not a field of a group call; did you mean "${meant}"?` });
  });

  it('a wire name says which name to use instead, and a name like no field gets no guess', async () => {
    const error = await refusal({ ...ok, group_id: 'g', zzzzzz: 1 } as never);
    expect(error.issues).toEqual([
      { path: 'call.group_id', message: 'is not a field of a group call; use "groupId"' },
      { path: 'call.zzzzzz', message: 'is not a field of a group call' },
    ]);
  });
});
