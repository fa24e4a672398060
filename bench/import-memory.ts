/**
 * `npm run bench:import`: speed and peak memory of `thrivestack import` as the file grows, and
 * (`--vs-cli`) against another copy of the CLI, same files, same hour.
 *
 * Generates CSV and NDJSON files of 100,000 and 1,000,000 group calls in a temp dir, imports each into
 * a local sink (node:http on 127.0.0.1, answers like the API and counts the calls it receives) with
 * the CLI bundled by esbuild (dependencies external) and run by plain `node` (no TypeScript loader in
 * the measured process),
 * at the CLI's default options, and reports each run's rows/s (from the CLI's own `--json` summary),
 * wall and CPU time, requests, and peak RSS (`process.resourceUsage().maxRSS`, read as the process
 * exits). Streaming means the peak must not grow with the file: the 1,000,000-row run should peak about
 * where the 100,000-row run does. With `--vs-cli`, both CLIs import each file in turn, in an order that
 * alternates from round to round, and the table shows new ÷ old pair by pair. A full run (both formats,
 * both sizes, no --checkpoint) also writes the "import" section of docs/benchmarks.md.
 *
 *   npm run bench:import                       both formats, 100k and 1M rows
 *   npm run bench:import -- --vs-cli /path/to/old/src/cli/index.ts [--rounds 3]
 *   npm run bench:import -- --rows 100000,500000 --format csv
 *   npm run bench:import -- --cli dist/cli/index.js   measure a built CLI instead of bundling src/
 *   npm run bench:import -- --checkpoint       import with --checkpoint too (reports its size per row)
 *   npm run bench:import -- --no-docs          do not write docs/benchmarks.md
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { runWithPeakRss } from './peak-rss.js';
import { fmt, ratios, stats, table } from './stats.js';
import { commandLine, commitOf, machine, runFacts, took, writeDocsSection } from './docs-page.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ARGS = process.argv.slice(2);
const { values } = parseArgs({
  args: ARGS,
  options: {
    rows: { type: 'string', default: '100000,1000000' },
    format: { type: 'string', default: 'csv,ndjson' },
    cli: { type: 'string' },
    'vs-cli': { type: 'string' },
    rounds: { type: 'string', default: '1' },
    checkpoint: { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
  },
});
const SIZES = values.rows!.split(',').map(Number);
const FORMATS = values.format!.split(',') as Array<'csv' | 'ndjson'>;
const ROUNDS = Number(values.rounds);
const GOALS = { speedup: 1.5, rssGrowth: 1.25 };

const work = await mkdtemp(join(tmpdir(), 'thrivestack-bench-import-'));

/**
 * The CLI as it ships: one ESM file for plain node, its dependencies external (loaded from this
 * repository's node_modules, as an installed package loads them). `entry` a .ts file: bundled into
 * bench/results/.build/; else run as it is.
 */
async function bundleCli(entry: string, name: string): Promise<string> {
  if (!entry.endsWith('.ts')) return resolve(entry);
  const outfile = join(ROOT, `bench/results/.build/${name}.mjs`);
  await build({
    entryPoints: [resolve(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

function row(i: number) {
  return {
    group_id: `acct_${i % 5_000}`,
    user_id: `usr_${i}`,
    traits: { account_name: `Account ${i % 5_000}`, employees: (i * 7) % 5_000, plan: i % 3 ? 'free' : 'enterprise', industry: 'software' },
    context: { device_id: `dev_${i}`, source: 'product' },
    timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1_000).toISOString(),
  };
}

async function writeInput(path: string, format: 'csv' | 'ndjson', rows: number): Promise<void> {
  const out = createWriteStream(path);
  if (format === 'csv') out.write('group_id,user_id,account_name,employees,plan,industry,context.device_id,context.source,timestamp\n');
  for (let i = 0; i < rows; i++) {
    const r = row(i);
    const line =
      format === 'csv'
        ? `${r.group_id},${r.user_id},${r.traits.account_name},${r.traits.employees},${r.traits.plan},${r.traits.industry},${r.context.device_id},${r.context.source},${r.timestamp}\n`
        : `${JSON.stringify(r)}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/** A stand-in for the API that counts the calls of every request it accepts. */
async function startSink() {
  let calls = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      calls += (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[]).length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"success":true,"eventId":"evt_${requests}"}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    take: () => {
      const seen = { calls, requests };
      calls = requests = 0;
      return seen;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function runImport(cli: string, file: string, url: string, checkpoint?: string) {
  const extra = checkpoint ? ['--checkpoint', checkpoint] : [];
  const run = await runWithPeakRss(cli, ['import', file, '--base-url', url, '--quiet', '--json', ...extra], {
    env: { ...process.env, THRIVESTACK_API_KEY: 'bench-key' },
  });
  if (run.code !== 0 || Number.isNaN(run.peakKb)) throw new Error(`import failed (exit ${run.code}):\n${run.stderr}`);
  return { summary: JSON.parse(run.stdout) as { sent: number; seconds: number }, peakKb: run.peakKb, cpuMs: run.cpuMs, wallMs: run.wallMs };
}

interface Result {
  cli: string;
  format: 'csv' | 'ndjson';
  rows: number;
  round: number;
  fileMB: number;
  seconds: number;
  rowsPerSecond: number;
  wallSeconds: number;
  cpuSeconds: number;
  requests: number;
  peakRssMB: number;
  checkpointMB?: number;
  checkpointBytesPerRow?: number;
}

const started = Date.now();
const date = new Date().toISOString();
const m = machine();
const results: Result[] = [];
const sink = await startSink();
const clis: Array<{ label: string; path: string; from: string }> = [];
try {
  const own = values.cli ?? join(ROOT, 'src/cli/index.ts');
  clis.push({ label: 'new', path: await bundleCli(own, 'cli-new'), from: values.cli ?? 'src/cli/index.ts' });
  if (values['vs-cli']) clis.push({ label: 'old', path: await bundleCli(values['vs-cli'], 'cli-old'), from: values['vs-cli'] });
  for (const c of clis) console.log(`CLI ${c.label}: ${c.from}${c.from.endsWith('.ts') ? ', bundled with esbuild' : ''}`);
  for (const format of FORMATS) {
    for (const rows of SIZES) {
      const file = join(work, `rows-${rows}.${format}`);
      await writeInput(file, format, rows);
      const { size } = await stat(file);
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < clis.length; k++) {
          const cli = clis[(k + round) % clis.length]!;
          const checkpoint = values.checkpoint ? `${file}.${cli.label}.ckpt` : undefined;
          const { summary, peakKb, cpuMs, wallMs } = await runImport(cli.path, file, sink.url, checkpoint);
          const checkpointBytes = checkpoint ? (await stat(checkpoint)).size : undefined;
          const received = sink.take();
          if (received.calls !== rows || summary.sent !== rows) throw new Error(`${cli.label}: expected ${rows} calls, the sink received ${received.calls}`);
          const result: Result = {
            cli: cli.label,
            format,
            rows,
            round,
            fileMB: +(size / 1e6).toFixed(1),
            seconds: +summary.seconds.toFixed(2),
            rowsPerSecond: Math.round(rows / summary.seconds),
            wallSeconds: +(wallMs / 1000).toFixed(2),
            cpuSeconds: +(cpuMs / 1000).toFixed(2),
            requests: received.requests,
            peakRssMB: +(peakKb / 1024).toFixed(1),
            ...(checkpointBytes === undefined ? {} : { checkpointMB: +(checkpointBytes / 1e6).toFixed(2), checkpointBytesPerRow: +(checkpointBytes / rows).toFixed(2) }),
          };
          results.push(result);
          console.log(
            `${cli.label.padEnd(4)} ${format.padEnd(6)} ${rows.toLocaleString('en-US').padStart(9)} rows  file ${String(result.fileMB).padStart(6)} MB  ` +
              `${String(result.seconds).padStart(6)} s  ${fmt.int(result.rowsPerSecond).padStart(7)} rows/s  CPU ${result.cpuSeconds} s  ` +
              `${result.requests} requests  peak RSS ${result.peakRssMB} MB` +
              `${checkpointBytes === undefined ? '' : `  checkpoint ${result.checkpointMB} MB (${result.checkpointBytesPerRow} bytes/row)`}`,
          );
          if (checkpoint) await rm(checkpoint, { force: true });
        }
      }
      await rm(file);
    }
  }
} finally {
  await sink.stop();
  await rm(work, { recursive: true, force: true });
}

// --- the report
const versus = clis.length > 1;
const of = (cli: string, format: string, rows: number): Result[] => results.filter((r) => r.cli === cli && r.format === format && r.rows === rows);
const rowsTable = table(
  [
    'Format',
    'Rows',
    'File MB',
    'CLI',
    'rows/s (median, min – max)',
    'Wall s',
    'CPU s',
    'Requests',
    'Peak RSS MB (median, min – max)',
    ...(versus ? ['rows/s new ÷ old (pair by pair)', 'CPU old ÷ new'] : []),
  ],
  FORMATS.flatMap((format) =>
    SIZES.flatMap((rows) =>
      clis.map((cli) => {
        const runs = of(cli.label, format, rows);
        const paired = versus && cli.label === 'new';
        const vs = paired ? ratios(runs.map((r) => r.rowsPerSecond), of('old', format, rows).map((r) => r.rowsPerSecond)) : undefined;
        const cpu = paired ? ratios(of('old', format, rows).map((r) => r.cpuSeconds), runs.map((r) => r.cpuSeconds)) : undefined;
        return [
          format,
          fmt.int(rows),
          String(runs[0]!.fileMB),
          cli.label,
          fmt.spread(stats(runs.map((r) => r.rowsPerSecond)), fmt.int),
          fmt.fixed(stats(runs.map((r) => r.wallSeconds)).median, 1),
          fmt.fixed(stats(runs.map((r) => r.cpuSeconds)).median, 1),
          fmt.int(stats(runs.map((r) => r.requests)).median),
          fmt.spread(stats(runs.map((r) => r.peakRssMB)), fmt.int),
          ...(versus ? [vs ? fmt.spread(vs, fmt.x) : '', cpu ? fmt.x(cpu.median) : ''] : []),
        ];
      }),
    ),
  ),
);

const goals: Array<[string, string, string, string]> = [];
const first = SIZES[0]!;
const last = SIZES[SIZES.length - 1]!;
for (const format of FORMATS) {
  if (versus) {
    for (const rows of SIZES) {
      const speedup = ratios(of('new', format, rows).map((r) => r.rowsPerSecond), of('old', format, rows).map((r) => r.rowsPerSecond)).median;
      const cpu = ratios(of('old', format, rows).map((r) => r.cpuSeconds), of('new', format, rows).map((r) => r.cpuSeconds)).median;
      goals.push([
        `${format.toUpperCase()}, ${fmt.int(rows)} rows: rows/s new ÷ old (CPU old ÷ new in brackets)`,
        `≥ ${GOALS.speedup}×`,
        `${fmt.x(speedup)} (CPU ${fmt.x(cpu)})`,
        speedup >= GOALS.speedup ? 'yes' : 'no',
      ]);
    }
  }
  if (SIZES.length > 1) {
    for (const cli of clis) {
      const growth = stats(of(cli.label, format, last).map((r) => r.peakRssMB)).median / stats(of(cli.label, format, first).map((r) => r.peakRssMB)).median;
      goals.push([
        `${format.toUpperCase()}, ${cli.label}: peak RSS at ${fmt.int(last)} rows ÷ at ${fmt.int(first)}`,
        `flat (≤ ${GOALS.rssGrowth}×)`,
        fmt.x(growth),
        growth <= GOALS.rssGrowth ? 'yes' : 'no',
      ]);
    }
  }
}
const goalTable = goals.length ? table(['Goal (issue 17)', 'Target', 'Measured (median)', 'Met'], goals) : '';
console.log(`\n${rowsTable}${goalTable ? `\n\n${goalTable}` : ''}`);

await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(join(ROOT, 'bench/results/import-memory.json'), `${JSON.stringify({ date, machine: m, clis, rounds: ROUNDS, results }, null, 2)}\n`);
console.log('\nwritten to bench/results/import-memory.json');

const full = !values['no-docs'] && !values.checkpoint && FORMATS.length === 2 && SIZES.join(',') === '100000,1000000';
if (full) {
  const commits: Array<[string, string]> = clis.map((c) => {
    const dir = c.from.endsWith('.ts') ? dirname(resolve(ROOT, c.from)) : undefined;
    return [`Commit (${c.label}, ${c.from})`, dir ? commitOf(c.label === 'new' && !values.cli ? undefined : dir) : 'a built CLI'];
  });
  const facts = runFacts(m, { date, command: commandLine('bench:import', ARGS), commits, took: took(Date.now() - started) });
  writeDocsSection(
    'import',
    `## \`npm run bench:import\`\n\n${facts}\n\n` +
      `\`thrivestack import FILE --base-url SINK --quiet --json\` at the CLI's default options, each CLI bundled with esbuild and run by plain ` +
      `\`node\`, into a local sink that counts the calls it receives. rows/s from the CLI's own summary; wall and CPU time and peak RSS of ` +
      `the whole process. ${ROUNDS} round(s)${versus ? ', the two CLIs in an order that alternates each round, same files' : ''}.\n\n` +
      `${rowsTable}${goalTable ? `\n\n${goalTable}` : ''}`,
  );
  console.log('wrote the "import" section of docs/benchmarks.md');
}
