import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-prism.ts'],
    setupFiles: ['test/setup/no-unhandled.ts', 'test/setup/no-warnings.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Prism and the fault server are shared, and this machine has 2 cores: keep parallelism modest.
    maxWorkers: 2,
  },
});
