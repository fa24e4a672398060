/**
 * Found by an adversarial review. The promise (validation guide: "A getter or `Proxy` that throws is a `ValidationError` naming the field
 * (`could not be read`)"; README: "`ValidationError` lists **every** problem at once").
 *
 * In `traits` the one-pass reader guards each read (`call.traits.plan: could not be read`). In
 * `context`, and for a `timestamp` Date whose `toISOString` throws, the throw escapes to the call-wide
 * catch of `readGroupCall`: the issue names only `call`, and the reading of the call stops there, so
 * the fields after it are never read. A `userId` that was given is then reported as "is required",
 * and a misspelt field after it is not reported at all. (The reference pipeline did the same; its
 * generated arbitraries never put a throwing getter directly on `context` or a Date.)
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack, ValidationError } from '../src/index.js';

const client = new ThriveStack({
  apiKey: 'sk_test_attack_0003',
  baseUrl: 'https://api.example.test',
  logLevel: 'off',
  fetch: async () => Response.json({ success: true, eventId: 'evt_1' }),
});

function issuesOf(call: unknown): Array<{ path: string; message: string }> {
  try {
    client.enqueue(call as never);
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('the call was accepted');
}

describe('a value that cannot be read is named, and the rest of the call is still read', () => {
  it('a context getter that throws: the issue names the context field; userId (given) is not "required"; the misspelt field is told', () => {
    const issues = issuesOf({
      groupId: 'acct-1',
      context: {
        get deviceId(): string {
          throw new Error('secret store unavailable');
        },
      },
      userId: 'user-1',
      trait: { plan: 'pro' },
    });
    expect(issues.map((i) => i.path)).not.toContain('call.userId');
    expect(issues.some((i) => i.path.startsWith('call.context') && /could not be read/.test(i.message))).toBe(true);
    expect(issues.map((i) => i.path)).toContain('call.trait');
  });

  it('a timestamp Date whose toISOString throws: the issue names call.timestamp; userId (given) is not "required"', () => {
    const timestamp = new Date(0);
    timestamp.toISOString = () => {
      throw new Error('patched');
    };
    const issues = issuesOf({ groupId: 'acct-1', timestamp, userId: 'user-1' });
    expect(issues.map((i) => i.path)).not.toContain('call.userId');
    expect(issues.map((i) => i.path)).toContain('call.timestamp');
  });
});
