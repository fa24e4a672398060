/**
 * scripts/spec-diff.ts (`npm run spec:diff`): known edits to the document are classified as a reviewer
 * needs them (in memory), and the script picks its base and reports from a real git history without
 * ever failing CI (in temporary repositories).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { diffSpecs, formatReport, type SpecChange } from '../scripts/spec-diff.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SPEC_TEXT = readFileSync(join(ROOT, 'openapi/openapi.yaml'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const base = (): Doc => parse(SPEC_TEXT);
const OPERATION = '/paths/~1api~1group/post';
const REQUEST_ITEM = `${OPERATION}/requestBody/content/application~1json/schema/items`;

function only(changes: SpecChange[], type: SpecChange['type']): string[] {
  return changes.filter((change) => change.type === type).map((change) => change.pointer);
}

describe('diffSpecs classifies changes', () => {
  it('finds nothing between a document and itself', () => {
    expect(diffSpecs(base(), base()).changes).toEqual([]);
  });

  it('making an optional request field required is breaking', () => {
    const after = base();
    after.components.schemas.GroupCall.required.push('timestamp');
    const { changes } = diffSpecs(base(), after);
    expect(only(changes, 'breaking')).toEqual([`${REQUEST_ITEM}/required/2`]);
    expect(changes.find((change) => change.type === 'breaking')!.description).toMatch(/required status to `\[\]\.timestamp`/);
  });

  it('removing a response property is breaking; adding an optional request trait is not', () => {
    const after = base();
    delete after.components.schemas.GroupResponse.properties.eventId;
    after.components.schemas.GroupResponse.required = ['success'];
    after.components.schemas.GroupTraits.properties.region = { type: 'string', description: 'Sales region.' };
    const { changes } = diffSpecs(base(), after);
    const response = `${OPERATION}/responses/200/content/application~1json/schema`;
    expect(only(changes, 'breaking').sort()).toEqual([`${response}/properties/eventId`, `${response}/required/1`]);
    expect(only(changes, 'non-breaking')).toEqual([`${REQUEST_ITEM}/properties/traits/properties/region`]);
  });

  it('changing a reserved trait type or the API key header is breaking; a description edit is an annotation', () => {
    const after = base();
    after.components.schemas.GroupTraits.properties.employees.type = 'string';
    after.components.securitySchemes.ApiKeyAuth.name = 'authorization';
    after.info.description = 'Reworded.';
    const { changes, schemaChangesOmitted } = diffSpecs(base(), after);
    expect(only(changes, 'breaking').sort()).toEqual(
      [`${REQUEST_ITEM}/properties/traits/properties/employees/type`, '/components/securitySchemes/ApiKeyAuth/name'].sort(),
    );
    const header = changes.find((change) => change.pointer === '/components/securitySchemes/ApiKeyAuth/name')!;
    expect(header.description).toBe('[Replaced] /components/securitySchemes/ApiKeyAuth/name: "x-api-key" → "authorization"');
    expect(only(changes, 'annotation')).toEqual(['/info/description']);
    expect(schemaChangesOmitted).toBeGreaterThan(0); // listed through the operation, not twice
  });

  it('the report lists each change under its heading with counts', () => {
    const after = base();
    after.components.schemas.GroupCall.required.push('timestamp');
    after.info.description = 'Reworded.';
    const report = formatReport(diffSpecs(base(), after), 'abc123 (HEAD~1)', 'working tree');
    expect(report).toContain('Spec diff of openapi/openapi.yaml: abc123 (HEAD~1) → working tree');
    expect(report).toContain('1 breaking, 0 deprecated, 0 non-breaking, 1 annotation, 0 unclassified');
    expect(report).toMatch(/Breaking \(existing callers or clients may fail\): 1\n {2}- \[Added\] required status to `\[\]\.timestamp`/);
    expect(report).toMatch(/Annotation \(descriptions, examples, metadata\): 1\n {2}- \[Replaced\] .*\n {6}at \/info\/description\n/);
  });
});

describe('npm run spec:diff in a git history', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'thrivestack-spec-diff-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');

  function git(cwd: string, ...args: string[]): string {
    const result = spawnSync('git', ['-c', 'user.name=spec-diff test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  }

  function repo(name: string): string {
    const dir = join(scratch, name);
    mkdirSync(join(dir, 'openapi'), { recursive: true });
    git(dir, 'init', '-q');
    return dir;
  }

  function commitSpec(dir: string, doc: Doc, message: string): void {
    writeFileSync(join(dir, 'openapi/openapi.yaml'), stringify(doc));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  }

  function specDiff(cwd: string, ...args: string[]): { status: number | null; out: string } {
    const result = spawnSync(process.execPath, [tsx, join(ROOT, 'scripts/spec-diff.ts'), ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, SPEC_DIFF_BASE: '' },
    });
    return { status: result.status, out: result.stdout + result.stderr };
  }

  it('skips with a message and exits 0 in a one-commit clone', () => {
    const dir = repo('single');
    commitSpec(dir, base(), 'initial');
    const { status, out } = specDiff(dir);
    expect(out).toMatch(/^spec diff skipped: no base revision .*no origin\/main and no HEAD~1/);
    expect(status).toBe(0);
  });

  it('compares with the merge-base of origin/main, reports a breaking change and still exits 0', () => {
    const dir = repo('branch');
    commitSpec(dir, base(), 'main');
    git(dir, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    const breaking = base();
    breaking.components.schemas.GroupCall.required.push('timestamp');
    commitSpec(dir, breaking, 'make timestamp required');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'unrelated'); // HEAD~1 alone would miss the spec change

    const { status, out } = specDiff(dir);
    expect(out).toMatch(/→ working tree/);
    expect(out).toContain('(merge-base of HEAD and origin/main)');
    expect(out).toContain('1 breaking');
    expect(out).toMatch(/\[Added\] required status to `\[\]\.timestamp`/);
    expect(status).toBe(0);

    // with --fail-on-breaking it fails; an explicit --base with no spec change reports nothing
    expect(specDiff(dir, '--fail-on-breaking').status).toBe(2);
    const none = specDiff(dir, '--base', 'HEAD~1');
    expect(none.out).toContain('No changes that affect the API.');
    expect(none.status).toBe(0);
  });
});
