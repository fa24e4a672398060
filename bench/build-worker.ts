/**
 * Bundles bench/worker.ts with esbuild (dependencies external, as a user's bundle of the package
 * would be), so the measured process runs plain JavaScript with no TypeScript loader in it.
 * `BENCH_SRC=/path/to/a/copy/of/src` measures a patched copy of the client instead of src/.
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The client sources measured: src/, or the copy named by BENCH_SRC. */
export const BENCH_SRC = process.env.BENCH_SRC ? resolve(process.env.BENCH_SRC) : undefined;

function redirectSrc(dir: string): Plugin {
  return {
    name: 'bench-src',
    setup(b) {
      b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({ path: `${dir}/index.ts` }));
    },
  };
}

/** Writes the worker bundle to `outfile` (not minified: profiles keep function names and lines). */
export async function buildWorker(outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    plugins: BENCH_SRC ? [redirectSrc(BENCH_SRC)] : [],
  });
}
