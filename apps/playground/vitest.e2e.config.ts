import { defineConfig } from 'vitest/config';

// The end-to-end tests: a real Chromium on the built page (`vite preview`), one file at a time.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
