import type { DetectionGrid, SampleTarget } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { TargetHook } from '../batches.js';

// FCOS (Tian et al., 2019; torchvision `models/detection/fcos.py`) assigns each box to the points of the feature
// levels on the host, in typed arrays: the targets are pure geometry, so the loss on the device needs no
// comparison, gather or top-k on a prediction (none of which has a gradient in tfjs).

const positiveInt = z.number().int().min(1);
/** Columns of the ground-truth rows: `x0, y0, x1, y1, label, crowd`. */
const TRUTH_COLUMNS = 6;

/** Options of {@link encodeDetectionTargets}. */
export const DetectionTargetsSchema = z.strictObject({
  /** A point is a candidate when its Chebyshev distance to the box centre is below `radius · stride` (FCOS 1.5). */
  centerSamplingRadius: z.number().gt(0).default(1.5),
  /** Rows of the ground-truth tensor; default: the most boxes of an image in the batch (at least 1). */
  maxBoxes: positiveInt.optional(),
});
export type DetectionTargetsOptions = z.input<typeof DetectionTargetsSchema>;

/**
 * Column layout of the dense detection target `[B, A, numClasses + 6]` (see {@link encodeDetectionTargets}):
 * the offsets of each field for `numClasses` classes.
 */
export function detectionTargetLayout(numClasses: number): {
  readonly classes: number;
  readonly box: number;
  readonly centerness: number;
  readonly positive: number;
  readonly width: number;
} {
  return {
    classes: 0,
    box: numClasses,
    centerness: numClasses + 4,
    positive: numClasses + 5,
    width: numClasses + 6,
  };
}

/** The FCOS assignment of one image, written into `dense` at row offset `base` (in points). */
function assignImage(
  grid: DetectionGrid,
  numClasses: number,
  radius: number,
  target: {
    readonly labels: readonly number[];
    readonly boxes: readonly (readonly number[])[];
    readonly crowd?: readonly boolean[];
  },
  dense: Float32Array,
  base: number,
  sample: number,
  owner?: Int32Array,
): number {
  const { width } = detectionTargetLayout(numClasses);
  const { boxes, labels, crowd } = target;
  const g = boxes.length;
  if (crowd !== undefined && crowd.length !== g) {
    throw new OptikError('DATA_MISMATCH', `Sample ${sample} has ${g} boxes but ${crowd.length} crowd flags.`, {
      received: crowd.length,
      hint: 'Give one crowd flag per box (or none), and drop a flag whenever its box is dropped.',
    });
  }
  const areas = new Float64Array(g);
  for (let k = 0; k < g; k++) {
    const box = boxes[k] as readonly number[];
    const label = labels[k];
    if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= numClasses) {
      throw new OptikError('DATA_FORMAT', `Box ${k} of sample ${sample} has label ${label}, not a class id.`, {
        received: label,
        hint: `Labels are class indices in [0, ${numClasses - 1}]; check the class list of the annotations.`,
      });
    }
    if (box.length !== 4 || box.some((v) => !Number.isFinite(v))) {
      throw new OptikError('DATA_FORMAT', `Box ${k} of sample ${sample} is not four finite numbers.`, {
        received: box,
        hint: 'Boxes are pixel [x0, y0, x1, y1].',
      });
    }
    areas[k] = ((box[2] as number) - (box[0] as number)) * ((box[3] as number) - (box[1] as number));
  }
  let positives = 0;
  for (let a = 0; a < grid.numPoints; a++) {
    const x = grid.points[2 * a] as number;
    const y = grid.points[2 * a + 1] as number;
    const stride = grid.pointStrides[a] as number;
    const lower = grid.ranges[2 * a] as number;
    const upper = grid.ranges[2 * a + 1] as number;
    let best = -1;
    for (let k = 0; k < g; k++) {
      // A crowd region is never a positive (torchvision's COCO reference leaves crowds out of training targets).
      if (crowd?.[k] === true) continue;
      const [x0, y0, x1, y1] = boxes[k] as [number, number, number, number];
      const l = x - x0;
      const t = y - y0;
      const r = x1 - x;
      const b = y1 - y;
      if (Math.min(l, t, r, b) <= 0) continue;
      const reach = radius * stride;
      if (Math.abs(x - (x0 + x1) / 2) >= reach || Math.abs(y - (y0 + y1) / 2) >= reach) continue;
      const m = Math.max(l, t, r, b);
      if (!(m > lower && m < upper)) continue;
      // Ambiguous points go to the smallest box (the first of equal areas).
      if (best < 0 || (areas[k] as number) < (areas[best] as number)) best = k;
    }
    if (best < 0) continue;
    const [x0, y0, x1, y1] = boxes[best] as [number, number, number, number];
    const l = x - x0;
    const t = y - y0;
    const r = x1 - x;
    const b = y1 - y;
    const row = (base + a) * width;
    dense[row + (labels[best] as number)] = 1;
    dense[row + numClasses] = l / stride;
    dense[row + numClasses + 1] = t / stride;
    dense[row + numClasses + 2] = r / stride;
    dense[row + numClasses + 3] = b / stride;
    dense[row + numClasses + 4] = Math.sqrt((Math.min(l, r) / Math.max(l, r)) * (Math.min(t, b) / Math.max(t, b)));
    dense[row + numClasses + 5] = 1;
    if (owner !== undefined) owner[base + a] = best;
    positives++;
  }
  return positives;
}

/** What {@link assignBatch} builds on the host for a batch. */
export interface AssignedBatch {
  /** `[n, points, numClasses + 6]` (see {@link detectionTargetLayout}). */
  readonly dense: Float32Array;
  /** `[n, rows, 6]` ground-truth rows. */
  readonly truth: Float32Array;
  /** `[n, points]`: the index of the box each positive point was assigned to, −1 for background. */
  readonly owner: Int32Array;
  readonly n: number;
  readonly rows: number;
}

/**
 * The FCOS assignment of a batch on the host (the body of {@link encodeDetectionTargets}), also naming the box of
 * each positive point (`owner`), which the instance-mask targets need.
 */
export function assignBatch(
  grid: DetectionGrid,
  numClasses: number,
  options: { readonly centerSamplingRadius: number; readonly maxBoxes?: number | undefined },
  targets: readonly SampleTarget[],
  size: { readonly height: number; readonly width: number },
): AssignedBatch {
  const { centerSamplingRadius, maxBoxes } = options;
  const { width } = detectionTargetLayout(numClasses);
  if (size.height !== grid.imageSize[0] || size.width !== grid.imageSize[1]) {
    throw new OptikError(
      'DATA_MISMATCH',
      `The batch's images are ${size.height}×${size.width}, the detection grid's ${grid.imageSize.join('×')}.`,
      { received: [size.height, size.width], hint: 'Build the grid for the image size the model takes.' },
    );
  }
  const n = targets.length;
  const dets = targets.map((target: SampleTarget, i) => {
    if (target.kind !== 'detection' && target.kind !== 'instance-segmentation') {
      throw new OptikError('DATA_FORMAT', `Sample ${i} of the batch has a ${target.kind} target, not boxes.`, {
        received: target.kind,
        hint: 'Detection data has a list of labelled boxes per image (COCO, VOC, YOLO).',
      });
    }
    return target;
  });
  const most = dets.reduce((m, t) => Math.max(m, t.boxes.length), 0);
  const rows = maxBoxes ?? Math.max(1, most);
  if (most > rows) {
    throw new OptikError('DATA_FORMAT', `An image of the batch has ${most} boxes, more than maxBoxes ${rows}.`, {
      received: most,
      hint: 'Raise maxBoxes, or leave it unset to size the ground-truth tensor per batch.',
    });
  }
  const dense = new Float32Array(n * grid.numPoints * width);
  const truth = new Float32Array(n * rows * TRUTH_COLUMNS);
  const owner = new Int32Array(n * grid.numPoints).fill(-1);
  dets.forEach((target, i) => {
    assignImage(
      grid,
      numClasses,
      centerSamplingRadius,
      target.kind === 'detection' ? target : { labels: target.labels, boxes: target.boxes },
      dense,
      i * grid.numPoints,
      i,
      owner,
    );
    for (let k = 0; k < rows; k++) {
      const box = target.boxes[k];
      const at = (i * rows + k) * TRUTH_COLUMNS;
      if (box === undefined) truth[at + 4] = -1;
      else {
        truth.set(box, at);
        truth[at + 4] = target.labels[k] as number;
        truth[at + 5] = target.kind === 'detection' && target.crowd?.[k] === true ? 1 : 0;
      }
    }
  });
  return { dense, truth, owner, n, rows };
}

/**
 * The FCOS target encoder (detection), a `TargetHook` for {@link makeBatches}: on the host, each point of `grid`
 * inside a box, within `centerSamplingRadius · stride` of its centre and in its level's size range is a positive
 * of that box (the smallest box when several qualify). A crowd box (`crowd[k]`, COCO `iscrowd`) makes no
 * positives; the points inside it stay negatives (the dense layout has no ignore state; torchvision's COCO
 * reference likewise trains without crowds), and it is kept in the ground truth for evaluation. Returns two tensors:
 *
 * - `dense [B, A, numClasses + 6]`, per point: columns `0 … C−1` the class one-hot (all 0 for background),
 *   `C … C+3` the ltrb distances to the box sides divided by the point's stride, `C+4` the centre-ness target
 *   `sqrt(min(l,r)/max(l,r) · min(t,b)/max(t,b))`, `C+5` the positive flag (1 or 0); see
 *   {@link detectionTargetLayout}.
 * - `groundTruth [B, maxBoxes, 6]`: each image's boxes as `x0, y0, x1, y1, label, crowd` in pixels (crowd 1 or
 *   0), padded with rows of label −1, so validation metrics can match predictions with the true boxes as COCOeval.
 */
export function encodeDetectionTargets(
  grid: DetectionGrid,
  numClasses: number,
  options: DetectionTargetsOptions = {},
): TargetHook {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new OptikError('ARGUMENT_INVALID', `encodeDetectionTargets: numClasses is ${numClasses}.`, {
      received: numClasses,
      hint: 'Pass the number of classes (an integer ≥ 1).',
    });
  }
  const { centerSamplingRadius, maxBoxes } = parseOrThrow(DetectionTargetsSchema, options, {
    what: 'detection target options',
  });
  return (targets, size) => {
    const { dense, truth, n, rows } = assignBatch(grid, numClasses, { centerSamplingRadius, maxBoxes }, targets, size);
    return [
      tf.tensor3d(dense, [n, grid.numPoints, detectionTargetLayout(numClasses).width]),
      tf.tensor3d(truth, [n, rows, TRUTH_COLUMNS]),
    ];
  };
}
