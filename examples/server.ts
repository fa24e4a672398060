/**
 * A Node HTTP server that tells ThriveStack who joins which account: one `enqueue()` per request
 * (it returns at once; the client batches and retries in the background), and `close()` on SIGTERM,
 * which delivers what is still queued, within a deadline, before the process exits.
 *
 *   npx tsx examples/server.ts            serves a few requests to itself, then sends itself SIGTERM
 *                                         and stops as it would in production
 *   PORT=3000 npx tsx examples/server.ts  serves on port 3000 until SIGTERM or Ctrl-C
 *
 * Without THRIVESTACK_API_KEY the calls go to the in-process mock (examples/support/client.ts).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValidationError } from 'thrivestack-group';
import { exampleClient } from './support/client.js';

const { thrivestack, api } = exampleClient({
  onError: (failure) => console.error(`not delivered (${failure.kind}): ${failure.error.message}`),
});

// POST /accounts/<accountId>/members/<userId>: a user joins an account.
const server = createServer((req, res) => {
  const match = /^\/accounts\/([^/]+)\/members\/([^/]+)$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !match) return void res.writeHead(404).end();
  try {
    // Validated now (a bad call throws ValidationError), sent in the background. `false`: the queue
    // is full and the call was dropped (onError hears about it); the request itself still succeeds.
    thrivestack.enqueue({ groupId: decodeURIComponent(match[1]!), userId: decodeURIComponent(match[2]!), context: { source: 'product' } });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return void res.writeHead(400, { 'content-type': 'text/plain' }).end(error.message);
  }
  res.writeHead(201).end();
});

// On SIGTERM (what a container platform or a process manager sends) or Ctrl-C: stop taking requests,
// then deliver what is queued, 10 s at most. close() never rejects; its report says what became of the calls.
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  console.log(`${signal}: closing`);
  server.close();
  const report = await thrivestack.close({ timeout: 10_000 });
  console.log(`stopped: ${report.delivered} calls delivered, ${report.failed} failed, ${report.dropped} dropped, ${report.pending} pending`);
  if (api) console.log(`the mock accepted ${api.calls.length} calls`);
  process.exitCode = report.failed + report.dropped + report.pending === 0 ? 0 : 1;
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`listening on ${base}`);

if (!process.env.PORT) {
  // The example's own traffic: three members join two accounts, then the process gets SIGTERM.
  for (const path of ['/accounts/acct_1/members/usr_1', '/accounts/acct_1/members/usr_2', '/accounts/acct_2/members/usr_3']) {
    const response = await fetch(base + path, { method: 'POST' });
    console.log(`POST ${path} → ${response.status}`);
  }
  process.kill(process.pid, 'SIGTERM');
}
