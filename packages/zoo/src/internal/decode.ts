import type { BoxXyxy, DetectionGrid } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

/** Options of {@link nonMaxSuppression}. */
export const NmsSchema = z.strictObject({
  /** A box is dropped when its IoU with a kept box of its class is above this. */
  iouThreshold: z.number().min(0).max(1).default(0.5),
  /** The most boxes kept (default: all that survive). */
  maxOutput: z.number().int().min(0).optional(),
});
export type NmsOptions = z.input<typeof NmsSchema>;

/** IoU of boxes `i` and `j` of a flat xyxy list (torchvision `box_iou`: areas without +1; an empty union gives 0). */
function iouAt(boxes: ArrayLike<number>, i: number, j: number): number {
  const ax0 = boxes[4 * i] as number;
  const ay0 = boxes[4 * i + 1] as number;
  const ax1 = boxes[4 * i + 2] as number;
  const ay1 = boxes[4 * i + 3] as number;
  const bx0 = boxes[4 * j] as number;
  const by0 = boxes[4 * j + 1] as number;
  const bx1 = boxes[4 * j + 2] as number;
  const by1 = boxes[4 * j + 3] as number;
  const inter =
    Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0)) * Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
  const union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy class-aware non-maximum suppression on typed arrays, with torchvision `batched_nms` semantics: boxes are
 * visited by descending score (ties by index); a box is dropped when its IoU with an already kept box **of the same
 * label** is above `iouThreshold`; boxes of different labels never suppress each other. Without `labels`, every
 * box has the same label (plain `nms`). Returns the kept indices, best score first.
 */
export function nonMaxSuppression(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  labels?: ArrayLike<number>,
  options: NmsOptions = {},
): number[] {
  const { iouThreshold, maxOutput } = parseOrThrow(NmsSchema, options, { what: 'NMS options' });
  const n = scores.length;
  if (boxes.length !== 4 * n || (labels !== undefined && labels.length !== n)) {
    throw new OptikError(
      'DATA_MISMATCH',
      `nonMaxSuppression: ${boxes.length / 4} boxes, ${n} scores${labels === undefined ? '' : ` and ${labels.length} labels`}.`,
      { hint: 'Pass boxes as a flat [x0, y0, x1, y1, …] list of 4 numbers per score (and one label per score).' },
    );
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
  const kept: number[] = [];
  const limit = maxOutput ?? n;
  for (const i of order) {
    if (kept.length >= limit) break;
    const label = labels === undefined ? 0 : labels[i];
    let suppressed = false;
    for (const j of kept) {
      if ((labels === undefined ? 0 : labels[j]) === label && iouAt(boxes, i, j) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(i);
  }
  return kept;
}

/** Options of {@link decodeDetections}. */
export const DecodeDetectionsSchema = z.strictObject({
  /** Candidates need a score `sqrt(σ(class) · σ(centre-ness))` above this (torchvision FCOS 0.2; 0.05 for mAP). */
  scoreThreshold: z.number().min(0).max(1).default(0.05),
  /** NMS IoU threshold (per class; torchvision FCOS 0.6). */
  iouThreshold: z.number().min(0).max(1).default(0.6),
  /** The most detections kept per image. */
  maxDetections: z.number().int().min(1).default(100),
  /** The best candidates per image that enter NMS. */
  preNmsTopK: z.number().int().min(1).default(1000),
});
export type DecodeDetectionsOptions = z.input<typeof DecodeDetectionsSchema>;

/** One image's detections, best score first; boxes are pixel xyxy in the model's input, clipped to it. */
export interface Detections {
  readonly boxes: BoxXyxy[];
  readonly labels: number[];
  readonly scores: number[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/**
 * The detections of a detector's output `[batch, points, numClasses + 5]` (a `Detector`'s, or a model loaded with
 * `tf.loadLayersModel`) on its `grid`: per point and class the score `sqrt(σ(class logit) · σ(centre-ness logit))`;
 * candidates above `scoreThreshold`, the best `preNmsTopK` per image, their boxes `point ∓ softplus(ltrb) · stride`
 * clipped to the image, class-aware {@link nonMaxSuppression}, at most `maxDetections`. Reads the output once
 * (`dataSync`); the tensor is not disposed.
 */
export function decodeDetections(
  output: tf.Tensor | TensorData,
  grid: DetectionGrid,
  options: DecodeDetectionsOptions = {},
): Detections[] {
  return decodeWithPoints(output, grid, options).map(({ boxes, labels, scores }) => ({ boxes, labels, scores }));
}

/** A tensor's values and shape, as read on the host. */
export interface TensorData {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** {@link decodeDetections}, each detection also naming the grid point it came from (`points`). */
export function decodeWithPoints(
  output: tf.Tensor | TensorData,
  grid: DetectionGrid,
  options: DecodeDetectionsOptions = {},
): (Detections & { readonly points: number[] })[] {
  const { scoreThreshold, iouThreshold, maxDetections, preNmsTopK } = parseOrThrow(DecodeDetectionsSchema, options, {
    what: 'decode options',
  });
  const shape = output.shape;
  const [batch, points, width] = shape as [number, number, number];
  if (shape.length !== 3 || points !== grid.numPoints || width < 6) {
    throw new OptikError(
      'DATA_MISMATCH',
      `decodeDetections: the output has shape [${shape.join(', ')}], expected [batch, ${grid.numPoints}, numClasses + 5] for this grid.`,
      {
        received: shape,
        hint: "Decode a detector's output with the grid of its input size and strides (detector.grid()).",
      },
    );
  }
  const data = 'dataSync' in output ? output.dataSync() : output.data;
  const numClasses = width - 5;
  const [height, imageWidth] = grid.imageSize;
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const results: (Detections & { points: number[] })[] = [];
  for (let i = 0; i < batch; i++) {
    const candidates: { point: number; label: number; score: number }[] = [];
    for (let a = 0; a < points; a++) {
      const row = (i * points + a) * width;
      const center = sigmoid(data[row + numClasses + 4] as number);
      for (let c = 0; c < numClasses; c++) {
        const score = Math.sqrt(sigmoid(data[row + c] as number) * center);
        if (score > scoreThreshold) candidates.push({ point: a, label: c, score });
      }
    }
    candidates.sort((x, y) => y.score - x.score || x.point - y.point || x.label - y.label);
    const top = candidates.slice(0, preNmsTopK);
    const boxes = new Float64Array(top.length * 4);
    top.forEach(({ point }, k) => {
      const row = (i * points + point) * width + numClasses;
      const x = grid.points[2 * point] as number;
      const y = grid.points[2 * point + 1] as number;
      const stride = grid.pointStrides[point] as number;
      boxes[4 * k] = clip(x - softplus(data[row] as number) * stride, imageWidth);
      boxes[4 * k + 1] = clip(y - softplus(data[row + 1] as number) * stride, height);
      boxes[4 * k + 2] = clip(x + softplus(data[row + 2] as number) * stride, imageWidth);
      boxes[4 * k + 3] = clip(y + softplus(data[row + 3] as number) * stride, height);
    });
    const kept = nonMaxSuppression(
      boxes,
      top.map((t) => t.score),
      top.map((t) => t.label),
      { iouThreshold, maxOutput: maxDetections },
    );
    results.push({
      boxes: kept.map(
        (k): BoxXyxy => [
          boxes[4 * k] as number,
          boxes[4 * k + 1] as number,
          boxes[4 * k + 2] as number,
          boxes[4 * k + 3] as number,
        ],
      ),
      labels: kept.map((k) => (top[k] as { label: number }).label),
      scores: kept.map((k) => (top[k] as { score: number }).score),
      points: kept.map((k) => (top[k] as { point: number }).point),
    });
  }
  return results;
}

/**
 * A detector's raw output for a mirrored image, mapped back onto the original image's points: for `hflip` (the
 * image reversed along its width) point `(i, j)` of each level takes the prediction of point `(i, w − 1 − j)` and
 * the left and right distances swap; `vflip` likewise along the height with top and bottom. Class and centre-ness
 * logits move with their points. So `mirrorDetectionOutput(model(flip(x)))` can be averaged with `model(x)`
 * (test-time augmentation) before {@link decodeDetections}. The grid's image size must be a multiple of every
 * stride (as a detector's input is), so that mirrored points land on points. Returns a new array.
 *
 * @example
 * ```ts
 * const flipped = detector.model.predict(tf.reverse(xs, 2)) as tf.Tensor; // hflip of NHWC images
 * const back = mirrorDetectionOutput(await flipped.data(), flipped.shape, detector.grid(), 'hflip');
 * ```
 */
export function mirrorDetectionOutput(
  data: ArrayLike<number>,
  shape: readonly number[],
  grid: DetectionGrid,
  view: 'hflip' | 'vflip',
): Float32Array {
  const [n, points, width] = shape as [number, number, number];
  const numClasses = width - 5;
  if (shape.length !== 3 || points !== grid.numPoints || numClasses < 1 || data.length !== n * points * width) {
    throw new OptikError(
      'DATA_MISMATCH',
      `mirrorDetectionOutput: output of shape [${shape}] (${data.length} values) for a grid of ${grid.numPoints} points.`,
      { received: shape, hint: 'Pass a detector output [batch, points, numClasses + 5] and the grid it predicts on.' },
    );
  }
  const [h, w] = grid.imageSize;
  for (const level of grid.levels) {
    if (level.height * level.stride !== h || level.width * level.stride !== w) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `mirrorDetectionOutput: the ${h}×${w} image is not a multiple of stride ${level.stride}, so mirrored points miss the grid.`,
        { received: [h, w], hint: 'Use an image size divisible by every stride (a detector requires it).' },
      );
    }
  }
  // The distance columns that swap: left ↔ right for hflip, top ↔ bottom for vflip (ltrb order).
  const [first, second] = view === 'hflip' ? [numClasses, numClasses + 2] : [numClasses + 1, numClasses + 3];
  const out = new Float32Array(n * points * width);
  for (let b = 0; b < n; b++) {
    for (const level of grid.levels) {
      for (let i = 0; i < level.height; i++) {
        for (let j = 0; j < level.width; j++) {
          const si = view === 'vflip' ? level.height - 1 - i : i;
          const sj = view === 'hflip' ? level.width - 1 - j : j;
          const dst = (b * points + level.offset + i * level.width + j) * width;
          const src = (b * points + level.offset + si * level.width + sj) * width;
          for (let k = 0; k < width; k++) out[dst + k] = data[src + k] as number;
          out[dst + first] = data[src + second] as number;
          out[dst + second] = data[src + first] as number;
        }
      }
    }
  }
  return out;
}
