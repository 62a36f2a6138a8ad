// Times Compose#augmentBatch per batch on the tfjs wasm backend, before and after the fused host batch path, for
// single transforms and the typical course pipeline, on [128, 28, 28, 1] and [128, 32, 32, 3] batches.
//
//   node --conditions=@optik/source --import tsx packages/augment/bench/augment-batch.mjs \
//     [--baseline <git ref>] [--reps 21] [--max-load 1.5] [--backend wasm|cpu] [--shapes 128x28x28x1,128x32x32x3]
//
// "before" is @optik/augment's src at --baseline (default 7eff661, the commit that added the package with the
// tensor-gather warp), exported with `git archive` into a temporary folder that borrows this package's
// node_modules; `--baseline none` skips it. Each timing waits until the 1-minute load average is below
// --max-load (the machine is shared), then takes the median of --reps batches after 10 warm-up batches; the
// script gives up (exit 2) when the load does not come down within 10 minutes. The last column compares after
// with before on the same seed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as after from '@optik/augment';
import { initBackend } from '@optik/backend';
import { createRng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const baselineRef = option('baseline', '7eff661');
const reps = Number(option('reps', '21'));
const maxLoad = Number(option('max-load', '1.5'));
const backend = option('backend', 'wasm');
const shapes = option('shapes', '128x28x28x1,128x32x32x3')
  .split(',')
  .map((text) => text.split('x').map(Number));

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function loadBaseline(ref) {
  if (ref === 'none') return null;
  const repo = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: packageDir, encoding: 'utf8' }).trim();
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: repo, encoding: 'utf8' }).trim();
  const dir = join(os.tmpdir(), `optik-augment-baseline-${commit}`);
  if (!existsSync(join(dir, 'src', 'index.ts'))) {
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', commit, 'packages/augment/src'], { cwd: repo });
    execFileSync('tar', ['-x', '--strip-components=2', '-C', dir], { input: tar });
  }
  // Same dependencies (and so the same tfjs engine) as this package.
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(packageDir, 'node_modules'), join(dir, 'node_modules'));
  return { commit, module: await import(pathToFileURL(join(dir, 'src', 'index.ts')).href) };
}

function pipelines(A) {
  const typical = () => [
    new A.RandomFlip({ p: 0.5 }),
    new A.RandomTranslate({ p: 0.5, x: [-0.1, 0.1], y: [-0.1, 0.1] }),
    new A.RandomRotate({ p: 0.5, degrees: [-10, 10] }),
    new A.RandomZoom({ p: 0.5, scale: [0.9, 1.1] }),
    new A.RandomBrightness({ p: 0.5, delta: [-0.1, 0.1] }),
    new A.RandomContrast({ p: 0.5, factor: [0.9, 1.1] }),
  ];
  return {
    'flip p=0.5': [new A.RandomFlip({ p: 0.5 })],
    'flip p=0.5 nearest': [new A.RandomFlip({ p: 0.5, interpolation: 'nearest' })],
    'translate ±10%': [new A.RandomTranslate({ p: 0.5, x: [-0.1, 0.1], y: [-0.1, 0.1] })],
    'rotate ±10°': [new A.RandomRotate({ p: 0.5, degrees: [-10, 10] })],
    'zoom ±10%': [new A.RandomZoom({ p: 0.5, scale: [0.9, 1.1] })],
    'brightness+contrast': typical().slice(4),
    'flip+translate': typical().slice(0, 2),
    'typical (all six)': typical(),
  };
}

async function waitForQuiet() {
  const deadline = Date.now() + 10 * 60_000;
  while (os.loadavg()[0] >= maxLoad) {
    if (Date.now() > deadline) {
      console.error(`load stayed at ${os.loadavg()[0].toFixed(2)} ≥ ${maxLoad} for 10 minutes: not measuring.`);
      process.exit(2);
    }
    console.error(`load ${os.loadavg()[0].toFixed(2)} ≥ ${maxLoad}, waiting…`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeBatches(A, transforms, xs) {
  const pipeline = A.compose(transforms, { seed: 1 });
  for (let r = 0; r < 10; r++) pipeline.augmentBatch(xs, createRng(r)).dispose();
  await waitForQuiet();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    const out = pipeline.augmentBatch(xs, createRng(100 + r));
    out.dataSync();
    times.push(performance.now() - start);
    out.dispose();
  }
  return median(times);
}

function maxDiff(a, b) {
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

await initBackend({ prefer: backend, log: false });
const baseline = await loadBaseline(baselineRef);
await waitForQuiet();
console.log(
  `backend ${tf.getBackend()}, median of ${reps} batches, load ${os.loadavg()[0].toFixed(2)} at start` +
    (baseline ? `, before = ${baseline.commit}` : ''),
);
for (const shape of shapes) {
  const rng = createRng(7);
  const xs = tf.tensor4d(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next()),
    shape,
  );
  console.log(`\n[${shape.join(', ')}]`);
  console.log(`${'pipeline'.padEnd(22)}${'before ms'.padStart(11)}${'after ms'.padStart(10)}  max |after−before|`);
  const afterSets = pipelines(after);
  const beforeSets = baseline ? pipelines(baseline.module) : null;
  for (const [name, transforms] of Object.entries(afterSets)) {
    const a = await timeBatches(after, transforms, xs);
    let b = null;
    let diff = '';
    if (beforeSets) {
      b = await timeBatches(baseline.module, beforeSets[name], xs);
      const outA = after.compose(transforms, { seed: 1 }).augmentBatch(xs, createRng(5));
      const outB = baseline.module.compose(beforeSets[name], { seed: 1 }).augmentBatch(xs, createRng(5));
      diff = maxDiff(outA, outB).toExponential(1);
      tf.dispose([outA, outB]);
    }
    console.log(
      `${name.padEnd(22)}${(b === null ? '—' : b.toFixed(1)).padStart(11)}${a.toFixed(1).padStart(10)}  ${diff}`,
    );
  }
  xs.dispose();
}
console.log(`\nload ${os.loadavg()[0].toFixed(2)} at end`);
