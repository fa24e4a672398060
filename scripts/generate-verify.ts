/**
 * `npm run generate:verify` (run by .ci/run, and by the Regenerate workflow on a pull request that
 * changes openapi/): regenerates src/generated/ from the document (`npm run generate`) and fails when
 * that changed what is committed, i.e. when the committed files were stale. It then writes a summary:
 * the spec diff (`npm run spec:diff`: what the document's change does to users) and the diff of the
 * generated files, to stdout and, in GitHub Actions, to the job summary ($GITHUB_STEP_SUMMARY).
 *
 * It never commits or pushes: the author runs `npm run generate` and commits the result.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const GENERATED = 'src/generated';

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

const fence = (text: string, lang = ''): string => `\`\`\`${lang}\n${text.replaceAll('```', '` ` `')}\n\`\`\``;

/** Prints the summary, adds it to the GitHub Actions job summary when there is one, and fails. */
function fail(summary: string): never {
  console.error(summary);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary);
  process.exit(1);
}

const generated = run(NPM, ['run', '-s', 'generate']);
if (generated.status !== 0) {
  fail(['## `npm run generate` failed', '', 'The client cannot be generated from `openapi/openapi.yaml`:', '', fence(generated.output.trim().slice(0, 20_000)), ''].join('\n'));
}
// tracked files that changed, and files generate added that are not committed
const changed = run('git', ['status', '--porcelain', '--', GENERATED]).output.trimEnd();
if (changed === '') {
  console.log(`${GENERATED}/ matches openapi/openapi.yaml (npm run generate changed nothing)`);
  process.exit(0);
}

const diff = run('git', ['diff', '--', GENERATED]).output;
const untracked = run('git', ['ls-files', '--others', '--exclude-standard', '--', GENERATED]).output.trim();
const specDiff = run(NPM, ['run', '-s', 'spec:diff']).output.trim();
fail([
  '## The generated client is stale',
  '',
  `\`npm run generate\` changed ${GENERATED}/: the committed files do not match \`openapi/openapi.yaml\`.`,
  'Run `npm run generate` and commit the result.',
  '',
  '### What the document change does (`npm run spec:diff`)',
  '',
  fence(specDiff || '(no output)'),
  '',
  `### What changed in ${GENERATED}/`,
  '',
  fence(changed),
  ...(untracked ? ['', 'Not committed yet:', '', fence(untracked)] : []),
  '',
  fence(diff.length > 60_000 ? `${diff.slice(0, 60_000)}\n... (cut: ${diff.length} characters in all)` : diff, 'diff'),
  '',
].join('\n'));
