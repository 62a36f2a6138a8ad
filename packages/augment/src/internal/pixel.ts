import type { ImageSample, Rng } from '@optik/core';
import { createRng, OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BaseTransform } from './base.js';
import type { HostImage, HostOp } from './host.js';
import { mapImage } from './sample.js';
import { num, probability, range } from './schema.js';
import type { AugmentTarget, HostBatchable, ImageSize, TransformParams } from './types.js';

type Params = NonNullable<TransformParams>;

/** A transform that changes pixel values only: boxes and masks stay where they are. */
abstract class PixelTransform<O extends { p: number }> extends BaseTransform<O> implements HostBatchable {
  readonly targets: readonly AugmentTarget[] = ['image'];
  readonly level = 'image' as const;

  abstract applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D;

  /**
   * The same change as `applyBatch` for one image, in place on its host pixels (the fused batch path, see
   * `host.ts`); equal to `applyBatch` up to float rounding.
   */
  protected abstract hostApply(image: HostImage, params: Params, maxValue: number): void;

  /** Checks a batch of this size can take the transform; pixel transforms keep the size. */
  batchOutputSize(_params: readonly TransformParams[], size: ImageSize): ImageSize {
    return size;
  }

  hostOps(params: TransformParams, size: ImageSize, maxValue: number, ops: HostOp[]): ImageSize {
    if (params !== null) ops.push({ kind: 'pixel', apply: (image) => this.hostApply(image, params, maxValue) });
    return size;
  }

  apply(sample: ImageSample, params: TransformParams): ImageSample {
    if (params === null) return sample;
    return { ...sample, image: mapImage(sample.image, (x, maxValue) => this.applyBatch(x, [params], maxValue)) };
  }
}

/** One number per image (times `scale`) as a `[batch, 1, 1, 1]` tensor; skipped images get `identity`. */
function perImage(params: readonly TransformParams[], key: string, identity: number, scale = 1): tf.Tensor4D {
  const values = params.map((p) => (p === null ? identity : num(p, key) * scale));
  return tf.tensor4d(values, [values.length, 1, 1, 1]);
}

/** Clips every value of `data` to `[0, maxValue]`, in place. */
function clip(data: Float32Array, maxValue: number): void {
  for (let k = 0; k < data.length; k++) {
    const v = data[k] as number;
    data[k] = Math.min(Math.max(v, 0), maxValue);
  }
}

export const RandomBrightnessSchema = z.strictObject({
  p: probability(0.5),
  /** Added to every pixel, as a fraction of the maximum pixel value. */
  delta: range([-0.2, 0.2], { min: -1, max: 1 }),
});
/** Options of {@link RandomBrightness}. */
export type RandomBrightnessOptions = z.input<typeof RandomBrightnessSchema>;

/**
 * Adds a random offset to every pixel, then clips to the value range.
 *
 * @example
 * ```ts
 * const brightness = new RandomBrightness({ delta: [-0.2, 0.2] });
 * ```
 */
export class RandomBrightness extends PixelTransform<z.output<typeof RandomBrightnessSchema>> {
  static readonly type = 'RandomBrightness';
  static readonly schema = RandomBrightnessSchema;
  readonly type = RandomBrightness.type;
  constructor(options: RandomBrightnessOptions = {}) {
    super(RandomBrightnessSchema, RandomBrightness.type, options);
  }
  protected draw(rng: Rng): Params {
    return { delta: rng.uniform(this.options.delta[0], this.options.delta[1]) };
  }
  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    return tf.tidy(() => xs.add(perImage(params, 'delta', 0, maxValue)).clipByValue(0, maxValue) as tf.Tensor4D);
  }
  protected hostApply(image: HostImage, params: Params, maxValue: number): void {
    const delta = Math.fround(num(params, 'delta') * maxValue);
    const data = image.data;
    for (let k = 0; k < data.length; k++) {
      const v = (data[k] as number) + delta;
      data[k] = Math.min(Math.max(v, 0), maxValue);
    }
  }
}

export const RandomContrastSchema = z.strictObject({
  p: probability(0.5),
  /** Contrast factor: pixels move away from (above 1) or towards (below 1) the image mean. */
  factor: range([0.8, 1.2], { min: 0, max: 10 }),
});
/** Options of {@link RandomContrast}. */
export type RandomContrastOptions = z.input<typeof RandomContrastSchema>;

/**
 * Scales each pixel's distance from the image mean, then clips.
 *
 * @example
 * ```ts
 * const contrast = new RandomContrast({ factor: [0.8, 1.2] });
 * ```
 */
export class RandomContrast extends PixelTransform<z.output<typeof RandomContrastSchema>> {
  static readonly type = 'RandomContrast';
  static readonly schema = RandomContrastSchema;
  readonly type = RandomContrast.type;
  constructor(options: RandomContrastOptions = {}) {
    super(RandomContrastSchema, RandomContrast.type, options);
  }
  protected draw(rng: Rng): Params {
    return { factor: rng.uniform(this.options.factor[0], this.options.factor[1]) };
  }
  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    return tf.tidy(() => {
      const mean = xs.mean([1, 2, 3], true);
      return xs
        .sub(mean)
        .mul(perImage(params, 'factor', 1))
        .add(mean)
        .clipByValue(0, maxValue) as tf.Tensor4D;
    });
  }
  protected hostApply(image: HostImage, params: Params, maxValue: number): void {
    const factor = num(params, 'factor');
    const data = image.data;
    let sum = 0;
    for (let k = 0; k < data.length; k++) sum += data[k] as number;
    const mean = sum / data.length;
    for (let k = 0; k < data.length; k++) {
      const v = ((data[k] as number) - mean) * factor + mean;
      data[k] = Math.min(Math.max(v, 0), maxValue);
    }
  }
}

export const GaussianNoiseSchema = z.strictObject({
  p: probability(0.5),
  /** Noise standard deviation as a fraction of the maximum pixel value. */
  std: range([0.01, 0.05], { min: 0, max: 1 }),
});
/** Options of {@link GaussianNoise}. */
export type GaussianNoiseOptions = z.input<typeof GaussianNoiseSchema>;

/**
 * Adds per-pixel Gaussian noise. The noise comes from a seed drawn in `sampleParams`, so `apply` is
 * deterministic and a recorded run replays exactly.
 *
 * @example
 * ```ts
 * const noise = new GaussianNoise({ std: [0.01, 0.05] });
 * ```
 */
export class GaussianNoise extends PixelTransform<z.output<typeof GaussianNoiseSchema>> {
  static readonly type = 'GaussianNoise';
  static readonly schema = GaussianNoiseSchema;
  readonly type = GaussianNoise.type;
  constructor(options: GaussianNoiseOptions = {}) {
    super(GaussianNoiseSchema, GaussianNoise.type, options);
  }
  protected draw(rng: Rng): Params {
    return { std: rng.uniform(this.options.std[0], this.options.std[1]), seed: rng.uint32() };
  }
  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    const [batch, height, width, channels] = xs.shape;
    const per = height * width * channels;
    const noise = new Float32Array(batch * per);
    params.forEach((p, i) => {
      if (p === null) return;
      const std = Number(p.std) * maxValue;
      const rng = createRng(Number(p.seed));
      for (let k = 0; k < per; k++) noise[i * per + k] = rng.normal(0, std);
    });
    return tf.tidy(() => xs.add(tf.tensor4d(noise, xs.shape)).clipByValue(0, maxValue) as tf.Tensor4D);
  }
  protected hostApply(image: HostImage, params: Params, maxValue: number): void {
    const std = num(params, 'std') * maxValue;
    const rng = createRng(num(params, 'seed'));
    const data = image.data;
    // Rounded to float32 first, as applyBatch's noise tensor is.
    for (let k = 0; k < data.length; k++) data[k] = (data[k] as number) + Math.fround(rng.normal(0, std));
    clip(data, maxValue);
  }
}

export const RandomErasingSchema = z.strictObject({
  p: probability(0.5),
  /** Erased area as a fraction of the image area. */
  area: range([0.02, 0.33], { min: 0, max: 1 }),
  /** Aspect ratio (width / height) of the erased rectangle, drawn log-uniformly. */
  ratio: range([0.3, 3.3], { min: 0.01, max: 100 }),
  /** Value written into the rectangle, as a fraction of the maximum pixel value. */
  fill: z.number().min(0).max(1).default(0),
});
/** Options of {@link RandomErasing}. */
export type RandomErasingOptions = z.input<typeof RandomErasingSchema>;

/**
 * Overwrites a random rectangle with `fill` (Zhong et al., torchvision `RandomErasing`); boxes are kept.
 *
 * @example
 * ```ts
 * const erase = new RandomErasing({ area: [0.02, 0.2], fill: 0.5 });
 * ```
 */
export class RandomErasing extends PixelTransform<z.output<typeof RandomErasingSchema>> {
  static readonly type = 'RandomErasing';
  static readonly schema = RandomErasingSchema;
  readonly type = RandomErasing.type;
  constructor(options: RandomErasingOptions = {}) {
    super(RandomErasingSchema, RandomErasing.type, options);
  }
  protected draw(rng: Rng, size: ImageSize): TransformParams {
    const { width, height } = size;
    const { area, ratio } = this.options;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = width * height * rng.uniform(area[0], area[1]);
      const aspect = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
      const w = Math.round(Math.sqrt(target * aspect));
      const h = Math.round(Math.sqrt(target / aspect));
      if (w > 0 && h > 0 && w < width && h < height) {
        return { x: rng.int(0, width - w), y: rng.int(0, height - h), width: w, height: h };
      }
    }
    return null;
  }
  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    const [, height, width] = xs.shape;
    return tf.tidy(() => {
      const col = tf.range(0, width).reshape([1, 1, width, 1]);
      const row = tf.range(0, height).reshape([1, height, 1, 1]);
      const x0 = perImage(params, 'x', 0);
      const y0 = perImage(params, 'y', 0);
      const x1 = x0.add(perImage(params, 'width', 0));
      const y1 = y0.add(perImage(params, 'height', 0));
      const inside = col
        .greaterEqual(x0)
        .logicalAnd(col.less(x1))
        .logicalAnd(row.greaterEqual(y0))
        .logicalAnd(row.less(y1))
        .toFloat();
      return xs.mul(tf.scalar(1).sub(inside)).add(inside.mul(this.options.fill * maxValue)) as tf.Tensor4D;
    });
  }
  protected hostApply(image: HostImage, params: Params, maxValue: number): void {
    const { width, height, channels, data } = image;
    const x0 = Math.max(0, num(params, 'x'));
    const y0 = Math.max(0, num(params, 'y'));
    const x1 = Math.min(width, num(params, 'x') + num(params, 'width'));
    const y1 = Math.min(height, num(params, 'y') + num(params, 'height'));
    const fill = this.options.fill * maxValue;
    for (let y = Math.ceil(y0); y < y1; y++) {
      for (let x = Math.ceil(x0); x < x1; x++)
        data.fill(fill, (y * width + x) * channels, (y * width + x + 1) * channels);
    }
  }
}

export const HueSaturationSchema = z.strictObject({
  p: probability(0.5),
  /** Hue rotation as a fraction of a full turn (0.5 = 180°). */
  hue: range([-0.05, 0.05], { min: -0.5, max: 0.5 }),
  /** Saturation factor: 0 is grey, 1 unchanged. */
  saturation: range([0.8, 1.2], { min: 0, max: 10 }),
});
/** Options of {@link HueSaturation}. */
export type HueSaturationOptions = z.input<typeof HueSaturationSchema>;

// RGB ↔ YIQ (NTSC). Hue is the angle of the (I, Q) chroma vector and saturation its length, so a hue shift is
// a rotation and a saturation change a scaling in that plane: one 3×3 matrix per image, batched as a matMul.
const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
] as const;
const YIQ_TO_RGB = [
  [1, 0.9563, 0.621],
  [1, -0.2721, -0.6474],
  [1, -1.107, 1.7046],
] as const;

function hueSaturationMatrix(hue: number, saturation: number): number[] {
  const t = hue * 2 * Math.PI;
  const c = Math.cos(t) * saturation;
  const s = Math.sin(t) * saturation;
  const adjust = [
    [1, 0, 0],
    [0, c, -s],
    [0, s, c],
  ];
  const mul = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]) =>
    a.map((row) => [0, 1, 2].map((j) => row.reduce((sum, v, k) => sum + v * (b[k]?.[j] ?? 0), 0)));
  // Row-vector form for matMul: out = rgb · Mᵀ with M = YIQ→RGB · adjust · RGB→YIQ.
  const m = mul(mul(YIQ_TO_RGB, adjust), RGB_TO_YIQ);
  return [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => m[j]?.[i] ?? 0));
}

/**
 * Shifts hue and scales saturation of RGB(A) images; grey images are refused.
 *
 * @example
 * ```ts
 * const colour = new HueSaturation({ hue: [-0.05, 0.05], saturation: [0.7, 1.3] });
 * ```
 */
export class HueSaturation extends PixelTransform<z.output<typeof HueSaturationSchema>> {
  static readonly type = 'HueSaturation';
  static readonly schema = HueSaturationSchema;
  readonly type = HueSaturation.type;
  constructor(options: HueSaturationOptions = {}) {
    super(HueSaturationSchema, HueSaturation.type, options);
  }
  protected draw(rng: Rng): Params {
    const { hue, saturation } = this.options;
    return { hue: rng.uniform(hue[0], hue[1]), saturation: rng.uniform(saturation[0], saturation[1]) };
  }
  override batchOutputSize(_params: readonly TransformParams[], size: ImageSize): ImageSize {
    if (size.channels < 3) {
      throw new OptikError('ARGUMENT_INVALID', 'HueSaturation needs RGB or RGBA images.', {
        received: { channels: size.channels },
        hint: 'Remove HueSaturation from pipelines for grayscale data, or decode images as RGB.',
      });
    }
    return size;
  }
  protected hostApply(image: HostImage, params: Params, maxValue: number): void {
    const { channels, data } = image;
    this.batchOutputSize([], image);
    const m = hueSaturationMatrix(num(params, 'hue'), num(params, 'saturation'));
    // float32 entries, as applyBatch's matrix tensor has.
    const [m00 = 0, m01 = 0, m02 = 0, m10 = 0, m11 = 0, m12 = 0, m20 = 0, m21 = 0, m22 = 0] = m.map(Math.fround);
    const clamp = (v: number) => Math.min(Math.max(v, 0), maxValue);
    for (let k = 0; k < data.length; k += channels) {
      const r = data[k] as number;
      const g = data[k + 1] as number;
      const b = data[k + 2] as number;
      // Row vector times the matrix, as applyBatch's matMul.
      data[k] = clamp(r * m00 + g * m10 + b * m20);
      data[k + 1] = clamp(r * m01 + g * m11 + b * m21);
      data[k + 2] = clamp(r * m02 + g * m12 + b * m22);
    }
  }
  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    const [batch, height, width, channels] = xs.shape;
    this.batchOutputSize(params, { width, height, channels });
    const matrices = params.flatMap((p) =>
      p === null ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : hueSaturationMatrix(Number(p.hue), Number(p.saturation)),
    );
    return tf.tidy(() => {
      const rgb = xs.slice([0, 0, 0, 0], [batch, height, width, 3]).reshape([batch, height * width, 3]) as tf.Tensor3D;
      const mixed = tf
        .matMul(rgb, tf.tensor3d(matrices, [batch, 3, 3]))
        .reshape([batch, height, width, 3])
        .clipByValue(0, maxValue);
      if (channels === 3) return mixed as tf.Tensor4D;
      return tf.concat([mixed, xs.slice([0, 0, 0, 3], [batch, height, width, channels - 3])], 3) as tf.Tensor4D;
    });
  }
}
