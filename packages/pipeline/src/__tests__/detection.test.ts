import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isOptikError } from '@optik/core';
import { ensureSynthDataset, imageDimensions } from '@optik/data';
import { readCsv, tempDir } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadPipelineConfig,
  resolvePipelineConfig,
  runPrediction,
  runTraining,
  type TrainingResult,
} from '../index.js';

// The detection task beyond the task harness: the example config, config errors, Mosaic augmentation in training,
// validation mAP per epoch, a mirrored test pass (test.tta), detections.json, and prediction with a confidence
// threshold and drawn images.

const SYNTH = { classes: 2, count: [16, 6, 6], imageSize: [64, 96], objectsPerImage: [1, 3], imageFormat: 'png' };
const TINY_MODEL = {
  layers: [
    { type: 'conv', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same' },
  ],
  strides: [4],
  fpnChannels: 8,
  headConvs: 0,
};

function configError(input: Record<string, unknown>): { code: string; path: unknown; message: string } {
  try {
    resolvePipelineConfig(input);
  } catch (e) {
    if (isOptikError(e)) return { code: e.code, path: e.details.path, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

describe('detection config', () => {
  it('examples/detection/train.yaml resolves: synth data, det-tiny, val_map50 checkpoint', () => {
    const config = loadPipelineConfig(resolve(__dirname, '../../../../examples/detection/train.yaml'));
    expect(config.task).toBe('detection');
    if (config.task !== 'detection') return;
    expect(config.model).toMatchObject({ preset: 'det-tiny', strides: [8], pyramidStrides: [8, 16, 32], seed: 42 });
    expect(config.data.synth?.count).toEqual([8000, 300, 300]);
    expect(config.train.fcos).toEqual({
      classificationWeight: 1,
      boxWeight: 1,
      centernessWeight: 1,
      alpha: 0.25,
      gamma: 2,
    });
    expect(config.callbacks.checkpoint.monitor).toBe('val_map50');
    expect(config.test.tta).toEqual(['hflip']);
  });

  it('refuses an image size off the stride grid, two data sources, and sources without boxes', () => {
    const base = { task: 'detection', data: { synth: {} }, model: { preset: 'det-tiny' } };
    expect(configError({ ...base, data: { synth: {}, imageSize: [100, 128] } })).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'data.imageSize',
    });
    expect(configError({ ...base, data: { synth: {}, source: { format: 'coco', path: 'x.json' } } }).message).toMatch(
      /exactly one of `synth`/,
    );
    expect(configError({ ...base, data: { source: { format: 'folder', path: '.' } } }).message).toMatch(
      /coco, voc or yolo/,
    );
    expect(configError({ ...base, model: { preset: 'det-tiny', strides: [8, 12] } }).message).toMatch(/power of 2/);
    // One size bound between each two levels, increasing.
    for (const sizeBounds of [[16], [32, 16]]) {
      expect(configError({ ...base, train: { sizeBounds } })).toMatchObject({
        code: 'CONFIG_INVALID',
        path: 'train.sizeBounds',
      });
    }
  });
});

describe('detection training with Mosaic, validation mAP and prediction', () => {
  let dir: string;
  let result: TrainingResult;
  let testImages: string[];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = tempDir('optik-detection-');
    const cacheDir = join(dir, 'cache');
    const set = await ensureSynthDataset({ ...(SYNTH as Record<string, unknown>), cacheDir });
    testImages = readdirSync(set.splits.test.images)
      .sort()
      .slice(0, 3)
      .map((f) => join(set.splits.test.images, f));
    const config = resolvePipelineConfig({
      task: 'detection',
      seed: 3,
      backend: 'cpu',
      data: { synth: SYNTH, imageSize: [32, 48], batchSize: 8, cacheDir },
      model: TINY_MODEL,
      augment: {
        type: 'Compose',
        transforms: [
          { type: 'Mosaic', height: 32, width: 48, p: 1 },
          { type: 'RandomFlip', p: 0.5 },
        ],
      },
      train: { epochs: 2 },
      // The test split is also predicted mirrored, mapped back and averaged (detection's test-time augmentation).
      test: { tta: ['hflip'] },
      output: { root: join(dir, 'runs') },
    });
    result = await runTraining(config, { progress: false });
  }, 180_000);

  it('logs val_map50 and val_map every epoch, in [0, 1]', () => {
    const { header, rows } = readCsv(readFileSync(join(result.runDir, 'results.csv'), 'utf8'));
    expect(rows).toHaveLength(2);
    for (const key of ['val_map50', 'val_map']) {
      const column = header.indexOf(key);
      expect(column, key).toBeGreaterThan(-1);
      for (const row of rows) {
        const value = Number(row[column]);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
    expect(result.metrics).toMatchObject({ numSamples: 6 });
    expect(typeof result.metrics.map50).toBe('number');
  });

  it('writes COCO results (detections.json) and a per-class report', () => {
    const detections = JSON.parse(readFileSync(join(result.runDir, 'detections.json'), 'utf8')) as {
      image_id: number;
      category_id: number;
      bbox: number[];
      score: number;
    }[];
    expect(detections.length).toBeGreaterThan(0);
    for (const d of detections) {
      expect(d.image_id).toBeGreaterThanOrEqual(1);
      expect(d.image_id).toBeLessThanOrEqual(6);
      expect([1, 2]).toContain(d.category_id);
      expect(d.bbox).toHaveLength(4);
      expect(d.bbox[0]! + d.bbox[2]!).toBeLessThanOrEqual(48.01);
      expect(d.score).toBeGreaterThan(0.05);
    }
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8')) as {
      perClass: { name: string }[];
      classNames: string[];
    };
    expect(metrics.perClass.map((c) => c.name)).toEqual(metrics.classNames);
    expect(readFileSync(join(result.runDir, 'report.html'), 'utf8')).toContain('Average precision per class');
  });

  it('predicts boxes in the files’ pixels, filtered by conf, and draws them', async () => {
    const outDir = join(dir, 'drawn');
    const loose = await runPrediction(result.runDir, testImages, { conf: 0.01, outDir });
    const strict = await runPrediction(result.runDir, testImages, { conf: 0.99 });
    const sizes = await Promise.all(testImages.map((f) => imageDimensions(f)));
    loose.predictions.forEach((p, i) => {
      const entry = p as unknown as { detections: { score: number; box: number[] }[]; output: string };
      expect(entry.detections.length).toBeGreaterThanOrEqual(
        (strict.predictions[i] as unknown as { detections: unknown[] }).detections.length,
      );
      const size = sizes[i] as { width: number; height: number };
      for (const d of entry.detections) {
        expect(d.score).toBeGreaterThan(0.01);
        // Boxes are scaled from the 32×48 input to the file's own size.
        expect(d.box[2]).toBeLessThanOrEqual(size.width + 0.01);
        expect(d.box[3]).toBeLessThanOrEqual(size.height + 0.01);
      }
      expect(Math.max(...entry.detections.map((d) => d.box[2] as number), 0)).toBeGreaterThan(0);
      expect(existsSync(entry.output)).toBe(true);
    });
    expect(loose.predictions.some((p) => (p as unknown as { detections: unknown[] }).detections.length > 0)).toBe(true);
  });
});
