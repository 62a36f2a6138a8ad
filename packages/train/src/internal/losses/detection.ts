import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { LossFunction, Tensors } from '../types.js';
import { type Corners, giouOfCorners } from './boxes.js';

// The FCOS loss (torchvision `models/detection/fcos.py`, `ops/focal_loss.py`, `ops/giou_loss.py`) on host-built
// targets: every mask (positive flags, one-hot classes, box targets) comes from yTrue, so the differentiated graph
// holds only sigmoid, softplus, pow, min/max and arithmetic — no comparison, gather or top-k on a prediction.

/** Options of {@link fcosLoss}: the weight of each term and the focal-loss parameters. */
export const FcosLossSchema = z.strictObject({
  /** Weight of the sigmoid focal loss over every point and class. */
  classificationWeight: z.number().min(0).default(1),
  /** Weight of `1 − GIoU` of the decoded boxes over the positive points. */
  boxWeight: z.number().min(0).default(1),
  /** Weight of the centre-ness binary cross-entropy over the positive points. */
  centernessWeight: z.number().min(0).default(1),
  /** Focal-loss balance of positives (`α`; torchvision 0.25). */
  alpha: z.number().min(0).max(1).default(0.25),
  /** Focal-loss focusing exponent (`γ`; torchvision 2). */
  gamma: z.number().min(0).default(2),
});
export type FcosLossOptions = z.input<typeof FcosLossSchema>;
export type FcosLossConfig = z.output<typeof FcosLossSchema>;

/** The three FCOS terms of a batch (each already divided by `max(1, positives)`, not yet weighted). */
export interface FcosLossTerms {
  readonly classification: tf.Scalar;
  readonly box: tf.Scalar;
  readonly centerness: tf.Scalar;
}

function firstOf(value: Tensors, what: string): tf.Tensor {
  const t = Array.isArray(value) ? value[0] : value;
  if (t === undefined) throw new OptikError('ARGUMENT_INVALID', `fcosLoss: ${what} is an empty list.`);
  return t as tf.Tensor;
}

function checkShapes(dense: tf.Tensor, output: tf.Tensor): number {
  if (output.rank !== 3 || (output.shape[2] ?? 0) < 6) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `fcosLoss: the model output has shape [${output.shape.join(', ')}], expected [batch, points, numClasses + 5].`,
      { received: output.shape, hint: "Use a zoo Detector's output (class logits, ltrb, centre-ness per point)." },
    );
  }
  const numClasses = (output.shape[2] as number) - 5;
  const expected = [output.shape[0], output.shape[1], numClasses + 6];
  if (dense.rank !== 3 || dense.shape.some((d, i) => d !== expected[i])) {
    throw new OptikError(
      'DATA_MISMATCH',
      `fcosLoss: the dense targets have shape [${dense.shape.join(', ')}], expected [${expected.join(', ')}] for this output.`,
      {
        received: dense.shape,
        hint: "Encode targets with @optik/data's encodeDetectionTargets on the detector's grid and class count.",
      },
    );
  }
  return numClasses;
}

/** Binary cross-entropy with logits, elementwise: `softplus(x) − x·t` (stable for large |x|). */
function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  return tf.sub(tf.softplus(logits), tf.mul(logits, targets));
}

/** Box corners of ltrb distances around the point (the point is the origin: GIoU does not depend on it). */
function ltrbCorners(ltrb: tf.Tensor): Corners {
  const [l, t, r, b] = tf.unstack(ltrb, 2) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  return { x1: tf.neg(l), y1: tf.neg(t), x2: r, y2: b, area: tf.mul(tf.add(l, r), tf.add(t, b)) };
}

/**
 * The unweighted FCOS terms of a batch: `dense [B, A, C + 6]` (from `encodeDetectionTargets`) against the
 * detector's output `[B, A, C + 5]` (class logits, raw ltrb decoded as `softplus` in stride units, centre-ness
 * logit). Each term is summed and divided by `max(1, number of positive points in the batch)`.
 */
export function fcosLossTerms(dense: tf.Tensor, output: tf.Tensor, options: FcosLossOptions = {}): FcosLossTerms {
  const { alpha, gamma } = parseOrThrow(FcosLossSchema, options, { what: 'fcos loss options' });
  const numClasses = checkShapes(dense, output);
  return tf.tidy(() => {
    const y = tf.cast(dense, 'float32');
    const out = tf.cast(output, 'float32');
    const [classTrue, boxTrue, centerTrue, positive] = tf.split(y, [numClasses, 4, 1, 1], 2) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const [classLogits, boxRaw, centerLogit] = tf.split(out, [numClasses, 4, 1], 2) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const normaliser = tf.maximum(tf.sum(positive), 1);

    // Sigmoid focal loss (Lin et al., 2017) over every point and class.
    const p = tf.sigmoid(classLogits);
    const pt = tf.add(tf.mul(p, classTrue), tf.mul(tf.sub(1, p), tf.sub(1, classTrue)));
    let focal = tf.mul(bceWithLogits(classLogits, classTrue), tf.pow(tf.sub(1, pt), gamma));
    focal = tf.mul(focal, tf.add(tf.mul(classTrue, alpha), tf.mul(tf.sub(1, classTrue), 1 - alpha)));
    const classification = tf.div(tf.sum(focal), normaliser);

    const mask = tf.squeeze(positive, [2]);
    const giou = giouOfCorners(ltrbCorners(boxTrue), ltrbCorners(tf.softplus(boxRaw)));
    const box = tf.div(tf.sum(tf.mul(giou, mask)), normaliser);

    const centerBce = bceWithLogits(centerLogit, centerTrue);
    const centerness = tf.div(tf.sum(tf.mul(centerBce, positive)), normaliser);
    return { classification, box, centerness } as unknown as tf.NamedTensorMap;
  }) as unknown as FcosLossTerms;
}

/**
 * The FCOS detection loss as a `LossFunction` for the trainer: yTrue is `[dense, groundTruth]` (the encoder's two
 * tensors; the ground truth is for metrics and ignored here), yPred the detector's output `[B, A, C + 5]`. The
 * sum of the weighted terms of {@link fcosLossTerms}: sigmoid focal loss (α 0.25, γ 2) over all points, `1 − GIoU`
 * of the decoded boxes and centre-ness BCE over the positive points, each divided by `max(1, positives)`.
 *
 * @example
 * ```ts
 * const loss = fcosLoss({ boxWeight: 2 });
 * await new Trainer({ epochs: 10 }).fit({ model: detector.model, trainData, loss, metrics: [] });
 * ```
 */
export function fcosLoss(options: FcosLossOptions = {}): LossFunction {
  const config = parseOrThrow(FcosLossSchema, options, { what: 'fcos loss options' });
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const terms = fcosLossTerms(firstOf(yTrue, 'yTrue'), firstOf(yPred, 'yPred'), config);
      return tf.addN([
        tf.mul(terms.classification, config.classificationWeight),
        tf.mul(terms.box, config.boxWeight),
        tf.mul(terms.centerness, config.centernessWeight),
      ]) as tf.Scalar;
    });
}
