/**
 * A backfill through the library: every row of a CSV file (examples/accounts.csv: one row per
 * user–account pair) becomes a group call. `await enqueueAsync()` waits for room when the queue is
 * full, so memory stays bounded however long the file; `close()` delivers the rest and reports.
 * Rows the client refuses before sending (a missing user id, `employees` that is not a number) are
 * listed with their line, and never sent.
 *
 *   npx tsx examples/backfill-csv.ts [file.csv]
 *
 * For a one-off import from the shell, the `thrivestack import` command does all of this and more
 * (a resumable checkpoint, a rejects file): see docs/guides/cli-backfill.md.
 * Without THRIVESTACK_API_KEY the calls go to the in-process mock (examples/support/client.ts).
 */
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { ValidationError, type DeliveryFailure, type GroupCall } from 'thrivestack-group';
import { exampleClient } from './support/client.js';

const file = process.argv[2] ?? fileURLToPath(new URL('accounts.csv', import.meta.url));
const failures: DeliveryFailure[] = [];
const { thrivestack, api } = exampleClient({ onError: (failure) => failures.push(failure) });

/** One CSV row as a group call. Empty cells are left out; `employees` is a number in the API. */
function toCall(row: Record<string, string>): GroupCall {
  const { group_id, user_id, employees, ...traits } = row;
  const call: GroupCall = { groupId: group_id ?? '', userId: user_id ?? '', traits: {} };
  for (const [name, value] of Object.entries(traits)) if (value !== '') call.traits![name] = value;
  if (employees) call.traits!.employees = Number(employees); // "many" is NaN, which the client refuses
  return call;
}

let rows = 0;
let queued = 0;
const rejected: string[] = [];
const records = createReadStream(file).pipe(parse({ columns: true, trim: true, info: true }));
for await (const { record: row, info } of records as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
  rows += 1;
  const line = info.lines; // the row's line in the file (a quoted cell may span lines)
  try {
    await thrivestack.enqueueAsync(toCall(row), { tag: line }); // the tag comes back with the call's outcome
    queued += 1;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    rejected.push(`line ${line}: ${error.issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`);
  }
}

const report = await thrivestack.close({ timeout: 60_000 });
console.log(`${rows} rows read: ${queued} queued, ${rejected.length} rejected before sending`);
for (const reason of rejected) console.log(`  rejected ${reason}`);
console.log(`${report.delivered} delivered, ${report.failed} failed, ${report.pending} still pending at the deadline`);
for (const failure of failures) console.log(`  lines ${failure.tags.join(', ')} not delivered: ${failure.error.message}`);
if (api) console.log(`the mock accepted ${api.calls.length} calls`);
process.exitCode = report.delivered === queued ? 0 : 1;
