/**
 * Every code block of README.md, CONTRIBUTING.md and docs/guides/*.md is checked, by its language and
 * marker (CONTRIBUTING.md, "Code blocks in the docs"; scripts/snippets.ts finds the blocks):
 *
 * - `ts`: type-checked with the repository's tsconfig ('thrivestack-group' is src/), then run with tsx,
 *   `fetch` being the in-process mock (test/support/snippet-mock-fetch.ts); what its `console.log(...);
 *   // text` comments promise must be printed, and a following `<!-- snippet: output -->` block must be
 *   exactly its output. `<!-- snippet: proxy -->`: run without the mock, with HTTPS_PROXY set to a local
 *   proxy that tunnels to a local https stand-in for the API, whose certificate the child trusts.
 * - `js`: the CommonJS form, bundled with esbuild ('thrivestack-group' being src/), run the same way.
 * - `sh`: every command exists (npm scripts in package.json, the CLI's commands and flags in its --help,
 *   pinned npx packages, files); Prism, run in a user's project, with `npx -y`.
 * - `<!-- snippet: file X -->`: the block is the file X; `<!-- snippet: layout -->`: its paths exist.
 *
 * Also: the docs' links to files and anchors resolve, paths of this repository named in backquotes
 * exist, and the testing guide's table names every member of the mock. A block this test does not
 * know how to check fails it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCodeBlocks, codeBlocks, docFiles, promisedOutput, ROOT, squash, type CodeBlock } from '../scripts/snippets.js';
import { createMockApi } from '../src/testing/index.js';
import { listenOnLoopback } from './support/listen.js';
import { startForwardProxy } from './support/forward-proxy.js';

const run = promisify(execFile);
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const PRELOAD = join(ROOT, 'test/support/snippet-mock-fetch.ts');
const TLS = join(ROOT, 'test/fixtures/tls');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
};
const blocks = allCodeBlocks();
const id = (block: CodeBlock): string => `${block.file}:${block.line}`;
const slug = (block: CodeBlock): string => id(block).replace(/[^\w]+/g, '-');

let work: string;
/** tsc's errors, by block (`file:line`). */
const typeErrors = new Map<string, string[]>();

beforeAll(async () => {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  work = mkdtempSync(join(ROOT, '.tmp', 'snippets-'));
  const ts = blocks.filter((block) => block.lang === 'ts' && !block.marker?.startsWith('file '));
  const names = new Map(ts.map((block) => [`${slug(block)}.ts`, block]));
  for (const [name, block] of names) writeFileSync(join(work, name), block.code);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { moduleDetection: 'force' }, files: [...names.keys()] }),
  );
  const output = await run(process.execPath, [TSC, '-p', join(work, 'tsconfig.json'), '--pretty', 'false'], { cwd: ROOT }).then(
    (result) => result.stdout,
    (error: { stdout: string }) => error.stdout,
  );
  for (const line of output.split('\n').filter(Boolean)) {
    const match = /([\w.-]+\.ts)\((\d+),\d+\): (.*)$/.exec(line);
    const block = match ? names.get(match[1]!) : undefined;
    // an error outside the snippets (in src/, say) is every snippet's problem
    for (const key of block ? [id(block)] : [...names.values()].map(id)) {
      const at = block ? `${block.file}:${block.line + Number(match![2])}: ` : '';
      typeErrors.set(key, [...(typeErrors.get(key) ?? []), `${at}${match ? match[3] : line}`]);
    }
  }
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A CommonJS block, bundled by esbuild as tsup builds dist/index.cjs ('thrivestack-group' being
 * src/): tsx cannot `require` this ESM source. (npm run test:pack runs the same block with plain node
 * against the packed tarball.)
 */
async function bundleCommonJs(file: string): Promise<string> {
  const outfile = file.replace(/\.cjs$/, '.bundle.cjs');
  const entries: Record<string, string> = { 'thrivestack-group': 'src/index.ts', 'thrivestack-group/testing': 'src/testing/index.ts' };
  await build({
    entryPoints: [file],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
    plugins: [{ name: 'package-is-src', setup: (b) => b.onResolve({ filter: /^thrivestack-group(\/testing)?$/ }, (args) => ({ path: join(ROOT, entries[args.path]!) })) }],
  });
  return outfile;
}

/** Runs a block (`js`: bundled first) with tsx, and the mock's fetch unless `mock: false`. */
async function runBlock(block: CodeBlock, options: { mock?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  let file = join(work, `${slug(block)}.${block.lang === 'js' ? 'cjs' : 'ts'}`);
  writeFileSync(file, block.code);
  if (block.lang === 'js') file = await bundleCommonJs(file);
  const preload = options.mock === false ? [] : ['--import', PRELOAD];
  // no proxy settings from this machine: a snippet's requests go where the test says
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(https?|no)_proxy$/i.test(name)));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', ...preload, file], {
    cwd: ROOT,
    timeout: 60_000,
    env: { ...env, THRIVESTACK_API_KEY: 'snippet-key', ...options.env },
  });
  return stdout;
}

function nextBlock(block: CodeBlock): CodeBlock | undefined {
  const same = blocks.filter((other) => other.file === block.file);
  return same[same.indexOf(block) + 1];
}

/** Checks what a run printed against the block's promises and an `output` block after it. */
function expectPromisedOutput(block: CodeBlock, stdout: string): void {
  const promised = promisedOutput(block.code);
  if (promised) expect(squash(stdout), `${id(block)}: what its console.log comments say`).toBe(squash(promised));
  const next = nextBlock(block);
  if (next?.marker === 'output') expect(stdout.trimEnd(), `${id(next)}: the output of ${id(block)}`).toBe(next.code.trimEnd());
}

// ---------- shell commands

let cliHelp: Map<string, string> | undefined;
async function help(command: string): Promise<string> {
  cliHelp ??= new Map();
  if (!cliHelp.has(command)) {
    const args = command === '' ? ['--help'] : [command, '--help'];
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: ROOT, timeout: 30_000 });
    cliHelp.set(command, stdout);
  }
  return cliHelp.get(command)!;
}

/** Splits a line of shell into words (quotes removed), well enough for the docs' commands. */
function words(command: string): string[] {
  return [...command.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The commands of a `sh` block: continuation lines joined, comments dropped, split on && || ; |. */
function commands(code: string): string[] {
  return code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((line) => line.split(/\s*(?:&&|\|\||;|\|)\s*/))
    .filter(Boolean);
}

async function checkCli(args: string[], where: string): Promise<void> {
  const [command, ...rest] = args;
  const commandsListed = /Commands:\n([\s\S]*?)\n\n/.exec(await help(''))?.[1] ?? '';
  expect(commandsListed, `${where}: \`thrivestack ${command}\` is a command of thrivestack --help`).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
  const text = await help(command!);
  for (const arg of rest.filter((word) => /^--?[a-z]/i.test(word))) {
    const flag = arg.split('=')[0]!;
    expect(text, `${where}: thrivestack ${command} --help lists ${flag}`).toMatch(new RegExp(`(^|[\\s,])${flag}(\\s|$|,)`, 'm'));
  }
}

async function checkCommand(command: string, where: string): Promise<void> {
  const all = words(command);
  const first = all.findIndex((word) => !/^[A-Z_][A-Z0-9_]*=/.test(word)); // skip VAR=value prefixes
  const [program, ...args] = all.slice(first);
  const scriptExists = (name: string): void => expect(Object.keys(manifest.scripts), `${where}: npm script "${name}" exists`).toContain(name);
  switch (program) {
    case 'export':
      return;
    case 'thrivestack':
      return checkCli(args, where);
    case 'node':
      expect(args[0], `${where}: node runs the built CLI`).toBe('dist/cli/index.js');
      return checkCli(args.slice(1), where);
    case 'npm': {
      const [sub, ...more] = args;
      if (sub === 'install' || sub === 'ci') return;
      if (sub === 'test' || sub === 'start') return scriptExists(sub);
      expect(sub, `${where}: \`npm ${sub}\` is a command this test knows`).toBe('run');
      const name = more.find((word) => !word.startsWith('-'))!;
      scriptExists(name);
      if (name === 'cli') return checkCli(more.slice(more.indexOf('--') + 1), where);
      return;
    }
    case 'npx': {
      const [pkg, ...rest] = args.filter((word) => word !== '--yes' && word !== '-y');
      if (pkg === 'thrivestack') return checkCli(rest, where);
      if (pkg === 'tsx') return void expect(existsSync(join(ROOT, rest[0]!)), `${where}: ${rest[0]} exists`).toBe(true);
      if (pkg === 'vitest') {
        for (const file of rest.filter((word) => /\.ts$/.test(word))) expect(existsSync(join(ROOT, file)), `${where}: ${file} exists`).toBe(true);
        return;
      }
      expect(Object.keys(manifest.devDependencies), `${where}: npx ${pkg} is a pinned dev dependency`).toContain(pkg);
      if (pkg === '@stoplight/prism-cli') {
        // run in a user's project, where Prism is not installed: npx asks first, and with no terminal fails
        expect(args.some((word) => word === '-y' || word === '--yes'), `${where}: npx -y ${pkg} (a user's project does not have it)`).toBe(true);
        expect(rest[0]).toBe('mock');
        const installed = /^node_modules\/thrivestack-group\/(.*)$/.exec(rest[1]!)?.[1];
        // the document as a user's project has it: a file the package ships
        expect(installed && manifest.files, `${where}: ${rest[1]} is in the installed package`).toContain(installed);
      }
      return;
    }
    default:
      throw new Error(`${where}: \`${program}\` is a command test/docs-snippets.test.ts does not check: teach it`);
  }
}

// ---------- one check per block

async function checkBlock(block: CodeBlock): Promise<void> {
  const where = id(block);
  if (block.marker?.startsWith('file ')) {
    const path = block.marker.slice('file '.length);
    return void expect(block.code, `${where} is ${path}, byte for byte`).toBe(readFileSync(join(ROOT, path), 'utf8'));
  }
  if (block.marker === 'layout') {
    for (const line of block.code.split('\n').filter((l) => /^\S/.test(l))) {
      const path = line.split(/\s+/)[0]!;
      expect(existsSync(join(ROOT, path)), `${where}: ${path} exists`).toBe(true);
    }
    return;
  }
  if (block.marker === 'output') {
    // checked with the block before it, which must be a snippet that runs
    const same = blocks.filter((other) => other.file === block.file);
    return void expect(same[same.indexOf(block) - 1]?.lang, `${where}: an output block follows a ts block`).toBe('ts');
  }
  switch (block.lang) {
    case 'ts': {
      expect(typeErrors.get(where) ?? [], `${where}: tsc`).toEqual([]);
      if (block.marker === 'proxy') return checkThroughProxy(block);
      expect(block.marker, `${where}: unknown marker`).toBeUndefined();
      return expectPromisedOutput(block, await runBlock(block));
    }
    case 'js':
      return expectPromisedOutput(block, await runBlock(block));
    case 'sh':
      for (const command of commands(block.code)) await checkCommand(command, where);
      return;
    default:
      throw new Error(`${where}: a \`${block.lang || '(no language)'}\` block without a marker: nothing checks it (see CONTRIBUTING.md)`);
  }
}

/** Runs the proxy snippet through a local HTTPS_PROXY to a local stand-in for ThriveStack's API. */
async function checkThroughProxy(block: CodeBlock): Promise<void> {
  const api = createMockApi();
  const server = createHttpsServer({ key: readFileSync(join(TLS, 'api-host-key.pem')), cert: readFileSync(join(TLS, 'api-host-cert.pem')) }, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.entries(req.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value] as [string, string]] : []));
    const answer = await api.fetch(new Request(`https://${req.headers.host}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) }));
    res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
  });
  const stand = await listenOnLoopback(server as unknown as Server);
  const proxy = await startForwardProxy({ tunnelTo: { host: '127.0.0.1', port: Number(new URL(stand.url).port) } });
  try {
    const stdout = await runBlock(block, {
      mock: false,
      env: {
        HTTPS_PROXY: proxy.url,
        NODE_EXTRA_CA_CERTS: join(TLS, 'api-host-cert.pem'), // the stand-in's certificate, for api.app.thrivestack.ai
      },
    });
    expect(proxy.tunnels, "the request went through the proxy, to the API's address").toEqual(['api.app.thrivestack.ai:443']);
    expect(api.calls).toEqual([{ group_id: 'acct-1', user_id: 'user-9' }]);
    expect(api.requests[0]!.headers['x-api-key']).toBe('[REDACTED]'); // the key was sent (and is redacted in the record)
    expect(stdout.trim()).toBe('evt_mock_1');
  } finally {
    await proxy.stop();
    await stand.close();
  }
}

describe.each(docFiles().filter((file) => blocks.some((block) => block.file === file)))('%s', (file) => {
  const inFile = blocks.filter((block) => block.file === file);
  it.each(inFile.map((block) => [`${block.line} (${block.lang || 'no language'}${block.marker ? `, ${block.marker}` : ''})`, block] as const))(
    'code block at line %s',
    async (_name, block) => {
      await checkBlock(block);
    },
    120_000,
  );
});

// ---------- links, paths, the testing guide's table

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchors(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/^#{1,6} (.*)$/gm)].map((m) => anchor(m[1]!));
}

describe('the docs point at what exists', () => {
  it.each(docFiles())('%s: relative links reach a file, and a #fragment a heading in it', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((link) => !/^[a-z]+:/.test(link));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const [path, fragment] = link.split('#') as [string, string | undefined];
      const target = path === '' ? file : join(file, '..', path);
      expect(existsSync(join(ROOT, target)), `${file}: link ${link}`).toBe(true);
      if (fragment) expect(anchors(target), `${file}: link ${link}`).toContain(fragment);
    }
  });

  it.each(docFiles())('%s: the repository paths it names in backquotes exist', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const built = /^(docs\/index\.html|dist\/|bench\/results\/|test-output\/)/; // written by a build, not committed
    for (const [, path] of text.matchAll(/`((?:src|test|scripts|examples|bench|docs|openapi|\.github|\.ci)\/[\w./-]*)`/g)) {
      if (built.test(path!) || path!.includes('...')) continue;
      expect(existsSync(join(ROOT, path!)), `${file}: \`${path}\``).toBe(true);
    }
  });

  it("CONTRIBUTING states the issue's size goal and the budget CI enforces, as bench/size-budget.json has it", () => {
    const text = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8').replace(/\s+/g, ' ');
    const budget = JSON.parse(readFileSync(join(ROOT, 'bench/size-budget.json'), 'utf8')) as { gzipBytes: number; testingGzipBytes: number };
    expect(text).toContain('a browser bundle of ≤ 16 kB min+gzip');
    expect(text).toContain(`\`gzipBytes\` in \`bench/size-budget.json\`, ${budget.gzipBytes.toLocaleString('en-US')} bytes`);
    expect(text).toContain(`${budget.testingGzipBytes.toLocaleString('en-US')} for the \`/testing\` entry`);
  });

  it("the testing guide's table names every member of the mock's api, no more, no less", () => {
    const text = readFileSync(join(ROOT, 'docs/guides/testing-your-code.md'), 'utf8');
    const named = [...text.matchAll(/^\| `api\.(\w+)/gm)].map((m) => m[1]).sort();
    expect(named).toEqual(Object.keys(createMockApi()).sort());
  });
});

describe('the block finder (scripts/snippets.ts)', () => {
  it('finds blocks inside list items, with their markers, and refuses an unclosed fence', () => {
    const text = ['1. Step:', '   <!-- snippet: output -->', '   ```text', '   hello', '     indented', '   ```', '', '```sh', 'npm test'].join('\n');
    expect(() => codeBlocks(text, 'x.md')).toThrow(/x\.md:8: a code block is never closed/);
    expect(codeBlocks(text.concat('\n```'), 'x.md')).toEqual([
      { file: 'x.md', line: 3, lang: 'text', code: 'hello\n  indented\n', marker: 'output' },
      { file: 'x.md', line: 8, lang: 'sh', code: 'npm test\n', marker: undefined },
    ]);
  });
});
