import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, isOptikError } from '@optik/core';
import { tempDir, writePng } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineConfig, resolvePipelineConfig, runTraining } from '../index.js';

// The semantic-segmentation task beyond the task harness: its example config, config errors with their paths, and
// a COCO source (polygons and RLE painted into class masks) where an image with an empty polygon is skipped and
// counted, and each bad mask of issue #14 stopping the run with its coded error before training.

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
    // The 20-minute limit plans the epochs; the cosine schedule spans them.
    expect(config.callbacks.schedule).toMatchObject({ type: 'cosine' });
    expect(config.callbacks.timeLimit).toMatchObject({ minutes: 20 });
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
        // Image 3's object has an empty polygon list and image 5's an RLE without a foreground pixel: painting
        // them as background would be wrong, so both images are skipped.
        segmentation: i === 3 ? [] : i === 5 ? { counts: [h * w], size: [h, w] } : [[x, 4, x + 8, 4, x + 8, 12, x, 12]],
      });
    }
    const file = join(dir, 'instances.json');
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
    expect(metrics.dataset.skipped).toBe(2);
    expect(metrics.dataset.train + metrics.dataset.validation + metrics.dataset.test).toBe(12);
    const skippedCsv = readFileSync(join(result.runDir, 'skipped.csv'), 'utf8');
    expect(skippedCsv).toContain('3.png');
    expect(skippedCsv).toContain('an empty polygon list');
    expect(skippedCsv).toContain('5.png');
    expect(skippedCsv).toContain('an RLE mask with no foreground pixel');
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

describe("bad masks stop the run before training, with the reader's coded error (issue #14)", () => {
  const [h, w] = [8, 16];
  /** A masks folder of 4 images; `bad` is image 0's mask. */
  function masksSource(dir: string, bad: { width: number; height: number; channels: 1 | 3; data: Uint8Array }) {
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'masks'));
    for (let i = 0; i < 4; i++) {
      writePng(join(dir, 'images', `${i}.png`), w, h, 3, new Uint8Array(h * w * 3).fill(40 * i));
      const mask = i === 0 ? bad : { width: w, height: h, channels: 1 as const, data: new Uint8Array(h * w) };
      writePng(join(dir, 'masks', `${i}.png`), mask.width, mask.height, mask.channels, mask.data);
    }
    return { format: 'masks', imagesDir: join(dir, 'images'), masksDir: join(dir, 'masks') };
  }
  /** A COCO JSON of 4 images with a square polygon each; `bad` overrides image 0's annotation. */
  function cocoSource(dir: string, bad: { segmentation: unknown; category_id?: number }) {
    mkdirSync(join(dir, 'images'));
    const images = [0, 1, 2, 3].map((i) => {
      writePng(join(dir, 'images', `${i}.png`), w, h, 3, new Uint8Array(h * w * 3).fill(40 * i));
      return { id: i + 1, file_name: `images/${i}.png`, width: w, height: h };
    });
    const square = [[2, 2, 6, 2, 6, 6, 2, 6]];
    const annotations = images.map((image, i) => ({
      id: i + 1,
      image_id: image.id,
      category_id: 5,
      bbox: [2, 2, 4, 4],
      segmentation: square,
      ...(i === 0 ? bad : {}),
    }));
    const file = join(dir, 'instances.json');
    writeFileSync(file, JSON.stringify({ images, annotations, categories: [{ id: 5, name: 'block' }] }));
    return { format: 'coco', path: file };
  }
  async function failure(dir: string, source: Record<string, unknown>) {
    const config = resolvePipelineConfig({
      task: 'semantic-segmentation',
      backend: 'cpu',
      data: { source, imageSize: [h, w], validationSplit: 0.25, testSplit: 0.25 },
      model: { depth: 2, baseFilters: 4 },
      train: { epochs: 1 },
      output: { root: join(dir, 'runs') },
    });
    const error = await runTraining(config, { progress: false }).catch((e: unknown) => e);
    if (!isOptikError(error)) throw new Error(`expected an OptikError, got ${String(error)}`);
    return error;
  }
  const grey = (data: Uint8Array, width = w, height = h) => ({ width, height, channels: 1 as const, data });
  const palette = [
    [0, 0, 0],
    [200, 0, 0],
  ];

  it('masks folder: a mask of another size, a class id above the class count, a colour not in the palette', async () => {
    let dir = tempDir('optik-seg-bad-');
    let error = await failure(dir, { ...masksSource(dir, grey(new Uint8Array(h * w), h, w)), classNames: ['a', 'b'] });
    expect(error.code).toBe('DATA_MISMATCH');
    expect(error.message).toContain(join(dir, 'masks', '0.png'));
    expect(error.message).toContain(`The mask is ${h}×${w}, the image ${w}×${h}`);

    dir = tempDir('optik-seg-bad-');
    error = await failure(dir, { ...masksSource(dir, grey(new Uint8Array(h * w).fill(2))), classNames: ['a', 'b'] });
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.message).toContain(join(dir, 'masks', '0.png'));
    expect(error.message).toContain('holds class id 2, but the source has 2 classes');

    dir = tempDir('optik-seg-bad-');
    const rgb = new Uint8Array(h * w * 3).fill(90); // grey 90: in no palette entry
    const source = masksSource(dir, { width: w, height: h, channels: 3, data: rgb });
    error = await failure(dir, { ...source, classNames: ['a', 'b'], palette });
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.message).toContain('rgb(90, 90, 90), which is not in the palette');
    // A palette with more colours than classes is a config error naming the key.
    expect(() =>
      resolvePipelineConfig({
        task: 'semantic-segmentation',
        data: { source: { ...source, classNames: ['a'], palette } },
        output: { root: join(dir, 'runs') },
      }),
    ).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('data.source.palette') }),
    );
  });

  it('COCO: an RLE whose runs do not sum to h·w or of another size, and an unknown category', async () => {
    let dir = tempDir('optik-seg-bad-');
    let error = await failure(dir, cocoSource(dir, { segmentation: { counts: [10, 5], size: [h, w] } }));
    expect(error.code).toBe('DATA_FORMAT');
    expect(error.details.path).toBe('annotations[0].segmentation.counts');
    expect(error.message).toContain(`The RLE runs cover 15 pixels, but its ${h}×${w} (height×width) mask has ${h * w}`);

    dir = tempDir('optik-seg-bad-');
    error = await failure(dir, cocoSource(dir, { segmentation: { counts: [h * w], size: [w, h] } }));
    expect(error.code).toBe('DATA_MISMATCH');
    expect(error.details.path).toBe('annotations[0].segmentation.size');

    dir = tempDir('optik-seg-bad-');
    error = await failure(dir, cocoSource(dir, { segmentation: [[2, 2, 6, 2, 6, 6]], category_id: 9 }));
    expect(error.code).toBe('DATA_UNKNOWN_CLASS');
    expect(error.details.path).toBe('annotations[0].category_id');
  });
});
