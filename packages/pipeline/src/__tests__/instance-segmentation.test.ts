import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isOptikError, rleDecode, rleFromString, rleToBbox } from '@optik/core';
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

// The instance segmentation task beyond the task harness: the example config, config and data errors, validation
// mask and box mAP per epoch, segmentations.json (COCO results with RLE masks), and prediction with RLE masks in
// the files' pixels and overlay images.

const SYNTH = { classes: 2, count: [16, 6, 6], imageSize: [64, 96], objectsPerImage: [1, 3], imageFormat: 'png' };
const TINY_MODEL = {
  layers: [
    { type: 'conv', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same' },
  ],
  strides: [4],
  fpnChannels: 8,
  headConvs: 0,
  prototypes: 4,
  protoChannels: 4,
  protoStride: 2,
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

describe('instance segmentation config', () => {
  it('examples/instance-segmentation/train.yaml resolves: synth data, det-tiny with prototypes, val_mask_map50', () => {
    const config = loadPipelineConfig(resolve(__dirname, '../../../../examples/instance-segmentation/train.yaml'));
    expect(config.task).toBe('instance-segmentation');
    if (config.task !== 'instance-segmentation') return;
    expect(config.model).toMatchObject({
      preset: 'det-tiny',
      strides: [8],
      pyramidStrides: [8, 16, 32],
      prototypes: 16,
      protoStride: 4,
    });
    expect(config.data.synth?.count).toEqual([8000, 300, 300]);
    expect(config.data.imageSize).toEqual([128, 128]);
    expect(config.train).toMatchObject({ maskWeight: 1, maxMaskPositives: 32, centerSamplingRadius: 1.5 });
    expect(config.postprocess).toMatchObject({ maskThreshold: 0.5, scoreThreshold: 0.05 });
    expect(config.callbacks.checkpoint.monitor).toBe('val_mask_map50');
  });

  it('refuses sources without masks, a prototype stride off the pyramid, and an unknown key', () => {
    const base = { task: 'instance-segmentation', data: { synth: {} }, model: { preset: 'det-tiny' } };
    expect(configError({ ...base, data: { source: { format: 'voc', path: '.' } } })).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/masks from coco sources/),
    });
    expect(configError({ ...base, model: { preset: 'det-tiny', protoStride: 3 } }).message).toMatch(/protoStride/);
    expect(configError({ ...base, train: { maskWieght: 2 } }).code).toBe('CONFIG_UNKNOWN_KEY');
  });
});

describe('instance segmentation training, evaluation and prediction', () => {
  let dir: string;
  let result: TrainingResult;
  let testImages: string[];
  let boxesOnly: string;
  let imageRoot: string;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = tempDir('optik-instances-');
    const cacheDir = join(dir, 'cache');
    const set = await ensureSynthDataset({ ...(SYNTH as Record<string, unknown>), cacheDir });
    testImages = readdirSync(set.splits.test.images)
      .sort()
      .slice(0, 3)
      .map((f) => join(set.splits.test.images, f));
    // The training split's annotations without their segmentations: boxes only.
    const coco = JSON.parse(readFileSync(set.splits.train.annotations, 'utf8')) as {
      annotations: Record<string, unknown>[];
    };
    for (const annotation of coco.annotations) delete annotation.segmentation;
    boxesOnly = join(dir, 'boxes-only.json');
    imageRoot = set.splits.train.images;
    writeFileSync(boxesOnly, JSON.stringify(coco));
    const config = resolvePipelineConfig({
      task: 'instance-segmentation',
      seed: 3,
      backend: 'cpu',
      data: { synth: SYNTH, imageSize: [32, 48], batchSize: 8, cacheDir },
      model: TINY_MODEL,
      augment: { type: 'RandomFlip', p: 0.5 },
      train: { epochs: 2 },
      output: { root: join(dir, 'runs') },
    });
    result = await runTraining(config, { progress: false });
  }, 240_000);

  it('logs mask and box mAP every epoch, in [0, 1], and reports both on the test split', () => {
    const { header, rows } = readCsv(readFileSync(join(result.runDir, 'results.csv'), 'utf8'));
    expect(rows).toHaveLength(2);
    for (const key of ['val_mask_map50', 'val_mask_map', 'val_map50', 'val_map']) {
      const column = header.indexOf(key);
      expect(column, key).toBeGreaterThan(-1);
      for (const row of rows) {
        const value = Number(row[column]);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
    expect(result.metrics).toMatchObject({ numSamples: 6 });
    for (const key of ['maskMap50', 'maskMap', 'map50', 'map']) expect(typeof result.metrics[key]).toBe('number');
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8')) as {
      classNames: string[];
      mask: { perClass: { name: string }[]; map50: number };
      box: { perClass: { name: string }[]; map50: number };
    };
    expect(metrics.mask.perClass.map((c) => c.name)).toEqual(metrics.classNames);
    expect(metrics.mask.map50).toBe(result.metrics.maskMap50);
    expect(metrics.box.map50).toBe(result.metrics.map50);
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    expect(html).toContain('Mask mAP@0.5');
    expect(html).toContain('Box mAP@0.5');
  });

  it('writes COCO results with RLE masks inside their boxes (segmentations.json)', () => {
    const results = JSON.parse(readFileSync(join(result.runDir, 'segmentations.json'), 'utf8')) as {
      image_id: number;
      category_id: number;
      bbox: number[];
      score: number;
      segmentation: { size: [number, number]; counts: string };
    }[];
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.image_id).toBeGreaterThanOrEqual(1);
      expect(r.image_id).toBeLessThanOrEqual(6);
      expect([1, 2]).toContain(r.category_id);
      expect(r.segmentation.size).toEqual([32, 48]);
      const rle = rleFromString(r.segmentation.counts, 32, 48);
      expect(rleDecode(rle)).toHaveLength(32 * 48);
      const [x, y, w, h] = rleToBbox(rle);
      if (w === 0) continue;
      const [bx, by, bw, bh] = r.bbox as [number, number, number, number];
      // Pixels of the mask lie in the box (the box is rounded to 0.01 px here: one pixel of slack).
      expect(x).toBeGreaterThanOrEqual(Math.floor(bx) - 1);
      expect(y).toBeGreaterThanOrEqual(Math.floor(by) - 1);
      expect(x + w).toBeLessThanOrEqual(Math.ceil(bx + bw) + 1);
      expect(y + h).toBeLessThanOrEqual(Math.ceil(by + bh) + 1);
    }
  });

  it("predicts class, score, box and an RLE mask in the files' pixels, and draws the overlay", async () => {
    const outDir = join(dir, 'drawn');
    const { predictions } = await runPrediction(result.runDir, testImages, { conf: 0.01, outDir });
    const sizes = await Promise.all(testImages.map((f) => imageDimensions(f)));
    let masks = 0;
    predictions.forEach((p, i) => {
      const entry = p as unknown as {
        detections: {
          label: string;
          score: number;
          box: number[];
          mask: { size: [number, number]; counts: string };
        }[];
        output: string;
      };
      const size = sizes[i] as { width: number; height: number };
      for (const d of entry.detections) {
        expect(d.score).toBeGreaterThan(0.01);
        expect(d.mask.size).toEqual([size.height, size.width]);
        const rle = rleFromString(d.mask.counts, size.height, size.width);
        const [x, y, w, h] = rleToBbox(rle);
        if (w === 0) continue;
        masks++;
        // The mask lies in the box (both scaled from the 32×48 input; an input pixel of slack on each side for the
        // pixel a box edge cuts and the nearest-neighbour resize).
        const slack = 2 * Math.max(size.width / 48, size.height / 32);
        expect(x).toBeGreaterThanOrEqual((d.box[0] as number) - slack);
        expect(y).toBeGreaterThanOrEqual((d.box[1] as number) - slack);
        expect(x + w).toBeLessThanOrEqual((d.box[2] as number) + slack);
        expect(y + h).toBeLessThanOrEqual((d.box[3] as number) + slack);
      }
      expect(existsSync(entry.output)).toBe(true);
    });
    expect(masks).toBeGreaterThan(0);
  });

  it('refuses COCO annotations without segmentations when loading', async () => {
    let error: unknown;
    try {
      await runTraining(
        resolvePipelineConfig({
          task: 'instance-segmentation',
          backend: 'cpu',
          data: { source: { format: 'coco', path: boxesOnly, imageRoot }, imageSize: [32, 48] },
          model: TINY_MODEL,
          train: { epochs: 1 },
          output: { root: join(dir, 'runs') },
        }),
        { progress: false },
      );
    } catch (e) {
      error = e;
    }
    expect(isOptikError(error) && error.code).toBe('DATA_FORMAT');
    expect((error as Error).message).toMatch(/no instance masks/);
  });
});
