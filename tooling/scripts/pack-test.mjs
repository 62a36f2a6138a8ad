#!/usr/bin/env node
// Publishability test: build, pack every publishable package, install the tarballs into a fresh project outside
// the workspace (no workspace links, no source condition), import each entry and call one function.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localNodeHeaders } from './node-headers.mjs';

const root = resolve(import.meta.dirname, '../..');
// Installing the tarballs builds better-sqlite3 from source where its prebuilt binary cannot be downloaded; node-gyp
// then needs Node's headers. Point it at the local ones (as setup.sh does) so a new machine needs no download.
const nodedir = process.env.npm_config_nodedir ?? localNodeHeaders();
const env = nodedir ? { ...process.env, npm_config_nodedir: nodedir } : process.env;
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

// One call per package, through its public entry only: proves the published files are complete.
const SMOKE = {
  '@optik/core': `(m) => m.createRng(1).next() >= 0 && m.xyxyToCoco([1, 2, 4, 6])[2] === 3`,
  '@optik/backend': `async (m) => (await m.probeBackends()).some((c) => c.name === 'cpu' && c.available)`,
  '@optik/data': `(m) => { const s = m.stratifiedSplit([0, 0, 1, 1, 0, 1], { validation: 0.5, seed: 1 }); return s.train.length + s.validation.length + s.test.length === 6 && s.validation.length > 0; }`,
  '@optik/augment': `(m) => m.transformRegistry().has('RandomFlip')`,
  '@optik/zoo': `(m) => m.PRESET_NAMES.includes('seed-cnn')`,
  '@optik/train': `(m) => m.TrainerSchema.parse({ epochs: 1 }).epochs === 1`,
  '@optik/metrics': `(m) => { const a = new m.Accuracy({ numClasses: 2 }); a.update([0, 1], [[0.9, 0.1], [0.2, 0.8]]); return a.result() === 1; }`,
  '@optik/viz': `async (m) => (await m.renderSvg(m.barChart([{ k: 'a', v: 1 }], { category: 'k', value: 'v' }))).includes('<svg')`,
  '@optik/track': `(m) => m.RUN_STATUSES.includes('interrupted')`,
  '@optik/tune': `async (m) => { const s = await m.createStudy({ direction: 'minimize', sampler: { type: 'random', seed: 1 } }); await s.optimize((t) => t.suggestFloat('x', -1, 1) ** 2, { nTrials: 3 }); return s.trials.length === 3; }`,
  '@optik/pipeline': `(m) => m.resolvePipelineConfig({ task: 'classification', data: { dataset: 'mnist' }, model: { preset: 'seed-cnn' } }).train.epochs > 0`,
  '@optik/cli': `async (m) => typeof m.main === 'function'`,
};

// `node pack-test.mjs @optik/core @optik/data` checks only those (their workspace deps are packed too).
const only = process.argv.slice(2);
const all = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private);
const wanted = new Set(only.length === 0 ? all.map(({ pkg }) => pkg.name) : only);
for (let grew = true; grew; ) {
  grew = false;
  for (const { pkg } of all.filter(({ pkg }) => wanted.has(pkg.name))) {
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (dep.startsWith('@optik/') && !wanted.has(dep)) {
        wanted.add(dep);
        grew = true;
      }
    }
  }
}
const packages = all.filter(({ pkg }) => wanted.has(pkg.name));
const missing = packages.filter(({ pkg }) => !(pkg.name in SMOKE)).map(({ pkg }) => pkg.name);
if (missing.length > 0) {
  console.error(`pack-test: no smoke call for ${missing.join(', ')}: add one to SMOKE in ${import.meta.filename}`);
  process.exit(1);
}

console.log(`pack-test: building ${packages.length} packages`);
run('pnpm', ['turbo', 'run', 'build', ...packages.flatMap(({ pkg }) => ['--filter', pkg.name])], root);

const work = mkdtempSync(join(tmpdir(), 'optik-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const deps = {};
for (const { dir, pkg } of packages) {
  const out = run('pnpm', ['pack', '--pack-destination', tarballs], dir).trim().split('\n').at(-1);
  deps[pkg.name] = `file:${out}`;
  console.log(`pack-test: packed ${pkg.name} -> ${out}`);
}
const app = join(work, 'app');
mkdirSync(app);
writeFileSync(
  join(app, 'package.json'),
  JSON.stringify({ name: 'optik-pack-test', private: true, type: 'module', dependencies: deps }, null, 2),
);
// A standalone project: its own workspace file so pnpm never climbs into ours; builds of native deps allowed.
writeFileSync(
  join(app, 'pnpm-workspace.yaml'),
  'packages: []\nautoInstallPeers: false\nallowBuilds:\n  sharp: true\n  better-sqlite3: true\n  core-js: false\n  esbuild: false\n',
);
// Tarballs depend on each other by version; point those at the local tarballs, never the registry.
writeFileSync(
  join(app, 'pnpm-workspace.yaml'),
  `${readFileSync(join(app, 'pnpm-workspace.yaml'), 'utf8')}overrides:\n${Object.entries(deps)
    .map(([name, spec]) => `  '${name}': '${spec}'`)
    .join('\n')}\n`,
);
run('pnpm', ['install', '--no-frozen-lockfile'], app);

const checks = Object.entries(deps).map(
  ([name]) => `
  {
    const m = await import(${JSON.stringify(name)});
    const ok = await (${SMOKE[name]})(m);
    if (!ok) throw new Error('smoke call failed for ${name}');
    console.log('pack-test: ok ${name}');
  }`,
);
writeFileSync(join(app, 'check.mjs'), checks.join('\n'));
process.stdout.write(run('node', ['check.mjs'], app));
if ('@optik/cli' in deps) {
  // The published bin, as a user runs it after `npm i -g @optik/cli`.
  const doctor = JSON.parse(
    run(join(app, 'node_modules', '.bin', 'optik'), ['doctor', '--json'], app)
      .trim()
      .split('\n')
      .at(-1),
  );
  if (!doctor.backends.some((b) => b.name === 'wasm' && b.available))
    throw new Error('optik doctor from the tarball found no wasm backend');
  console.log('pack-test: ok optik bin (doctor --json)');
}
rmSync(work, { recursive: true, force: true });
console.log(`pack-test: ${packages.length} passed, 0 failed`);
