import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@optik/backend';
import { createRng } from '@optik/core';
import { tempDir, writePng } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolvePipelineConfig, runTraining } from '../index.js';

// Issue #14: a 256×256 U-Net (the zoo's unet-tiny) trained through the semantic-segmentation task holds a flat
// tensor count across epochs — every batch, metric update, validation pass and checkpoint frees what it made. Peak
// RSS of a real run is measured by `pnpm bench:segment-memory` (packages/pipeline/bench/segment-memory.mjs).

// wasm (with Optik's training kernels): on the pure-JS cpu backend one 256×256 U-Net step takes minutes.
beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
});

const SIZE = 256;

describe('semantic segmentation at 256×256', () => {
  it('keeps tf.memory().numTensors flat from epoch 1 to epoch 3 (unet-tiny, 4 train images, batch 2)', async () => {
    const dir = tempDir('optik-seg-memory-');
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'masks'));
    const rng = createRng(11);
    // Six scenes (4 train, 1 validation, 1 test): a bright square of class 1 and a dark one of class 2 on noise.
    for (let i = 0; i < 6; i++) {
      const pixels = Uint8Array.from({ length: SIZE * SIZE * 3 }, () => rng.int(60, 120));
      const mask = new Uint8Array(SIZE * SIZE);
      for (const [cls, shade] of [
        [1, 240],
        [2, 10],
      ] as const) {
        const x0 = rng.int(0, SIZE - 80);
        const y0 = rng.int(0, SIZE - 80);
        for (let y = y0; y < y0 + 64; y++) {
          for (let x = x0; x < x0 + 64; x++) {
            pixels.fill(shade, (y * SIZE + x) * 3, (y * SIZE + x + 1) * 3);
            mask[y * SIZE + x] = cls;
          }
        }
      }
      writePng(join(dir, 'images', `${i}.png`), SIZE, SIZE, 3, pixels);
      writePng(join(dir, 'masks', `${i}.png`), SIZE, SIZE, 1, mask);
    }
    const config = resolvePipelineConfig({
      task: 'semantic-segmentation',
      seed: 5,
      backend: 'wasm',
      data: {
        source: {
          format: 'masks',
          imagesDir: join(dir, 'images'),
          masksDir: join(dir, 'masks'),
          classNames: ['background', 'bright', 'dark'],
        },
        imageSize: [SIZE, SIZE],
        batchSize: 2,
        validationSplit: 0.17,
        testSplit: 0.17,
        cacheDir: join(dir, 'cache'),
      },
      // The example's augmentation: masks move with the pixels (nearest neighbour) in every training batch.
      augment: {
        type: 'Compose',
        transforms: [
          { type: 'RandomFlip', mode: 'horizontal', p: 0.5 },
          { type: 'RandomZoom', scale: [0.8, 1.2], p: 0.5 },
          { type: 'RandomBrightness', p: 0.5 },
        ],
      },
      model: { preset: 'unet-tiny' },
      train: { epochs: 3 },
      output: { root: join(dir, 'runs') },
    });
    const before = tf.memory().numTensors;
    const tensorsAfter: number[] = [];
    const result = await runTraining(config, {
      progress: false,
      onEpoch: () => {
        tensorsAfter.push(tf.memory().numTensors);
      },
    });
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.dataset).toMatchObject({ train: 4, validation: 1, test: 1 });
    expect(result.epochs).toBe(3);
    expect(tensorsAfter).toHaveLength(3);
    // The model's weights and the optimizer's slots exist from epoch 1 on; nothing else may pile up. (No early
    // stopping here: its restoreBestWeights, on by default in pipeline configs, holds one copy of the weights from
    // the end of epoch 1, after this probe has run.)
    expect(tensorsAfter[0]).toBeGreaterThan(before);
    expect(tensorsAfter[2]).toBe(tensorsAfter[0]);
    expect(tensorsAfter[1]).toBe(tensorsAfter[0]);
    expect(tf.memory().numTensors).toBe(before);
  }, 240_000);
});
