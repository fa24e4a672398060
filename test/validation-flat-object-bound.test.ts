/**
 * Found by an adversarial review. The promise (validation guide, "Bounded, whatever the value": "A call's JSON is counted as it is read, and
 * the copy stops past twice what a request carries (4 MB counted)").
 *
 * The careful walk (json-safety.ts) stops at 4 MB counted, but the generated one-pass reader's loops
 * over a flat `traits` or `context` object never look at the count: every entry is read and copied,
 * however far past 4 MB the call already is (the reference pipeline stopped at 1,000,000 values; the
 * one-pass reader does not stop at all: 2,000,000 number traits copy 228 MB of heap before the
 * ValidationError). A Proxy over a plain object (still plain data to the reader) counts the reads.
 * Each entry `kNNNNNN: 1` is counted as at least 11 bytes, so the copy should stop after about 380,000
 * entries; it reads all 1,000,000.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack, ValidationError } from '../src/index.js';

const N = 1_000_000;

function countingObject(value: (i: number) => unknown): { object: Record<string, unknown>; reads: () => number } {
  const target: Record<string, unknown> = {};
  for (let i = 0; i < N; i++) target[`k${i}`] = value(i);
  let reads = 0;
  const object = new Proxy(target, {
    get(t, key, receiver) {
      reads++;
      return Reflect.get(t, key, receiver);
    },
  });
  return { object, reads: () => reads };
}

const client = new ThriveStack({
  apiKey: 'sk_test_attack_0001',
  baseUrl: 'https://api.example.test',
  logLevel: 'off',
  fetch: async () => Response.json({ success: true, eventId: 'evt_1' }),
});

describe('a flat object far past what a request carries is not copied whole', () => {
  it('traits of 1,000,000 entries: a ValidationError after reading a bounded part', () => {
    const { object, reads } = countingObject(() => 1);
    expect(() => client.enqueue({ groupId: 'g', userId: 'u', traits: object })).toThrow(ValidationError);
    expect(reads()).toBeLessThan(N / 2);
  });

  it('context of 1,000,000 entries: a ValidationError after reading a bounded part', () => {
    const { object, reads } = countingObject(() => 'v');
    expect(() => client.enqueue({ groupId: 'g', userId: 'u', context: object })).toThrow(ValidationError);
    expect(reads()).toBeLessThan(N / 2);
  });
});
