import type { ImageSample } from '@optik/core';
import { createRng, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Compose,
  CutMix,
  compose,
  createDemoSample,
  describeParams,
  fromConfig,
  HueSaturation,
  MixUp,
  oneOf,
  parsePipeline,
  RandomBrightness,
  RandomCrop,
  RandomFlip,
  RandomRotate,
  RandomTranslate,
  renderPreview,
  serializePipeline,
  someOf,
} from '../index.js';

/** A 4×3 grey sample whose pixel values are their indices, with one box. */
function indexSample(): ImageSample {
  return {
    image: { width: 4, height: 3, channels: 1, data: Uint8Array.from({ length: 12 }, (_, i) => i * 10) },
    target: { kind: 'detection', labels: [7], boxes: [[0, 0, 2, 1]] },
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the affine warp', () => {
  it('mirrors pixels and boxes exactly', () => {
    const flip = new RandomFlip({ p: 1, mode: 'horizontal' });
    const sample = indexSample();
    const out = flip.apply(sample, flip.sampleParams(createRng(0), sample));
    expect(Array.from(out.image.data)).toEqual([30, 20, 10, 0, 70, 60, 50, 40, 110, 100, 90, 80]);
    expect(out.target).toEqual({ kind: 'detection', labels: [7], boxes: [[2, 0, 4, 1]] });
  });

  it('rotates a square by 90° exactly (counter-clockwise)', () => {
    const rotate = new RandomRotate({ p: 1, degrees: [90, 90], interpolation: 'bilinear' });
    const data = Uint8Array.from({ length: 9 }, (_, i) => i);
    const sample: ImageSample = {
      image: { width: 3, height: 3, channels: 1, data },
      target: { kind: 'classification', label: 0 },
    };
    const out = rotate.apply(sample, { angle: 90 });
    expect(Array.from(out.image.data)).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
  });

  it('translates by whole pixels identically with nearest and bilinear, filling the uncovered part', () => {
    const sample = indexSample();
    const results = (['nearest', 'bilinear'] as const).map((interpolation) =>
      new RandomTranslate({ p: 1, interpolation, fill: 1 }).apply(sample, { dx: 1, dy: 0 }),
    );
    expect(Array.from(results[0]!.image.data)).toEqual([255, 0, 10, 20, 255, 40, 50, 60, 255, 80, 90, 100]);
    expect(Array.from(results[1]!.image.data)).toEqual(Array.from(results[0]!.image.data));
  });

  it('drops boxes that leave the image or fall below minVisibility', () => {
    const sample = indexSample();
    const gone = new RandomTranslate({ p: 1 }).apply(sample, { dx: 4, dy: 0 });
    expect(gone.target).toEqual({ kind: 'detection', labels: [], boxes: [] });
    const half = new RandomTranslate({ p: 1, minVisibility: 0.6 }).apply(sample, { dx: -1, dy: 0 });
    expect(half.target).toEqual({ kind: 'detection', labels: [], boxes: [] });
    const kept = new RandomTranslate({ p: 1, minVisibility: 0.4 }).apply(sample, { dx: -1, dy: 0 });
    expect(kept.target).toEqual({ kind: 'detection', labels: [7], boxes: [[0, 0, 1, 1]] });
  });

  it('refuses to skip a size-changing transform for part of a batch', () => {
    const crop = new RandomCrop({ p: 0.5, height: 2, width: 2 });
    const xs = tf.zeros([4, 3, 3, 1]) as tf.Tensor4D;
    expect(() => crop.applyBatch(xs, [{ x: 0, y: 0 }, null, null, null], 1)).toThrow(/Set p: 1/);
    xs.dispose();
  });
});

describe('pipelines', () => {
  const config = {
    type: 'Compose',
    seed: 11,
    transforms: [
      { type: 'RandomFlip', mode: 'both' },
      { type: 'OneOf', transforms: [{ type: 'RandomRotate' }, { type: 'RandomZoom' }] },
      { type: 'RandomBrightness', delta: [-0.3, 0.3] },
    ],
  };

  it('reproduces the same sequence from the same seed, and a different one from another seed', () => {
    const sample = createDemoSample({ width: 24, height: 24 });
    const run = (seed: number) => {
      const pipeline = fromConfig({ ...config, seed }) as Compose;
      return [0, 1, 2].map(() => Array.from(pipeline.augment(sample).image.data).join());
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
    const pipeline = fromConfig(config) as Compose;
    const first = pipeline.augment(sample);
    pipeline.reset();
    expect(pipeline.augment(sample)).toEqual(first);
  });

  it('hands augmentBatch out as an unbound batch hook', () => {
    const hook: (xs: tf.Tensor4D, rng: ReturnType<typeof createRng>) => tf.Tensor4D = compose([
      new RandomFlip({ p: 1 }),
    ]).augmentBatch;
    const xs = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
    const out = hook(xs, createRng(0));
    expect(Array.from(out.dataSync())).toEqual([4, 3, 2, 1]);
    tf.dispose([xs, out]);
  });

  it('records params as JSON and replays them exactly', () => {
    const sample = createDemoSample({ width: 24, height: 24 });
    const pipeline = fromConfig(config) as Compose;
    const { sample: out, params } = pipeline.run(sample, { rng: createRng(3) });
    const recorded = JSON.parse(JSON.stringify(params));
    expect(pipeline.apply(sample, recorded)).toEqual(out);
  });

  it('builds the same thing from functions, JSON and YAML', () => {
    const built = compose(
      [new RandomFlip(), oneOf([new RandomRotate()]), someOf([new RandomBrightness()], { n: [0, 1] })],
      {
        seed: 4,
      },
    );
    const yaml = serializePipeline(built, 'yaml');
    expect(yaml).toContain('type: Compose');
    expect(parsePipeline(yaml).toConfig()).toEqual(built.toConfig());
    expect(parsePipeline(serializePipeline(built, 'json')).toConfig()).toEqual(built.toConfig());
  });

  it('gives coded, located errors for bad configs', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ type: 'RandomRotate', degrees: [10, -10] }, 'CONFIG_INVALID', /degrees/],
      [{ type: 'RandomRotate', degree: [1, 2] }, 'CONFIG_UNKNOWN_KEY', /degree/],
      [{ type: 'Compose', transforms: [{ type: 'RandomFlip', p: 2 }] }, 'CONFIG_INVALID', /transforms\[0\]\.p/],
      [{ type: 'Spin' }, 'CONFIG_INVALID', /Unknown transform type "Spin"/],
      [{ type: 'RandomCrop' }, 'CONFIG_INVALID', /height/],
    ];
    for (const [input, code, message] of cases) {
      let caught: unknown;
      try {
        fromConfig(input);
      } catch (error) {
        caught = error;
      }
      expect(isOptikError(caught, code as 'CONFIG_INVALID'), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
    expect(() => parsePipeline('type: [', { file: 'aug.yaml' })).toThrow(/aug\.yaml/);
  });

  it('refuses hue on grey images and label mixing without labels', () => {
    const hue = new HueSaturation({ p: 1 });
    const sample = indexSample();
    expect(() => hue.apply(sample, hue.sampleParams(createRng(0), sample))).toThrow(/RGB/);
    const xs = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    expect(() => compose([new MixUp()]).augmentBatch(xs)).toThrow(/augmentBatchWithLabels/);
    xs.dispose();
  });
});

describe('label mixing', () => {
  it('MixUp blends images and labels with the same weight', () => {
    const xs = tf.tensor4d([0, 0, 0, 0, 1, 1, 1, 1], [2, 2, 2, 1]);
    const ys = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const mixup = new MixUp({ alpha: 1 });
    const { xs: mx, ys: my } = mixup.applyLabelBatch(xs, ys, [{ partner: 1, lambda: 0.25 }, null]);
    expect(Array.from(mx.dataSync())).toEqual([0.75, 0.75, 0.75, 0.75, 1, 1, 1, 1]);
    expect(Array.from(my.dataSync())).toEqual([0.25, 0.75, 0, 1]);
    tf.dispose([xs, ys, mx, my]);
  });

  it('CutMix mixes labels by the pasted area', () => {
    const xs = tf.tensor4d([0, 0, 0, 0, 1, 1, 1, 1], [2, 2, 2, 1]);
    const ys = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const cutmix = new CutMix();
    const [params] = cutmix.sampleBatchParams(createRng(0), 2, { width: 2, height: 2, channels: 1 });
    const rect = { partner: 1, x: 0, y: 0, width: 1, height: 2, lambda: 0.5 };
    const { xs: mx, ys: my } = cutmix.applyLabelBatch(xs, ys, [rect, null]);
    expect(Array.from(mx.dataSync())).toEqual([1, 0, 1, 0, 1, 1, 1, 1]);
    expect(Array.from(my.dataSync())).toEqual([0.5, 0.5, 0, 1]);
    // Drawn params: the label weight is the exact kept area, after clipping the cut to the image.
    expect(params).toBeTruthy();
    const drawn = params as Record<string, unknown>;
    expect(Number(drawn.lambda)).toBeCloseTo(1 - (Number(drawn.width) * Number(drawn.height)) / 4, 9);
    tf.dispose([xs, ys, mx, my]);
  });
});

describe('renderPreview', () => {
  it('draws the original and its variants as one PNG grid', async () => {
    const pipeline = compose([new RandomFlip({ p: 1 }), new RandomRotate({ p: 1 })]);
    const png = await renderPreview(pipeline, createDemoSample({ width: 32, height: 32 }), {
      count: 5,
      seed: 2,
      cellSize: 64,
      columns: 3,
    });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([3 * 70 + 6, 2 * 70 + 6]);
    const again = await renderPreview(pipeline, createDemoSample({ width: 32, height: 32 }), {
      count: 5,
      seed: 2,
      cellSize: 64,
      columns: 3,
    });
    expect(again.equals(png)).toBe(true);
  });

  it('captions each variant with the parameters drawn for it, in a band under the cell', async () => {
    const pipeline = compose([new RandomFlip({ p: 1 }), new RandomRotate({ p: 1, degrees: [-30, 30] })]);
    const sample = createDemoSample({ width: 32, height: 32 });
    const png = await renderPreview(pipeline, sample, {
      count: 2,
      seed: 4,
      cellSize: 64,
      captions: true,
      originalCaption: 'original 32×32',
    });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([3 * 70 + 6, 64 + 40 + 12]); // one row: cell + 3 caption lines
    // the caption band holds text (light pixels), which an uncaptioned grid lacks
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    let light = 0;
    for (let y = 6 + 64; y < 6 + 64 + 40; y++) {
      for (let x = 6; x < 70; x++) if ((data[(y * info.width + x) * info.channels] as number) > 150) light++;
    }
    expect(light).toBeGreaterThan(20);
    // the words are the drawn parameters: the same rng draws the same angle
    const params = pipeline.sampleParams(createRng(4), sample, { pool: [sample] });
    const words = describeParams(pipeline, params);
    const angle = ((params?.children ?? []) as { angle: number }[])[1]?.angle ?? Number.NaN;
    expect(words).toEqual(
      expect.arrayContaining([`Rotate angle=${Math.abs(angle) < 1 ? angle.toFixed(2) : angle.toFixed(1)}`]),
    );
    expect(words[0]).toMatch(/^Flip( horizontal)?( vertical)?$/);
    expect(describeParams(pipeline, null)).toEqual([]);
  });
});
