import type { BoxXyxy, ImageSample, Mask } from '@optik/core';
import { createRng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compose,
  fromConfig,
  parsePipeline,
  serializePipeline,
  type Transform,
  type TransformConfig,
  transformRegistry,
} from '../index.js';

const SIZE = 32;

/** Options a type needs beyond its defaults, and children for containers. Everything runs with p: 1. */
const EXTRA: Record<string, Record<string, unknown>> = {
  RandomCrop: { height: 24, width: 20 },
  RandomResizedCrop: { height: 28, width: 28, scale: [0.3, 1] },
  Mosaic: { height: 32, width: 32 },
  RandomRotate: { degrees: [-45, 45] },
  RandomZoom: { scale: [0.6, 1.6] },
  RandomTranslate: { x: [-0.3, 0.3], y: [-0.3, 0.3] },
  RandomFlip: { mode: 'both' },
  CopyPaste: { objectP: 1 },
  Compose: {
    transforms: [
      { type: 'RandomFlip', p: 1 },
      { type: 'RandomRotate', p: 1 },
    ],
  },
  OneOf: {
    transforms: [
      { type: 'RandomZoom', p: 1 },
      { type: 'RandomTranslate', p: 1 },
    ],
  },
  SomeOf: {
    n: [1, 2],
    transforms: [
      { type: 'RandomBrightness', p: 1 },
      { type: 'RandomRotate', p: 1 },
    ],
  },
};

function configFor(type: string): TransformConfig {
  return { type, p: 1, ...EXTRA[type] };
}

function rectMask(box: BoxXyxy): Mask {
  const data = new Uint8Array(SIZE * SIZE);
  for (let y = box[1]; y < box[3]; y++) for (let x = box[0]; x < box[2]; x++) data[y * SIZE + x] = 1;
  return { width: SIZE, height: SIZE, data };
}

/** A 32×32 RGB sample whose two boxes are also drawn as filled instance masks (and into the pixels). */
function makeSample(
  seed: number,
  boxes: BoxXyxy[] = [
    [6, 8, 18, 21],
    [17, 14, 29, 27],
  ],
): ImageSample {
  const rng = createRng(seed);
  const data = Uint8Array.from({ length: SIZE * SIZE * 3 }, () => rng.int(0, 120));
  const masks = boxes.map(rectMask);
  masks.forEach((mask, k) => {
    mask.data.forEach((v, i) => {
      if (v) data.set(k === 0 ? [250, 40, 40] : [40, 250, 40], i * 3);
    });
  });
  return {
    image: { width: SIZE, height: SIZE, channels: 3, data },
    target: { kind: 'instance-segmentation', labels: [1, 2], boxes, masks },
  };
}

/** The sample of {@link makeSample} with a semantic mask instead: class 1 under the red box, 5 under the green one. */
function semanticSample(seed: number): ImageSample {
  const sample = makeSample(seed);
  const target = sample.target as Extract<ImageSample['target'], { kind: 'instance-segmentation' }>;
  const data = new Uint8Array(SIZE * SIZE);
  target.masks.forEach((mask, k) => {
    mask.data.forEach((v, i) => {
      if (v) data[i] = k === 0 ? 1 : 5;
    });
  });
  return { ...sample, target: { kind: 'semantic-segmentation', mask: { width: SIZE, height: SIZE, data } } };
}

function maskBounds(mask: Mask): BoxXyxy | null {
  let box: [number, number, number, number] | null = null;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      if (box === null) box = [x, y, x + 1, y + 1];
      else box = [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)];
    }
  }
  return box;
}

function runOnce(t: Transform, sample: ImageSample, seed: number, pool: readonly ImageSample[]) {
  const context = { pool };
  const params = t.sampleParams(createRng(seed), sample, context);
  return { params, out: t.apply(sample, params, context) };
}

function batchOf(seed: number, n = 4): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: n * SIZE * SIZE * 3 }, () => rng.next()),
    [n, SIZE, SIZE, 3],
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('every registered transform', () => {
  const types = [...transformRegistry().keys()];

  it('registers the issue list of transforms', () => {
    for (const type of ['RandomRotate', 'RandomCrop', 'RandomResizedCrop', 'RandomFlip', 'RandomZoom']) {
      expect(types).toContain(type);
    }
    for (const type of ['RandomBrightness', 'RandomContrast', 'RandomTranslate', 'RandomErasing', 'GaussianNoise']) {
      expect(types).toContain(type);
    }
    for (const type of ['HueSaturation', 'MixUp', 'CutMix', 'Mosaic', 'CopyPaste', 'Compose', 'OneOf', 'SomeOf']) {
      expect(types).toContain(type);
    }
  });

  describe.each(types)('%s', (type) => {
    const pool = [
      makeSample(101, [[2, 3, 12, 14]]),
      makeSample(102, [
        [15, 5, 30, 16],
        [4, 20, 14, 30],
      ]),
    ];

    it('round-trips its config through fromConfig, JSON and YAML', () => {
      const t = fromConfig(configFor(type));
      expect(t.type).toBe(type);
      const config = t.toConfig();
      expect(fromConfig(config).toConfig()).toEqual(config);
      expect(parsePipeline(serializePipeline(t, 'json')).toConfig()).toEqual(config);
      expect(parsePipeline(serializePipeline(t, 'yaml')).toConfig()).toEqual(config);
    });

    it('gives the declared output shape, the same output for the same seed, and replays recorded params', () => {
      const t = fromConfig(configFor(type));
      const sample = makeSample(1);
      if (t.level === 'batch') {
        // Label mixing is batch-level: a single sample passes through untouched.
        expect(runOnce(t, sample, 3, pool).out).toBe(sample);
        return;
      }
      const before = tf.memory().numTensors;
      const a = runOnce(t, sample, 3, pool);
      const b = runOnce(t, sample, 3, pool);
      expect(tf.memory().numTensors).toBe(before);
      const size = t.outputSize(sample.image, a.params);
      expect([a.out.image.width, a.out.image.height, a.out.image.channels]).toEqual([size.width, size.height, 3]);
      expect(a.out.image.data.length).toBe(size.width * size.height * 3);
      expect(Array.from(a.out.image.data)).toEqual(Array.from(b.out.image.data));
      expect(a.out.target).toEqual(b.out.target);
      expect(a.params).not.toBeNull();
      const replayed = t.apply(sample, JSON.parse(JSON.stringify(a.params)), { pool });
      expect(Array.from(replayed.image.data)).toEqual(Array.from(a.out.image.data));
      // Across seeds something must change (these are all p: 1).
      const outputs = [5, 6, 7, 8].map((seed) => Array.from(runOnce(t, sample, seed, pool).out.image.data).join());
      expect(new Set([...outputs, Array.from(sample.image.data).join()]).size).toBeGreaterThan(1);
    });

    it('keeps boxes on their filled masks within 1 px', () => {
      const t = fromConfig(configFor(type));
      if (!t.targets.includes('boxes')) return;
      let checked = 0;
      for (let seed = 0; seed < 12; seed++) {
        const { out } = runOnce(t, makeSample(seed), seed, pool);
        const target = out.target;
        if (target.kind !== 'instance-segmentation') throw new Error('target kind changed');
        expect(target.masks.length).toBe(target.boxes.length);
        expect(target.labels.length).toBe(target.boxes.length);
        target.boxes.forEach((box: BoxXyxy, i: number) => {
          const bounds = maskBounds(target.masks[i] as Mask);
          expect(bounds, `${type} seed ${seed} box ${i}: empty mask for ${box}`).not.toBeNull();
          for (let k = 0; k < 4; k++) {
            expect(
              Math.abs((bounds as BoxXyxy)[k]! - box[k]!),
              `${type} seed ${seed}: ${bounds} vs ${box}`,
            ).toBeLessThanOrEqual(1 + 1e-6);
          }
          checked++;
        });
      }
      expect(checked).toBeGreaterThan(0);
    });

    it('moves a semantic mask with the pixels by nearest sampling; pixel transforms leave it alone', () => {
      const t = fromConfig(configFor(type));
      if (t.level === 'batch') return;
      const semanticPool = [semanticSample(201), semanticSample(202)];
      for (let seed = 0; seed < 8; seed++) {
        const sample = semanticSample(seed);
        const { out } = runOnce(t, sample, seed, semanticPool);
        if (out.target.kind !== 'semantic-segmentation') throw new Error(`${type}: target kind changed`);
        const { mask } = out.target;
        expect([mask.width, mask.height], `${type} seed ${seed}: mask size`).toEqual([
          out.image.width,
          out.image.height,
        ]);
        // Ids 0, 1 and 5: any blending (bilinear) would leave values in between.
        expect(
          [...new Set(mask.data)].filter((v) => v !== 0 && v !== 1 && v !== 5),
          `${type} seed ${seed}: blended ids`,
        ).toEqual([]);
        if (!t.targets.includes('masks')) {
          expect(Array.from(mask.data), `${type} seed ${seed}: a pixel transform moved the mask`).toEqual(
            Array.from((sample.target as { mask: Mask }).mask.data),
          );
          continue;
        }
        // The class's colour is still under its mask: red under 1, green under 5.
        for (const [id, channel] of [
          [1, 0],
          [5, 1],
        ] as const) {
          let on = 0;
          let match = 0;
          mask.data.forEach((v, i) => {
            if (v !== id) return;
            on++;
            const px = out.image.data.subarray(i * 3, i * 3 + 3);
            if ((px[channel] as number) > (px[1 - channel] as number) + 60) match++;
          });
          if (on > 0) expect(match / on, `${type} seed ${seed}: class ${id} off its pixels`).toBeGreaterThan(0.85);
        }
      }
    });

    it('runs on a batch with per-image params, reproducibly and without leaking tensors', () => {
      const t = fromConfig(configFor(type));
      if (t.level === 'multi') {
        expect(() => compose([t]).augmentBatch(batchOf(0))).toThrow(/cannot run on a batch/);
        return;
      }
      const xs = batchOf(0);
      const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3).toFloat() as tf.Tensor2D;
      const before = tf.memory().numTensors;
      const pipeline = compose([t]);
      const run = (seed: number) =>
        t.level === 'batch'
          ? pipeline.augmentBatchWithLabels(xs, ys, createRng(seed))
          : { xs: pipeline.augmentBatch(xs, createRng(seed)), ys: null };
      const a = run(9);
      const b = run(9);
      const [, height, width] = a.xs.shape;
      const expected = t.outputSize(
        { width: SIZE, height: SIZE, channels: 3 },
        t.sampleParams(createRng(0), {
          image: { width: SIZE, height: SIZE, channels: 3 },
        }),
      );
      expect(a.xs.shape).toEqual([
        4,
        t.level === 'batch' ? SIZE : expected.height,
        t.level === 'batch' ? SIZE : expected.width,
        3,
      ]);
      expect(Array.from(a.xs.dataSync())).toEqual(Array.from(b.xs.dataSync()));
      if (a.ys !== null && b.ys !== null) {
        expect(a.ys.shape).toEqual([4, 3]);
        expect(Array.from(a.ys.dataSync())).toEqual(Array.from(b.ys.dataSync()));
        for (const row of a.ys.arraySync()) expect(row.reduce((s: number, v: number) => s + v, 0)).toBeCloseTo(1, 5);
      }
      expect([height, width].every((v) => v > 0)).toBe(true);
      tf.dispose([a.xs, b.xs, ...(a.ys ? [a.ys] : []), ...(b.ys ? [b.ys] : [])]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([xs, ys]);
    });
  });
});
