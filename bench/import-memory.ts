/**
 * `npm run bench:import`: peak memory of `thrivestack import` as the file grows.
 *
 * Generates CSV and NDJSON files of 100,000 and 1,000,000 group calls in a temp dir, imports each into
 * a local sink (node:http on 127.0.0.1, answers like the API and counts the calls it receives) with
 * the CLI bundled by esbuild and run by plain `node` (no TypeScript loader in the measured process),
 * and reports each run's peak RSS (`process.resourceUsage().maxRSS`, read as the process exits).
 * Streaming means the peak must not grow with the file: the 1,000,000-row run should peak about where
 * the 100,000-row run does.
 *
 *   npm run bench:import                       both formats, 100k and 1M rows
 *   npm run bench:import -- --rows 100000,500000 --format csv
 *   npm run bench:import -- --cli dist/cli/index.js   measure a built CLI instead of bundling src/
 *   npm run bench:import -- --checkpoint       import with --checkpoint too (reports its size per row)
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { runWithPeakRss } from './peak-rss.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000,1000000' },
    format: { type: 'string', default: 'csv,ndjson' },
    cli: { type: 'string' },
    checkpoint: { type: 'boolean', default: false },
  },
});
const SIZES = values.rows!.split(',').map(Number);
const FORMATS = values.format!.split(',') as Array<'csv' | 'ndjson'>;

const work = await mkdtemp(join(tmpdir(), 'thrivestack-bench-import-'));

/** The CLI as it ships: one ESM file for plain node, dependencies bundled in. */
async function bundleCli(): Promise<string> {
  const outfile = join(work, 'cli.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/cli/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    logLevel: 'silent',
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
  return { summary: JSON.parse(run.stdout) as { sent: number; seconds: number }, peakKb: run.peakKb };
}


const results: Array<Record<string, unknown>> = [];
const sink = await startSink();
try {
  const cli = values.cli ?? (await bundleCli());
  console.log(`CLI: ${values.cli ?? 'src/cli/index.ts, bundled with esbuild'}`);
  for (const format of FORMATS) {
    for (const rows of SIZES) {
      const file = join(work, `rows-${rows}.${format}`);
      await writeInput(file, format, rows);
      const { size } = await stat(file);
      const checkpoint = values.checkpoint ? `${file}.ckpt` : undefined;
      const { summary, peakKb } = await runImport(cli, file, sink.url, checkpoint);
      const checkpointBytes = checkpoint ? (await stat(checkpoint)).size : undefined;
      const received = sink.take();
      if (received.calls !== rows || summary.sent !== rows) throw new Error(`expected ${rows} calls, the sink received ${received.calls}`);
      const result = {
        format,
        rows,
        fileMB: +(size / 1e6).toFixed(1),
        seconds: +summary.seconds.toFixed(1),
        rowsPerSecond: Math.round(rows / summary.seconds),
        requests: received.requests,
        peakRssMB: +(peakKb / 1024).toFixed(1),
        ...(checkpointBytes === undefined ? {} : { checkpointMB: +(checkpointBytes / 1e6).toFixed(2), checkpointBytesPerRow: +(checkpointBytes / rows).toFixed(2) }),
      };
      results.push(result);
      console.log(
        `${format.padEnd(6)} ${rows.toLocaleString('en-US').padStart(9)} rows  file ${String(result.fileMB).padStart(6)} MB  ` +
          `${String(result.seconds).padStart(6)} s  ${String(result.rowsPerSecond).padStart(6)} rows/s  peak RSS ${result.peakRssMB} MB` +
          `${checkpointBytes === undefined ? '' : `  checkpoint ${result.checkpointMB} MB (${result.checkpointBytesPerRow} bytes/row)`}`,
      );
      await rm(file);
      if (checkpoint) await rm(checkpoint, { force: true });
    }
    const runs = results.filter((r) => r.format === format);
    if (runs.length > 1) {
      const first = runs[0]!;
      const last = runs[runs.length - 1]!;
      const growth = (last.peakRssMB as number) / (first.peakRssMB as number);
      console.log(
        `${format}: ${(last.rows as number) / (first.rows as number)}× the rows (${last.fileMB} MB vs ${first.fileMB} MB of file) → ` +
          `${growth.toFixed(2)}× the peak RSS${growth < 1.25 ? ': flat' : ': GROWS WITH THE FILE'}`,
      );
    }
  }
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(join(ROOT, 'bench/results/import-memory.json'), `${JSON.stringify({ node: process.version, results }, null, 2)}\n`);
  console.log('\nwritten to bench/results/import-memory.json');
} finally {
  await sink.stop();
  await rm(work, { recursive: true, force: true });
}
