// Optik's detection example against a PyTorch port of it, on the same data, in one run:
//
//   pnpm bench:detect [--run runs/detection/synth-detection] [--config examples/detection/train.yaml]
//
// Without --run it first trains the example with Optik (its time limit applies). It then loads the run's data
// exactly as the run did (the synth set from the cache, resized to the model's input), exports it as raw bytes +
// boxes, and trains the PyTorch port (detection_torch.py: same backbone layers, pyramid and head, initialisation,
// FCOS assignment, loss, optimizer, per-epoch learning rates read from the run's results.csv, batch size, flip and
// brightness augmentation, best-validation-mAP@0.5 checkpoint) for the same number of epochs on the same number of
// threads. The port's test-set outputs are decoded and scored by the same Optik code as the run (its test-time
// views — the mirrored images' outputs mapped back with mirrorDetectionOutput and averaged in — decodeDetections with
// the run's postprocess settings, the COCOeval port), so only training differs. It prints both test results,
// the mAP@0.5 gap and the training-speed ratio (Optik samples/s ÷ PyTorch samples/s, both excluding validation).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@optik/backend';
import { detectionGrid, ensureSynthDataset, loadImages, openSource } from '@optik/data';
import { DetectionMetrics } from '@optik/metrics';
import { decodeDetections, mirrorDetectionOutput, presetLayers } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { fail, printComparison, runPort, startPortBench } from './torch-port.mjs';

const run = await startPortBench({ name: 'bench-detect', config: 'examples/detection/train.yaml' });
const { values, runDir, config, metrics, learningRates } = run;

if (config.data.synth === undefined) fail('bench:detect exports the synth set only');
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
if (unported.length > 0) fail(`the port has no ${unported.join(', ')}`);
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
    pyramidStrides: model.pyramidStrides ?? model.strides,
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
    tta: config.test.tta,
  }),
);

const script = fileURLToPath(new URL('./detection_torch.py', import.meta.url));
const outFile = join(dir, 'test-outputs.f32');
console.error(`bench: training the PyTorch port for ${learningRates.length} epochs …`);
const torch = runPort(script, ['--data', dir, '--out', outFile, '--threads', values.threads], { cleanup: dir });

await initBackend({ log: false });
// Score the port's test outputs with Optik's own decoding and COCOeval port.
const grid = detectionGrid({ imageSize: [height, width], strides: model.strides });
const test = data.test;
const raw = new Float32Array(readFileSync(outFile).buffer.slice(0));
const width5 = set.classNames.length + 5;
const shape = [test.length, grid.numPoints, width5];
// The run's test-time augmentation, as the run does it: each mirrored view's output mapped back, then the mean.
for (const view of config.test.tta) {
  const back = mirrorDetectionOutput(
    new Float32Array(readFileSync(`${outFile}.${view}`).buffer.slice(0)),
    shape,
    grid,
    view,
  );
  for (let k = 0; k < raw.length; k++) raw[k] += back[k];
}
if (config.test.tta.length > 0) for (let k = 0; k < raw.length; k++) raw[k] /= config.test.tta.length + 1;
rmSync(dir, { recursive: true, force: true });
const outputs = tf.tensor3d(raw, shape);
const found = decodeDetections(outputs, grid, config.postprocess ?? {});
outputs.dispose();
const scorer = new DetectionMetrics({ numClasses: set.classNames.length });
scorer.update(
  test.targets.map((t) => ({ boxes: t.boxes, labels: t.labels })),
  found.map((d) => ({ boxes: d.boxes, labels: d.labels, scores: d.scores })),
);
const port = scorer.result();

const optik = { map50: metrics.map50 ?? metrics.ap50, map: metrics.map ?? metrics.ap };
printComparison({
  title: `detection: synth set (${set.root}), ${learningRates.length} epochs, batch ${config.data.batchSize}, ${height}×${width}`,
  scores: [
    ['mAP@0.5', optik.map50, port.ap50],
    ['mAP@[.5:.95]', optik.map, port.ap],
  ],
  run,
  port: torch,
});
console.log(
  JSON.stringify({
    runDir,
    optik: { ...optik, trainSamplesPerSecond: run.samplesPerSecond },
    pytorch: { ...torch, test: { map50: port.ap50, map: port.ap } },
  }),
);
