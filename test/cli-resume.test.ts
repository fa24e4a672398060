/**
 * `thrivestack import --checkpoint`: killed (SIGKILL) or interrupted (SIGINT) part-way, then run again
 * with the same command. The server's record must then hold every row, and no row acknowledged before
 * the interruption may be sent again: a row may arrive twice only if its request was in flight, or
 * acknowledged and not yet in the checkpoint, at the moment of the kill (at most
 * 2 × concurrency × batch-size rows per kill).
 */
import { describe, expect, it } from 'vitest';
import { seededRandom, type FaultAction } from './support/fault-server.js';
import { checkpointRows, checkpointUsers, cliTestBed, countByUser, CSV_HEADER, csvLine, rowKeysByUser, runCli, spawnCli, waitFor, wireRow, writeLines } from './support/cli.js';

const KEY = 'test-key-cli-resume';
const env = { THRIVESTACK_API_KEY: KEY };

const bed = cliTestBed(KEY);

/** A fault server whose behaviour a test switches between runs, recording what each request carried. */
async function scriptedServer(plan: (index: number, phase: number) => FaultAction) {
  const state = { phase: 1 };
  const requests: Array<{ phase: number; action: FaultAction['type']; users: string[] }> = [];
  const server = await bed.server({
    plan: ({ index, calls }) => {
      const action = plan(index, state.phase);
      requests.push({ phase: state.phase, action: action.type, users: calls.map((c) => c.user_id as string) });
      return action;
    },
  });
  return { server, state, requests };
}

describe('resume after SIGKILL', () => {
  it('requests that hang at the kill are resent; acknowledged ones never are', async () => {
    const rows = 20_000;
    const file = bed.dir.file('hang.ndjson');
    const checkpoint = bed.dir.file('hang.checkpoint');
    await writeLines(file, rows, (i) => JSON.stringify(wireRow(i)));
    // run 1: ten requests answered, then the server takes the calls but never answers in time
    const { server, state, requests } = await scriptedServer((index, phase) =>
      phase === 1 && index >= 10 ? { type: 'slow', delayMs: 60_000 } : { type: 'ok' },
    );
    const args = ['import', file, '--base-url', server.url, '--checkpoint', checkpoint, '--batch-size', '500', '--concurrency', '2', '--json'];

    const keys = await rowKeysByUser(file, 'ndjson');
    const child = spawnCli(args, { env });
    await waitFor(async () => (await checkpointRows(checkpoint)) === 5_000 && server.log.length >= 12, 20_000, '10 acknowledged batches');
    child.kill('SIGKILL');
    expect((await child.output).signal).toBe('SIGKILL');
    const atKill = (await checkpointUsers(checkpoint, keys))!;
    expect(atKill.rows).toBe(5_000);
    expect([...atKill.users].sort()).toEqual(Array.from({ length: 5_000 }, (_, i) => `usr_${i}`).sort());

    state.phase = 2;
    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ read: rows, skipped: 5_000, sent: 15_000, failed: 0 });
    expect(rerun.stderr).toContain('resuming from');

    const acknowledged = new Set(requests.filter((r) => r.phase === 1 && r.action === 'ok').flatMap((r) => r.users));
    const inFlightAtKill = new Set(requests.filter((r) => r.phase === 1 && r.action === 'slow').flatMap((r) => r.users));
    expect(acknowledged.size).toBe(5_000);
    expect(inFlightAtKill.size).toBe(1_000);
    const counts = countByUser(server.accepted);
    expect(counts.size).toBe(rows); // every row arrived
    for (let i = 0; i < rows; i++) {
      const user = `usr_${i}`;
      expect(counts.get(user), user).toBe(inFlightAtKill.has(user) ? 2 : 1);
    }
    // the second run sent nothing acknowledged by the first
    const resent = requests.filter((r) => r.phase === 2).flatMap((r) => r.users);
    expect(resent.filter((u) => acknowledged.has(u))).toEqual([]);
    expect(await checkpointRows(checkpoint)).toBe(rows);
  }, 45_000);

  it('a kill at an arbitrary moment: rows in the checkpoint at the kill arrive exactly once, the rest at least once', async () => {
    const rows = 30_000;
    const file = bed.dir.file('any.csv');
    const checkpoint = bed.dir.file('any.checkpoint');
    await writeLines(file, rows, csvLine, CSV_HEADER);
    const random = seededRandom(42);
    const { server, state, requests } = await scriptedServer(() =>
      random() < 0.3 ? { type: 'slow', delayMs: 25 } : random() < 0.1 ? { type: 'status', status: 429, headers: { 'retry-after-ms': '5' } } : { type: 'ok' },
    );
    const args = ['import', file, '--base-url', server.url, '--checkpoint', checkpoint, '--batch-size', '250', '--concurrency', '3', '--min-retry-delay', '5', '--json'];

    const keys = await rowKeysByUser(file, 'csv');
    const child = spawnCli(args, { env });
    await waitFor(async () => (await checkpointRows(checkpoint)) >= 10_000, 30_000, '10,000 acknowledged rows');
    child.kill('SIGKILL');
    await child.output;
    const atKill = (await checkpointUsers(checkpoint, keys))!;
    expect(atKill.rows).toBeLessThan(rows);
    expect(atKill.users.size).toBe(atKill.rows);

    state.phase = 2;
    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ read: rows, skipped: atKill.rows, sent: rows - atKill.rows });

    const counts = countByUser(server.accepted);
    expect(counts.size).toBe(rows);
    let duplicates = 0;
    for (let i = 0; i < rows; i++) {
      const n = counts.get(`usr_${i}`)!;
      if (atKill.users.has(`usr_${i}`)) expect(n, `usr_${i} was acknowledged before the kill`).toBe(1);
      else expect(n).toBeLessThanOrEqual(2);
      if (n === 2) duplicates++;
    }
    // only rows in flight or not yet in the checkpoint at the kill: at most 2 × concurrency × batch-size
    expect(duplicates).toBeLessThanOrEqual(2 * 3 * 250);
    const acknowledged = atKill.users;
    expect(requests.filter((r) => r.phase === 2).flatMap((r) => r.users).filter((u) => acknowledged.has(u))).toEqual([]);
  }, 50_000);
});

describe('Ctrl-C (SIGINT) and SIGTERM', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops reading, finishes the requests in flight, saves the checkpoint and exits %i; the rerun completes without duplicates', async (signal, exitCode) => {
    const rows = 30_000;
    const file = bed.dir.file(`int-${signal}.ndjson`);
    const checkpoint = bed.dir.file(`int-${signal}.checkpoint`);
    await writeLines(file, rows, (i) => JSON.stringify(wireRow(i)));
    const { server } = await scriptedServer(() => ({ type: 'slow', delayMs: 40 }));
    const args = ['import', file, '--base-url', server.url, '--checkpoint', checkpoint, '--batch-size', '250', '--concurrency', '3'];

    const child = spawnCli(args, { env });
    await waitFor(async () => (await checkpointRows(checkpoint)) >= 5_000, 30_000, '5,000 acknowledged rows');
    child.kill(signal);
    const first = await child.output;
    expect(first.code).toBe(exitCode);
    expect(first.stderr).toMatch(/stopping: finishing the [\d,]+ rows queued or in flight, then saving the checkpoint/);
    expect(first.stdout).toContain(`Interrupted. Run the same command again to resume from ${checkpoint}.`);
    const saved = await checkpointRows(checkpoint);
    // everything the server took was acknowledged and recorded: nothing was left in flight
    expect(saved).toBe(server.accepted.length);
    expect(saved).toBeLessThan(rows);

    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    const counts = countByUser(server.accepted);
    expect(counts.size).toBe(rows);
    expect(server.accepted).toHaveLength(rows); // each row exactly once
  }, 45_000);
  it('a second Ctrl-C abandons the requests in flight: exit 130 at once, and they are sent again on resume', async () => {
    const rows = 5_000;
    const file = bed.dir.file('hang-int.ndjson');
    const checkpoint = bed.dir.file('hang-int.checkpoint');
    await writeLines(file, rows, (i) => JSON.stringify(wireRow(i)));
    const { server, state } = await scriptedServer((index, phase) => (phase === 1 && index >= 4 ? { type: 'hang' } : { type: 'ok' }));
    const args = ['import', file, '--base-url', server.url, '--checkpoint', checkpoint, '--batch-size', '250', '--concurrency', '2'];

    const child = spawnCli(args, { env });
    await waitFor(async () => (await checkpointRows(checkpoint)) === 1_000 && server.log.length >= 6, 20_000, 'two hanging requests');
    child.kill('SIGINT');
    await waitFor(() => /stopping: finishing the [\d,]+ rows queued or in flight/.test(child.stderrText()), 10_000, 'the first Ctrl-C');
    const second = Date.now();
    child.kill('SIGINT');
    const first = await child.output;
    expect(first.code).toBe(130);
    expect(Date.now() - second).toBeLessThan(3_000);
    expect(await checkpointRows(checkpoint)).toBe(1_000);

    state.phase = 2;
    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(server.accepted).toHaveLength(rows); // the hung requests were never accepted: each row once
    expect(countByUser(server.accepted).size).toBe(rows);
  }, 40_000);
});

describe('failed rows are not skipped on resume', () => {
  it('an import that gave up on an unavailable server resends exactly the rows it did not deliver', async () => {
    const rows = 6_000;
    const file = bed.dir.file('down.ndjson');
    const checkpoint = bed.dir.file('down.checkpoint');
    await writeLines(file, rows, (i) => JSON.stringify(wireRow(i)));
    const { server, state } = await scriptedServer((index, phase) => (phase === 1 && index >= 4 ? { type: 'status', status: 503 } : { type: 'ok' }));
    const args = ['import', file, '--base-url', server.url, '--checkpoint', checkpoint, '--batch-size', '500', '--concurrency', '1', '--json'];
    const first = await runCli([...args, '--max-retries', '1', '--min-retry-delay', '1'], { env });
    expect(first.code).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ sent: 2_000, failed: 1_500, outcome: 'aborted' });
    expect(summary.error).toMatch(/3 batches in a row failed after every retry/);
    expect(first.stderr).toMatch(/^line 2001: failed: ThriveStack server error \(503\)/m);

    state.phase = 2;
    const rerun = await runCli(args, { env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ skipped: 2_000, sent: 4_000, failed: 0 });
    expect(server.accepted).toHaveLength(rows);
    expect(countByUser(server.accepted).size).toBe(rows);
  }, 30_000);
});
