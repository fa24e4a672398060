/**
 * docs/benchmarks.md: the one place benchmark figures are written. `npm run bench` and
 * `npm run bench:import` each replace their own section of it (between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->`), leaving the other as it was; nobody edits it by hand.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DOCS_PAGE = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const HEADER = `# Benchmarks

Written by \`npm run bench\` and \`npm run bench:import\` (the code is in \`bench/\`; how they measure is in
[CONTRIBUTING.md](../CONTRIBUTING.md#benchmarks)). Each run replaces its own section below with its
tables, the machine, the date, the commit and the exact command; nothing here is edited by hand. The
machine these ran on is shared and noisy: trust the ratios measured pair by pair (same round, same
machine, same hour) more than the absolute figures.
`;

const ORDER = ['bench', 'import'] as const;
export type Section = (typeof ORDER)[number];

/** Replaces one section of docs/benchmarks.md (creating the page if needed). */
export function writeDocsSection(name: Section, markdown: string): void {
  const text = existsSync(DOCS_PAGE) ? readFileSync(DOCS_PAGE, 'utf8') : HEADER;
  const sections = new Map<Section, string>();
  for (const other of ORDER) {
    const found = new RegExp(`<!-- bench:${other} -->\\n([\\s\\S]*?)<!-- /bench:${other} -->`).exec(text);
    if (found) sections.set(other, found[1]!);
  }
  sections.set(name, `${markdown.trim()}\n`);
  const body = ORDER.filter((s) => sections.has(s)).map((s) => `<!-- bench:${s} -->\n${sections.get(s)}<!-- /bench:${s} -->\n`);
  writeFileSync(DOCS_PAGE, `${HEADER}\n${body.join('\n')}`);
}

function git(args: string[], cwd = ROOT): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The commit of the tree at `dir` (short), marked when it has changes not committed (the docs page itself aside). */
export function commitOf(dir = ROOT): string {
  const commit = git(['rev-parse', '--short', 'HEAD'], dir);
  if (!commit) return 'unknown (not a git checkout)';
  const page = relative(git(['rev-parse', '--show-toplevel'], dir) ?? dir, DOCS_PAGE);
  const changed = (git(['status', '--porcelain', '--untracked-files=no', '--', '.'], dir) ?? '')
    .split('\n')
    .filter((line) => line && !line.endsWith(page));
  return changed.length ? `${commit} with uncommitted changes` : commit;
}

export interface Machine {
  cpus: number;
  cpu: string;
  memoryGB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started. */
  loadAtStart: number;
}

export function machine(): Machine {
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAtStart: +loadavg()[0]!.toFixed(2),
  };
}

/** The run's facts as a list: date, machine, commit(s), command. */
export function runFacts(m: Machine, facts: { date: string; command: string; commits: Array<[string, string]>; took: string }): string {
  const load = `load average ${m.loadAtStart} at the start, ${loadavg()[0]!.toFixed(2)} at the end`;
  return [
    `- Date: ${facts.date} (took ${facts.took})`,
    `- Machine: ${m.cpus} × ${m.cpu}, ${m.memoryGB} GB, ${m.platform}, Node ${m.node}; ${load}`,
    ...facts.commits.map(([what, commit]) => `- ${what}: ${commit}`),
    `- Command: \`${facts.command}\``,
  ].join('\n');
}

/** `npm run <script> -- <args>` as it was run (and BENCH_SRC when set). */
export function commandLine(script: string, args: string[]): string {
  const env = process.env.BENCH_SRC ? `BENCH_SRC=${process.env.BENCH_SRC} ` : '';
  return `${env}npm run ${script}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

export function took(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
