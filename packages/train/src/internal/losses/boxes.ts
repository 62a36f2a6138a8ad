import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';

/**
 * Box losses for localization: normalised `[cx, cy, w, h]` boxes of shape `[batch, 4]`, one loss per sample.
 * Every op here has a gradient in tfjs-core (sub, mul, div, relu, maximum, minimum, abs, mean), so the losses train
 * on every backend; no comparison touches a prediction in the forward pass.
 */

/** Guards the divisions: unions and enclosing areas below this count as empty (torchvision's eps). */
const EPS = 1e-7;

function checkBoxes(yTrue: tf.Tensor, yPred: tf.Tensor, what: string): void {
  for (const [side, t] of [
    ['yTrue', yTrue],
    ['yPred', yPred],
  ] as const) {
    if (t.rank !== 2 || t.shape[1] !== 4) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `${what}: ${side} has shape [${t.shape.join(', ')}], expected [batch, 4].`,
        {
          received: t.shape,
          hint: 'Pass normalised [cx, cy, w, h] boxes, one row per sample (reshape a [4] box to [1, 4]).',
        },
      );
    }
  }
  if (yTrue.shape[0] !== yPred.shape[0]) {
    throw new OptikError('DATA_MISMATCH', `${what}: yTrue has ${yTrue.shape[0]} boxes and yPred ${yPred.shape[0]}.`, {
      hint: 'Pass the true and predicted boxes of the same batch.',
    });
  }
}

/** Box corners and areas, one box per element (any shape); shared by the cxcywh losses here and detection's ltrb. */
export interface Corners {
  readonly x1: tf.Tensor;
  readonly y1: tf.Tensor;
  readonly x2: tf.Tensor;
  readonly y2: tf.Tensor;
  readonly area: tf.Tensor;
}

/** Corners of cxcywh boxes, with widths and heights clamped at 0 (a degenerate prediction is an empty box). */
function corners(boxes: tf.Tensor): Corners {
  const [cx, cy, rawW, rawH] = tf.unstack(tf.cast(boxes, 'float32'), 1) as [
    tf.Tensor1D,
    tf.Tensor1D,
    tf.Tensor1D,
    tf.Tensor1D,
  ];
  const w = tf.relu(rawW);
  const h = tf.relu(rawH);
  const halfW = tf.mul(w, 0.5);
  const halfH = tf.mul(h, 0.5);
  return {
    x1: tf.sub(cx, halfW),
    y1: tf.sub(cy, halfH),
    x2: tf.add(cx, halfW),
    y2: tf.add(cy, halfH),
    area: tf.mul(w, h),
  };
}

/** Intersection, union and enclosing-box area of each pair of boxes. */
function overlap(a: Corners, b: Corners): { inter: tf.Tensor; union: tf.Tensor; hull: tf.Tensor } {
  const interW = tf.relu(tf.sub(tf.minimum(a.x2, b.x2), tf.maximum(a.x1, b.x1)));
  const interH = tf.relu(tf.sub(tf.minimum(a.y2, b.y2), tf.maximum(a.y1, b.y1)));
  const inter = tf.mul(interW, interH);
  const union = tf.sub(tf.add(a.area, b.area), inter);
  const hullW = tf.sub(tf.maximum(a.x2, b.x2), tf.minimum(a.x1, b.x1));
  const hullH = tf.sub(tf.maximum(a.y2, b.y2), tf.minimum(a.y1, b.y1));
  return { inter, union, hull: tf.mul(hullW, hullH) };
}

function safeDiv(numerator: tf.Tensor, denominator: tf.Tensor): tf.Tensor {
  return tf.div(numerator, tf.maximum(denominator, EPS));
}

/**
 * `1 − GIoU` of each pair of boxes given by their corners (same shapes), in [0, 2]; empty unions and enclosing boxes
 * divide by ε, so degenerate boxes give finite values and gradients.
 */
export function giouOfCorners(a: Corners, b: Corners): tf.Tensor {
  const { inter, union, hull } = overlap(a, b);
  const iou = safeDiv(inter, union);
  return tf.sub(1, tf.sub(iou, safeDiv(tf.sub(hull, union), hull)));
}

/**
 * Per-sample mean absolute error over the 4 coordinates of normalised `[cx, cy, w, h]` boxes `[batch, 4]`.
 */
export function boxL1Loss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D {
  checkBoxes(yTrue, yPred, 'boxL1Loss');
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.cast(yTrue, 'float32'), tf.cast(yPred, 'float32'))), 1) as tf.Tensor1D);
}

/**
 * Per-sample `1 − GIoU` (Rezatofighi et al., 2019) of normalised `[cx, cy, w, h]` boxes `[batch, 4]`, in [0, 2]:
 * 0 for identical boxes, above 1 for disjoint ones (the enclosing-box term still pulls them together). Widths
 * and heights below 0 count as 0, and empty unions or enclosing boxes divide by ε, so degenerate predictions give
 * finite values and gradients.
 */
export function giouLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D {
  checkBoxes(yTrue, yPred, 'giouLoss');
  return tf.tidy(() => giouOfCorners(corners(yTrue), corners(yPred)) as tf.Tensor1D);
}

/** Per-row IoU of two sets of normalised `[cx, cy, w, h]` boxes `[batch, 4]`, in [0, 1]; 0 for an empty union. */
export function boxIouTensor(a: tf.Tensor, b: tf.Tensor): tf.Tensor1D {
  checkBoxes(a, b, 'boxIouTensor');
  return tf.tidy(() => {
    const { inter, union } = overlap(corners(a), corners(b));
    return safeDiv(inter, union) as tf.Tensor1D;
  });
}
