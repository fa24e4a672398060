/**
 * `npm run bench:sync`: `enqueue()`'s synchronous cost vs `JSON.stringify` of the same call's wire form
 * (and `prepareCall` alone vs the same), measured in one process per copy of the client
 * (bench/sync-cost.ts); `npm run bench` runs it as its "sync" section.
 *
 *   tsx bench/sync.ts [--vs path/to/other/src] [--rounds 31] [--size 10000] [--processes 2] [--force-gc]
 *
 * With `--vs`, each copy runs in its own processes, alternating (this one, the other, this one, ...);
 * a copy's rounds from all its processes are pooled.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWorker } from './build-worker.js';
import { fmt, ratios, stats, table, type Stats } from './stats.js';
import type { SyncConfig, SyncResult } from './sync-cost.js';

const run = promisify(execFile);
const BUILD = fileURLToPath(new URL('./results/.build/', import.meta.url));

export interface SyncSource {
  label: string;
  src: string | undefined;
}

export interface SyncSummary {
  label: string;
  ok: boolean;
  rounds: number;
  size: number;
  /** µs per call. */
  enqueue: Stats;
  stringify: Stats;
  prepare: Stats;
  /** µs per call the garbage collector took inside each loop. */
  enqueueGc: Stats;
  stringifyGc: Stats;
  prepareGc: Stats;
  forceGc: boolean;
  /** Per round: enqueue ÷ stringify, prepareCall ÷ stringify. */
  enqueueRatio: Stats;
  prepareRatio: Stats;
  errors: string[];
}

export interface SyncOptions extends SyncConfig {
  processes: number;
}

export const SYNC_DEFAULTS: SyncOptions = { rounds: 31, warmup: 5, size: 10_000, processes: 2, forceGc: false };

/** Runs the sync benchmark for each source, alternating processes; one summary per source. */
export async function measureSync(sources: SyncSource[], options: SyncOptions, log: (line: string) => void = console.log): Promise<SyncSummary[]> {
  const bundles = await Promise.all(
    sources.map(async (s, i) => {
      const file = `${BUILD}sync-cost-${i}.mjs`;
      await buildWorker(file, { src: s.src, entry: './sync-cost.ts' });
      return file;
    }),
  );
  const results: SyncResult[][] = sources.map(() => []);
  const config: SyncConfig = { rounds: options.rounds, warmup: options.warmup, size: options.size, forceGc: options.forceGc ?? false };
  for (let p = 0; p < options.processes; p++) {
    for (let k = 0; k < sources.length; k++) {
      const i = (k + p) % sources.length;
      let result: SyncResult;
      try {
        const { stdout } = await run(process.execPath, ['--expose-gc', bundles[i]!, JSON.stringify(config)], { maxBuffer: 16 * 2 ** 20 });
        result = JSON.parse(stdout.trim().split('\n').pop()!) as SyncResult;
      } catch (error) {
        result = { ok: false, size: options.size, enqueueMs: [], stringifyMs: [], prepareMs: [], enqueueGcMs: [], stringifyGcMs: [], prepareGcMs: [], delivered: 0, expected: 0, error: String(error) };
      }
      results[i]!.push(result);
      const perCall = (ms: number[]): string => fmt.fixed((stats(ms).median * 1000) / options.size, 2);
      log(
        `  sync ${sources[i]!.label.padEnd(4)} process ${p + 1}/${options.processes}: enqueue ${perCall(result.enqueueMs)} µs, ` +
          `JSON.stringify ${perCall(result.stringifyMs)} µs, prepareCall ${perCall(result.prepareMs)} µs per call${result.ok ? '' : `  FAILED: ${result.error}`}`,
      );
    }
  }
  return sources.map((s, i) => {
    const runs = results[i]!;
    type Key = 'enqueueMs' | 'stringifyMs' | 'prepareMs' | 'enqueueGcMs' | 'stringifyGcMs' | 'prepareGcMs';
    const pool = (key: Key): number[] => runs.flatMap((r) => r[key]);
    const us = (ms: number[]): Stats => stats(ms.map((m) => (m * 1000) / options.size));
    return {
      label: s.label,
      ok: runs.every((r) => r.ok),
      rounds: pool('enqueueMs').length,
      size: options.size,
      enqueue: us(pool('enqueueMs')),
      stringify: us(pool('stringifyMs')),
      prepare: us(pool('prepareMs')),
      enqueueGc: us(pool('enqueueGcMs')),
      stringifyGc: us(pool('stringifyGcMs')),
      prepareGc: us(pool('prepareGcMs')),
      forceGc: options.forceGc ?? false,
      enqueueRatio: ratios(pool('enqueueMs'), pool('stringifyMs')),
      prepareRatio: ratios(pool('prepareMs'), pool('stringifyMs')),
      errors: runs.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
    };
  });
}

/** The sync section's table rows (Markdown). */
export function syncTable(summaries: SyncSummary[]): string {
  const us = (s: Stats): string => fmt.spread(s, (n) => fmt.fixed(n, 2));
  const gc = (s: Stats): string => fmt.fixed(s.median, 2);
  const rows = summaries.flatMap((s) => [
    [s.label, '`client.enqueue(call)`, client at its defaults', us(s.enqueue), gc(s.enqueueGc), fmt.spread(s.enqueueRatio, fmt.x)],
    [s.label, '`prepareCall(call)` alone (validate.ts)', us(s.prepare), gc(s.prepareGc), fmt.spread(s.prepareRatio, fmt.x)],
    [s.label, '`JSON.stringify(wire call)` (the floor)', us(s.stringify), gc(s.stringifyGc), '1.00×'],
  ]);
  return table(['src', 'Loop over the same calls', 'µs per call, median (min – max)', 'of which GC, µs (median)', '÷ JSON.stringify, per round'], rows);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      vs: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      size: { type: 'string' },
      processes: { type: 'string' },
      'force-gc': { type: 'boolean', default: false },
    },
  });
  const options: SyncOptions = {
    rounds: Number(values.rounds ?? SYNC_DEFAULTS.rounds),
    warmup: Number(values.warmup ?? SYNC_DEFAULTS.warmup),
    size: Number(values.size ?? SYNC_DEFAULTS.size),
    processes: Number(values.processes ?? SYNC_DEFAULTS.processes),
    forceGc: values['force-gc']!,
  };
  const sources: SyncSource[] = [{ label: 'new', src: undefined }];
  if (values.vs) sources.push({ label: 'old', src: values.vs });
  console.log(`bench:sync: ${options.rounds} rounds of ${options.size.toLocaleString('en-US')} calls per process, ${options.processes} process(es) per src${options.forceGc ? ', a full GC before each timed loop' : ''}`);
  const summaries = await measureSync(sources, options);
  console.log(`\n${syncTable(summaries)}`);
  if (summaries.some((s) => !s.ok)) {
    console.error(`\nFAILED: ${summaries.flatMap((s) => s.errors).join('; ')}`);
    process.exitCode = 1;
  }
}
