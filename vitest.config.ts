import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// One root config with a project per package (CONVENTIONS habit 9). Workspace packages resolve to src/ through
// the `@optik/source` export condition, so tests never need a build first.
const roots = ['packages', 'apps', 'tooling'];
const projects = roots.flatMap((root) =>
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'src', '__tests__')))
    .map((d) => ({
      extends: true as const,
      test: {
        name: d.name,
        root: join(root, d.name),
        include: ['src/__tests__/**/*.test.ts'],
      },
    })),
);

export default defineConfig({
  resolve: { conditions: ['@optik/source'] },
  ssr: { resolve: { conditions: ['@optik/source'], externalConditions: ['@optik/source'] } },
  test: {
    projects,
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
