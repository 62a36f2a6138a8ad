import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@optik/core';
import { ensureSynthDataset } from '@optik/data';
import { boxImages, describeTaskHarness, type TaskHarnessCase, writePng, writeVocFolder } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';
import {
  loadPipelineConfig,
  resolvePipelineConfig,
  runEvaluation,
  runPrediction,
  runTraining,
  taskKinds,
} from '../index.js';

// Every registered task through config → tiny training → run folder → eval → predict, with no tensor leak. A task
// added to the registry without a case here fails the first test.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TINY_CONV = [
  { type: 'conv', filters: 4, kernelSize: 3 },
  { type: 'pool', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 16 },
];

/** Two classes told apart by brightness: 16 dark and 16 light 10×12 RGB noise images per class folder. */
const classification: TaskHarnessCase = {
  kind: 'classification',
  makeConfig(dir) {
    const rng = createRng(5);
    for (const [name, level] of [
      ['dark', 40],
      ['light', 200],
    ] as const) {
      mkdirSync(join(dir, 'shapes', name), { recursive: true });
      for (let i = 0; i < 16; i++) {
        const pixels = Uint8Array.from({ length: 10 * 12 * 3 }, () => level + rng.int(0, 40));
        writePng(join(dir, 'shapes', name, `${i}.png`), 12, 10, 3, pixels);
      }
    }
    return {
      task: 'classification',
      seed: 1,
      backend: 'cpu',
      data: { directory: join(dir, 'shapes'), imageSize: [10, 12], validationSplit: 0.2, testSplit: 0.2, batchSize: 8 },
      model: { layers: TINY_CONV },
      train: { epochs: 2 },
    };
  },
  imageFiles: (dir) => [join(dir, 'shapes', 'light', '3.png'), join(dir, 'shapes', 'dark', '0.png')],
  artifacts: ['plots/confusion-matrix.png', 'plots/pr-curves.png', 'plots/test-predictions.png'],
};

/** 40 grayscale 32×48 images with one bright rectangle of two classes, as a VOC folder. */
const localization: TaskHarnessCase = {
  kind: 'localization',
  makeConfig(dir) {
    writeVocFolder(
      join(dir, 'voc'),
      boxImages({ count: 40, height: 32, width: 48, classes: ['dim', 'bright'], seed: 2 }),
    );
    return {
      task: 'localization',
      seed: 1,
      backend: 'cpu',
      data: {
        source: { format: 'voc', path: join(dir, 'voc') },
        imageSize: [32, 48],
        colorMode: 'grayscale',
        batchSize: 8,
      },
      model: { layers: TINY_CONV },
      train: { epochs: 1 },
    };
  },
  imageFiles: (dir) => ['00.png', '01.png', '17.png'].map((name) => join(dir, 'voc', 'JPEGImages', name)),
  artifacts: ['plots/test-predictions.png', 'plots/iou-histogram.png'],
};

/** A tiny synthetic detection set (2 classes of cut-outs on photos, 1–3 objects, 64×96), generated into `dir`. */
const SYNTH = { classes: 2, count: [24, 8, 8], imageSize: [64, 96], objectsPerImage: [1, 3], imageFormat: 'png' };
let synthTest = '';
const detection: TaskHarnessCase = {
  kind: 'detection',
  async makeConfig(dir) {
    const cacheDir = join(dir, 'cache');
    const set = await ensureSynthDataset({ ...(SYNTH as Record<string, unknown>), cacheDir });
    synthTest = set.splits.test.images;
    return {
      task: 'detection',
      seed: 1,
      backend: 'cpu',
      data: { synth: SYNTH, imageSize: [32, 48], batchSize: 8, cacheDir },
      // Two pyramid levels on three stride-2 convs: seconds on tfjs's cpu kernels (det-tiny takes minutes there).
      model: {
        layers: [
          { type: 'conv', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
          { type: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same' },
          { type: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same' },
        ],
        strides: [4, 8],
        fpnChannels: 8,
        headConvs: 1,
      },
      augment: { type: 'RandomFlip', p: 0.5 },
      train: { epochs: 1 },
    };
  },
  imageFiles: () =>
    readdirSync(synthTest)
      .sort()
      .slice(0, 2)
      .map((name) => join(synthTest, name)),
  artifacts: ['detections.json', 'plots/pr-curve.png', 'plots/test-predictions.png'],
};

/** The same synthetic set with its exact instance masks, through a tiny instance segmenter (prototypes at stride 2). */
const instanceSegmentation: TaskHarnessCase = {
  kind: 'instance-segmentation',
  async makeConfig(dir) {
    const cacheDir = join(dir, 'cache');
    const set = await ensureSynthDataset({ ...(SYNTH as Record<string, unknown>), cacheDir });
    synthTest = set.splits.test.images;
    const config = (await detection.makeConfig(dir)) as { model: Record<string, unknown> };
    return {
      task: 'instance-segmentation',
      seed: 1,
      backend: 'cpu',
      data: { synth: SYNTH, imageSize: [32, 48], batchSize: 8, cacheDir },
      model: { ...config.model, prototypes: 4, protoChannels: 4, protoStride: 2 },
      augment: { type: 'RandomFlip', p: 0.5 },
      train: { epochs: 1 },
    };
  },
  imageFiles: () =>
    readdirSync(synthTest)
      .sort()
      .slice(0, 2)
      .map((name) => join(synthTest, name)),
  artifacts: ['segmentations.json', 'plots/pr-curve.png', 'plots/test-predictions.png'],
};

/**
 * 24 RGB 32×48 images, each with a red rectangle (class 1) and a green square (class 2) on dark noise, and their
 * class-id mask PNGs; one mask pixel per image is 255 (ignored). Trained with a flip so the masks move too.
 */
const segmentation: TaskHarnessCase = {
  kind: 'semantic-segmentation',
  makeConfig(dir) {
    const rng = createRng(9);
    const [h, w] = [32, 48];
    for (const sub of ['images', 'masks']) mkdirSync(join(dir, 'seg', sub), { recursive: true });
    for (let i = 0; i < 24; i++) {
      const pixels = Uint8Array.from({ length: h * w * 3 }, () => rng.int(0, 60));
      const mask = new Uint8Array(h * w);
      const paint = (x0: number, y0: number, bw: number, bh: number, id: number, rgb: number[]) => {
        for (let y = y0; y < y0 + bh; y++) {
          for (let x = x0; x < x0 + bw; x++) {
            mask[y * w + x] = id;
            pixels.set(rgb, (y * w + x) * 3);
          }
        }
      };
      paint(rng.int(0, 20), rng.int(0, 16), 18, 10, 1, [220, 40, 40]);
      paint(rng.int(28, 38), rng.int(0, 22), 9, 9, 2, [40, 220, 40]);
      mask[0] = 255;
      writePng(join(dir, 'seg', 'images', `${i}.png`), w, h, 3, pixels);
      writePng(join(dir, 'seg', 'masks', `${i}.png`), w, h, 1, mask);
    }
    return {
      task: 'semantic-segmentation',
      seed: 1,
      backend: 'cpu',
      data: {
        source: {
          format: 'masks',
          imagesDir: join(dir, 'seg', 'images'),
          masksDir: join(dir, 'seg', 'masks'),
          classNames: ['background', 'rectangle', 'square'],
        },
        imageSize: [32, 48],
        validationSplit: 0.2,
        testSplit: 0.25,
        batchSize: 8,
      },
      augment: { type: 'RandomFlip', mode: 'horizontal', p: 0.5 },
      model: { depth: 2, baseFilters: 4 },
      train: { epochs: 2 },
    };
  },
  imageFiles: (dir) => ['3.png', '11.png'].map((name) => join(dir, 'seg', 'images', name)),
  artifacts: ['per-class.csv', 'plots/test-predictions.png', 'plots/confusion-matrix.png'],
};

describeTaskHarness([classification, localization, detection, segmentation, instanceSegmentation], {
  resolvePipelineConfig,
  loadPipelineConfig,
  runTraining,
  runEvaluation,
  runPrediction,
  taskKinds,
});
