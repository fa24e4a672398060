/**
 * `npm run pack:report`: writes what `npm pack --dry-run` would put in the package (every file with its
 * size, the tarball's size and the unpacked size) into CONTRIBUTING.md, between the `pack-report`
 * markers. npm builds the package first (the `prepack` script), so the report is of the current source.
 *
 * `npm run pack:report -- --check` (run by .ci/run) writes nothing and fails when CONTRIBUTING.md is
 * stale: the file list and every unpacked size must match exactly; the tarball's size may differ by
 * up to 2 % (it is gzip output, which differs between the zlib versions of Node releases).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FILE = fileURLToPath(new URL('../CONTRIBUTING.md', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const START = '<!-- pack-report:start: written by `npm run pack:report`, do not edit -->';
const END = '<!-- pack-report:end -->';
const TOLERANCE = 0.02;

interface Packed {
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

const bytes = (n: number): string => n.toLocaleString('en-US');
const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;

function render(packed: Packed): string {
  const rows = [...packed.files].sort((a, b) => a.path.localeCompare(b.path)).map((file) => `| \`${file.path}\` | ${bytes(file.size)} |`);
  return [
    START,
    `\`npm pack --dry-run\`: ${packed.entryCount} files, ${kB(packed.size)} packed (${bytes(packed.size)} bytes, gzip), ${kB(packed.unpackedSize)} unpacked (${bytes(packed.unpackedSize)} bytes).`,
    '',
    '| file | bytes |',
    '|---|---:|',
    ...rows,
    END,
  ].join('\n');
}

function pack(): Packed {
  const result = spawnSync(NPM, ['pack', '--dry-run', '--json', '--loglevel', 'error'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`npm pack --dry-run failed:\n${result.stdout}\n${result.stderr}`);
  // prepack's build writes to stdout too: the JSON is the last thing printed
  const json = result.stdout.slice(result.stdout.lastIndexOf('\n[\n') + 1);
  return (JSON.parse(json) as Packed[])[0]!;
}

const text = readFileSync(FILE, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start === -1 || end < start) throw new Error(`CONTRIBUTING.md has no ${START} ... ${END} block`);
const current = text.slice(start, end + END.length);
const packed = pack();

if (process.argv.includes('--check')) {
  // the tarball's size recorded in the file, if within the tolerance, stands for the measured one
  const recorded = Number(/packed \(([\d,]+) bytes/.exec(current)?.[1]?.replaceAll(',', ''));
  const close = Number.isFinite(recorded) && Math.abs(recorded - packed.size) <= packed.size * TOLERANCE;
  const expected = render(close ? { ...packed, size: recorded } : packed);
  if (expected !== current) {
    console.error('CONTRIBUTING.md: the package report is stale. Run `npm run pack:report` and commit the result. Now:\n');
    console.error(render(packed));
    process.exit(1);
  }
  console.log(`CONTRIBUTING.md: the package report matches npm pack (${packed.entryCount} files, ${kB(packed.unpackedSize)} unpacked)`);
} else {
  writeFileSync(FILE, text.slice(0, start) + render(packed) + text.slice(end + END.length));
  console.log(`CONTRIBUTING.md: package report written (${packed.entryCount} files, ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked)`);
}
