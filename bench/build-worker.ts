/**
 * Bundles a benchmark entry (bench/worker.ts, bench/sync-cost.ts) with esbuild, dependencies external as
 * a user's bundle of the package would have them, so the measured process runs plain JavaScript with no
 * TypeScript loader in it. The client sources bundled are src/, or another copy of them: the entry's
 * imports of `../src/<file>.js` are pointed at `<copy>/<file>.ts` (`BENCH_SRC=/path/to/src`, or
 * `npm run bench -- --vs /path/to/other/src`, which bundles one worker per copy).
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The client sources measured: src/, or the copy named by BENCH_SRC. */
export const BENCH_SRC = process.env.BENCH_SRC ? resolve(process.env.BENCH_SRC) : undefined;
/** This repository's own src/. */
export const OWN_SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Imports of `../src/<file>.js` by the benchmark's own files → the same file in `dir`. */
function redirectSrc(dir: string): Plugin {
  return {
    name: 'bench-src',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/src\/[\w/.-]+\.js$/ }, (args) => {
        if (!resolve(args.importer).startsWith(BENCH_DIR)) return undefined;
        return { path: `${dir}/${args.path.slice('../src/'.length, -'.js'.length)}.ts` };
      });
    },
  };
}

/**
 * Writes the bundle of `entry` (a file of bench/, default the worker) to `outfile`, not minified, so
 * profiles keep function names and lines. `src` is the copy of the client to bundle (default BENCH_SRC,
 * else src/).
 */
export async function buildWorker(outfile: string, options: { src?: string | undefined; entry?: string } = {}): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  const src = options.src === undefined ? BENCH_SRC : resolve(options.src);
  await build({
    entryPoints: [fileURLToPath(new URL(options.entry ?? './worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    plugins: src && src !== OWN_SRC ? [redirectSrc(src)] : [],
  });
}
