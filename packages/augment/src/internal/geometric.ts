import type { ImageSample, Mask, Rng, SampleTarget } from '@optik/core';
import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BaseTransform } from './base.js';
import { type HostOp, type HostWarpOp, runHostBatch, warpAffine } from './host.js';
import { checkMasks, mapImage, masksToTensor, maxValueOf, moveTarget, tensorToMasks } from './sample.js';
import { geometricShape, num, probability, range } from './schema.js';
import type { AugmentTarget, HostBatchable, ImageSize, TransformParams } from './types.js';
import { type Affine, invertAffine, rotationAbout, scaleAbout } from './warp.js';

type Params = NonNullable<TransformParams>;

interface Geometry {
  /** Input → output coordinates. */
  readonly forward: Affine;
  readonly width: number;
  readonly height: number;
}

interface GeometricOptions {
  p: number;
  interpolation: 'nearest' | 'bilinear';
  fill: number;
  minArea: number;
  minVisibility: number;
}

/** Warps masks with nearest interpolation (class ids and 0/1 values stay exact), filling with 0. */
export function warpMasks(masks: readonly Mask[], inverse: Affine, height: number, width: number): Mask[] {
  const warped = tf.tidy(() => warpAffine(masksToTensor(masks), [inverse], height, width, 'nearest', 0));
  try {
    return tensorToMasks(warped);
  } finally {
    warped.dispose();
  }
}

/**
 * Moves a target through one geometric step: boxes by the step's `forward` map, clipped to its output canvas and
 * dropped by its `rule`; masks with nearest sampling. `apply` and `augmentBatchWithTargets` both move targets
 * with it, so the two paths agree exactly.
 */
export function warpTarget(target: SampleTarget, op: HostWarpOp): SampleTarget {
  const { stage, forward, rule } = op;
  if (forward === undefined || rule === undefined) {
    throw new OptikError('INTERNAL', 'A warp step without its forward map reached a target move.');
  }
  return moveTarget(target, forward, [0, 0, stage.width, stage.height], rule, (masks) =>
    warpMasks(masks, stage.inverse, stage.height, stage.width),
  );
}

/**
 * A transform that is one affine map per image: pixels are resampled with {@link warpAffine}, boxes move by
 * their corners (enclosing box, clipped, dropped by `minArea`/`minVisibility`), masks move with nearest sampling.
 */
abstract class GeometricTransform<O extends GeometricOptions> extends BaseTransform<O> implements HostBatchable {
  readonly targets: readonly AugmentTarget[] = ['image', 'boxes', 'masks'];
  readonly level = 'image' as const;

  /** The affine map and output size for drawn parameters. */
  protected abstract geometry(params: Params, size: ImageSize): Geometry;

  override outputSize(size: ImageSize, params: TransformParams): ImageSize {
    if (params === null) return size;
    const g = this.geometry(params, size);
    return { width: g.width, height: g.height, channels: size.channels };
  }

  /**
   * The output size of a batch step with these per-image parameters; refuses a size-changing step that skips some
   * images or gives uneven sizes (a batch tensor has one size).
   */
  batchOutputSize(params: readonly TransformParams[], size: ImageSize): ImageSize {
    const applied = params.filter((p): p is Params => p !== null).map((p) => this.geometry(p, size));
    const first = applied[0];
    if (first === undefined) return size;
    const uneven = applied.some((g) => g.width !== first.width || g.height !== first.height);
    const resizes = first.width !== size.width || first.height !== size.height;
    if (uneven || (resizes && applied.length < params.length)) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `${this.type} changes the image size, so in a batch it must run on every image with one output size.`,
        { received: { p: this.options.p }, hint: `Set p: 1 for ${this.type} when augmenting batches.` },
      );
    }
    return { width: first.width, height: first.height, channels: size.channels };
  }

  /** The warp step of a geometry: its sampling stage, and its forward map and drop rule for targets. */
  private warpOp(g: Geometry, maxValue: number): HostWarpOp {
    const { interpolation, fill } = this.options;
    const stage = {
      inverse: invertAffine(g.forward),
      width: g.width,
      height: g.height,
      interpolation,
      fill: fill * maxValue,
    };
    return { kind: 'warp', stage, forward: g.forward, rule: this.options };
  }

  /** The per-image step for drawn parameters: one warp stage (none when skipped). */
  hostOps(params: TransformParams, size: ImageSize, maxValue: number, ops: HostOp[]): ImageSize {
    if (params === null) return size;
    const g = this.geometry(params, size);
    ops.push(this.warpOp(g, maxValue));
    return { width: g.width, height: g.height, channels: size.channels };
  }

  applyBatch(xs: tf.Tensor4D, params: readonly TransformParams[], maxValue: number): tf.Tensor4D {
    const [, height, width, channels] = xs.shape;
    const size = { width, height, channels };
    const out = this.batchOutputSize(params, size);
    return runHostBatch(
      xs,
      (i) => {
        const ops: HostOp[] = [];
        this.hostOps(params[i] ?? null, size, maxValue, ops);
        return ops;
      },
      out,
    );
  }

  apply(sample: ImageSample, params: TransformParams): ImageSample {
    if (params === null) return sample;
    checkMasks(sample);
    const op = this.warpOp(this.geometry(params, sample.image), maxValueOf(sample.image));
    const { inverse, width, height, interpolation, fill } = op.stage;
    const image = mapImage(sample.image, (x) => warpAffine(x, [inverse], height, width, interpolation, fill));
    return { ...sample, image, target: warpTarget(sample.target, op) };
  }
}

// ---------------------------------------------------------------------------------------------------------------

export const RandomRotateSchema = z.strictObject({
  p: probability(0.5),
  /** Rotation angle in degrees, counter-clockwise, drawn uniformly. */
  degrees: range([-15, 15], { min: -360, max: 360 }),
  ...geometricShape,
});
/** Options of {@link RandomRotate}. */
export type RandomRotateOptions = z.input<typeof RandomRotateSchema>;

/**
 * Rotates about the image centre by an angle drawn from `degrees`; the canvas keeps its size.
 *
 * @example
 * ```ts
 * const rotate = new RandomRotate({ degrees: [-15, 15], p: 0.5 });
 * ```
 */
export class RandomRotate extends GeometricTransform<z.output<typeof RandomRotateSchema>> {
  static readonly type = 'RandomRotate';
  static readonly schema = RandomRotateSchema;
  readonly type = RandomRotate.type;
  constructor(options: RandomRotateOptions = {}) {
    super(RandomRotateSchema, RandomRotate.type, options);
  }
  protected draw(rng: Rng): Params {
    return { angle: rng.uniform(this.options.degrees[0], this.options.degrees[1]) };
  }
  protected geometry(params: Params, size: ImageSize): Geometry {
    const { width, height } = size;
    return { forward: rotationAbout(num(params, 'angle'), width / 2, height / 2), width, height };
  }
}

export const RandomFlipSchema = z.strictObject({
  p: probability(0.5),
  /** `horizontal` mirrors left–right, `vertical` top–bottom, `both` flips each axis with a fair coin. */
  mode: z.enum(['horizontal', 'vertical', 'both']).default('horizontal'),
  ...geometricShape,
});
/** Options of {@link RandomFlip}. */
export type RandomFlipOptions = z.input<typeof RandomFlipSchema>;

/**
 * Mirrors the image horizontally, vertically, or both (Keras `RandomFlip` modes).
 *
 * @example
 * ```ts
 * const flip = new RandomFlip({ mode: 'horizontal' });
 * ```
 */
export class RandomFlip extends GeometricTransform<z.output<typeof RandomFlipSchema>> {
  static readonly type = 'RandomFlip';
  static readonly schema = RandomFlipSchema;
  readonly type = RandomFlip.type;
  constructor(options: RandomFlipOptions = {}) {
    super(RandomFlipSchema, RandomFlip.type, options);
  }
  protected draw(rng: Rng): Params {
    const mode = this.options.mode;
    if (mode === 'both') return { horizontal: rng.bool(), vertical: rng.bool() };
    return { horizontal: mode === 'horizontal', vertical: mode === 'vertical' };
  }
  protected geometry(params: Params, size: ImageSize): Geometry {
    const { width, height } = size;
    const h = params.horizontal === true;
    const v = params.vertical === true;
    return { forward: [h ? -1 : 1, 0, h ? width : 0, 0, v ? -1 : 1, v ? height : 0], width, height };
  }
}

export const RandomZoomSchema = z.strictObject({
  p: probability(0.5),
  /** Zoom factor about the centre: above 1 zooms in, below 1 zooms out (filled with `fill`). */
  scale: range([0.8, 1.2], { min: 0.01, max: 100 }),
  ...geometricShape,
});
/** Options of {@link RandomZoom}. */
export type RandomZoomOptions = z.input<typeof RandomZoomSchema>;

/**
 * Zooms in or out about the image centre; the canvas keeps its size.
 *
 * @example
 * ```ts
 * const zoom = new RandomZoom({ scale: [0.8, 1.25] });
 * ```
 */
export class RandomZoom extends GeometricTransform<z.output<typeof RandomZoomSchema>> {
  static readonly type = 'RandomZoom';
  static readonly schema = RandomZoomSchema;
  readonly type = RandomZoom.type;
  constructor(options: RandomZoomOptions = {}) {
    super(RandomZoomSchema, RandomZoom.type, options);
  }
  protected draw(rng: Rng): Params {
    return { zoom: rng.uniform(this.options.scale[0], this.options.scale[1]) };
  }
  protected geometry(params: Params, size: ImageSize): Geometry {
    const { width, height } = size;
    const zoom = num(params, 'zoom');
    return { forward: scaleAbout(zoom, zoom, width / 2, height / 2), width, height };
  }
}

export const RandomTranslateSchema = z.strictObject({
  p: probability(0.5),
  /** Horizontal shift as a fraction of the width. */
  x: range([-0.1, 0.1], { min: -1, max: 1 }),
  /** Vertical shift as a fraction of the height. */
  y: range([-0.1, 0.1], { min: -1, max: 1 }),
  ...geometricShape,
});
/** Options of {@link RandomTranslate}. */
export type RandomTranslateOptions = z.input<typeof RandomTranslateSchema>;

/**
 * Shifts the image by a fraction of its size; uncovered pixels take `fill`.
 *
 * @example
 * ```ts
 * const shift = new RandomTranslate({ x: [-0.1, 0.1], y: [-0.1, 0.1] });
 * ```
 */
export class RandomTranslate extends GeometricTransform<z.output<typeof RandomTranslateSchema>> {
  static readonly type = 'RandomTranslate';
  static readonly schema = RandomTranslateSchema;
  readonly type = RandomTranslate.type;
  constructor(options: RandomTranslateOptions = {}) {
    super(RandomTranslateSchema, RandomTranslate.type, options);
  }
  protected draw(rng: Rng, size: ImageSize): Params {
    const { x, y } = this.options;
    return {
      dx: Math.round(rng.uniform(x[0], x[1]) * size.width),
      dy: Math.round(rng.uniform(y[0], y[1]) * size.height),
    };
  }
  protected geometry(params: Params, size: ImageSize): Geometry {
    return { forward: [1, 0, num(params, 'dx'), 0, 1, num(params, 'dy')], width: size.width, height: size.height };
  }
}

export const RandomCropSchema = z.strictObject({
  p: probability(1),
  /** Output height in pixels. */
  height: z.number().int().positive(),
  /** Output width in pixels. */
  width: z.number().int().positive(),
  ...geometricShape,
});
/** Options of {@link RandomCrop}. */
export type RandomCropOptions = z.input<typeof RandomCropSchema>;

/**
 * Cuts a `height × width` window at a random position (padding with `fill` when the image is smaller).
 *
 * @example
 * ```ts
 * const crop = new RandomCrop({ height: 24, width: 24 });
 * ```
 */
export class RandomCrop extends GeometricTransform<z.output<typeof RandomCropSchema>> {
  static readonly type = 'RandomCrop';
  static readonly schema = RandomCropSchema;
  readonly type = RandomCrop.type;
  constructor(options: RandomCropOptions) {
    super(RandomCropSchema, RandomCrop.type, options);
  }
  protected draw(rng: Rng, size: ImageSize): Params {
    const spareX = size.width - this.options.width;
    const spareY = size.height - this.options.height;
    return {
      x: rng.int(Math.min(0, spareX), Math.max(0, spareX)),
      y: rng.int(Math.min(0, spareY), Math.max(0, spareY)),
    };
  }
  protected geometry(params: Params): Geometry {
    const { width, height } = this.options;
    return { forward: [1, 0, -num(params, 'x'), 0, 1, -num(params, 'y')], width, height };
  }
}

export const RandomResizedCropSchema = z.strictObject({
  p: probability(1),
  /** Output height in pixels. */
  height: z.number().int().positive(),
  /** Output width in pixels. */
  width: z.number().int().positive(),
  /** Crop area as a fraction of the image area. */
  scale: range([0.08, 1], { min: 0, max: 1 }),
  /** Crop aspect ratio (width / height), drawn log-uniformly. */
  ratio: range([3 / 4, 4 / 3], { min: 0.01, max: 100 }),
  ...geometricShape,
});
/** Options of {@link RandomResizedCrop}. */
export type RandomResizedCropOptions = z.input<typeof RandomResizedCropSchema>;

/**
 * Crops a random area and aspect ratio and resizes it to `height × width` (torchvision `RandomResizedCrop`: ten
 * tries, then a centre crop at the nearest allowed ratio).
 *
 * @example
 * ```ts
 * const crop = new RandomResizedCrop({ height: 224, width: 224, scale: [0.08, 1] });
 * ```
 */
export class RandomResizedCrop extends GeometricTransform<z.output<typeof RandomResizedCropSchema>> {
  static readonly type = 'RandomResizedCrop';
  static readonly schema = RandomResizedCropSchema;
  readonly type = RandomResizedCrop.type;
  constructor(options: RandomResizedCropOptions) {
    super(RandomResizedCropSchema, RandomResizedCrop.type, options);
  }
  protected draw(rng: Rng, size: ImageSize): Params {
    const { width, height } = size;
    const area = width * height;
    const { scale, ratio } = this.options;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * rng.uniform(scale[0], scale[1]);
      const aspect = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
      const w = Math.round(Math.sqrt(target * aspect));
      const h = Math.round(Math.sqrt(target / aspect));
      if (w > 0 && h > 0 && w <= width && h <= height) {
        return { x: rng.int(0, width - w), y: rng.int(0, height - h), width: w, height: h };
      }
    }
    const inRatio = width / height;
    let w = width;
    let h = height;
    if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
    else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
    return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
  }
  protected geometry(params: Params): Geometry {
    const { width, height } = this.options;
    const sx = width / num(params, 'width');
    const sy = height / num(params, 'height');
    return { forward: [sx, 0, -sx * num(params, 'x'), 0, sy, -sy * num(params, 'y')], width, height };
  }
}
