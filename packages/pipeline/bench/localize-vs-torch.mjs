// Optik's localization example against a PyTorch port of it, on the same data, in one run:
//
//   pnpm bench:localize [--run runs/localization/digits-localization] [--config examples/localization/train.yaml]
//
// Without --run it first trains the example with Optik (its time limit applies). It then exports the run's data
// (the built-in set, same seed) as raw bytes + labels + boxes, and trains the PyTorch port
// (localization_torch.py: same model, initialisation, loss, optimizer, per-epoch learning rates read from the
// run's results.csv, batch size, augmentation and best-val-IoU checkpoint) for the same number of epochs on the
// same number of threads. It prints both test results, the localization-accuracy gap and the training-speed ratio
// (Optik samples/s ÷ PyTorch samples/s, both excluding validation). PyTorch: the newest the machine has
// (`pip install --no-deps torch` finds a 2.x CPU wheel offline here; Debian's python3-torch is 1.13).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadBuiltinDataset } from '@optik/data';
import { loadPipelineConfig, runTraining } from '@optik/pipeline';
import { parse as parseYaml } from 'yaml';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    config: { type: 'string', default: 'examples/localization/train.yaml' },
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
  },
});

let runDir = values.run === undefined ? undefined : resolve(values.run);
if (runDir === undefined) {
  const config = loadPipelineConfig(values.config, { name: `bench-localize-${Date.now()}` });
  console.error(`bench: training ${values.config} with Optik …`);
  runDir = (await runTraining(config, { log: (line) => console.error(line), progress: false })).runDir;
}
const config = parseYaml(readFileSync(join(runDir, 'config.yaml'), 'utf8'));
const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
const rows = readFileSync(join(runDir, 'results.csv'), 'utf8').trim().split('\n');
const header = rows[0].split(',');
const column = (name) => rows.slice(1).map((row) => Number(row.split(',')[header.indexOf(name)]));
const learningRates = column('learning_rate');
const speeds = column('samples_per_second');
const optikSpeed = speeds.reduce((a, b) => a + b, 0) / speeds.length;

if (config.data.dataset === undefined) throw new Error('bench:localize exports built-in datasets only');
const data = await loadBuiltinDataset(config.data.dataset, { seed: config.seed });
const dir = mkdtempSync(join(tmpdir(), 'optik-loc-bench-'));
const splits = {};
for (const name of ['train', 'validation', 'test']) {
  const split = data[name];
  writeFileSync(join(dir, `${name}.u8`), split.images);
  splits[name] = {
    count: split.length,
    labels: Array.from(split.labels),
    boxes: split.targets.flatMap((t) => [...t.box]),
  };
}
writeFileSync(
  join(dir, 'meta.json'),
  JSON.stringify({
    height: data.train.height,
    width: data.train.width,
    numClasses: data.classNames.length,
    splits,
    learningRates,
    epsilon: config.train.optimizer.epsilon ?? 1e-7,
    lossWeights: config.train.lossWeights,
    batchSize: config.data.batchSize,
  }),
);

const script = fileURLToPath(new URL('./localization_torch.py', import.meta.url));
console.error(`bench: training the PyTorch port for ${learningRates.length} epochs …`);
const python = spawnSync('python3', [script, '--data', dir, '--threads', values.threads], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
rmSync(dir, { recursive: true, force: true });
if (python.status !== 0) throw new Error(`the PyTorch port failed:\n${python.stderr}`);
const torch = JSON.parse(python.stdout.trim().split('\n').at(-1));

const optik = {
  locAccuracy50: metrics.locAccuracy.find((a) => a.threshold === 0.5)?.accuracy,
  locAccuracy75: metrics.locAccuracy.find((a) => a.threshold === 0.75)?.accuracy,
  meanIou: metrics.meanIou,
  accuracy: metrics.accuracy,
};
const f = (v) => (v === undefined ? '–' : v.toFixed(4));
console.log(`localization: ${config.data.dataset}, ${learningRates.length} epochs, batch ${config.data.batchSize}`);
console.log('                  loc.acc@0.5  loc.acc@0.75  mean IoU  class acc  train samples/s');
console.log(
  `optik (wasm)      ${f(optik.locAccuracy50)}       ${f(optik.locAccuracy75)}        ${f(optik.meanIou)}    ${f(optik.accuracy)}     ${optikSpeed.toFixed(0)}`,
);
console.log(
  `pytorch ${torch.torch.padEnd(9)} ${f(torch.test.locAccuracy50)}       ${f(torch.test.locAccuracy75)}        ${f(torch.test.meanIou)}    ${f(torch.test.accuracy)}     ${torch.trainSamplesPerSecond.toFixed(0)} (${torch.threads} threads)`,
);
console.log(
  `gap (optik − pytorch) in loc.acc@0.5: ${((optik.locAccuracy50 - torch.test.locAccuracy50) * 100).toFixed(2)} points; speed ratio optik/pytorch: ${(optikSpeed / torch.trainSamplesPerSecond).toFixed(2)}×`,
);
console.log(JSON.stringify({ runDir, optik: { ...optik, trainSamplesPerSecond: optikSpeed }, pytorch: torch }));
