/**
 * The package build (`npm run build`, which empties dist/ first):
 * - the universal entry `src/index.ts` → dist/index.js (ESM) + dist/index.cjs (CJS) with
 *   dist/index.d.ts + dist/index.d.cts. Platform-neutral: it runs in Node 18+, browsers and edge
 *   runtimes, and its dependencies stay external (the package's `dependencies` install them).
 * - the browser build of the same entry → dist/index.browser.js (ESM): without `src/runtime.ts` (exit
 *   hook, User-Agent, environment variables: `src/runtime.browser.ts` instead), for the `browser`
 *   condition of the package's exports (bundlers targeting browsers pick it).
 * - the test double `src/testing/index.ts` → dist/testing.js + dist/testing.cjs with dist/testing.d.ts +
 *   dist/testing.d.cts: the `thrivestack-group/testing` entry, built on its own so that the universal
 *   entry's bundle stays exactly as it was (it never reaches src/testing/). Platform-neutral too.
 * - the Node-only CLI `src/cli/index.ts`, when it exists → dist/cli/index.js (ESM, executable, with a
 *   `#!/usr/bin/env node` line), the `thrivestack` bin of package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Plugin as EsbuildPlugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

type TsupPlugin = NonNullable<Options['plugins']>[number];

/**
 * esbuild compiles our ESM source (package.json "type": "module") to CJS in "Node mode", where a
 * default import of a CommonJS dependency is its whole `module.exports`, ignoring `__esModule`. That is
 * right for Node's ESM (which loads the dependency's ESM build anyway) and wrong for our CJS output,
 * which `require`s the dependency's CJS build: `createClient` from openapi-fetch would be its exports
 * object, not the function. In the CJS output, use CommonJS interop (honour `__esModule`) instead:
 * `__toESM(require("x"), 1)` → `__toESM(require("x"), 0)`.
 * The packaging test (scripts/test-pack.ts) `require`s the package and fails without this.
 */
const cjsInteropForDependencies: TsupPlugin = {
  name: 'cjs-interop-for-dependencies',
  renderChunk(code, chunk) {
    if (this.format !== 'cjs' || !/\.c?js$/.test(chunk.path)) return;
    return { code: code.replace(/__toESM\((require\("[^".][^"]*"\)), 1\)/g, '__toESM($1, 0)') };
  },
};

export const CLI_ENTRY = 'src/cli/index.ts';

/** The options of the universal entry; test/browser.test.ts builds the same bundle with them. */
export const coreOptions = {
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  // No source maps: they would point at src/, which the package does not ship (CONTRIBUTING.md, Packaging)
  sourcemap: false,
  splitting: false,
  plugins: [cjsInteropForDependencies],
  clean: false, // the build script empties dist/ once, before both builds run in parallel
  outDir: 'dist',
} satisfies Options;

/** In the browser build, `src/runtime.ts` (exit hook, User-Agent, environment) is `src/runtime.browser.ts`. */
export const browserRuntime: EsbuildPlugin = {
  name: 'browser-runtime',
  setup(build) {
    build.onResolve({ filter: /^\.\/runtime\.js$/ }, (args) => ({ path: `${args.resolveDir}/runtime.browser.ts` }));
  },
};

/**
 * The browser build (`browser` condition of the package's exports): the universal entry without what
 * only a server runtime has (`src/runtime.browser.ts`). ESM only; its types are the universal entry's.
 */
export const browserOptions = {
  ...coreOptions,
  entry: { 'index.browser': 'src/index.ts' },
  format: ['esm'],
  dts: false,
  esbuildPlugins: [browserRuntime],
} satisfies Options;

/** The options of the `thrivestack-group/testing` entry: the universal entry's, for another file. */
export const testingOptions = {
  ...coreOptions,
  entry: { testing: 'src/testing/index.ts' },
} satisfies Options;

function cliOptions(): Options {
  const source = readFileSync(CLI_ENTRY, 'utf8');
  return {
    entry: { 'cli/index': CLI_ENTRY },
    format: ['esm'],
    platform: 'node',
    target: 'node18',
    dts: false,
    sourcemap: false,
    splitting: false,
    clean: false,
    outDir: 'dist',
    // esbuild keeps a hashbang the source already has; add one only when it has none (two would not parse)
    ...(source.startsWith('#!') ? {} : { banner: { js: '#!/usr/bin/env node' } }),
  };
}

export default defineConfig(() => [coreOptions, browserOptions, testingOptions, ...(existsSync(CLI_ENTRY) ? [cliOptions()] : [])]);
