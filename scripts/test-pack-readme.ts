/**
 * The README, followed in a user's project: the part of the packaging test (scripts/test-pack.ts)
 * that runs in the fresh `"type": "commonjs"` project (as `npm init -y` writes it) where the packed
 * tarball was installed.
 *
 * - `checkReadmeSnippets`: every `ts` snippet of the README is type-checked against the installed
 *   package and run as an `.mts` file with tsx, as the README's CommonJS section says to (fetch being
 *   the installed `createMockApi()`'s, so snippets written for the real API run offline; the proxy
 *   snippet, which needs a proxy, is type-checked only: test/docs-snippets.test.ts runs it through one);
 *   its `js` snippet, the CommonJS form, runs with plain `node`. What a snippet's
 *   `console.log(...); // text` promises must be printed.
 * - `checkPrismCommand`: the README's Prism command (`npx -y @stoplight/prism-cli mock
 *   node_modules/thrivestack-group/openapi/openapi.yaml`) starts a mock that answers a group call,
 *   with no terminal and no npm_config_yes (npx would ask before installing Prism without `-y`).
 */
import assert from 'node:assert/strict';
import { spawn, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort, untilListening } from './prism.js';
import { codeBlocks, promisedOutput, ROOT, squash, type CodeBlock } from './snippets.js';

type Run = (command: string, args: string[], options?: SpawnSyncOptions) => string;

const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve('tsx')).href;
const TSC = require.resolve('typescript/bin/tsc');

function readmeBlocks(): CodeBlock[] {
  return codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'README.md');
}

function expectPromised(block: CodeBlock, stdout: string): void {
  const promised = promisedOutput(block.code);
  if (promised) assert.equal(squash(stdout), squash(promised), `README.md:${block.line}: prints what its comment says`);
}

export function checkReadmeSnippets(project: string, run: Run, packageName: string): void {
  const blocks = readmeBlocks();
  const ts = blocks.filter((block) => block.lang === 'ts');
  const js = blocks.filter((block) => block.lang === 'js');
  assert.ok(ts.length >= 4 && js.length >= 1, 'the README has TypeScript snippets and a CommonJS one');

  const files = ts.map((block) => ({ block, file: `readme-${block.line}.mts` }));
  for (const { block, file } of files) writeFileSync(join(project, file), block.code);
  writeFileSync(
    join(project, 'tsconfig.readme.json'),
    JSON.stringify({
      // a Node project's usual setup: no DOM library, @types/node (this repository's, not installed in the
      // project) for the globals; test/docs-snippets.test.ts checks the snippets with DOM types too
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
        types: ['node'],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
      },
      files: files.map(({ file }) => file),
    }),
  );
  run(process.execPath, [TSC, '-p', 'tsconfig.readme.json'], { cwd: project });

  writeFileSync(join(project, 'mock-fetch.mjs'), `import { createMockApi } from '${packageName}/testing';\nglobalThis.fetch = createMockApi().fetch;\n`);
  for (const { block, file } of files) {
    if (block.marker === 'proxy') continue;
    const stdout = run(process.execPath, ['--import', TSX, '--import', './mock-fetch.mjs', file], { cwd: project, env: { THRIVESTACK_API_KEY: 'pack-test-key' } });
    expectPromised(block, stdout);
    console.log(`  README.md:${block.line}: ran as ${file}`);
  }
  for (const block of js) {
    const file = `readme-${block.line}.js`; // a .js file is CommonJS in this project
    writeFileSync(join(project, file), block.code);
    expectPromised(block, run(process.execPath, [file], { cwd: project }));
    console.log(`  README.md:${block.line}: ran as ${file} (CommonJS, plain node)`);
  }
}

/** The environment without npm's "yes" setting (any spelling), so that npx would ask if the command lacked `-y`. */
function withoutYes(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.toLowerCase() !== 'npm_config_yes'));
}

/** The README's Prism command, as written (plus `--port`, since 4010 may be taken on a shared machine). */
export async function checkPrismCommand(project: string): Promise<void> {
  const command = readmeBlocks()
    .filter((block) => block.lang === 'sh')
    .flatMap((block) => block.code.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .find((line) => /^npx( -y)? @stoplight\/prism-cli mock /.test(line));
  // `-y`: in a user's project Prism is not installed, and npx asks before installing it (no terminal: it fails)
  assert.equal(command, 'npx -y @stoplight/prism-cli mock node_modules/thrivestack-group/openapi/openapi.yaml', "the README's Prism command");
  const port = await freePort();
  const [npx, ...args] = `${command} --port ${port}`.split(' ');
  console.log(`  ${command} --port ${port}`);
  // its own process group, so that npx and the Prism it starts stop together
  const child = spawn(npx!, args, {
    cwd: project,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // no npm_config_yes: the README's command must not need it (stdin is no terminal, as in CI)
    env: { ...withoutYes(process.env), npm_config_update_notifier: 'false', npm_config_loglevel: 'error' },
  });
  try {
    await untilListening(child, 240_000);
    const response = await fetch(`http://127.0.0.1:${port}/api/group`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'any-key-for-the-mock' },
      body: JSON.stringify([{ group_id: 'acct-1', user_id: 'user-9', traits: { plan: 'pro' } }]),
    });
    const body = (await response.json()) as { success?: boolean; eventId?: string };
    assert.equal(response.status, 200, `Prism answered ${response.status}: ${JSON.stringify(body)}`);
    assert.equal(body.success, true);
    assert.match(String(body.eventId), /^evt_/);
    console.log(`  answered a group call: ${JSON.stringify(body)}`);
  } finally {
    const exited = child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined;
    try {
      process.kill(-child.pid!, 'SIGTERM'); // the group: npx and the Prism it started
    } catch {
      // the group is gone already
    }
    await exited;
  }
}
