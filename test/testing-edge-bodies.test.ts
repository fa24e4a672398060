/**
 * The /testing mock agrees with Prism (the reference: the same document's mock) on bodies the
 * generated bodies of testing-differential.test.ts never send: how the bytes are decoded (a leading
 * byte order mark, invalid UTF-8 inside and outside a string) and which content types count as JSON.
 * Each body goes raw to both, and both must answer the same status.
 */
import { describe, expect, inject, it } from 'vitest';
import { createMockApi } from '../src/testing/index.js';

const api = createMockApi();
const VALID = '[{"group_id":"g","user_id":"u"}]';
const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  new Uint8Array(Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part)))));

async function both(body: Uint8Array | string, contentType: string | undefined): Promise<{ mock: number; prism: number; mockBody: string }> {
  const headers: Record<string, string> = { 'x-api-key': 'differential' };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const init: RequestInit = { method: 'POST', headers, body: body as BodyInit };
  const [mock, prism] = await Promise.all([
    api.fetch('https://api.app.thrivestack.ai/api/group', init),
    fetch(`${inject('prismUrl')}/api/group`, init),
  ]);
  const mockBody = await mock.text();
  await prism.text();
  return { mock: mock.status, prism: prism.status, mockBody };
}

describe('the mock decodes a body as Prism does', () => {
  it.each([
    ['a valid body', bytes(VALID), 200],
    ['a leading UTF-8 byte order mark', bytes([0xef, 0xbb, 0xbf], VALID), 400],
    ['invalid UTF-8 inside a trait string', bytes('[{"group_id":"g","user_id":"u","traits":{"x":"', [0xff, 0xfe], '"}}]'), 200],
    ['invalid UTF-8 inside group_id', bytes('[{"group_id":"', [0xff], '","user_id":"u"}]'), 200],
    ['an encoded lone surrogate inside a string', bytes('[{"group_id":"g","user_id":"u","traits":{"x":"', [0xed, 0xa0, 0x80], '"}}]'), 200],
    ['invalid UTF-8 after the JSON', bytes(VALID, [0xff]), 400],
  ])('%s', async (_label, body, expected) => {
    const { mock, prism, mockBody } = await both(body, 'application/json');
    expect(prism).toBe(expected);
    expect(mock, mockBody).toBe(prism);
  });
});

describe('the mock takes the content types Prism takes as JSON', () => {
  it.each([
    ['application/json', 200],
    ['APPLICATION/JSON', 200],
    ['application/json;charset=latin1', 200],
    ['application/vnd.api+json', 200],
    ['application/problem+json', 200],
    ['application/vnd.api+json; charset=utf-8', 200],
    ['text/json', 400],
    ['application/x-json', 400],
    ['application/+json', 400],
    ['application/jsonx', 400],
    ['foo/bar+json', 400],
    ['text/plain', 400],
    [undefined, 400],
  ])('%s', async (contentType, expected) => {
    const { mock, prism, mockBody } = await both(VALID, contentType);
    expect(prism).toBe(expected);
    expect(mock, mockBody).toBe(prism);
  });
});
