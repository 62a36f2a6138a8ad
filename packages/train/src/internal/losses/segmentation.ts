import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { LossFunction, Tensors } from '../types.js';

/**
 * Segmentation losses on NHWC logits `[batch, h, w, classes]` (one channel: a binary mask scored with a sigmoid).
 * Targets are one-hot `[batch, h, w, K]` (K = classes, or 2 — background, foreground — for one logit channel), an
 * ignored pixel being all zeros; or class ids `[batch, h, w]` (int32, `ignoreIndex` for ignored pixels). Softmax and
 * log-softmax run on the last axis only (tfjs throws on any other), and nothing compares a prediction, so every op
 * has a gradient on every backend.
 */

/** Guards the Dice ratio of a class with no pixels (segmentation_models.pytorch's eps). */
const EPS = 1e-7;

/** The options of {@link segmentationLoss}: the weights of its two terms and how pixels and classes count. */
export const SegmentationLossSchema = z
  .strictObject({
    /** Weight of the pixel cross-entropy. */
    crossEntropy: z.number().min(0).default(1),
    /** Weight of the soft Dice loss. */
    dice: z.number().min(0).default(1),
    /** Per-class weights (length = classes; 2 for a binary model: background, foreground) of both terms. */
    classWeights: z.array(z.number().min(0)).min(1).optional(),
    /** The class id of pixels that count for nothing (VOC's 255 boundary), in class-id targets. */
    ignoreIndex: z.number().int().min(0).max(255).default(255),
    /** Dice's smoothing `s` in `(2Σpt + s)/(Σp + Σt + s)` (0: the exact ratio). */
    diceSmooth: z.number().min(0).default(0),
    /** Count class 0 (background) in the Dice mean; binary models score the foreground only. */
    diceBackground: z.boolean().default(true),
  })
  .refine((o) => o.crossEntropy > 0 || o.dice > 0, {
    path: ['dice'],
    message: 'crossEntropy and dice are both 0: the loss would be a constant; give one of them a positive weight',
  });
export type SegmentationLossOptions = z.input<typeof SegmentationLossSchema>;
type Resolved = z.output<typeof SegmentationLossSchema>;

function single(value: Tensors, what: string): tf.Tensor {
  if (!Array.isArray(value)) return value as tf.Tensor;
  if (value.length === 1) return value[0] as tf.Tensor;
  throw new OptikError('ARGUMENT_INVALID', `A segmentation loss takes one ${what} tensor, got ${value.length}.`, {
    hint: 'Pass the mask targets and the logits of a single-output segmenter.',
  });
}

/**
 * The targets as one-hot float32 `[batch, h, w, K]` (ignored pixels all zero) for logits `[batch, h, w, C]`,
 * checked against each other.
 */
function oneHotTargets(yTrue: tf.Tensor, logits: tf.Tensor, ignoreIndex: number): tf.Tensor4D {
  const channels = logits.shape[3] as number;
  const depth = Math.max(channels, 2);
  const [b, h, w] = logits.shape;
  if (logits.rank !== 4) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Segmentation logits have shape [${logits.shape}], expected [batch, h, w, classes].`,
      {
        received: logits.shape,
        hint: "Pass a segmenter's output (NHWC logits, no softmax applied).",
      },
    );
  }
  const sameMap = yTrue.shape[0] === b && yTrue.shape[1] === h && yTrue.shape[2] === w;
  if (yTrue.rank === 3 && sameMap) {
    // oneHot gives a zero row for any id outside [0, depth): the ignore index (and nothing else may be there).
    const ids = tf.cast(yTrue, 'int32');
    // In float32: the per-pixel mask over the class maps is one SIMD pass on Optik's wasm kernels (int32 goes to
    // upstream's broadcasting loop, ~80 ms per call at 16×96×96×9).
    const valid = tf.cast(tf.notEqual(ids, ignoreIndex), 'float32');
    return tf.mul(tf.cast(tf.oneHot(ids, depth), 'float32'), tf.expandDims(valid, -1)) as tf.Tensor4D;
  }
  if (yTrue.rank === 4 && sameMap && yTrue.shape[3] === depth) return tf.cast(yTrue, 'float32') as tf.Tensor4D;
  throw new OptikError(
    'DATA_MISMATCH',
    `Segmentation targets of shape [${yTrue.shape}] do not fit logits of shape [${logits.shape}].`,
    {
      received: yTrue.shape,
      hint: `Pass class ids [${b}, ${h}, ${w}] or one-hot targets [${b}, ${h}, ${w}, ${depth}] (encodeMaskTargets makes them).`,
    },
  );
}

/** The class weights as a `[K]` tensor (ones when none are given), checked against the number of target columns. */
function weightsOf(classWeights: readonly number[] | undefined, depth: number): tf.Tensor1D {
  if (classWeights === undefined) return tf.ones([depth]);
  if (classWeights.length !== depth) {
    throw new OptikError('CONFIG_INVALID', `classWeights has ${classWeights.length} values for ${depth} classes.`, {
      path: 'classWeights',
      received: classWeights,
      hint:
        depth === 2 ? 'A binary segmenter takes two weights: background, foreground.' : 'Give one weight per class.',
    });
  }
  return tf.tensor1d([...classWeights]);
}

/** Per-pixel `[batch, h, w, K]` log-probabilities of the logits (sigmoid as two columns). */
function logProbabilities(logits: tf.Tensor4D): tf.Tensor4D {
  if (logits.shape[3] !== 1) return tf.logSoftmax(logits) as tf.Tensor4D;
  // log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z): stable for any z.
  const logFg = tf.neg(tf.softplus(tf.neg(logits)));
  const logBg = tf.neg(tf.softplus(logits));
  return tf.concat([logBg, logFg], -1) as tf.Tensor4D;
}

/** Per-pixel `[batch, h, w, K]` probabilities of the logits (sigmoid as two columns); only what the caller uses. */
function probabilities(logits: tf.Tensor4D): tf.Tensor4D {
  if (logits.shape[3] !== 1) return tf.softmax(logits) as tf.Tensor4D;
  return tf.exp(logProbabilities(logits)) as tf.Tensor4D;
}

/**
 * Pixel cross-entropy: softmax over the last axis (sigmoid for one channel), each pixel weighted by its true class's
 * weight, ignored pixels left out; the weighted mean over the counted pixels (PyTorch's `CrossEntropyLoss(weight,
 * ignore_index)`): `Σ w_y·(−log p_y) / Σ w_y`. 0 when every pixel is ignored.
 */
export function pixelCrossEntropy(
  yTrue: tf.Tensor,
  logits: tf.Tensor,
  options: { classWeights?: readonly number[] | undefined; ignoreIndex?: number } = {},
): tf.Scalar {
  return tf.tidy(() => {
    const t = oneHotTargets(yTrue, logits, options.ignoreIndex ?? 255);
    const logP = logProbabilities(tf.cast(logits, 'float32') as tf.Tensor4D);
    const weighted = tf.mul(t, weightsOf(options.classWeights, t.shape[3]));
    const total = tf.neg(tf.sum(tf.mul(weighted, logP)));
    return tf.div(total, tf.maximum(tf.sum(weighted), EPS)) as tf.Scalar;
  });
}

/**
 * Soft Dice loss: per class over batch·h·w, `1 − (2Σpt + s)/(Σp + Σt + s)` with `p` the softmax (sigmoid)
 * probabilities and only counted pixels; classes absent from the batch's targets are left out of the (class-weighted)
 * mean, so a batch without a class is not pushed to predict nothing of it everywhere. Binary models score the
 * foreground only (segmentation_models.pytorch's binary mode). 0 when no class is present.
 */
export function softDiceLoss(
  yTrue: tf.Tensor,
  logits: tf.Tensor,
  options: {
    classWeights?: readonly number[] | undefined;
    ignoreIndex?: number;
    smooth?: number;
    includeBackground?: boolean;
  } = {},
): tf.Scalar {
  return tf.tidy(() => {
    const t = oneHotTargets(yTrue, logits, options.ignoreIndex ?? 255);
    const depth = t.shape[3];
    const p = probabilities(tf.cast(logits, 'float32') as tf.Tensor4D);
    const valid = tf.sum(t, -1, true);
    const axes = [0, 1, 2];
    const intersection = tf.sum(tf.mul(p, t), axes);
    const cardinality = tf.add(tf.sum(tf.mul(p, valid), axes), tf.sum(t, axes));
    const smooth = options.smooth ?? 0;
    const dice = tf.div(tf.add(tf.mul(intersection, 2), smooth), tf.maximum(tf.add(cardinality, smooth), EPS));
    const firstClass = logits.shape[3] === 1 || options.includeBackground === false ? 1 : 0;
    const keep = Array.from({ length: depth }, (_, c) => (c >= firstClass ? 1 : 0));
    const present = tf.mul(tf.cast(tf.greater(tf.sum(t, axes), 0), 'float32'), tf.tensor1d(keep));
    const weight = tf.mul(present, weightsOf(options.classWeights, depth));
    const loss = tf.sum(tf.mul(tf.sub(1, dice), weight));
    return tf.div(loss, tf.maximum(tf.sum(weight), EPS)) as tf.Scalar;
  });
}

/**
 * The segmentation training loss: `crossEntropy·CE + dice·Dice` ({@link pixelCrossEntropy}, {@link softDiceLoss})
 * on a segmenter's logits, with class weights and an ignore index. Options are checked once, here.
 */
export function segmentationLoss(options: SegmentationLossOptions = {}, meta: { path?: string } = {}): LossFunction {
  const o: Resolved = parseOrThrow(SegmentationLossSchema, options, {
    what: 'segmentation loss',
    ...(meta.path === undefined ? {} : { prefix: meta.path }),
  });
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const t = single(yTrue, 'target');
      const logits = single(yPred, 'output');
      const terms: tf.Scalar[] = [];
      if (o.crossEntropy > 0) {
        terms.push(
          tf.mul(
            pixelCrossEntropy(t, logits, { classWeights: o.classWeights, ignoreIndex: o.ignoreIndex }),
            o.crossEntropy,
          ),
        );
      }
      if (o.dice > 0) {
        const dice = softDiceLoss(t, logits, {
          classWeights: o.classWeights,
          ignoreIndex: o.ignoreIndex,
          smooth: o.diceSmooth,
          includeBackground: o.diceBackground,
        });
        terms.push(tf.mul(dice, o.dice));
      }
      return tf.addN(terms) as tf.Scalar;
    });
}
