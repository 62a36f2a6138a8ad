import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, isOptikError } from '@optik/core';
import { tempDir, writePng } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineConfig, resolvePipelineConfig, runTraining } from '../index.js';

// The semantic-segmentation task beyond the task harness: its example config, config errors with their paths, and
// a COCO source (polygons and RLE painted into class masks) where an image with an empty polygon is skipped and
// counted.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const EXAMPLE = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'segmentation', 'train.yaml');

/** The error's code and the config path it names (in `details.path`, or first in the message for zod issues). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!isOptikError(error)) return String(error);
    const path = error.details.path ?? /config: ([\w.[\]]+):/.exec(error.message)?.[1] ?? '';
    return `${error.code} ${path}`.trim();
  }
  return 'none';
}

describe('semantic-segmentation config', () => {
  it('resolves the example config with its defaults', () => {
    const config = loadPipelineConfig(EXAMPLE);
    if (config.task !== 'semantic-segmentation') throw new Error(`task ${config.task}`);
    expect(config.data.dataset).toBe('synth');
    expect(config.data.imageSize).toEqual([96, 96]);
    expect(config.model).toMatchObject({ preset: 'unet-tiny', seed: 7 });
    expect(config.train.segmentationLoss).toMatchObject({ crossEntropy: 1, dice: 1, ignoreIndex: 255 });
  });

  it('refuses bad sections with coded errors naming the path', () => {
    const dir = tempDir('optik-seg-config-');
    mkdirSync(join(dir, 'images'));
    const masks = {
      format: 'masks',
      imagesDir: join(dir, 'images'),
      masksDir: join(dir, 'images'),
      classNames: ['bg', 'a'],
    };
    const base = { task: 'semantic-segmentation', output: { root: join(dir, 'runs') } };
    expect(codeOf(() => resolvePipelineConfig({ ...base, data: { source: { format: 'voc', path: dir } } }))).toBe(
      'CONFIG_INVALID data.source.format',
    );
    expect(codeOf(() => resolvePipelineConfig({ ...base, data: { dataset: 'synth', source: masks } }))).toBe(
      'CONFIG_INVALID data.source',
    );
    expect(codeOf(() => resolvePipelineConfig({ ...base, data: { source: masks, synth: { classes: 2 } } }))).toBe(
      'CONFIG_INVALID data.synth',
    );
    expect(
      codeOf(() => resolvePipelineConfig({ ...base, data: { source: { ...masks, masksDir: join(dir, 'nope') } } })),
    ).toBe('DATA_NOT_FOUND data.source.masksDir');
    expect(codeOf(() => resolvePipelineConfig({ ...base, data: { source: masks }, model: { depth: 9 } }))).toBe(
      'CONFIG_INVALID model.depth',
    );
    expect(
      codeOf(() =>
        resolvePipelineConfig({
          ...base,
          data: { source: masks },
          train: { segmentationLoss: { crossEntropy: 0, dice: 0 } },
        }),
      ),
    ).toBe('CONFIG_INVALID train.segmentationLoss.dice');
  });
});

describe('semantic segmentation from COCO', () => {
  it('paints polygons and RLE into class masks, skips (and lists) an image with an empty polygon, and trains', async () => {
    const dir = tempDir('optik-seg-coco-');
    const rng = createRng(3);
    const [h, w] = [16, 24];
    mkdirSync(join(dir, 'images'));
    const images: Record<string, unknown>[] = [];
    const annotations: Record<string, unknown>[] = [];
    for (let i = 0; i < 14; i++) {
      const pixels = Uint8Array.from({ length: h * w * 3 }, () => rng.int(0, 50));
      const x = rng.int(0, 12);
      for (let y = 4; y < 12; y++) for (let xx = x; xx < x + 8; xx++) pixels.set([230, 60, 60], (y * w + xx) * 3);
      writePng(join(dir, 'images', `${i}.png`), w, h, 3, pixels);
      images.push({ id: i + 1, file_name: `images/${i}.png`, width: w, height: h });
      annotations.push({
        id: i + 1,
        image_id: i + 1,
        category_id: 5,
        bbox: [x, 4, 8, 8],
        // Image 3's object has an empty polygon list: painting it as background would be wrong, so it is skipped.
        segmentation: i === 3 ? [] : [[x, 4, x + 8, 4, x + 8, 12, x, 12]],
      });
    }
    const file = join(dir, 'instances.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ images, annotations, categories: [{ id: 5, name: 'block' }] }));
    const config = resolvePipelineConfig({
      task: 'semantic-segmentation',
      seed: 2,
      backend: 'cpu',
      data: { source: { format: 'coco', path: file }, imageSize: [h, w], batchSize: 8, validationSplit: 0.2 },
      model: { depth: 2, baseFilters: 4 },
      train: { epochs: 1 },
      output: { root: join(dir, 'runs') },
    });
    const before = tf.memory().numTensors;
    const result = await runTraining(config, { progress: false });
    expect(tf.memory().numTensors).toBe(before);
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.classNames).toEqual(['background', 'block']);
    expect(metrics.dataset.skipped).toBe(1);
    expect(metrics.dataset.train + metrics.dataset.validation + metrics.dataset.test).toBe(13);
    expect(readFileSync(join(result.runDir, 'skipped.csv'), 'utf8')).toContain('empty segmentation');
    expect(result.metrics).toHaveProperty('miou');
    expect(existsSync(join(result.runDir, 'per-class.csv'))).toBe(true);
  });

  it('refuses an image size the U-Net cannot halve depth times, before training', async () => {
    const dir = tempDir('optik-seg-size-');
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'masks'));
    for (let i = 0; i < 6; i++) {
      writePng(join(dir, 'images', `${i}.png`), 20, 10, 3, new Uint8Array(600).fill(i * 20));
      writePng(join(dir, 'masks', `${i}.png`), 20, 10, 1, new Uint8Array(200).fill(i % 2));
    }
    const config = resolvePipelineConfig({
      task: 'semantic-segmentation',
      backend: 'cpu',
      data: {
        source: {
          format: 'masks',
          imagesDir: join(dir, 'images'),
          masksDir: join(dir, 'masks'),
          classNames: ['a', 'b'],
        },
        imageSize: [10, 20],
        validationSplit: 0.2,
      },
      model: { depth: 2, baseFilters: 4 },
      output: { root: join(dir, 'runs') },
    });
    const error = await runTraining(config, { progress: false }).catch((e: unknown) => e);
    expect(isOptikError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('model.inputShape 10×20 is not divisible by 2^depth = 4');
  });
});
