import type { BoxXyxy, ImageSample, Mask, SampleTarget } from '@optik/core';
import { boxArea, createRng, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Compose,
  CopyPaste,
  compose,
  MixUp,
  Mosaic,
  oneOf,
  RandomBrightness,
  RandomContrast,
  RandomCrop,
  RandomFlip,
  RandomResizedCrop,
  RandomRotate,
  RandomTranslate,
  RandomZoom,
} from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIZE = 32;

function randomBatch(seed: number, batch: number): tf.Tensor4D {
  const rng = createRng(seed);
  const length = batch * SIZE * SIZE * 3;
  return tf.tensor4d(
    Float32Array.from({ length }, () => rng.next()),
    [batch, SIZE, SIZE, 3],
  );
}

/** A filled rectangle as a mask of the image's size. */
function rectMask([x0, y0, x1, y1]: BoxXyxy, value = 1): Mask {
  const data = new Uint8Array(SIZE * SIZE);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * SIZE + x] = value;
  return { width: SIZE, height: SIZE, data };
}

/** Boxes spread over the canvas, some at its edges, so steps clip and drop some of them. */
function boxesFor(i: number): BoxXyxy[] {
  const shift = i % 5;
  return [
    [2 + shift, 3, 12 + shift, 11],
    [20, 18 + shift, 31, 30],
    [0, 26, 5 + shift, 32],
    [14, 10, 16, 12 + shift],
  ];
}

function targetFor(kind: SampleTarget['kind'], i: number): SampleTarget {
  const boxes = boxesFor(i);
  const labels = boxes.map((_, k) => (k + i) % 3);
  switch (kind) {
    case 'classification':
      return { kind, label: i % 3 };
    case 'localization':
      return { kind, label: i % 3, box: boxes[1] as BoxXyxy };
    case 'detection':
      return { kind, labels, boxes };
    case 'semantic-segmentation': {
      const mask = rectMask(boxes[0] as BoxXyxy, 1);
      rectMask(boxes[1] as BoxXyxy, 2).data.forEach((v, k) => {
        if (v !== 0) mask.data[k] = v;
      });
      return { kind, mask };
    }
    case 'instance-segmentation':
      return { kind, labels, boxes, masks: boxes.map((b) => rectMask(b)) };
  }
}

/** The per-sample path on the images of `xs`, drawing from one generator in image order as `batchParams` does. */
function perSample(pipeline: Compose, xs: tf.Tensor4D, targets: readonly SampleTarget[], seed: number) {
  const rng = createRng(seed);
  const images = tf.unstack(xs);
  const out = images.map((image, i) => {
    const sample: ImageSample = {
      image: { width: SIZE, height: SIZE, channels: 3, data: image.dataSync() as Float32Array },
      target: targets[i] as SampleTarget,
    };
    return pipeline.run(sample, { rng });
  });
  tf.dispose(images);
  return out;
}

/** Every box-and-mask-moving step of the issue, plus pixel steps, with fills and p < 1 so images differ. */
function detectionPipeline(): Compose {
  return compose([
    new RandomFlip({ p: 0.5, mode: 'both' }),
    new RandomRotate({ p: 0.6, degrees: [-25, 25], minVisibility: 0.3 }),
    new RandomZoom({ p: 0.5, scale: [0.7, 1.4] }),
    new RandomTranslate({ p: 0.6, x: [-0.3, 0.3], y: [-0.3, 0.3], fill: 0.5, minArea: 4 }),
    new RandomCrop({ height: 28, width: 26 }),
    oneOf([new RandomBrightness({ p: 0.8 }), new RandomContrast({ p: 0.8 })]),
    new RandomResizedCrop({ height: 24, width: 24, scale: [0.5, 1] }),
    new RandomBrightness({ p: 0.5 }),
  ]);
}

describe('augmentBatchWithTargets', () => {
  it.each(['classification', 'localization', 'detection', 'instance-segmentation'] as const)(
    'gives augmentBatch pixels and the per-sample targets (%s)',
    (kind) => {
      const pipeline = detectionPipeline();
      const xs = randomBatch(1, 8);
      const targets = Array.from({ length: 8 }, (_, i) => targetFor(kind, i));
      let moved = 0;
      let dropped = 0;
      for (let seed = 0; seed < 4; seed++) {
        const pixels = pipeline.augmentBatch(xs, createRng(seed));
        const out = pipeline.augmentBatchWithTargets(xs, targets, createRng(seed));
        expect(out.xs.shape).toEqual([8, 24, 24, 3]);
        expect(Array.from(out.xs.dataSync())).toEqual(Array.from(pixels.dataSync()));
        const reference = perSample(pipeline, xs, targets, seed);
        expect(out.targets).toEqual(reference.map((r) => r.sample.target));
        out.targets.forEach((t, i) => {
          if (JSON.stringify(t) !== JSON.stringify(targets[i])) moved++;
          const before = targets[i];
          if ('boxes' in t && before !== undefined && 'boxes' in before)
            dropped += before.boxes.length - t.boxes.length;
          if (t.kind === 'instance-segmentation') {
            expect(t.masks.length).toBe(t.boxes.length);
            for (const m of t.masks) expect([m.width, m.height]).toEqual([24, 24]);
          }
        });
        tf.dispose([pixels, out.xs]);
      }
      // The comparison is not vacuous: targets moved (every image is at least cropped), and some boxes were dropped.
      if (kind !== 'classification') expect(moved).toBe(32);
      if (kind === 'detection' || kind === 'instance-segmentation') expect(dropped).toBeGreaterThan(0);
      if (kind === 'classification') expect(moved).toBe(0);
      xs.dispose();
    },
  );

  it('moves masks with nearest sampling, as the per-sample path does', () => {
    const pipeline = compose([new RandomRotate({ p: 1, degrees: [-40, 40] }), new RandomZoom({ p: 1 })]);
    const xs = randomBatch(2, 4);
    const targets = Array.from({ length: 4 }, (_, i) => targetFor('semantic-segmentation', i));
    const out = pipeline.augmentBatchWithTargets(xs, targets, createRng(3));
    const reference = perSample(pipeline, xs, targets, 3);
    expect(out.targets).toEqual(reference.map((r) => r.sample.target));
    for (const t of out.targets) {
      if (t.kind !== 'semantic-segmentation') throw new Error('expected a semantic target');
      // Nearest keeps class ids exact: no value other than 0, 1 and 2 appears, and an object survives.
      const values = [...new Set(t.mask.data)];
      expect(values.every((v) => v === 0 || v === 1 || v === 2)).toBe(true);
      expect(values.length).toBeGreaterThan(1);
    }
    tf.dispose([xs, out.xs]);
  });

  it('flips a mask exactly', () => {
    const pipeline = compose([new RandomFlip({ p: 1, mode: 'horizontal' })]);
    const xs = randomBatch(3, 1);
    const out = pipeline.augmentBatchWithTargets(xs, [targetFor('semantic-segmentation', 0)]);
    const t = out.targets[0];
    if (t?.kind !== 'semantic-segmentation') throw new Error('expected a semantic target');
    // Box [2, 3, 12, 11] (class 1) mirrors to [20, 3, 30, 11].
    expect(t.mask.data[3 * SIZE + 20]).toBe(1);
    expect(t.mask.data[3 * SIZE + 29]).toBe(1);
    expect(t.mask.data[3 * SIZE + 19]).toBe(0);
    expect(t.mask.data[3 * SIZE + 2]).toBe(0);
    tf.dispose([xs, out.xs]);
  });

  it('clips a localization box pushed partly out, and keeps one zero-area box when it is pushed fully out', () => {
    // dx = round(0.25 · 32) = 8.
    const pipeline = compose([new RandomTranslate({ p: 1, x: [0.25, 0.25], y: [0, 0] })]);
    const xs = randomBatch(4, 3);
    const targets: SampleTarget[] = [
      { kind: 'localization', label: 1, box: [20, 4, 30, 10] },
      { kind: 'localization', label: 2, box: [25, 4, 31, 10] },
      {
        kind: 'detection',
        labels: [0, 1],
        boxes: [
          [20, 4, 30, 10],
          [25, 4, 31, 10],
        ],
      },
    ];
    const out = pipeline.augmentBatchWithTargets(xs, targets, createRng(0));
    expect(out.targets[0]).toEqual({ kind: 'localization', label: 1, box: [28, 4, 32, 10] });
    // Fully out: the box is clamped to the edge; the target keeps it (zero area) for the caller to skip.
    expect(out.targets[1]).toEqual({ kind: 'localization', label: 2, box: [32, 4, 32, 10] });
    const lost = out.targets[1] as { box: BoxXyxy };
    expect(boxArea(lost.box)).toBe(0);
    // Detection drops the box that left the canvas.
    expect(out.targets[2]).toEqual({ kind: 'detection', labels: [0], boxes: [[28, 4, 32, 10]] });
    tf.dispose([xs, out.xs]);
  });

  it('moves targets step by step, so clipping between steps is kept', () => {
    const pipeline = compose([
      new RandomTranslate({ p: 1, x: [0.25, 0.25], y: [0, 0] }),
      new RandomTranslate({ p: 1, x: [-0.25, -0.25], y: [0, 0] }),
    ]);
    const xs = randomBatch(5, 2);
    const targets: SampleTarget[] = [
      { kind: 'localization', label: 0, box: [20, 4, 30, 10] },
      { kind: 'instance-segmentation', labels: [3], boxes: [[20, 4, 30, 10]], masks: [rectMask([20, 4, 30, 10])] },
    ];
    const out = pipeline.augmentBatchWithTargets(xs, targets, createRng(0));
    // One composed matrix would give the box back unchanged; the clip at the right edge in between cuts it.
    expect(out.targets[0]).toEqual({ kind: 'localization', label: 0, box: [20, 4, 24, 10] });
    expect(out.targets).toEqual(perSample(pipeline, xs, targets, 0).map((r) => r.sample.target));
    const instance = out.targets[1];
    if (instance?.kind !== 'instance-segmentation') throw new Error('expected an instance target');
    expect(instance.boxes).toEqual([[20, 4, 24, 10]]);
    expect(instance.masks[0]?.data.reduce((a, b) => a + b, 0)).toBe(4 * 6);
    tf.dispose([xs, out.xs]);
  });

  it('refuses label mixing, pool transforms, and targets that do not fit the batch', () => {
    const xs = randomBatch(6, 2);
    const two = [targetFor('classification', 0), targetFor('classification', 1)];
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isOptikError(e) ? e.code : 'not an OptikError';
      }
      return 'no error';
    };
    expect(code(() => compose([new RandomFlip(), new MixUp()]).augmentBatchWithTargets(xs, two))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => compose([oneOf([new Mosaic({ height: 32, width: 32 })])]).augmentBatchWithTargets(xs, two))).toBe(
      'ARGUMENT_INVALID',
    );
    expect(code(() => compose([new CopyPaste()]).augmentBatchWithTargets(xs, two))).toBe('ARGUMENT_INVALID');
    expect(code(() => compose([new RandomFlip()]).augmentBatchWithTargets(xs, two.slice(1)))).toBe('DATA_MISMATCH');
    const small: SampleTarget = {
      kind: 'semantic-segmentation',
      mask: { width: 4, height: 4, data: new Uint8Array(16) },
    };
    expect(code(() => compose([new RandomFlip()]).augmentBatchWithTargets(xs, [small, small]))).toBe('DATA_MISMATCH');
    const bogus = { kind: 'keypoints' } as unknown as SampleTarget;
    expect(code(() => compose([new RandomFlip()]).augmentBatchWithTargets(xs, [bogus, bogus]))).toBe(
      'ARGUMENT_INVALID',
    );
    xs.dispose();
  });

  it('leaks no tensors', () => {
    const pipeline = detectionPipeline();
    const xs = randomBatch(7, 4);
    const targets = Array.from({ length: 4 }, (_, i) => targetFor('instance-segmentation', i));
    pipeline.augmentBatchWithTargets(xs, targets, createRng(0)).xs.dispose();
    const before = tf.memory().numTensors;
    for (let seed = 1; seed < 4; seed++) pipeline.augmentBatchWithTargets(xs, targets, createRng(seed)).xs.dispose();
    expect(tf.memory().numTensors).toBe(before);
    xs.dispose();
  });
});
