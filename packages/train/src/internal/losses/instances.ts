import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { LossFunction, Tensors } from '../types.js';
import { FcosLossSchema, type FcosLossTerms, fcosLossTerms } from './detection.js';

// YOLACT's `lincomb_mask_loss` / ultralytics `v8SegmentationLoss.single_mask_loss` on host-built constants: the
// chosen positives' coefficients are `selection · coefficients` (a one-hot matMul instead of a gather), their
// masks one batched matMul with the prototypes, and the crop and area normalisation one weight tensor — so the
// graph holds matMul, softplus and arithmetic only (no gather, top-k or crop on the device).

/** Options of {@link instanceSegmentationLoss}: the FCOS terms' weights and focal parameters plus the mask weight. */
export const InstanceSegmentationLossSchema = FcosLossSchema.extend({
  /** Weight of the mask BCE (per instance: the mean inside its box; averaged over the chosen positives). */
  maskWeight: z.number().min(0).default(1),
});
export type InstanceSegmentationLossOptions = z.input<typeof InstanceSegmentationLossSchema>;

/** The FCOS terms and the mask term of a batch (unweighted). */
export interface InstanceSegmentationLossTerms extends FcosLossTerms {
  readonly mask: tf.Scalar;
}

function listOf(value: Tensors, count: number, what: string, hint: string): tf.Tensor[] {
  const list = Array.isArray(value) ? (value as tf.Tensor[]) : [value as tf.Tensor];
  if (list.length < count) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `instanceSegmentationLoss: ${what} has ${list.length} tensors, expected ${count}.`,
      {
        received: list.length,
        hint,
      },
    );
  }
  return list;
}

function checkMaskShapes(
  selection: tf.Tensor,
  targets: tf.Tensor,
  weights: tf.Tensor,
  coefficients: tf.Tensor,
  prototypes: tf.Tensor,
): void {
  const [b, points, k] = coefficients.shape as [number, number, number];
  const [pb, hp, wp, pk] = prototypes.shape as [number, number, number, number];
  const rows = selection.shape[1] as number;
  const ok =
    coefficients.rank === 3 &&
    prototypes.rank === 4 &&
    pb === b &&
    pk === k &&
    selection.rank === 3 &&
    selection.shape[0] === b &&
    selection.shape[2] === points &&
    [targets, weights].every((t) => t.rank === 3 && t.shape[0] === b && t.shape[1] === rows && t.shape[2] === hp * wp);
  if (!ok) {
    throw new OptikError(
      'DATA_MISMATCH',
      `instanceSegmentationLoss: selection [${selection.shape.join(', ')}], mask targets [${targets.shape.join(', ')}] and weights [${weights.shape.join(', ')}] do not fit coefficients [${coefficients.shape.join(', ')}] and prototypes [${prototypes.shape.join(', ')}].`,
      {
        received: {
          selection: selection.shape,
          maskTargets: targets.shape,
          coefficients: coefficients.shape,
          prototypes: prototypes.shape,
        },
        hint: "Encode targets with @optik/data's encodeInstanceTargets on the model's grid, with prototypeStride = the model's protoStride.",
      },
    );
  }
}

/**
 * The unweighted terms of a batch: the FCOS terms of `fcosLossTerms` on the detections, and the mask term
 * `Σ BCE(matMul(selection · coefficients, prototypesᵀ), maskTargets) · maskWeights` — per chosen positive, the
 * binary cross-entropy of its predicted mask logits at prototype resolution against its instance's mask, averaged
 * inside the box (the weights hold the crop over its pixel count and over the chosen positives of the batch).
 * `yTrue` is `encodeInstanceTargets`' list (`[dense, groundTruth, selection, maskTargets, maskWeights, …]`),
 * `yPred` an InstanceSegmenter's outputs `[detections, coefficients, prototypes]`.
 */
export function instanceSegmentationLossTerms(
  yTrue: Tensors,
  yPred: Tensors,
  options: InstanceSegmentationLossOptions = {},
): InstanceSegmentationLossTerms {
  const config = parseOrThrow(InstanceSegmentationLossSchema, options, { what: 'instance segmentation loss options' });
  const [dense, , selection, maskTargets, maskWeights] = listOf(
    yTrue,
    5,
    'yTrue',
    "Pass the targets of @optik/data's encodeInstanceTargets (dense, ground truth, selection, mask targets, mask weights).",
  ) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const [detections, coefficients, prototypes] = listOf(
    yPred,
    3,
    'yPred',
    "Pass an InstanceSegmenter's three outputs (detections, mask coefficients, prototypes).",
  ) as [tf.Tensor, tf.Tensor, tf.Tensor];
  checkMaskShapes(selection, maskTargets, maskWeights, coefficients, prototypes);
  const { maskWeight: _maskWeight, ...fcosOptions } = config;
  const fcos = fcosLossTerms(dense, detections, fcosOptions);
  const mask = tf.tidy(() => {
    const [b, hp, wp, k] = prototypes.shape as [number, number, number, number];
    const chosen = tf.matMul(selection, coefficients);
    const logits = tf.matMul(chosen, tf.reshape(prototypes, [b, hp * wp, k]), false, true);
    const bce = tf.sub(tf.softplus(logits), tf.mul(logits, maskTargets));
    return tf.sum(tf.mul(bce, maskWeights)) as tf.Scalar;
  });
  return { ...fcos, mask };
}

/**
 * The instance-segmentation loss (YOLACT / YOLOv8-seg on the FCOS detector) as a `LossFunction` for the trainer:
 * the weighted FCOS terms (focal, GIoU, centre-ness) plus `maskWeight ·` the mask term of
 * {@link instanceSegmentationLossTerms}.
 *
 * @example
 * ```ts
 * const loss = instanceSegmentationLoss({ maskWeight: 1 });
 * await new Trainer({ epochs: 10 }).fit({ model: segmenter.model, trainData, loss, metrics: [] });
 * ```
 */
export function instanceSegmentationLoss(options: InstanceSegmentationLossOptions = {}): LossFunction {
  const config = parseOrThrow(InstanceSegmentationLossSchema, options, { what: 'instance segmentation loss options' });
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const terms = instanceSegmentationLossTerms(yTrue, yPred, config);
      return tf.addN([
        tf.mul(terms.classification, config.classificationWeight),
        tf.mul(terms.box, config.boxWeight),
        tf.mul(terms.centerness, config.centernessWeight),
        tf.mul(terms.mask, config.maskWeight),
      ]) as tf.Scalar;
    });
}
