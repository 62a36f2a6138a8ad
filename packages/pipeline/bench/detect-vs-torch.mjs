// Optik's detection example against a PyTorch port of it, on the same data, in one run:
//
//   pnpm bench:detect [--run runs/detection/synth-detection] [--config examples/detection/train.yaml]
//
// Without --run it first trains the example with Optik (its time limit applies). It then loads the run's data
// exactly as the run did (the synth set from the cache, resized to the model's input), exports it as raw bytes +
// boxes, and trains the PyTorch port (detection_torch.py: same backbone layers, pyramid and head, initialisation,
// FCOS assignment, loss, optimizer, per-epoch learning rates read from the run's results.csv, batch size, flip and
// brightness augmentation, best-validation-mAP@0.5 checkpoint) for the same number of epochs on the same number of
// threads. The port's test-set outputs are decoded and scored by the same Optik code as the run (decodeDetections
// with the run's postprocess settings, the COCOeval port), so only training differs. It prints both test results,
// the mAP@0.5 gap and the training-speed ratio (Optik samples/s ÷ PyTorch samples/s, both excluding validation).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@optik/backend';
import { detectionGrid, ensureSynthDataset, loadImages, openSource } from '@optik/data';
import { DetectionMetrics } from '@optik/metrics';
import { loadPipelineConfig, runTraining } from '@optik/pipeline';
import { decodeDetections, presetLayers } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { parse as parseYaml } from 'yaml';

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    config: { type: 'string', default: 'examples/detection/train.yaml' },
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
  },
});

let runDir = values.run === undefined ? undefined : resolve(values.run);
if (runDir === undefined) {
  const config = loadPipelineConfig(values.config, { name: `bench-detect-${Date.now()}` });
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

if (config.data.synth === undefined) throw new Error('bench:detect exports the synth set only');
const set = await ensureSynthDataset({
  ...config.data.synth,
  ...(config.data.cacheDir ? { cacheDir: config.data.cacheDir } : {}),
});
const splits = {};
const data = {};
const dir = mkdtempSync(join(tmpdir(), 'optik-det-bench-'));
for (const [name, split] of [
  ['train', 'train'],
  ['validation', 'val'],
  ['test', 'test'],
]) {
  const opened = await openSource({
    format: 'coco',
    path: set.splits[split].annotations,
    imageRoot: set.splits[split].images,
    masks: false,
  });
  const loaded = await loadImages(opened.dataset, {
    imageSize: config.data.imageSize,
    colorMode: config.data.colorMode,
    ...(config.data.cacheDir ? { cacheDir: config.data.cacheDir } : {}),
  });
  const ds = loaded.dataset;
  data[name] = ds;
  writeFileSync(join(dir, `${name}.u8`), ds.images);
  splits[name] = {
    count: ds.length,
    boxes: ds.targets.map((t) => t.boxes.flatMap((b, k) => [...b, t.labels[k]])),
  };
}
const transforms = config.augment?.transforms ?? [];
const flip = transforms.find((t) => t.type === 'RandomFlip' && (t.mode ?? 'horizontal') === 'horizontal');
const brightness = transforms.find((t) => t.type === 'RandomBrightness');
const unported = transforms.filter((t) => t !== flip && t !== brightness).map((t) => t.type);
if (unported.length > 0) throw new Error(`bench:detect: the port has no ${unported.join(', ')}`);
const model = config.model;
const [height, width] = config.data.imageSize;
const channels = data.train.channels;
writeFileSync(
  join(dir, 'meta.json'),
  JSON.stringify({
    height,
    width,
    channels,
    numClasses: set.classNames.length,
    splits,
    layers: model.layers ?? presetLayers(model.preset),
    strides: model.strides,
    fpnChannels: model.fpnChannels,
    fpnMerge: model.fpnMerge,
    headConvs: model.headConvs,
    priorProbability: model.priorProbability,
    centerSamplingRadius: config.train.centerSamplingRadius ?? 1.5,
    alpha: config.train.fcos.alpha ?? 0.25,
    gamma: config.train.fcos.gamma ?? 2,
    lossWeights: config.train.fcos,
    learningRates,
    epsilon: config.train.optimizer.epsilon ?? 1e-7,
    batchSize: config.data.batchSize,
    flip: flip === undefined ? 0 : (flip.p ?? 0.5),
    brightness:
      brightness === undefined
        ? { p: 0, delta: [0, 0] }
        : { p: brightness.p ?? 0.5, delta: brightness.delta ?? [-0.2, 0.2] },
    decode: { preNmsTopK: 1000, ...config.postprocess },
  }),
);

const script = fileURLToPath(new URL('./detection_torch.py', import.meta.url));
const outFile = join(dir, 'test-outputs.f32');
console.error(`bench: training the PyTorch port for ${learningRates.length} epochs …`);
const python = spawnSync('python3', [script, '--data', dir, '--out', outFile, '--threads', values.threads], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (python.status !== 0) {
  rmSync(dir, { recursive: true, force: true });
  // Not a throw: tfjs-wasm's uncaught-exception handler would print its whole module source.
  console.error('bench: the PyTorch port failed (its error is above)');
  process.exit(1);
}
const torch = JSON.parse(python.stdout.trim().split('\n').at(-1));

await initBackend({ log: false });
// Score the port's test outputs with Optik's own decoding and COCOeval port.
const grid = detectionGrid({ imageSize: [height, width], strides: model.strides });
const test = data.test;
const raw = new Float32Array(readFileSync(outFile).buffer.slice(0));
rmSync(dir, { recursive: true, force: true });
const width5 = set.classNames.length + 5;
const outputs = tf.tensor3d(raw, [test.length, grid.numPoints, width5]);
const found = decodeDetections(outputs, grid, config.postprocess ?? {});
outputs.dispose();
const scorer = new DetectionMetrics({ numClasses: set.classNames.length });
scorer.update(
  test.targets.map((t) => ({ boxes: t.boxes, labels: t.labels })),
  found.map((d) => ({ boxes: d.boxes, labels: d.labels, scores: d.scores })),
);
const port = scorer.result();

const optik = { map50: metrics.map50 ?? metrics.ap50, map: metrics.map ?? metrics.ap };
const f = (v) => (v === undefined ? '–' : v.toFixed(4));
console.log(
  `detection: synth set (${set.root}), ${learningRates.length} epochs, batch ${config.data.batchSize}, ${height}×${width}`,
);
console.log('                  mAP@0.5   mAP@[.5:.95]  train samples/s');
console.log(`optik (wasm)      ${f(optik.map50)}    ${f(optik.map)}        ${optikSpeed.toFixed(1)}`);
console.log(
  `pytorch ${torch.torch.padEnd(9)} ${f(port.ap50)}    ${f(port.ap)}        ${torch.trainSamplesPerSecond.toFixed(1)} (${torch.threads} threads)`,
);
console.log(
  `gap (optik − pytorch) in mAP@0.5: ${((optik.map50 - port.ap50) * 100).toFixed(2)} points; speed ratio optik/pytorch: ${(optikSpeed / torch.trainSamplesPerSecond).toFixed(2)}×`,
);
console.log(
  JSON.stringify({
    runDir,
    optik: { ...optik, trainSamplesPerSecond: optikSpeed },
    pytorch: { ...torch, test: { map50: port.ap50, map: port.ap } },
  }),
);
