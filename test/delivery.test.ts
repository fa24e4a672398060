/**
 * End-to-end delivery guarantees: 10,000 calls under a mix of faults all arrive; a Node process
 * that never calls close() still delivers and exits by itself; the queue's typed errors against Prism.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RateLimitError, ServerError, ThriveStack, UnexpectedResponseError, type DebugEvent, type DeliveryFailure } from '../src/index.js';
import { seededRandom, startFaultServer, type FaultAction, type FaultServer } from './support/fault-server.js';
import { scaled } from './support/test-scale.js';

const KEY = 'delivery-key';
let server: FaultServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('10,000 calls under a mix of faults', () => {
  it('all reach the server; each is delivered or (an odd 2xx body) failed, never lost; duplicates come only from timeouts', async () => {
    const random = seededRandom(20261126);
    const TIMEOUT = 1_000;
    const mix = (): FaultAction => {
      const r = random();
      if (r < 0.08) return { type: 'status', status: 429, headers: { 'Retry-After': '1' } }; // capped by maxRetryAfter
      if (r < 0.14) return { type: 'status', status: 429 };
      if (r < 0.18) return { type: 'status', status: 500 };
      if (r < 0.22) return { type: 'status', status: 502 };
      if (r < 0.26) return { type: 'status', status: 503 };
      if (r < 0.3) return { type: 'reset' };
      if (r < 0.33) return { type: 'hang' };
      if (r < 0.36) return { type: 'slow', delayMs: TIMEOUT * 2 }; // accepted, but the answer comes too late
      if (r < 0.4) return { type: 'slow', delayMs: 20 };
      if (r < 0.42) return { type: 'malformed' };
      return { type: 'ok' };
    };
    server = await startFaultServer({ apiKey: KEY, plan: mix });
    const failures: DeliveryFailure[] = [];
    const events: DebugEvent[] = [];
    const client = new ThriveStack({
      apiKey: KEY,
      baseUrl: server.url,
      debug: (e) => events.push(e),
      timeout: TIMEOUT,
      maxRetries: 12,
      minRetryDelay: 2,
      maxRetryDelay: 20,
      maxRetryAfter: 15,
      flushAt: 10,
      flushInterval: 20,
      maxQueueSize: 40, // small batches: many requests, so every kind of fault is met
      maxConcurrentRequests: 4,
      onError: (f) => failures.push(f),
    });
    const total = scaled(10_000, 2_000); // every fault is met at either size
    for (let i = 0; i < total; i++) {
      await client.enqueueAsync({ groupId: `acct-${i}`, userId: `user-${i % 97}`, traits: { plan: i % 2 ? 'pro' : 'free' } });
    }
    const report = await client.close({ timeout: 120_000 });

    // A 200 whose body is not the documented JSON is not counted as delivered: its calls go to onError
    // as failed (UnexpectedResponseError: most likely accepted, check baseUrl). Every other call is delivered.
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.kind).toBe('failed');
      expect(f.error).toBeInstanceOf(UnexpectedResponseError);
    }
    const failedIds = failures.flatMap((f) => f.calls.map((c) => c.group_id));
    const ids = server.accepted.map((c) => c.group_id as string);
    const unique = new Set(ids);
    expect(unique.size).toBe(total); // the server has every call
    for (const id of failedIds) expect(unique.has(id)).toBe(true); // the failed ones were indeed accepted
    expect(new Set(failedIds).size).toBe(failedIds.length);
    expect(report).toMatchObject({ failed: failedIds.length, dropped: 0, pending: 0, timedOut: false });
    expect(report.delivered + report.failed).toBe(total);

    // Duplicates come only from attempts that timed out after the server had accepted them (the
    // client cannot know the request arrived): at most one batch (≤ maxQueueSize calls) per timeout.
    const timeouts = events.filter((e) => e.type === 'error' && e.error.includes('did not answer')).length;
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const extra = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(timeouts).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(timeouts * 40);
    // and the mix really did exercise every fault
    const actions = new Set(server.log.map((r) => r.action));
    expect([...actions].sort()).toEqual(['hang', 'malformed', 'ok', 'reset', 'slow', 'status']);
    expect(server.log.length).toBeGreaterThan(250);
  }, 120_000);
});

describe('a Node process that never calls close()', () => {
  it('delivers its queued calls, then exits by itself', async () => {
    server = await startFaultServer({ apiKey: KEY, plan: ({ index }) => (index === 0 ? { type: 'status', status: 503 } : { type: 'ok' }) });
    const script = fileURLToPath(new URL('./fixtures/enqueue-and-exit.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, BASE_URL: server.url, THRIVESTACK_API_KEY: KEY, CALLS: '25' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the child did not exit by itself:\n${output}`));
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, output).toBe(0);
    expect(server.accepted.map((c) => c.group_id)).toEqual(Array.from({ length: 25 }, (_, i) => `acct-${i}`));
    expect(output).toContain('script ended with 25 calls queued');
  }, 30_000);

  it('50 clients holding calls share one beforeExit listener: all delivered, no warning', async () => {
    server = await startFaultServer({ apiKey: KEY });
    const script = fileURLToPath(new URL('./fixtures/enqueue-and-exit.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, BASE_URL: server.url, THRIVESTACK_API_KEY: KEY, CALLS: '3', CLIENTS: '50' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    expect(output).toContain('script ended with 150 calls queued and 1 beforeExit listener(s)');
    expect(output).not.toMatch(/MaxListenersExceededWarning|warning:/);
    expect(server.accepted).toHaveLength(150);
  }, 30_000);
});

describe('the queue against Prism (Prefer: code=...)', () => {
  const baseUrl = inject('prismUrl');
  it.each([
    [429, RateLimitError],
    [500, ServerError],
  ])('reports %i as its typed error to onError after the retries are spent', async (code, type) => {
    const failures: DeliveryFailure[] = [];
    let requests = 0;
    const client = new ThriveStack({
      apiKey: 'k',
      baseUrl,
      defaultHeaders: { Prefer: `code=${code}` },
      maxRetries: 2,
      minRetryDelay: 1,
      maxRetryAfter: 5,
      fetch: (r) => (requests++, fetch(r)),
      onError: (f) => failures.push(f),
    });
    client.enqueue({ groupId: 'g', userId: 'u' });
    const report = await client.close();
    expect(requests).toBe(3);
    expect(report).toMatchObject({ delivered: 0, failed: 1 });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toBeInstanceOf(type);
    expect(failures[0]!.error.message).toContain('after 3 attempts');
    expect(report.failures[0]!.calls).toEqual([{ group_id: 'g', user_id: 'u' }]);
  });
});
