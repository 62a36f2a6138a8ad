import type { ImageSample, Rng } from '@optik/core';
import { createRng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchableTransform,
  type Compose,
  compose,
  GaussianNoise,
  HueSaturation,
  MixUp,
  oneOf,
  RandomBrightness,
  RandomContrast,
  RandomCrop,
  RandomErasing,
  RandomFlip,
  RandomResizedCrop,
  RandomRotate,
  RandomTranslate,
  RandomZoom,
  someOf,
  type Transform,
  type TransformParams,
} from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomBatch(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next()),
    shape,
  );
}

/** The parameters `augmentBatch(xs, createRng(seed))` draws: one `sampleParams` per image, in order. */
function drawBatch(pipeline: Transform, seed: number, xs: tf.Tensor4D): { rng: Rng; params: TransformParams[] } {
  const [batch, height, width, channels] = xs.shape;
  const rng = createRng(seed);
  const image = { width, height, channels };
  return { rng, params: Array.from({ length: batch }, () => pipeline.sampleParams(rng, { image })) };
}

function child(params: TransformParams, index: number): TransformParams {
  if (params === null) return null;
  return ((params.children as TransformParams[])[index] ?? null) as TransformParams;
}

/** Applies a (possibly nested) pipeline one leaf transform at a time, each as its own batched step. */
function oneByOne(t: Transform, xs: tf.Tensor4D, column: readonly TransformParams[]): tf.Tensor4D {
  const children = (t as Partial<Compose>).transforms;
  if (children === undefined) return (t as BatchableTransform).applyBatch(xs, column, 1);
  return tf.tidy(() =>
    children.reduce(
      (x, c, i) =>
        oneByOne(
          c,
          x,
          column.map((p) => child(p, i)),
        ),
      tf.clone(xs) as tf.Tensor4D,
    ),
  );
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  return worst;
}

/** The typical classification pipeline, with unequal fills so fused stages must keep each stage's fill. */
function typical(): Compose {
  return compose([
    new RandomFlip({ p: 0.5, mode: 'both' }),
    new RandomTranslate({ p: 0.5, x: [-0.2, 0.2], y: [-0.2, 0.2], fill: 0.3 }),
    new RandomRotate({ p: 0.5, degrees: [-20, 20], fill: 0.7 }),
    new RandomZoom({ p: 0.5, scale: [0.8, 1.2] }),
    oneOf([new RandomFlip({ p: 0.7 }), new RandomTranslate({ p: 0.7 })]),
    new RandomBrightness({ p: 0.5 }),
    new RandomContrast({ p: 0.5 }),
    someOf([new RandomErasing({ p: 0.5 }), new GaussianNoise({ p: 0.5 }), new HueSaturation({ p: 0.5 })]),
    new RandomRotate({ p: 0.5, degrees: [90, 90] }),
  ]);
}

/** Size-changing steps (they run on every image) mixed with optional ones, on a non-square canvas. */
function resizing(): Compose {
  return compose([
    new RandomFlip({ p: 0.5 }),
    new RandomCrop({ height: 9, width: 11, fill: 0.2 }),
    new RandomTranslate({ p: 0.5, x: [-0.3, 0.3], y: [-0.3, 0.3], fill: 0.9 }),
    new RandomRotate({ p: 0.6, degrees: [-30, 30] }),
    new RandomFlip({ p: 0.5, mode: 'vertical' }),
    new RandomResizedCrop({ height: 7, width: 8, scale: [0.3, 1] }),
    new RandomZoom({ p: 0.5, interpolation: 'nearest' }),
  ]);
}

describe('the fused batch path', () => {
  it.each([
    ['typical', typical],
    ['resizing', resizing],
  ])('equals applying the transforms one by one and per sample (%s, bilinear)', (_name, make) => {
    const pipeline = make();
    const xs = randomBatch(5, [12, 10, 13, 3]);
    let geometricRuns = 0;
    for (let seed = 0; seed < 6; seed++) {
      const fused = pipeline.augmentBatch(xs, createRng(seed));
      const { params } = drawBatch(pipeline, seed, xs);
      const reference = oneByOne(pipeline, xs, params);
      expect(maxDiff(fused, reference)).toBeLessThan(1e-5);

      // Per sample, with float images: the same parameters give the same pixels.
      const images = tf.unstack(xs);
      const fusedImages = tf.unstack(fused);
      images.forEach((image, i) => {
        const [height, width, channels] = image.shape as [number, number, number];
        const sample: ImageSample = {
          image: { width, height, channels: channels as 3, data: image.dataSync() as Float32Array },
          target: { kind: 'classification', label: 0 },
        };
        const out = pipeline.apply(sample, params[i] ?? null).image;
        const expected = fusedImages[i] as tf.Tensor;
        expect([out.height, out.width, out.channels]).toEqual(expected.shape);
        const got = expected.dataSync();
        out.data.forEach((v, k) => {
          expect(Math.abs(v - (got[k] as number))).toBeLessThan(1e-5);
        });
        const kids = (params[i]?.children ?? []) as TransformParams[];
        if (kids.slice(0, 4).filter((p) => p !== null).length >= 2) geometricRuns++;
      });
      tf.dispose([fused, reference, ...images, ...fusedImages]);
    }
    // The seeds do exercise images with several geometric steps fused into one pass.
    expect(geometricRuns).toBeGreaterThan(5);
    xs.dispose();
  });

  it('flips pixel-exactly (no interpolation), alone and fused with whole-pixel shifts', () => {
    const xs = randomBatch(1, [16, 7, 9, 2]);
    const flip = compose([new RandomFlip({ p: 0.5, mode: 'both' })]);
    const flipped = flip.augmentBatch(xs, createRng(4));
    const { params } = drawBatch(flip, 4, xs);
    const expected = tf.tidy(() =>
      tf.concat(
        tf.unstack(xs).map((image, i) => {
          const p = child(params[i] ?? null, 0);
          const axes = [...(p?.vertical === true ? [0] : []), ...(p?.horizontal === true ? [1] : [])];
          return (axes.length > 0 ? tf.reverse(image, axes) : image).expandDims(0);
        }),
      ),
    );
    const flips = params.map((p) => child(p, 0)).filter((p) => p !== null);
    expect(flips.length).toBeGreaterThan(3);
    expect(flips.length).toBeLessThan(16);
    expect(Array.from(flipped.dataSync())).toEqual(Array.from(expected.dataSync()));

    // Flips, whole-pixel shifts and crops only move values: fused or not, the values are the input's.
    const lattice = compose([
      new RandomFlip({ p: 0.5 }),
      new RandomTranslate({ p: 0.5, x: [-0.4, 0.4], fill: 0.25 }),
      new RandomCrop({ height: 5, width: 6, fill: 0.5 }),
      new RandomFlip({ p: 0.5, mode: 'vertical' }),
    ]);
    const moved = lattice.augmentBatch(xs, createRng(8));
    const reference = oneByOne(lattice, xs, drawBatch(lattice, 8, xs).params);
    expect(Array.from(moved.dataSync())).toEqual(Array.from(reference.dataSync()));
    const allowed = new Set([...xs.dataSync(), Math.fround(0.25), 0.5]);
    expect(Array.from(moved.dataSync()).every((v) => allowed.has(v))).toBe(true);
    tf.dispose([xs, flipped, expected, moved, reference]);
  });

  it('keeps the number of tensors flat, and replays the same batch from the same seed', () => {
    const xs = randomBatch(2, [8, 6, 6, 3]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3).toFloat() as tf.Tensor2D;
    const pipeline = typical();
    const withMix = compose([new RandomFlip(), new RandomRotate(), new MixUp({ alpha: 0.4 }), new RandomBrightness()]);
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) {
      const a = pipeline.augmentBatch(xs, createRng(r));
      const b = pipeline.augmentBatch(xs, createRng(r));
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      const mixed = withMix.augmentBatchWithLabels(xs, ys, createRng(r));
      tf.dispose([a, b, mixed.xs, mixed.ys]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xs, ys]);
  });

  it('runs MixUp between fused runs in the order of the list', () => {
    const xs = randomBatch(3, [6, 8, 8, 1]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1], 'int32'), 2).toFloat() as tf.Tensor2D;
    const mixup = new MixUp({ alpha: 0.4 });
    const before = [new RandomFlip(), new RandomRotate()];
    const after = [new RandomZoom(), new RandomContrast()];
    const pipeline = compose([...before, mixup, ...after]);
    const fused = pipeline.augmentBatchWithLabels(xs, ys, createRng(6));
    // By hand: all per-image params first, then MixUp's draw at its place.
    const { rng, params } = drawBatch(pipeline, 6, xs);
    const column = (i: number) => params.map((p) => child(p, i));
    const x1 = before.reduce((x, t, i) => oneByOne(t, x, column(i)), xs);
    const mix = mixup.applyLabelBatch(x1, ys, mixup.sampleBatchParams(rng, 6, { width: 8, height: 8, channels: 1 }));
    const x2 = after.reduce((x, t, i) => oneByOne(t, x, column(i + 3)), mix.xs);
    expect(maxDiff(fused.xs, x2)).toBeLessThan(1e-5);
    expect(maxDiff(fused.ys, mix.ys)).toBeLessThan(1e-6);
    tf.dispose([xs, ys, fused.xs, fused.ys, x1, mix.xs, mix.ys, x2]);
  });

  it('falls back to one batched step per child for a custom transform without a host path', () => {
    const invert: BatchableTransform = {
      type: 'Invert',
      targets: ['image'],
      level: 'image',
      sampleParams: (rng) => (rng.bool(0.5) ? {} : null),
      apply: (sample) => sample,
      outputSize: (size) => size,
      toConfig: () => ({ type: 'Invert' }),
      applyBatch: (xs, params, maxValue) =>
        tf.tidy(() => {
          const on = tf.tensor4d(
            params.map((p) => (p === null ? 0 : 1)),
            [params.length, 1, 1, 1],
          );
          return xs.add(on.mul(tf.scalar(maxValue).sub(xs.mul(2)))) as tf.Tensor4D;
        }),
    };
    const xs = randomBatch(4, [6, 5, 5, 1]);
    const pipeline = compose([new RandomRotate({ p: 0.5 }), invert, new RandomZoom({ p: 0.5 })]);
    const before = tf.memory().numTensors;
    const out = pipeline.augmentBatch(xs, createRng(2));
    const reference = oneByOne(pipeline, xs, drawBatch(pipeline, 2, xs).params);
    expect(maxDiff(out, reference)).toBe(0);
    tf.dispose([out, reference]);
    expect(tf.memory().numTensors).toBe(before);
    xs.dispose();
  });
});
