/**
 * Found by an adversarial review. The promise (delivery guide, "A throttle": "an `onRaise` that throws, or returns no function, and getters
 * that throw are logged and ignored: `enqueue()` never throws because of them"; queue.ts: "an onRaise
 * that calls its listener at once does not subscribe twice"; threat model: hooks that call back into
 * the client).
 *
 * `#pump` evaluates `this.#room() > 0 && this.#waiting[0]!.seq <= this.#drainUntil`. `#room()` runs the
 * throttle's code (it subscribes through `onRaise` the first time, and again each time the queue has
 * emptied; it reads the getters every time). If that code pumps re-entrantly, the nested pump sends
 * everything waiting, and the outer pump then reads `.seq` of `#waiting[0]`, which is gone: enqueue()
 * throws a raw `TypeError: Cannot read properties of undefined (reading 'seq')`, although the call was
 * queued and is delivered (a caller that retries on the exception sends it twice).
 *
 * The trigger needs no hostile intent: a throttle that calls its listener with the current state as it
 * subscribes (BehaviorSubject-style, which queue.ts says it supports) and `flushAt: 1`; or a getter
 * that calls `flush()`.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack, type QueueThrottle } from '../src/index.js';

const accept = async (): Promise<Response> => Response.json({ success: true, eventId: 'evt_1' });

describe('a throttle whose code pumps the queue re-entrantly', () => {
  it('onRaise calls its listener at once (flushAt 1): enqueue() returns true, never a TypeError, and the call is delivered once', async () => {
    const throttle: QueueThrottle = {
      limit: 4,
      pausedUntil: 0,
      onRaise(listener) {
        listener(); // tell the current state on subscription
        return () => {};
      },
    };
    let sent = 0;
    const client = new ThriveStack({
      apiKey: 'sk_test_attack_0006',
      baseUrl: 'https://api.example.test',
      logLevel: 'off',
      flushAt: 1,
      throttle,
      fetch: async () => {
        sent++;
        return accept();
      },
    });
    let result: unknown;
    expect(() => (result = client.enqueue({ groupId: 'acct-1', userId: 'user-1' }))).not.toThrow();
    expect(result).toBe(true);
    const report = await client.close();
    expect(report.delivered).toBe(1);
    expect(sent).toBe(1);
  });

  it('a limit getter that calls flush() (guarded against recursion): enqueue() never throws', async () => {
    let client: ThriveStack | undefined;
    let inside = false;
    const throttle: QueueThrottle = {
      get limit() {
        if (!inside && client) {
          inside = true;
          void client.flush();
          inside = false;
        }
        return 4;
      },
      pausedUntil: 0,
      onRaise: () => () => {},
    };
    client = new ThriveStack({ apiKey: 'sk_test_attack_0006', baseUrl: 'https://api.example.test', logLevel: 'off', throttle, fetch: accept });
    expect(() => {
      client!.enqueue({ groupId: 'acct-0', userId: 'user-1' });
      client!.enqueue({ groupId: 'acct-1', userId: 'user-1' });
    }).not.toThrow();
    const report = await client.close();
    expect(report.delivered).toBe(2);
  });
});
