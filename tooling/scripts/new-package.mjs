#!/usr/bin/env node
// Scaffolds packages/<name> with the one package contract (CONVENTIONS habit 1):
//   node tooling/scripts/new-package.mjs <name> "<description>"
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node tooling/scripts/new-package.mjs <name> "<description>"');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(join(dir, 'package.json'))) {
  console.error(`${dir}/package.json exists already`);
  process.exit(1);
}
mkdirSync(join(dir, 'src', '__tests__'), { recursive: true });
const pkg = {
  name: `@optik/${name}`,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': { '@optik/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', '!**/__tests__', 'README.md'],
  engines: { node: '>=20' },
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    typecheck: 'tsc -p tsconfig.json',
    'lint:pkg': 'publint --strict && attw --pack . --profile esm-only --quiet',
  },
  dependencies: {},
  devDependencies: { '@optik/tsconfig': 'workspace:*' },
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tooling/tsconfig/base.json', include: ['src'] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'tsconfig.build.json'),
  `${JSON.stringify({ extends: '../../tooling/tsconfig/build.json' }, null, 2)}\n`,
);
if (!existsSync(join(dir, 'README.md'))) writeFileSync(join(dir, 'README.md'), `# @optik/${name}\n\n${description}\n`);
if (!existsSync(join(dir, 'src', 'index.ts'))) writeFileSync(join(dir, 'src', 'index.ts'), 'export {};\n');
console.log(`created ${dir}`);
