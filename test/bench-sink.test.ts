// The benchmark sink (bench/sink.ts) counts what it receives correctly: the benchmarks' "no call was
// dropped" check rests on it. Correctness only; nothing here is timed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_PATH, SEGMENT_PATH, startSink, type RunningSink } from '../bench/sink.js';

let sink: RunningSink;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink?.stop();
});

const post = (path: string, body: string, headers: Record<string, string> = { 'x-api-key': 'k' }) =>
  fetch(sink.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const call = (i: number) => ({ group_id: `g${i}`, user_id: `u${i}` });

describe('bench sink', () => {
  it('counts the group calls of ThriveStack arrays and Segment batches, and resets', async () => {
    await sink.reset();
    const res = await post(GROUP_PATH, JSON.stringify([call(1), call(2), call(3)]));
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { success: boolean; eventId: string };
    expect(answer.success).toBe(true);
    expect(answer.eventId).toMatch(/^evt_/);
    const segment = { batch: [{ type: 'group', groupId: 'g' }, { type: 'track', event: 'x' }, { type: 'group', groupId: 'h' }] };
    expect((await post(SEGMENT_PATH, JSON.stringify(segment), {})).status).toBe(200);
    expect(await sink.count()).toMatchObject({ calls: 5, requests: 2, rejected: 0 });
    await sink.reset();
    expect(await sink.count()).toMatchObject({ calls: 0, requests: 0, rejected: 0 });
  });

  it('answers like the API: 401 without a key, 400 on a body that is not a JSON array; neither is counted', async () => {
    await sink.reset();
    expect((await post(GROUP_PATH, JSON.stringify([call(1)]), {})).status).toBe(401);
    expect((await post(GROUP_PATH, '{not json')).status).toBe(400);
    expect((await post(GROUP_PATH, JSON.stringify(call(1)))).status).toBe(400);
    expect((await post(GROUP_PATH, '[]')).status).toBe(400);
    expect(await sink.count()).toMatchObject({ calls: 0, requests: 0, rejected: 4 });
  });

  it('counts every call of many concurrent requests', async () => {
    await sink.reset();
    const bodies = Array.from({ length: 20 }, (_, r) => JSON.stringify(Array.from({ length: 50 }, (_, i) => call(r * 50 + i))));
    const statuses = await Promise.all(bodies.map(async (body) => (await post(GROUP_PATH, body)).status));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await sink.count()).toMatchObject({ calls: 1_000, requests: 20 });
  });
});
