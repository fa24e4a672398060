/**
 * ThriveStack reads trait names case-insensitively (the API reference: "Trait names are
 * case-insensitive"), so `Employees` is the reserved trait `employees`: its value is held to the
 * reserved trait's rule whatever the case it is written in, by the library (`group()`, `enqueue()`)
 * and by the command line (`--trait`, a CSV column). Nothing is sent then.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ThriveStack, ValidationError, type GroupCall } from '../src/index.js';
import { cliTestBed, runCli } from './support/cli.js';

const KEY = 'test-key-reserved-trait-case-0123456789';
const bed = cliTestBed(KEY);

function client(sent: string[]) {
  return new ThriveStack({
    apiKey: KEY,
    baseUrl: 'http://127.0.0.1:9',
    maxRetries: 0,
    fetch: async (request: Request) => {
      sent.push(await request.text());
      return new Response('{"success":true,"eventId":"e"}', { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
}

const call = (traits: Record<string, unknown>): GroupCall => ({ groupId: 'g', userId: 'u', traits } as GroupCall);

describe('a reserved trait named in another case', () => {
  it('group() refuses a wrong type, naming the trait as written, and sends nothing', async () => {
    const sent: string[] = [];
    const error = await client(sent).group(call({ Employees: 'many', CREATED_AT: 'last tuesday', Plan: 42, Seats: 'x' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: 'call.traits.Employees', message: 'expected a number, got "many"' },
      { path: 'call.traits.CREATED_AT', message: 'expected an ISO 8601 date or date-time such as "2023-06-01", got "last tuesday"' },
      { path: 'call.traits.Plan', message: 'expected a string, got 42' },
    ]);
    expect(sent).toEqual([]);
  });

  it('enqueue() refuses it too; in a request, each call is named', async () => {
    const sent: string[] = [];
    const c = client(sent);
    expect(() => c.enqueue(call({ EMPLOYEES: '250' }))).toThrow(/call\.traits\.EMPLOYEES: expected a number, got "250"/);
    const error = await c.group([call({ plan: 'pro' }), call({ PHONE: false })]).catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([{ path: 'calls[1].traits.PHONE', message: 'expected a string, got false' }]);
    await c.close();
    expect(sent).toEqual([]);
  });

  it('a right type is sent as written (the name is not changed)', async () => {
    const sent: string[] = [];
    const c = client(sent);
    await c.group(call({ Employees: 250, Created_At: new Date(Date.UTC(2023, 5, 1)), Plan: 'pro' }));
    expect(JSON.parse(sent[0]!)).toEqual([{ group_id: 'g', user_id: 'u', traits: { Employees: 250, Created_At: '2023-06-01T00:00:00.000Z', Plan: 'pro' } }]);
  });

  it('thrivestack group --trait Employees=many exits 2 and sends nothing; Employees=250 is sent as a number', async () => {
    const s = await bed.server();
    const env = { THRIVESTACK_API_KEY: KEY };
    const base = ['group', '--group-id', 'g', '--user-id', 'u', '--base-url', s.url, '--max-retries', '0'];
    const bad = await runCli([...base, '--trait', 'Employees=many'], { env });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/Employees/);
    expect(s.log).toHaveLength(0);
    const good = await runCli([...base, '--trait', 'Employees=250'], { env });
    expect(good.code, good.stderr).toBe(0);
    expect(s.accepted[0]).toMatchObject({ traits: { Employees: 250 } });
  });

  it('thrivestack import: a CSV column Employees holding "many" rejects that row alone', async () => {
    const s = await bed.server();
    const input = bed.dir.file('case.csv');
    writeFileSync(input, 'group_id,user_id,Employees\ng1,u1,10\ng2,u2,many\ng3,u3,30\n');
    const result = await runCli(['import', input, '--base-url', s.url, '--json', '--quiet'], { env: { THRIVESTACK_API_KEY: KEY } });
    expect(result.code, result.stderr).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ read: 3, sent: 2, rejected: 1 });
    expect(result.stderr).toMatch(/line 3: rejected: .*Employees/);
    expect(s.accepted.map((c) => c.user_id)).toEqual(['u1', 'u3']);
  });
});
