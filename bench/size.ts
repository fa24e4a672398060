/**
 * Bundle size of the package's entries in a browser: src/index.ts (`thrivestack-group`) and
 * src/testing/index.ts (`thrivestack-group/testing`), each bundled on its own with esbuild (platform
 * browser, format esm, dependencies included), minified, then gzipped (level 9).
 *
 *   tsx bench/size.ts           print each entry's size and its largest inputs
 *   tsx bench/size.ts --check   also fail (exit 1) when an entry's gzip size is over its line in
 *                               bench/size-budget.json (`gzipBytes`: the main entry; `testingGzipBytes`)
 */
import { build } from 'esbuild';
import { browserRuntime } from '../tsup.config.js';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUDGET_FILE = fileURLToPath(new URL('./size-budget.json', import.meta.url));

export interface SizeResult {
  entry: string;
  minifiedBytes: number;
  gzipBytes: number;
  /** Minified bytes each input contributes, largest first. */
  inputs: Array<{ path: string; bytes: number }>;
}

export async function measureSize(entry = 'src/index.ts'): Promise<SizeResult> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // what a browser bundler gets: the package's browser build (tsup.config.ts, `browserOptions`)
    plugins: [browserRuntime],
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  return {
    entry,
    minifiedBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    inputs: Object.entries(output.inputs)
      .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
      .filter((input) => input.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes),
  };
}

export interface SizeBudget {
  /** The main entry, src/index.ts. */
  gzipBytes: number;
  /** The `thrivestack-group/testing` entry, src/testing/index.ts. */
  testingGzipBytes: number;
}

export function readBudget(): SizeBudget {
  return JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as SizeBudget;
}

/** Each entry `npm run size` measures, with its line in bench/size-budget.json. */
export const SIZE_ENTRIES = [
  { entry: 'src/index.ts', budget: 'gzipBytes' },
  { entry: 'src/testing/index.ts', budget: 'testingGzipBytes' },
] as const satisfies ReadonlyArray<{ entry: string; budget: keyof SizeBudget }>;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const budget = readBudget();
  const kB = (n: number): string => `${(n / 1000).toFixed(2)} kB`;
  let over = false;
  for (const { entry, budget: line } of SIZE_ENTRIES) {
    const size = await measureSize(entry);
    console.log(`${size.entry}: ${kB(size.minifiedBytes)} minified, ${kB(size.gzipBytes)} min+gzip (${size.gzipBytes} bytes)`);
    for (const input of size.inputs.slice(0, 8)) console.log(`  ${String(input.bytes).padStart(7)}  ${input.path}`);
    if (!check) continue;
    const allowed = budget[line];
    if (typeof allowed !== 'number') {
      console.error(`size: bench/size-budget.json has no "${line}" line for ${entry}.`);
      over = true;
    } else if (size.gzipBytes > allowed) {
      console.error(
        `size: ${entry} is ${size.gzipBytes} bytes min+gzip, over its budget of ${allowed} bytes ("${line}" in bench/size-budget.json). ` +
          'Shrink the bundle, or raise the budget on purpose in the same change.',
      );
      over = true;
    } else {
      console.log(`size: ${entry} within its budget of ${allowed} bytes (${allowed - size.gzipBytes} to spare)`);
    }
  }
  if (over) process.exit(1);
}
