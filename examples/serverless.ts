/**
 * A serverless-style handler (AWS Lambda, Vercel functions, ...). The
 * platform may freeze or end the process as soon as the handler returns, so background delivery
 * cannot be relied on: the handler queues its calls, then `await thrivestack.flush()` before returning.
 * (For a single call, `await thrivestack.group(call)` does the same and throws if it fails.)
 *
 *   npx tsx examples/serverless.ts   invokes the handler twice, as a platform would, and prints what it returned
 *
 * Without THRIVESTACK_API_KEY the calls go to the in-process mock (examples/support/client.ts).
 */
import type { DeliveryFailure } from 'thrivestack-group';
import { exampleClient, isMain } from './support/client.js';

// Created once per instance (cold start), outside the handler, and reused by every invocation.
const failures: DeliveryFailure[] = [];
const { thrivestack, api } = exampleClient({ onError: (failure) => failures.push(failure) });

export interface AccountCreated {
  accountId: string;
  name: string;
  plan: string;
  memberIds: string[];
}

export async function handler(event: AccountCreated): Promise<{ statusCode: number; body: string }> {
  failures.length = 0;
  for (const userId of event.memberIds) {
    thrivestack.enqueue({ groupId: event.accountId, userId, traits: { account_name: event.name, plan: event.plan } });
  }
  // Resolves once every call queued above was delivered or finally failed (never rejects):
  // nothing is left in memory when the platform freezes the process.
  await thrivestack.flush();
  if (failures.length > 0) return { statusCode: 502, body: failures.map((failure) => failure.error.message).join('\n') };
  return { statusCode: 200, body: `told ThriveStack about the members of ${event.accountId}` };
}

if (isMain(import.meta.url)) {
  for (const event of [
    { accountId: 'acct_1', name: 'Acme Corporation', plan: 'enterprise', memberIds: ['usr_1', 'usr_2'] },
    { accountId: 'acct_2', name: 'Globex', plan: 'pro', memberIds: ['usr_3'] },
  ]) {
    const result = await handler(event);
    console.log(result);
    if (result.statusCode !== 200) process.exitCode = 1;
  }
  if (api) console.log(`the mock accepted ${api.calls.length} calls`);
}
