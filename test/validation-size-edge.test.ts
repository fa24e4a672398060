/**
 * The 2 MB limit at its edge: a request is `[` + the call + `]`, so one call of up to 1,999,998 bytes
 * of JSON fits and one of 1,999,999 or 2,000,000 does not; the refusal says so with the brackets
 * counted (not "1,999,999 bytes, but a request holds 2,000,000"), whatever the characters.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack, ValidationError, type GroupCall } from '../src/index.js';

const OVERHEAD = JSON.stringify({ group_id: 'g', user_id: 'u', traits: { x: '' } }).length;
/** A call whose JSON is exactly `bytes` bytes, the padding made of `char` (1 to 4 bytes in UTF-8). */
function callOf(bytes: number, char: string): GroupCall {
  const size = Buffer.byteLength(char);
  const room = bytes - OVERHEAD;
  const pad = char.repeat(Math.floor(room / size)) + 'a'.repeat(room % size);
  const call = { groupId: 'g', userId: 'u', traits: { x: pad } } as GroupCall;
  expect(Buffer.byteLength(JSON.stringify({ group_id: 'g', user_id: 'u', traits: { x: pad } }))).toBe(bytes);
  return call;
}

describe('one call at the 2,000,000-byte edge', () => {
  it.each(['a', 'é', '日', '😀'])('padding of %s: 1,999,998 bytes are sent; 1,999,999 and 2,000,000 are refused, brackets counted', async (char) => {
    const bodies: number[] = [];
    const client = new ThriveStack({
      apiKey: 'test-key-size-edge-0123456789',
      baseUrl: 'http://127.0.0.1:9',
      fetch: async (request: Request) => {
        bodies.push((await request.arrayBuffer()).byteLength);
        return new Response('{"success":true,"eventId":"e"}', { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    await client.group(callOf(1_999_998, char));
    expect(bodies).toEqual([2_000_000]);
    for (const bytes of [1_999_999, 2_000_000]) {
      const error = await client.group(callOf(bytes, char)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toEqual([
        {
          path: 'call',
          message: `is ${bytes.toLocaleString('en-US')} bytes of JSON (with the request's brackets, ${(bytes + 2).toLocaleString('en-US')}), but one request holds at most 2,000,000 bytes; shrink its traits`,
        },
      ]);
      expect(() => client.enqueue(callOf(bytes, char))).toThrow(`(with the request's brackets, ${(bytes + 2).toLocaleString('en-US')})`);
    }
    expect(bodies).toHaveLength(1);
    await client.close();
  });
});
