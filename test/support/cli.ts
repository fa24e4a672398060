/** Running the `thrivestack` command as a child process, and the input files the CLI tests use. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { afterAll, beforeAll } from 'vitest';
import { startFaultServer, type FaultServer, type FaultServerOptions } from './fault-server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/index.ts');
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Text for stdin (stdin is closed at once when not given). */
  input?: string;
  /** The directory the command runs in (default: the repository's root). */
  cwd?: string;
}

/** Starts the CLI (`node --import tsx src/cli/index.ts ...`) with a clean environment. */
export function spawnCli(
  args: string[],
  options: CliOptions = {},
): ChildProcess & { output: Promise<CliResult>; stderrText(): string } {
  const env: Record<string, string> = { NODE_NO_WARNINGS: '1' };
  for (const key of ['PATH', 'HOME', 'TMPDIR']) if (process.env[key] !== undefined) env[key] = process.env[key]!;
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  // tsx by its resolved URL: `--import tsx` resolves from the working directory, which may be anywhere
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.on('error', () => {}); // the CLI may exit before reading all of it
  child.stdin!.end(options.input);
  const output = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return Object.assign(child, { output, stderrText: () => stderr });
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).output;
}

export async function tempDir(): Promise<{ path: string; file(name: string): string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'thrivestack-cli-'));
  return { path, file: (name) => join(path, name), remove: () => rm(path, { recursive: true, force: true }) };
}

/** Row `i` of a generated import, in wire format (what the server must receive). */
export function wireRow(i: number): Record<string, unknown> {
  return {
    group_id: `acct_${i % 997}`,
    user_id: `usr_${i}`,
    traits: { account_name: `Account ${i % 997}`, employees: (i * 7) % 5000, plan: i % 3 === 0 ? 'enterprise' : 'free', region: `r${i % 5}` },
    context: { device_id: `dev_${i}`, source: i % 2 ? 'product' : 'marketing' },
    timestamp: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
  };
}

export const CSV_HEADER = 'group_id,user_id,account_name,employees,plan,region,context.device_id,context.source,timestamp';

export function csvLine(i: number): string {
  const r = wireRow(i) as { group_id: string; user_id: string; traits: Record<string, unknown>; context: Record<string, unknown>; timestamp: string };
  const t = r.traits;
  return [r.group_id, r.user_id, t.account_name, t.employees, t.plan, t.region, r.context.device_id, r.context.source, r.timestamp].join(',');
}

/** Writes a file line by line (streaming, so a large file is never one string). */
export async function writeLines(path: string, count: number, line: (i: number) => string, header?: string): Promise<void> {
  const out = createWriteStream(path);
  if (header !== undefined) out.write(`${header}\n`);
  for (let i = 0; i < count; i++) {
    if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/** JSON with keys sorted at every level, to compare calls whatever order their keys came in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** How many times each user_id occurs in a server's record. */
export function countByUser(calls: ReadonlyArray<Record<string, unknown>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.user_id as string, (counts.get(call.user_id as string) ?? 0) + 1);
  return counts;
}

/** Waits until `check` returns true, polling. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The checkpoint key of every row of an import file, by user_id: the importer's own reading,
 * validation and key (so a test can tell which rows a checkpoint says were acknowledged).
 */
export async function rowKeysByUser(path: string, format: 'csv' | 'ndjson'): Promise<Map<string, bigint>> {
  const { createReadStream } = await import('node:fs');
  const { readCsv } = await import('../../src/cli/read-csv.js');
  const { readNdjson } = await import('../../src/cli/read-ndjson.js');
  const { prepareRow } = await import('../../src/cli/import.js');
  const { rowKey } = await import('../../src/cli/checkpoint.js');
  const keys = new Map<string, bigint>();
  const stream = createReadStream(path);
  for await (const row of format === 'csv' ? readCsv(stream) : readNdjson(stream)) {
    const prepared = prepareRow(row);
    if (prepared.ok) keys.set(prepared.prepared.call.user_id, rowKey(prepared.prepared.json));
  }
  return keys;
}

/** The rows (by user_id) a checkpoint file records as acknowledged, and how many it holds. */
export async function checkpointUsers(path: string, keys: Map<string, bigint>): Promise<{ rows: number; users: Set<string> } | undefined> {
  const { Checkpoint } = await import('../../src/cli/checkpoint.js');
  let checkpoint;
  try {
    checkpoint = Checkpoint.load(path);
  } catch {
    return undefined;
  }
  const users = new Set<string>();
  for (const [user, key] of keys) if (checkpoint.claim(key)) users.add(user);
  return { rows: checkpoint.previousRows, users };
}

/** Rows a checkpoint holds (0 when it does not exist yet). */
export async function checkpointRows(path: string): Promise<number> {
  const { Checkpoint } = await import('../../src/cli/checkpoint.js');
  try {
    return Checkpoint.load(path).previousRows;
  } catch {
    return 0;
  }
}

/**
 * A CLI test file's scratch directory and fault servers (answering to `key`): the directory is made
 * before the file's tests and removed after them, and every server started through `server()` is
 * stopped then.
 */
export function cliTestBed(key: string) {
  const servers: FaultServer[] = [];
  const bed = {
    dir: undefined as unknown as Awaited<ReturnType<typeof tempDir>>,
    async server(options: Omit<FaultServerOptions, 'apiKey'> & { apiKey?: string } = {}): Promise<FaultServer> {
      const s = await startFaultServer({ apiKey: key, ...options });
      servers.push(s);
      return s;
    },
  };
  beforeAll(async () => {
    bed.dir = await tempDir();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await bed.dir?.remove();
  });
  return bed;
}
