#!/usr/bin/env node
// Publishability test: build, pack every publishable package, install the tarballs into a fresh app outside the
// workspace (no workspace links, no source condition) that already depends on an OLDER TensorFlow.js 4.x, then
//  - check the app holds one copy of each @tensorflow package, the app's, and every @optik package uses it;
//  - import each entry and call one function, with no "already registered" warning from a second tfjs;
//  - train one step on wasm through the app's own `tf`, so Optik's kernels sit in the app's engine;
//  - bundle each browser-safe entry for the browser (browser-check.mjs) and fail on any Node built-in;
//  - type-check a strict consumer file (`skipLibCheck: false`) against the published .d.ts files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BROWSER_PACKAGES, checkBrowserEntries } from './browser-check.mjs';
import { localNodeHeaders } from './node-headers.mjs';

const root = resolve(import.meta.dirname, '../..');
// Installing the tarballs builds better-sqlite3 from source where its prebuilt binary cannot be downloaded; node-gyp
// then needs Node's headers. Point it at the local ones (as setup.sh does) so a new machine needs no download.
const nodedir = process.env.npm_config_nodedir ?? localNodeHeaders();
const env = nodedir ? { ...process.env, npm_config_nodedir: nodedir } : process.env;
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

// The app's own TensorFlow.js: older than the workspace's, inside the range the packages accept as a peer.
const APP_TFJS = process.env.OPTIK_PACK_TFJS ?? '4.20.0';

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
// What a tfjs app that uses the wasm backend lists, at one version; Optik's packages take both as peers.
const tfjsDeps = { '@tensorflow/tfjs': APP_TFJS, '@tensorflow/tfjs-backend-wasm': APP_TFJS };
const typesNode = JSON.parse(readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8')).version;
writeFileSync(
  join(app, 'package.json'),
  JSON.stringify(
    {
      name: 'optik-pack-test',
      private: true,
      type: 'module',
      dependencies: { ...tfjsDeps, ...deps },
      devDependencies: { '@types/node': typesNode },
    },
    null,
    2,
  ),
);
// A standalone project: its own workspace file so pnpm never climbs into ours; builds of native deps allowed.
// Peers are installed as pnpm does by default (the optional native tfjs ones are not), and strictly: a peer range
// that refused the app's tfjs would fail the install.
writeFileSync(
  join(app, 'pnpm-workspace.yaml'),
  'packages: []\nautoInstallPeers: true\nstrictPeerDependencies: true\nallowBuilds:\n  sharp: true\n  better-sqlite3: true\n  core-js: false\n  esbuild: false\n',
);
// Tarballs depend on each other by version; point those at the local tarballs, never the registry.
writeFileSync(
  join(app, 'pnpm-workspace.yaml'),
  `${readFileSync(join(app, 'pnpm-workspace.yaml'), 'utf8')}overrides:\n${Object.entries(deps)
    .map(([name, spec]) => `  '${name}': '${spec}'`)
    .join('\n')}\n`,
);
run('pnpm', ['install', '--no-frozen-lockfile'], app);

// One copy of each @tensorflow package, at the app's version: no second tfjs brought in by an @optik package.
const versions = new Map();
for (const entry of readdirSync(join(app, 'node_modules', '.pnpm'))) {
  const match = /^(@tensorflow\+[^@]+)@([^_]+)/.exec(entry);
  if (match === null) continue;
  const name = match[1].replace('+', '/');
  versions.set(name, new Set([...(versions.get(name) ?? []), match[2]]));
}
for (const [name, found] of versions) {
  if (found.size !== 1)
    throw new Error(`pack-test: ${found.size} versions of ${name} installed: ${[...found].join(', ')}`);
}
if (!versions.get('@tensorflow/tfjs')?.has(APP_TFJS)) {
  throw new Error(`pack-test: the app's @tensorflow/tfjs ${APP_TFJS} was not the one installed`);
}
// Resolved from where each @optik package really lives, tfjs and its core are the app's own files.
const appRequire = createRequire(join(app, 'package.json'));
const appTfjs = realpathSync(appRequire.resolve('@tensorflow/tfjs/package.json'));
const coreOf = (tfjsPackageJson) =>
  realpathSync(createRequire(tfjsPackageJson).resolve('@tensorflow/tfjs-core/package.json'));
for (const name of Object.keys(deps)) {
  const pkgJson = realpathSync(join(app, 'node_modules', name, 'package.json'));
  const peers = JSON.parse(readFileSync(pkgJson, 'utf8')).peerDependencies ?? {};
  for (const peer of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
    if (!(peer in peers)) continue;
    const found = realpathSync(createRequire(pkgJson).resolve(`${peer}/package.json`));
    const expected = realpathSync(appRequire.resolve(`${peer}/package.json`));
    if (found !== expected)
      throw new Error(`pack-test: ${name} resolves ${peer} to ${found}, not the app's ${expected}`);
    if (coreOf(found) !== coreOf(appTfjs)) throw new Error(`pack-test: ${name}'s ${peer} uses a second tfjs-core`);
  }
}
console.log(`pack-test: ok one copy of each @tensorflow package (${APP_TFJS}), shared by every @optik package`);

const checks = Object.entries(deps).map(
  ([name]) => `
  {
    const m = await import(${JSON.stringify(name)});
    const ok = await (${SMOKE[name]})(m);
    if (!ok) throw new Error('smoke call failed for ${name}');
    console.log('pack-test: ok ${name}');
  }`,
);
if ('@optik/backend' in deps) {
  // The app's own `tf` must see Optik's backend and kernels: a second tfjs inside an @optik package would not.
  checks.push(`
  {
    const tf = await import('@tensorflow/tfjs');
    const { initBackend } = await import('@optik/backend');
    await initBackend({ prefer: 'wasm', log: false });
    if (tf.getBackend() !== 'wasm') throw new Error('the app\\'s tf runs on ' + tf.getBackend() + ', not wasm');
    const x = tf.ones([2, 8, 8, 1]);
    const w = tf.variable(tf.fill([3, 3, 1, 4], 0.1));
    const loss = () => tf.conv2d(x, w, 1, 'same').square().mean();
    const before = loss().dataSync()[0];
    tf.train.sgd(0.5).minimize(loss);
    if (!(loss().dataSync()[0] < before)) throw new Error('one training step on wasm did not lower the loss');
    console.log('pack-test: ok the app\\'s tf ' + tf.version.tfjs + ' trains on wasm with Optik\\'s kernels');
  }`);
}
writeFileSync(join(app, 'check.mjs'), checks.join('\n'));
const checked = spawnSync('node', ['check.mjs'], { cwd: app, env, encoding: 'utf8' });
process.stdout.write(checked.stdout);
process.stderr.write(checked.stderr);
if (checked.status !== 0) throw new Error(`pack-test: check.mjs failed (exit ${checked.status})`);
// tfjs warns "The kernel '…' for backend '…' is already registered" when a second copy loads.
const duplicate = `${checked.stdout}\n${checked.stderr}`.split('\n').filter((line) => /already registered/i.test(line));
if (duplicate.length > 0) {
  throw new Error(`pack-test: ${duplicate.length} "already registered" warnings, e.g. ${duplicate[0]}`);
}

// The browser-safe entries, as a user's bundler sees the installed tarballs: bundled for the browser platform (the
// `browser` export condition on), with no Node built-in and no native addon anywhere in their graph.
const browserResults = await checkBrowserEntries({ root: app, names: BROWSER_PACKAGES.filter((name) => name in deps) });
for (const r of browserResults) {
  if (!r.ok) throw new Error(`pack-test: ${r.name} does not bundle for the browser:\n  ${r.problems.join('\n  ')}`);
  console.log(`pack-test: ok ${r.name} bundles for the browser (${Math.round(r.bytes / 1024)} kB, no Node built-ins)`);
}

// The published types, as a strict consumer compiles them: every .d.ts reachable from the entries is checked
// (skipLibCheck: false), with the default libs (DOM included, as tfjs's own types need).
writeFileSync(
  join(app, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ['consumer.ts'],
    },
    null,
    2,
  ),
);
writeFileSync(
  join(app, 'consumer.ts'),
  [
    ...Object.keys(deps).map((name, i) => `import * as entry${i} from ${JSON.stringify(name)};`),
    `export const entries = [${Object.keys(deps)
      .map((_, i) => `entry${i}`)
      .join(', ')}];`,
    ...('@optik/pipeline' in deps
      ? [
          "import { type PipelineConfigInput, resolvePipelineConfig } from '@optik/pipeline';",
          "const input: PipelineConfigInput = { task: 'classification', data: { dataset: 'mnist' }, model: { preset: 'seed-cnn' }, train: { epochs: 2 } };",
          'export const epochs: number = resolvePipelineConfig(input).train.epochs;',
        ]
      : []),
    ...('@optik/track' in deps
      ? [
          "import { openStore, type Run } from '@optik/track';",
          'export const runs = (r: Run): number => r.id + openStore({ root: "runs" }).listRuns().length;',
        ]
      : []),
    '',
  ].join('\n'),
);
const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(app, 'tsconfig.json')], {
  cwd: app,
  encoding: 'utf8',
});
// Only errors in Optik's files (and the consumer's) count: tfjs's and vega's own .d.ts do not pass
// skipLibCheck: false (TS2411 in tfjs-layers; @webgpu/types clashes with TypeScript's own DOM lib), which Optik
// cannot change.
const errors = `${tsc.stdout}${tsc.stderr}`.split('\n').filter((line) => /: error TS\d+:/.test(line));
const ours = errors.filter((line) => line.startsWith('consumer.ts') || line.includes('/@optik/'));
if (ours.length > 0 || (tsc.status !== 0 && errors.length === 0)) {
  throw new Error(
    `pack-test: a strict consumer (skipLibCheck: false) fails to type-check Optik's types:\n${ours.length > 0 ? ours.join('\n') : `${tsc.stdout}${tsc.stderr}`}`,
  );
}
console.log(
  `pack-test: ok the published types check in a strict consumer (skipLibCheck: false; ${errors.length} errors in third-party .d.ts ignored)`,
);
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
