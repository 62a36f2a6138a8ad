import { defineConfig } from 'vitest/config';

// The end-to-end tests: a real Chromium (Debian's, driven by playwright-core) against `optik ui` on a fixture store.
// Not part of the root unit-test projects; `pnpm test:e2e` (from `pnpm test:ci`) runs them after `vite build`.
export default defineConfig({
  resolve: { conditions: ['@optik/source'] },
  ssr: { resolve: { conditions: ['@optik/source'], externalConditions: ['@optik/source'] } },
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
