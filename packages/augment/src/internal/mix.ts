import type { ImageSample, Rng } from '@optik/core';
import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BaseTransform } from './base.js';
import { probability } from './schema.js';
import type { AugmentTarget, ImageSize, LabelMixingTransform, SampleInfo, TransformParams } from './types.js';

/** Gamma(shape, 1) by Marsaglia–Tsang, from the seeded generator. */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(alpha, alpha). */
export function symmetricBeta(rng: Rng, alpha: number): number {
  const a = gamma(rng, alpha);
  const b = gamma(rng, alpha);
  return a + b > 0 ? a / (a + b) : 0.5;
}

function checkBatch(type: string, xs: tf.Tensor4D, ys: tf.Tensor2D, params: readonly TransformParams[]): void {
  if (ys.shape[0] !== xs.shape[0] || params.length !== xs.shape[0]) {
    throw new OptikError('DATA_MISMATCH', `${type} needs one label row and one parameter set per image.`, {
      received: { images: xs.shape[0], labels: ys.shape[0], params: params.length },
      hint: 'Pass labels as a [batch, classes] one-hot (or soft) tensor.',
    });
  }
}

/** Batch-level label mixing: per sample it is a no-op (a single sample has no partner to mix with). */
abstract class MixingTransform<O extends { p: number }> extends BaseTransform<O> implements LabelMixingTransform {
  readonly targets: readonly AugmentTarget[] = ['image', 'labels'];
  readonly level = 'batch' as const;

  override sampleParams(_rng: Rng, _sample: SampleInfo): TransformParams {
    return null;
  }
  protected draw(): TransformParams {
    return null;
  }
  apply(sample: ImageSample): ImageSample {
    return sample;
  }

  sampleBatchParams(rng: Rng, batchSize: number, size: ImageSize): TransformParams[] {
    const partners = rng.shuffle(Array.from({ length: batchSize }, (_, i) => i));
    return partners.map((partner) => (rng.bool(this.options.p) ? this.drawMix(rng, partner, size) : null));
  }

  protected abstract drawMix(rng: Rng, partner: number, size: ImageSize): TransformParams;

  abstract applyLabelBatch(
    xs: tf.Tensor4D,
    ys: tf.Tensor2D,
    params: readonly TransformParams[],
  ): { xs: tf.Tensor4D; ys: tf.Tensor2D };
}

function partnersOf(params: readonly TransformParams[]): number[] {
  return params.map((p, i) => (p === null ? i : Number(p.partner)));
}

function lambdasOf(params: readonly TransformParams[]): number[] {
  return params.map((p) => (p === null ? 1 : Number(p.lambda)));
}

export const MixUpSchema = z.strictObject({
  /** Probability that an image is mixed with its partner. */
  p: probability(1),
  /** Beta(alpha, alpha) concentration for the mixing weight; small values keep images mostly unmixed. */
  alpha: z.number().positive().default(0.2),
});
/** Options of {@link MixUp}. */
export type MixUpOptions = z.input<typeof MixUpSchema>;

/**
 * MixUp (Zhang et al. 2018) for classification: each image is blended with a partner from a shuffled batch,
 * `λ·x + (1−λ)·x'`, and so are the labels. Batch-level: use `augmentBatchWithLabels`.
 *
 * @example
 * ```ts
 * const { xs: x2, ys: y2 } = compose([new MixUp({ alpha: 0.2 })]).augmentBatchWithLabels(xs, ys);
 * ```
 */
export class MixUp extends MixingTransform<z.output<typeof MixUpSchema>> {
  static readonly type = 'MixUp';
  static readonly schema = MixUpSchema;
  readonly type = MixUp.type;
  constructor(options: MixUpOptions = {}) {
    super(MixUpSchema, MixUp.type, options);
  }
  protected drawMix(rng: Rng, partner: number): TransformParams {
    return { partner, lambda: symmetricBeta(rng, this.options.alpha) };
  }
  applyLabelBatch(xs: tf.Tensor4D, ys: tf.Tensor2D, params: readonly TransformParams[]) {
    checkBatch(this.type, xs, ys, params);
    const batch = xs.shape[0];
    return tf.tidy(() => {
      const index = tf.tensor1d(partnersOf(params), 'int32');
      const lambda = tf.tensor1d(lambdasOf(params));
      const one = tf.scalar(1);
      const lx = lambda.reshape([batch, 1, 1, 1]);
      const ly = lambda.reshape([batch, 1]);
      const mixedX = xs.mul(lx).add(tf.gather(xs, index).mul(one.sub(lx))) as tf.Tensor4D;
      const mixedY = ys
        .toFloat()
        .mul(ly)
        .add(tf.gather(ys.toFloat(), index).mul(one.sub(ly))) as tf.Tensor2D;
      return { xs: mixedX, ys: mixedY };
    });
  }
}

export const CutMixSchema = z.strictObject({
  /** Probability that an image receives a patch from its partner. */
  p: probability(1),
  /** Beta(alpha, alpha) concentration for the kept fraction of the image. */
  alpha: z.number().positive().default(1),
});
/** Options of {@link CutMix}. */
export type CutMixOptions = z.input<typeof CutMixSchema>;

/**
 * CutMix (Yun et al. 2019) for classification: a rectangle of each image is replaced by the same rectangle of a
 * partner, and labels mix by the exact pasted area. Batch-level: use `augmentBatchWithLabels`.
 *
 * @example
 * ```ts
 * const { xs: x2, ys: y2 } = compose([new CutMix({ alpha: 1 })]).augmentBatchWithLabels(xs, ys);
 * ```
 */
export class CutMix extends MixingTransform<z.output<typeof CutMixSchema>> {
  static readonly type = 'CutMix';
  static readonly schema = CutMixSchema;
  readonly type = CutMix.type;
  constructor(options: CutMixOptions = {}) {
    super(CutMixSchema, CutMix.type, options);
  }
  protected drawMix(rng: Rng, partner: number, size: ImageSize): TransformParams {
    const { width, height } = size;
    const cut = Math.sqrt(1 - symmetricBeta(rng, this.options.alpha));
    const cw = Math.round(width * cut);
    const ch = Math.round(height * cut);
    const cx = rng.int(0, width - 1);
    const cy = rng.int(0, height - 1);
    const x0 = Math.max(0, cx - Math.floor(cw / 2));
    const y0 = Math.max(0, cy - Math.floor(ch / 2));
    const x1 = Math.min(width, cx + Math.ceil(cw / 2));
    const y1 = Math.min(height, cy + Math.ceil(ch / 2));
    const lambda = 1 - ((x1 - x0) * (y1 - y0)) / (width * height);
    return { partner, x: x0, y: y0, width: x1 - x0, height: y1 - y0, lambda };
  }
  applyLabelBatch(xs: tf.Tensor4D, ys: tf.Tensor2D, params: readonly TransformParams[]) {
    checkBatch(this.type, xs, ys, params);
    const [batch, height, width] = xs.shape;
    const rect = (key: string) =>
      tf.tensor4d(
        params.map((p) => (p === null ? 0 : Number(p[key]))),
        [batch, 1, 1, 1],
      );
    return tf.tidy(() => {
      const index = tf.tensor1d(partnersOf(params), 'int32');
      const col = tf.range(0, width).reshape([1, 1, width, 1]);
      const row = tf.range(0, height).reshape([1, height, 1, 1]);
      const x0 = rect('x');
      const y0 = rect('y');
      const inside = col
        .greaterEqual(x0)
        .logicalAnd(col.less(x0.add(rect('width'))))
        .logicalAnd(row.greaterEqual(y0))
        .logicalAnd(row.less(y0.add(rect('height'))))
        .toFloat();
      const one = tf.scalar(1);
      const mixedX = xs.mul(one.sub(inside)).add(tf.gather(xs, index).mul(inside)) as tf.Tensor4D;
      const ly = tf.tensor2d(lambdasOf(params), [batch, 1]);
      const mixedY = ys
        .toFloat()
        .mul(ly)
        .add(tf.gather(ys.toFloat(), index).mul(one.sub(ly))) as tf.Tensor2D;
      return { xs: mixedX, ys: mixedY };
    });
  }
}
