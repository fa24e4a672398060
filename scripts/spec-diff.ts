/**
 * `npm run spec:diff [-- --base REV] [--fail-on-breaking]`: what a change to openapi/openapi.yaml does
 * to users, as a list of breaking, deprecated, non-breaking and annotation (docs-only) changes, from the
 * document at a base revision to the working tree. Classification by api-smart-diff (pure JS).
 *
 * The base is `--base REV`, else $SPEC_DIFF_BASE, else `git merge-base HEAD origin/main` when origin/main
 * exists, else HEAD~1. With no base (a one-commit or shallow clone, no git) it says so and exits 0.
 * It reports and exits 0 whatever it finds (CI uses it to inform reviewers), unless --fail-on-breaking
 * is given and there is a breaking change (exit 2).
 *
 * Operations are compared with their schemas resolved, so a schema change is listed, and classified by
 * direction (request or response), where an operation uses it. Changes under components/schemas are
 * therefore not listed again (api-smart-diff classifies them without knowing the direction); other
 * components (security schemes, ...) are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCompare } from 'api-smart-diff';
import { parse } from 'yaml';

export const SPEC_PATH = 'openapi/openapi.yaml';

export type ChangeType = 'breaking' | 'deprecated' | 'non-breaking' | 'annotation' | 'unclassified';
export const CHANGE_TYPES: readonly ChangeType[] = ['breaking', 'deprecated', 'non-breaking', 'annotation', 'unclassified'];

export interface SpecChange {
  type: ChangeType;
  action: 'add' | 'remove' | 'replace' | 'rename';
  /** JSON pointer into the document, e.g. /paths/~1api~1group/post/requestBody/... */
  pointer: string;
  /** In words, e.g. "[Added] required status to `[].timestamp` in Request Body content (application/json)". */
  description: string;
}

export interface SpecDiff {
  changes: SpecChange[];
  /** How many components/schemas changes were left out (they are listed through the operations). */
  schemaChangesOmitted: number;
}

function pointer(path: readonly (string | number)[]): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('') || '/';
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const ACTION_WORD = { add: 'Added', remove: 'Removed', replace: 'Replaced', rename: 'Renamed' } as const;

/** Compares two parsed OpenAPI documents. */
export function diffSpecs(before: unknown, after: unknown): SpecDiff {
  const { diffs } = apiCompare(before, after);
  const changes: SpecChange[] = [];
  let schemaChangesOmitted = 0;
  for (const diff of diffs) {
    if (diff.path[0] === 'components' && diff.path[1] === 'schemas') {
      schemaChangesOmitted++;
      continue;
    }
    const at = pointer(diff.path);
    const values =
      diff.action === 'replace' || diff.action === 'rename'
        ? `: ${short(diff.before)} → ${short(diff.after)}`
        : diff.action === 'add'
          ? `: ${short(diff.after)}`
          : '';
    changes.push({
      type: (CHANGE_TYPES as readonly string[]).includes(diff.type) ? (diff.type as ChangeType) : 'unclassified',
      action: diff.action as SpecChange['action'],
      pointer: at,
      description: diff.description?.trim() || `[${ACTION_WORD[diff.action as SpecChange['action']] ?? diff.action}] ${at}${values}`,
    });
  }
  return { changes, schemaChangesOmitted };
}

const HEADINGS: Record<ChangeType, string> = {
  breaking: 'Breaking (existing callers or clients may fail)',
  deprecated: 'Deprecated',
  'non-breaking': 'Non-breaking',
  annotation: 'Annotation (descriptions, examples, metadata)',
  unclassified: 'Unclassified',
};

export function formatReport(diff: SpecDiff, from: string, to: string): string {
  const count = (type: ChangeType): number => diff.changes.filter((change) => change.type === type).length;
  const lines = [
    `Spec diff of ${SPEC_PATH}: ${from} → ${to}`,
    `  ${CHANGE_TYPES.map((type) => `${count(type)} ${type}`).join(', ')}`,
  ];
  if (diff.changes.length === 0) lines.push('', 'No changes that affect the API.');
  for (const type of CHANGE_TYPES) {
    const ofType = diff.changes.filter((change) => change.type === type);
    if (ofType.length === 0) continue;
    lines.push('', `${HEADINGS[type]}: ${ofType.length}`);
    for (const change of ofType) lines.push(`  - ${change.description}`, `      at ${change.pointer}`);
  }
  if (diff.schemaChangesOmitted > 0) {
    lines.push('', `(${diff.schemaChangesOmitted} changes under components/schemas are listed above through the operations that use them.)`);
  }
  return lines.join('\n');
}

function git(args: string[], cwd: string): { ok: boolean; out: string } {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: !result.error && result.status === 0, out: (result.stdout ?? '').trim() };
}

/** The base revision and how it was chosen, or why there is none. */
export function findBase(cwd: string, explicit?: string): { rev: string; how: string } | { none: string } {
  if (!git(['rev-parse', '--is-inside-work-tree'], cwd).ok) return { none: 'not a git work tree' };
  if (explicit) {
    const rev = git(['rev-parse', '--verify', '--quiet', `${explicit}^{commit}`], cwd);
    return rev.ok ? { rev: rev.out, how: explicit } : { none: `the base ${explicit} is not a commit here` };
  }
  if (git(['rev-parse', '--verify', '--quiet', 'origin/main^{commit}'], cwd).ok) {
    const base = git(['merge-base', 'HEAD', 'origin/main'], cwd);
    if (base.ok && base.out) return { rev: base.out, how: 'merge-base of HEAD and origin/main' };
  }
  const parent = git(['rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}'], cwd);
  if (parent.ok) return { rev: parent.out, how: 'HEAD~1' };
  return { none: 'there is no origin/main and no HEAD~1, as in a one-commit or shallow clone' };
}

function main(argv: string[]): number {
  const cwd = process.cwd();
  const at = argv.indexOf('--base');
  const explicit = (at >= 0 ? argv[at + 1] : undefined) ?? (process.env.SPEC_DIFF_BASE || undefined);
  const failOnBreaking = argv.includes('--fail-on-breaking');

  const base = findBase(cwd, explicit);
  if ('none' in base) {
    console.log(`spec diff skipped: no base revision to compare ${SPEC_PATH} with (${base.none}).`);
    return 0;
  }
  const label = `${base.rev.slice(0, 12)} (${base.how})`;
  const old = git(['show', `${base.rev}:./${SPEC_PATH}`], cwd);
  if (!old.ok) {
    console.log(`spec diff: ${SPEC_PATH} does not exist at ${label}; the whole document is new.`);
    return 0;
  }
  const diff = diffSpecs(parse(old.out), parse(readFileSync(resolve(cwd, SPEC_PATH), 'utf8')));
  console.log(formatReport(diff, label, 'working tree'));
  const breaking = diff.changes.some((change) => change.type === 'breaking');
  return failOnBreaking && breaking ? 2 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
