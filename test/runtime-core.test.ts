/**
 * The runtime core (everything in src/ but src/cli/) uses web-standard APIs only: it imports nothing
 * from `node:` or a bare Node builtin (`fs`, `path`, ...), statically, dynamically or with `require`.
 * And the browser entry (src/index.ts bundled for the browser) does not reach src/cli/.
 * esbuild resolves every import, so imports are read the way a bundler reads them, not with a regex.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function isNodeBuiltin(path: string): boolean {
  return path.startsWith('node:') || NODE_BUILTINS.has(path) || NODE_BUILTINS.has(path.split('/')[0]!);
}

/** Every source file of the runtime core: src/**\/*.{ts,js} except src/cli/ and declaration files. */
function coreFiles(): string[] {
  return (readdirSync(SRC, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(SRC, file).startsWith(`cli${sep}`))
    .sort();
}

/** Bundles the files (dependencies external) and returns every import of a Node builtin, by importer. */
async function nodeImports(entryPoints: string[]): Promise<{ importer: string; path: string; kind: string }[]> {
  const result = await build({
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node', // so builtins resolve (as externals) and show up in the metafile instead of failing the build
    format: 'esm',
    packages: 'external',
    outdir: join(scratch, 'node-out'), // write: false: nothing is written
    logLevel: 'silent',
  });
  return Object.entries(result.metafile.inputs).flatMap(([importer, input]) =>
    input.imports
      .filter((entry) => isNodeBuiltin(entry.path))
      .map((entry) => ({ importer: importer.replace(/\\/g, '/'), path: entry.path, kind: entry.kind })),
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'thrivestack-core-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the runtime core imports nothing from Node', () => {
  it('finds the core files (src/ without src/cli/)', () => {
    const files = coreFiles().map((file) => relative(ROOT, file).replace(/\\/g, '/'));
    expect(files).toContain('src/index.ts');
    expect(files).toContain('src/client.ts');
    expect(files).toContain('src/generated/validate.js');
    expect(files.some((file) => file.startsWith('src/cli/'))).toBe(false);
  });

  it('no core file imports node:* or a Node builtin, in any form', async () => {
    expect(await nodeImports(coreFiles())).toEqual([]);
  });

  it('the check catches static, dynamic and require imports of builtins (so it can fail)', async () => {
    const offender = join(scratch, 'offender.ts');
    writeFileSync(
      offender,
      [
        "import { readFileSync } from 'node:fs';",
        "import path from 'path';",
        "export const load = () => import('node:os');",
        "export const crypto = () => require('crypto');",
        'export const x = [readFileSync, path];',
      ].join('\n'),
    );
    const found = (await nodeImports([offender])).map((entry) => `${entry.kind} ${entry.path}`).sort();
    expect(found).toEqual(['dynamic-import node:os', 'import-statement node:fs', 'import-statement path', 'require-call crypto']);
  });
});

describe('the browser entry', () => {
  async function browserBundle(entry: string): Promise<Metafile> {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser',
      format: 'esm',
      outdir: join(scratch, 'out'),
      logLevel: 'silent',
    });
    return result.metafile;
  }

  it('bundles for the browser (platform browser, dependencies included) without reaching src/cli/ or Node', async () => {
    const metafile = await browserBundle(join(SRC, 'index.ts'));
    const inputs = Object.keys(metafile.inputs).map((input) => input.replace(/\\/g, '/'));
    expect(inputs).toContain('src/client.ts');
    expect(inputs.some((input) => input.includes('node_modules/openapi-fetch/'))).toBe(true);
    expect(inputs.filter((input) => input.startsWith('src/cli/'))).toEqual([]);
    const external = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((entry) => entry.external));
    expect(external).toEqual([]);
  });

  it('a browser bundle that reaches a Node builtin fails to build (so the check above can fail)', async () => {
    const offender = join(scratch, 'browser-offender.ts');
    writeFileSync(offender, "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n");
    await expect(browserBundle(offender)).rejects.toThrow(/node:fs/);
  });
});
