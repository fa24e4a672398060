/**
 * The checkpoint lock (src/cli/lock.ts): one import at a time per checkpoint, whatever the timing, the
 * PIDs and the files planted around it.
 *
 * - Races: many processes, already started, try to take a stale lock (left by a SIGKILLed holder) at
 *   the same instant, round after round: exactly one wins each round.
 * - A holder that cannot be proven gone is never taken over: another host, another PID namespace
 *   (`unshare`, where both imports are PID 1), a lock this version did not write.
 * - A holder that is provably gone is taken over: its PID is gone, or now belongs to a process
 *   started at another time; claimants killed mid-takeover are followed and cleaned up.
 * - Planted symbolic links (at the lock, at a temp name) are never followed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointLock } from '../src/cli/lock.js';
import { recordOfThisProcess, type ProcessRecord } from '../src/cli/process-identity.js';
import { cliTestBed, ROOT, runCli, spawnCli, waitFor, wireRow } from './support/cli.js';

const KEY = 'test-key-cli-lock-0123456789';
const env = { THRIVESTACK_API_KEY: KEY };
const bed = cliTestBed(KEY);
const started = new Set<ChildProcess>();
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const ndjson = (count: number): string => Array.from({ length: count }, (_, i) => JSON.stringify(wireRow(i))).join('\n') + '\n';

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const gone = spawn(process.execPath, ['-e', '']);
  await once(gone, 'close');
  return gone.pid!;
}

/** A lock record as another import would have written it (`changes` says how it differs from this process). */
function recordLike(changes: Partial<ProcessRecord>): string {
  return `${JSON.stringify({ ...recordOfThisProcess(), token: `other-${Math.random().toString(16).slice(2)}`, ...changes })}\n`;
}

/** A lock contender process (test/fixtures/lock-racer.ts), answering line by line. */
interface Racer {
  child: ChildProcess;
  next(): Promise<string>;
}

async function startRacer(checkpoint: string): Promise<Racer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/lock-racer.ts'), checkpoint], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  started.add(child);
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const racer: Racer = {
    child,
    next: () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise((resolve) => waiters.push(resolve))),
  };
  expect(await racer.next()).toBe('ready');
  return racer;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('simultaneous takeovers of a stale lock', () => {
  const ROUNDS = 30;
  const RACERS = 8;

  it(`${ROUNDS} rounds of ${RACERS} processes on a lock left by a SIGKILLed holder: exactly one wins each round`, async () => {
    const dir = bed.dir.file('race');
    mkdirSync(dir);
    const checkpoint = join(dir, 'race.ckpt');
    // the first stale lock: taken, then its holder killed
    const first = await startRacer(checkpoint);
    first.child.stdin!.write('go\n');
    expect(await first.next()).toBe('won');
    await kill(first.child);
    const racers = await Promise.all(Array.from({ length: RACERS }, () => startRacer(checkpoint)));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const racer of racers) racer.child.stdin!.write('go\n');
      const answers = await Promise.all(racers.map((racer) => racer.next()));
      const winners = answers.flatMap((answer, i) => (answer === 'won' ? [i] : []));
      expect(winners, `round ${round}: ${answers.join(' | ')}`).toHaveLength(1);
      for (const answer of answers) {
        if (answer !== 'won') expect(answer).toMatch(/^lost "another import \(PID \d+, since [^)]+\) is (using|taking over) --checkpoint/);
      }
      // the winner holds the lock until it is killed: the next round races on its stale lock
      const winner = winners[0]!;
      await kill(racers[winner]!.child);
      racers[winner] = await startRacer(checkpoint);
    }
    for (const racer of racers) await kill(racer.child);
    // no claim or temp file is left behind: only the lock of the last (killed) winner
    expect(readdirSync(dir)).toEqual(['race.ckpt.lock']);
  }, 240_000);
});

describe('a holder that cannot be proven gone is never taken over (exit 2, saying how to remove the lock)', () => {
  const refusedWith = async (lockText: string, message: RegExp): Promise<void> => {
    const s = await bed.server();
    const input = bed.dir.file(`refused-${Math.random().toString(16).slice(2)}.ndjson`);
    writeFileSync(input, ndjson(5));
    const checkpoint = `${input}.ckpt`;
    writeFileSync(`${checkpoint}.lock`, lockText);
    const result = await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(`delete ${checkpoint}.lock and run again`);
    expect(readFileSync(`${checkpoint}.lock`, 'utf8')).toBe(lockText);
    expect(s.log).toHaveLength(0);
  };

  it('a lock taken on another host, even with a PID that is not running here', async () => {
    await refusedWith(recordLike({ host: 'build-agent-7', pid: await deadPid() }), /it runs on another machine \("build-agent-7"\)/);
  });

  it('a lock of this host name from another boot: "before a reboot, or another machine of the same name", not "another machine" alone', async () => {
    await refusedWith(
      recordLike({ boot: 'a-boot-id-of-another-boot', pid: await deadPid() }),
      /it was taken on this machine \("[^"]+"\) before a reboot, or on another machine of the same name/,
    );
  });

  it('a lock taken in another PID namespace (a record from another container), even with a PID that is not running here', async () => {
    await refusedWith(recordLike({ pidns: 'pid:[4026599999]', pid: await deadPid() }), /it runs in another PID namespace/);
  });

  it("a lock of an earlier version (a bare PID), or of something else, whatever its PID", async () => {
    await refusedWith(`${await deadPid()}\n`, /written by an earlier version of thrivestack \(PID \d+\)/);
    await refusedWith('garbage\u001b[2J', /does not hold a lock record of this version/);
  });
});

/** How to make a PID namespace here (root: `unshare -p`; others: with a user namespace), if at all. */
function unshareArgs(): string[] | undefined {
  const candidates = [
    ['--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL'],
    ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL'],
  ];
  for (const args of candidates) {
    const probe = spawnSync('unshare', [...args, process.execPath, '-e', 'process.exit(process.pid === 1 ? 0 : 1)'], { timeout: 10_000 });
    if (probe.status === 0) return args;
  }
  return undefined;
}
const UNSHARE = unshareArgs();

describe('imports in two PID namespaces (containers sharing a volume), both PID 1', () => {
  it.skipIf(UNSHARE === undefined)(
    `the second import does not take the first one's live lock for its own stale one${UNSHARE ? '' : ' (skipped: unshare is not usable on this machine)'}`,
    async () => {
      const s = await bed.server({ plan: ({ index }) => (index === 0 ? { type: 'hang' } : { type: 'ok' }) });
      const input = bed.dir.file('ns.ndjson');
      writeFileSync(input, ndjson(20));
      const checkpoint = bed.dir.file('ns.ckpt');
      const command = (extra: string[] = []) => [
        ...UNSHARE!,
        process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/index.ts'),
        'import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet', ...extra,
      ];
      const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', ...env };
      const first = spawn('unshare', command(), { cwd: ROOT, env: childEnv, stdio: 'ignore' });
      started.add(first);
      await waitFor(() => s.log.length > 0, 30_000, 'the first import to send');
      const lock = JSON.parse(readFileSync(`${checkpoint}.lock`, 'utf8')) as ProcessRecord;
      expect(lock.pid).toBe(1); // PID 1 in its namespace

      // a second container: also PID 1, and PID 1 is alive there too (itself)
      const second = spawnSync("unshare", command(), { cwd: ROOT, env: childEnv, encoding: "utf8", timeout: 30_000 });
      expect(second.status, second.stderr).toBe(2);
      expect(second.stderr).toMatch(/another PID namespace/);
      expect(second.stderr).toContain(`delete ${checkpoint}.lock`);
      // the host's own namespace cannot tell either
      const third = await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env });
      expect(third.code, third.stderr).toBe(2);
      expect(third.stderr).toMatch(/another PID namespace/);
      expect(s.log).toHaveLength(1); // only the first import sent anything
      expect(JSON.parse(readFileSync(`${checkpoint}.lock`, 'utf8'))).toEqual(lock);
      await kill(first);
    },
    60_000,
  );
});

describe('a holder that is provably gone is taken over', () => {
  it('the lock of a SIGKILLed import: the next run takes it over and delivers every row', async () => {
    const s = await bed.server({ plan: ({ index }) => (index === 0 ? { type: 'hang' } : { type: 'ok' }) });
    const input = bed.dir.file('killed.ndjson');
    writeFileSync(input, ndjson(20));
    const checkpoint = bed.dir.file('killed.ckpt');
    const args = ['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'];
    const first = spawnCli(args, { env });
    await waitFor(() => s.log.length > 0, 30_000, 'the first import to send');
    await kill(first);
    expect(existsSync(`${checkpoint}.lock`)).toBe(true);
    const again = await runCli(args, { env });
    expect(again.code, again.stderr).toBe(0);
    expect(new Set(s.accepted.map((c) => c.user_id)).size).toBe(20);
    expect(existsSync(`${checkpoint}.lock`)).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('a PID now used by a process started at another time (PID reuse) is gone; the same process is not', async () => {
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)']);
    started.add(sleeper);
    const stat = readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    const dir = bed.dir.file('reuse');
    mkdirSync(dir);
    // the same PID, another start time: the holder is gone, its PID reused
    writeFileSync(join(dir, 'a.ckpt.lock'), recordLike({ pid: sleeper.pid!, start: String(Number(start) - 1) }));
    CheckpointLock.take(join(dir, 'a.ckpt')).release();
    // the same PID and start time: that very process, alive
    writeFileSync(join(dir, 'b.ckpt.lock'), recordLike({ pid: sleeper.pid!, start }));
    expect(() => CheckpointLock.take(join(dir, 'b.ckpt'))).toThrow(new RegExp(`another import \\(PID ${sleeper.pid}, since`));
    await kill(sleeper);
    expect(readdirSync(dir)).toEqual(['b.ckpt.lock']);
  });

  it('a claimant killed mid-takeover is followed: gone, it is taken over after; alive, it is waited for', async () => {
    const dir = bed.dir.file('chain');
    mkdirSync(dir);
    const checkpoint = join(dir, 'c.ckpt');
    const holder = recordLike({ token: 'holder', pid: await deadPid() });
    writeFileSync(`${checkpoint}.lock`, holder);
    // a claimant that is alive (this process) is taking it over: wait for it
    writeFileSync(`${checkpoint}.lock.next-holder`, `${JSON.stringify(recordOfThisProcess('claimant'))}\n`);
    expect(() => CheckpointLock.take(checkpoint)).toThrow(/another import \(PID \d+, since [^)]+\) is taking over/);
    // that claimant was killed before it renamed: the takeover goes on after it
    writeFileSync(`${checkpoint}.lock.next-holder`, recordLike({ token: 'killed-claimant', pid: await deadPid() }));
    const lock = CheckpointLock.take(checkpoint);
    const record = JSON.parse(readFileSync(`${checkpoint}.lock`, 'utf8')) as ProcessRecord;
    expect(record.pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['c.ckpt.lock']); // both claims removed
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('planted symbolic links are never followed', () => {
  it('at the lock: the import exits 2; the link, its target and a missing target are left as they are', async () => {
    const s = await bed.server();
    const input = bed.dir.file('planted.ndjson');
    writeFileSync(input, ndjson(5));
    const victim = bed.dir.file('victim.txt');
    writeFileSync(victim, 'precious\n');
    for (const target of [victim, bed.dir.file('never-created.txt')]) {
      const checkpoint = bed.dir.file(`planted-${target === victim ? 'existing' : 'dangling'}.ckpt`);
      symlinkSync(target, `${checkpoint}.lock`);
      const result = await runCli(['import', input, '--base-url', s.url, '--checkpoint', checkpoint, '--quiet'], { env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/\.lock is not a lock file \(a symbolic link/);
      expect(lstatSync(`${checkpoint}.lock`).isSymbolicLink()).toBe(true);
    }
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(existsSync(bed.dir.file('never-created.txt'))).toBe(false);
    expect(s.log).toHaveLength(0);
  });

  it('at a temp name the lock would use: another name is taken, nothing is written through the link', () => {
    const dir = bed.dir.file('temps');
    mkdirSync(dir);
    const checkpoint = join(dir, 't.ckpt');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    // the names the lock's temp file would have: the earlier version's, and this version's next token
    symlinkSync(victim, `${checkpoint}.${process.pid}.lock-tmp`);
    symlinkSync(victim, `${checkpoint}.lock.planted.tmp`);
    const tokens = ['planted', 'fresh'];
    const lock = CheckpointLock.take(checkpoint, { token: () => tokens.shift()! });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect((JSON.parse(readFileSync(`${checkpoint}.lock`, 'utf8')) as ProcessRecord).token).toBe('fresh');
    expect(lstatSync(`${checkpoint}.lock`).isFile()).toBe(true);
    lock.release();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });
});
