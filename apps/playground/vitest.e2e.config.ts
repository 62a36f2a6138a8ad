import { defineConfig } from 'vitest/config';

// The end-to-end tests: a real Chromium on the built page (`vite preview`), one file at a time. Workspace packages
// the tests use in Node resolve to their src/, as in the root vitest config.
export default defineConfig({
  ssr: { resolve: { conditions: ['@optik/source'], externalConditions: ['@optik/source'] } },
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
