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

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBuiltinDataset } from '@optik/data';
import { fail, printComparison, runPort, startPortBench } from './torch-port.mjs';

const run = await startPortBench({ name: 'bench-localize', config: 'examples/localization/train.yaml' });
const { values, runDir, config, metrics, learningRates } = run;

if (config.data.dataset === undefined) fail('bench:localize exports built-in datasets only');
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
const torch = runPort(script, ['--data', dir, '--threads', values.threads], { cleanup: dir });
rmSync(dir, { recursive: true, force: true });

const optik = {
  locAccuracy50: metrics.locAccuracy.find((a) => a.threshold === 0.5)?.accuracy,
  locAccuracy75: metrics.locAccuracy.find((a) => a.threshold === 0.75)?.accuracy,
  meanIou: metrics.meanIou,
  accuracy: metrics.accuracy,
};
printComparison({
  title: `localization: ${config.data.dataset}, ${learningRates.length} epochs, batch ${config.data.batchSize}`,
  scores: [
    ['loc.acc@0.5', optik.locAccuracy50, torch.test.locAccuracy50],
    ['loc.acc@0.75', optik.locAccuracy75, torch.test.locAccuracy75],
    ['mean IoU', optik.meanIou, torch.test.meanIou],
    ['class acc', optik.accuracy, torch.test.accuracy],
  ],
  run,
  port: torch,
  speedDigits: 0,
});
console.log(
  JSON.stringify({ runDir, optik: { ...optik, trainSamplesPerSecond: run.samplesPerSecond }, pytorch: torch }),
);
