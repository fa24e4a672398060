/**
 * `npm run examples` (run by .ci/run): runs every program in examples/ the way its header says,
 * `npx tsx examples/<name>.ts`, and the example tests (`examples/*.test.ts`) with vitest, all with no
 * THRIVESTACK_API_KEY, so that they use the in-process mock and need no network. Fails when one
 * exits non-zero or runs over two minutes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const env = { ...process.env };
delete env.THRIVESTACK_API_KEY; // the in-process mock, never ThriveStack's API
delete env.PORT; // examples/server.ts serves a few requests to itself and stops, instead of serving on PORT

const files = readdirSync(new URL('../examples/', import.meta.url)).sort();
const programs = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'vitest.config.ts');
const runs: { label: string; args: string[] }[] = [
  ...programs.map((file) => ({ label: `npx tsx examples/${file}`, args: ['tsx', `examples/${file}`] })),
  { label: 'npx vitest run --config examples/vitest.config.ts', args: ['vitest', 'run', '--config', 'examples/vitest.config.ts'] },
];

let failed = 0;
for (const { label, args } of runs) {
  console.log(`\n--- ${label}`);
  const result = spawnSync(NPX, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 120_000 });
  if (result.status !== 0) {
    failed += 1;
    console.error(`FAILED: ${label} (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
  }
}
console.log(`\n${runs.length - failed} examples passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
