/**
 * Bundle size of the browser entry: src/index.ts bundled with esbuild (platform browser, format esm,
 * dependencies included), minified, then gzipped (level 9).
 *
 *   tsx bench/size.ts           print the size and the largest inputs
 *   tsx bench/size.ts --check   also fail (exit 1) when the gzip size is over bench/size-budget.json
 */
import { build } from 'esbuild';
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

export function readBudget(): { gzipBytes: number } {
  return JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as { gzipBytes: number };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = await measureSize();
  const kB = (n: number): string => `${(n / 1000).toFixed(2)} kB`;
  console.log(`${size.entry}: ${kB(size.minifiedBytes)} minified, ${kB(size.gzipBytes)} min+gzip (${size.gzipBytes} bytes)`);
  for (const input of size.inputs.slice(0, 8)) console.log(`  ${String(input.bytes).padStart(7)}  ${input.path}`);
  if (process.argv.includes('--check')) {
    const budget = readBudget();
    if (size.gzipBytes > budget.gzipBytes) {
      console.error(
        `size: ${size.gzipBytes} bytes min+gzip is over the budget of ${budget.gzipBytes} bytes (bench/size-budget.json). ` +
          'Shrink the bundle, or raise the budget on purpose in the same change.',
      );
      process.exit(1);
    }
    console.log(`size: within the budget of ${budget.gzipBytes} bytes (${budget.gzipBytes - size.gzipBytes} to spare)`);
  }
}
