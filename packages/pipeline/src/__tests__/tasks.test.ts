import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@optik/core';
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

describeTaskHarness([classification, localization], {
  resolvePipelineConfig,
  loadPipelineConfig,
  runTraining,
  runEvaluation,
  runPrediction,
  taskKinds,
});
