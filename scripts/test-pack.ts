/**
 * Packaging test (`npm run test:pack`, run by .ci/run): what users get from `npm install`, used the
 * ways users use it.
 *
 *  1. builds (`npm run build`) and packs (`npm pack`) into a temporary directory, and checks that the
 *     tarball holds only dist/, README, LICENSE, package.json and the OpenAPI document;
 *  2. installs the tarball into a fresh temporary project (`npm install <tgz>`, from the registry for
 *     its dependencies);
 *  3. `import`s it from an .mjs file and `require`s it from a .cjs file, and sends a group call through
 *     each (with a stub `fetch`), checking that a bad call throws the package's `ValidationError`;
 *     does the same with `thrivestack-group/testing`: a call through `createMockApi()`'s fetch, a
 *     refused body and a scripted 429;
 *  4. type-checks a TypeScript consumer (.mts and .cts, `moduleResolution: nodenext`, no skipLibCheck)
 *     against it with the repo's TypeScript, including a `@ts-expect-error` that fails if the types
 *     degrade to `any`; the same for a consumer of `thrivestack-group/testing`, and for both with
 *     `moduleResolution: node10` (which ignores `exports`: `typesVersions` serves it);
 *  5. runs the `thrivestack` bin's `--help` when the package has a bin (it must when src/cli exists);
 *  6. follows the README there (scripts/test-pack-readme.ts): its TypeScript snippets type-check and run
 *     as `.mts`, its CommonJS snippet runs with plain `node`, and its Prism command, run from the
 *     project, serves the installed document and answers a group call.
 *
 * The project's package.json says `"type": "commonjs"`, as `npm init -y` writes it. The tarball must
 * hold no source map (they would point at src/, which is not shipped).
 *
 * Everything happens in a temporary directory, removed at the end. Exits non-zero on any failure.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrismCommand, checkReadmeSnippets } from './test-pack-readme.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  bin?: Record<string, string>;
};
const NAME = manifest.name;

function step(text: string): void {
  console.log(`\n--- ${text}`);
}

/** Runs a command; throws with its output when it fails. Returns stdout. */
function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
    ...options,
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false', ...options.env },
  });
  const out = String(result.stdout ?? '');
  const err = String(result.stderr ?? '');
  if (result.error || result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})\n` +
        `--- stdout\n${out}\n--- stderr\n${err}`,
    );
  }
  return out;
}

const ALLOWED = [/^package\.json$/, /^README(\.md)?$/i, /^LICENSE$/, /^openapi\/openapi\.yaml$/, /^dist\//];
const REQUIRED = [
  'package.json',
  'LICENSE',
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
  'dist/index.d.cts',
  'dist/testing.js',
  'dist/testing.cjs',
  'dist/testing.d.ts',
  'dist/testing.d.cts',
];

const ESM_CONSUMER = `
import { ThriveStack, ValidationError, MAX_CALLS_PER_REQUEST } from '${NAME}';

const sent = [];
const client = new ThriveStack({
  apiKey: 'pack-test-key',
  fetch: async (request) => {
    sent.push(await request.json());
    return new Response(JSON.stringify({ success: true, eventId: 'evt_esm' }), { headers: { 'content-type': 'application/json' } });
  },
});
const result = await client.group({ groupId: 'acme', userId: 'u1', traits: { plan: 'enterprise' } });
const bad = await client.group({ groupId: 'acme', userId: 'u1', traits: { employees: 'many' } }).catch((error) => error);
console.log(JSON.stringify({ eventId: result.eventId, sent, validation: bad instanceof ValidationError, message: bad.message, max: MAX_CALLS_PER_REQUEST }));
`;

const CJS_CONSUMER = `
const { ThriveStack, ValidationError, MAX_CALLS_PER_REQUEST } = require('${NAME}');

const sent = [];
const client = new ThriveStack({
  apiKey: 'pack-test-key',
  fetch: async (request) => {
    sent.push(await request.json());
    return new Response(JSON.stringify({ success: true, eventId: 'evt_cjs' }), { headers: { 'content-type': 'application/json' } });
  },
});
(async () => {
  const result = await client.group({ groupId: 'acme', userId: 'u1', traits: { plan: 'enterprise' } });
  const bad = await client.group({ groupId: 'acme', userId: 'u1', traits: { employees: 'many' } }).catch((error) => error);
  console.log(JSON.stringify({ eventId: result.eventId, sent, validation: bad instanceof ValidationError, message: bad.message, max: MAX_CALLS_PER_REQUEST }));
})();
`;

const TS_CONSUMER = `
import { ThriveStack, ValidationError, type GroupCall, type GroupResponse, type ClientOptions } from '${NAME}';

const options: ClientOptions = { apiKey: 'k', timeout: 5_000, maxRetries: 2 };
const client = new ThriveStack(options);
const call: GroupCall = { groupId: 'acme', userId: 'u1', traits: { account_name: 'Acme', employees: 250, created_at: new Date() }, timestamp: new Date() };
export async function send(): Promise<string> {
  const response: GroupResponse = await client.group(call);
  return response.eventId;
}
export function isValidationError(error: unknown): boolean {
  return error instanceof ValidationError && error.issues.length > 0;
}
// The types are real, not \`any\`: a call without userId does not compile.
// @ts-expect-error userId is required
export const missingUser: GroupCall = { groupId: 'acme' };
`;

/** The body of a test with `thrivestack-group/testing`, the same in ESM and CJS (wrapped in an async function). */
const TESTING_BODY = `
  const api = createMockApi();
  const client = new ThriveStack({ apiKey: 'test', fetch: api.fetch, minRetryDelay: 1, logLevel: 'off' });
  const result = await client.group({ groupId: 'g1', userId: 'u1' });
  api.failNext(429, { retryAfter: 0 });
  await client.group({ groupId: 'g2', userId: 'u2' });
  const wire = createWireClient({ apiKey: 'test', fetch: api.fetch });
  const refused = await wire.POST('/api/group', { body: [{ group_id: 'g3' }] });
  console.log(JSON.stringify({
    eventId: result.eventId,
    calls: api.calls,
    statuses: api.requests.map((r) => r.status),
    key: api.requests[0].headers['x-api-key'],
    refused: refused.error,
  }));
`;
const ESM_TESTING_CONSUMER = `
import { ThriveStack, createWireClient } from '${NAME}';
import { createMockApi } from '${NAME}/testing';
${TESTING_BODY}
`;
const CJS_TESTING_CONSUMER = `
const { ThriveStack, createWireClient } = require('${NAME}');
const { createMockApi } = require('${NAME}/testing');
(async () => {
${TESTING_BODY}
})();
`;

const TS_TESTING_CONSUMER = `
import { ThriveStack } from '${NAME}';
import { createMockApi, type MockApi, type MockRequest, type WireGroupCall } from '${NAME}/testing';

const api: MockApi = createMockApi({ apiKey: 'test' });
export const client = new ThriveStack({ apiKey: 'test', fetch: api.fetch });
export const chained: MockApi = api.failNext(429, { retryAfter: 0, times: 2 }).failNext('reset', { delay: 10 });
export const calls: readonly WireGroupCall[] = api.calls;
export const statuses: number[] = api.requests.map((request: MockRequest) => request.status);
export const waited: Promise<readonly WireGroupCall[]> = api.waitForCalls(1, { timeout: 100 });
// The types are real, not \`any\`: a 2xx is not a fault, and the records are read-only.
// @ts-expect-error failNext takes an error status or 'reset'
api.failNext('slow');
// @ts-expect-error calls is a read-only snapshot
api.calls.push({ group_id: 'g', user_id: 'u' });
`;

function checkTestingConsumer(output: string): void {
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as { eventId: string; calls: unknown[]; statuses: number[]; key: string; refused: unknown };
  assert.match(result.eventId, /^evt_/);
  assert.deepEqual(result.calls, [{ group_id: 'g1', user_id: 'u1' }, { group_id: 'g2', user_id: 'u2' }], 'the mock recorded the accepted calls in wire form');
  assert.deepEqual(result.statuses, [200, 429, 200, 400], 'the scripted 429 was met, retried, and the bad body refused');
  assert.equal(result.key, '[REDACTED]');
  assert.deepEqual(result.refused, { success: false, message: 'Invalid request: [0].user_id is required' });
}

interface Consumed {
  eventId: string;
  sent: unknown[];
  validation: boolean;
  message: string;
  max: number;
}

function checkConsumer(output: string, expectedEventId: string): void {
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as Consumed;
  assert.equal(result.eventId, expectedEventId);
  assert.deepEqual(result.sent, [[{ group_id: 'acme', user_id: 'u1', traits: { plan: 'enterprise' } }]], 'the camelCase call went out in wire form, once');
  assert.equal(result.validation, true, 'a bad call throws the ValidationError class the package exports');
  assert.match(result.message, /traits\.employees/);
  assert.equal(result.max, 1000);
}

const work = mkdtempSync(join(tmpdir(), 'thrivestack-pack-'));
try {
  step('build (npm run build)');
  run(NPM, ['run', '-s', 'build'], { cwd: ROOT });
  const cliSource = existsSync(join(ROOT, 'src/cli/index.ts'));
  const hasBin = Boolean(manifest.bin?.thrivestack);
  assert.equal(hasBin, cliSource, cliSource ? 'src/cli/index.ts exists: package.json needs "bin": {"thrivestack": ...}' : 'package.json has a "thrivestack" bin but there is no src/cli/index.ts');

  step('npm pack');
  const packed = JSON.parse(run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT })) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = join(work, packed[0]!.filename);
  const files = packed[0]!.files.map((file) => file.path).sort();
  console.log(files.map((file) => `  ${file}`).join('\n'));
  const stray = files.filter((file) => !ALLOWED.some((pattern) => pattern.test(file)));
  assert.deepEqual(stray, [], 'the tarball holds only dist/, README, LICENSE, package.json and openapi/openapi.yaml');
  assert.deepEqual(files.filter((file) => file.endsWith('.map')), [], 'the tarball holds no source map (they would point at src/, which is not shipped)');
  for (const file of [...REQUIRED, ...(hasBin ? [manifest.bin!.thrivestack!.replace(/^\.\//, '')] : [])]) {
    assert.ok(files.includes(file), `the tarball holds ${file}`);
  }
  for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/testing.js', 'dist/testing.cjs']) {
    const code = readFileSync(join(ROOT, file), 'utf8');
    assert.doesNotMatch(code, /(from\s*|require\(\s*|import\(\s*)["']node:/, `${file} (a universal entry) imports nothing from node:`);
  }

  step('install the tarball into a fresh project');
  const project = join(work, 'consumer');
  mkdirSync(project);
  // "type": "commonjs", as `npm init -y` writes it: a .js file is CommonJS, top-level await needs .mts
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-consumer', version: '0.0.0', private: true, type: 'commonjs' }, null, 2));
  run(NPM, ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: project });

  step('import (ESM)');
  writeFileSync(join(project, 'consumer.mjs'), ESM_CONSUMER);
  checkConsumer(run(process.execPath, ['consumer.mjs'], { cwd: project }), 'evt_esm');
  writeFileSync(join(project, 'testing.mjs'), ESM_TESTING_CONSUMER);
  checkTestingConsumer(run(process.execPath, ['testing.mjs'], { cwd: project }));

  step('require (CJS)');
  writeFileSync(join(project, 'consumer.cjs'), CJS_CONSUMER);
  checkConsumer(run(process.execPath, ['consumer.cjs'], { cwd: project }), 'evt_cjs');
  writeFileSync(join(project, 'testing.cjs'), CJS_TESTING_CONSUMER);
  checkTestingConsumer(run(process.execPath, ['testing.cjs'], { cwd: project }));

  step('type-check TypeScript consumers of both entries (ESM .mts and CJS .cts, nodenext)');
  writeFileSync(join(project, 'consumer.mts'), TS_CONSUMER);
  writeFileSync(join(project, 'consumer.cts'), TS_CONSUMER);
  writeFileSync(join(project, 'testing-consumer.mts'), TS_TESTING_CONSUMER);
  writeFileSync(join(project, 'testing-consumer.cts'), TS_TESTING_CONSUMER);
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'DOM'],
    types: [],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  };
  const tsconfig = (options: object, files: string[]): string =>
    JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files }, null, 2);
  writeFileSync(join(project, 'tsconfig.json'), tsconfig({}, ['consumer.mts', 'consumer.cts', 'testing-consumer.mts', 'testing-consumer.cts']));
  run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project });

  step('type-check the same consumers with moduleResolution node10 (no exports map: types and typesVersions)');
  writeFileSync(join(project, 'consumer.ts'), TS_CONSUMER);
  writeFileSync(join(project, 'testing-consumer.ts'), TS_TESTING_CONSUMER);
  writeFileSync(
    join(project, 'tsconfig.node10.json'),
    tsconfig({ module: 'CommonJS', moduleResolution: 'node10', ignoreDeprecations: '5.0' }, ['consumer.ts', 'testing-consumer.ts']),
  );
  run(process.execPath, [TSC, '-p', 'tsconfig.node10.json'], { cwd: project });

  if (hasBin) {
    step('thrivestack --help');
    const help = run(join(project, 'node_modules/.bin/thrivestack'), ['--help'], { cwd: project, timeout: 30_000 });
    console.log(help.trim().split('\n').map((line) => `  ${line}`).join('\n'));
    assert.match(help, /thrivestack/i, '--help names the command');
  } else {
    step('no bin yet (src/cli/index.ts does not exist): skipping `thrivestack --help`');
  }

  step("the README's snippets in this CommonJS project (TypeScript as .mts with tsx, the CommonJS form with node)");
  checkReadmeSnippets(project, run, NAME);

  step("the README's Prism command, from the project: it serves the installed document");
  await checkPrismCommand(project);

  console.log('\npackaging test passed');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
