import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run examples` runs examples/*.test.ts with this config. In this repository 'thrivestack-group'
// is the source in src/ (as tsconfig.json's `paths` map it for tsc and tsx); in your project it is
// the installed package and you need no alias.
const src = (path: string): string => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  cacheDir: fileURLToPath(new URL('../node_modules/.vite/examples', import.meta.url)), // the repository's, not a node_modules/ here
  resolve: {
    alias: [
      { find: /^thrivestack-group$/, replacement: src('index.ts') },
      { find: /^thrivestack-group\/testing$/, replacement: src('testing/index.ts') },
    ],
  },
  test: { include: ['*.test.ts'] },
});
