// How much faster a study runs with two trials at once than with one: the same 4-trial grid on a subset of mnist
// (the reference CNN, wasm backend), once with `parallel: 1` (one worker, all cores for its wasm threads) and once
// with `parallel: 2` (two workers, one thread each); prints both wall times and the speed-up. Run it on a quiet
// machine (it uses every core for a couple of minutes):
//
//   node --conditions=@optik/source --import tsx packages/pipeline/bench/tune-parallel.mjs [--train 4000] [--epochs 2]
//
// Each setting gets a fresh store in the temp folder, so both run the same trials from scratch; `retrain` is off.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveTuneConfig, runTune } from '@optik/pipeline';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '4000' },
    epochs: { type: 'string', default: '2' },
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

const results = {};
for (const parallel of [1, 2]) {
  const root = mkdtempSync(join(tmpdir(), `optik-bench-tune-p${parallel}-`));
  const started = performance.now();
  const result = await runTune(config(root), { parallel });
  const seconds = (performance.now() - started) / 1000;
  const failed = result.trials.filter((t) => t.status !== 'completed');
  if (failed.length > 0) throw new Error(`trials did not complete: ${JSON.stringify(failed)}`);
  results[parallel] = seconds;
  const trialSeconds = result.trials.map((t) => t.seconds?.toFixed(1)).join(', ');
  console.log(
    `parallel ${parallel}: ${seconds.toFixed(1)} s for ${result.trials.length} trials (each: ${trialSeconds} s)`,
  );
}
console.log(`speed-up of parallel 2 over parallel 1: ${(results[1] / results[2]).toFixed(2)}×`);
