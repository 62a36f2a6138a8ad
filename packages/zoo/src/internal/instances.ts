import type { DetectionGrid, Mask } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DecodeDetectionsSchema, type Detections, decodeWithPoints, type TensorData } from './decode.js';

/** Options of {@link decodeInstances}: those of `decodeDetections` plus the mask threshold. */
export const DecodeInstancesSchema = DecodeDetectionsSchema.extend({
  /** A pixel belongs to the instance where the upsampled `sigmoid(coefficients · prototypes)` is above this. */
  maskThreshold: z.number().gt(0).lt(1).default(0.5),
});
export type DecodeInstancesOptions = z.input<typeof DecodeInstancesSchema>;

/** One image's instances, best score first: the detections plus one image-sized 0/1 mask each. */
export interface InstanceDetections extends Detections {
  readonly masks: Mask[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function read(value: tf.Tensor | TensorData): TensorData {
  return 'dataSync' in value ? { data: value.dataSync(), shape: value.shape } : value;
}

/**
 * The mask of one detection (ultralytics `process_mask_upsample`): the prototype-resolution probabilities
 * `sigmoid(Σ_k c_k · proto_k)`, bilinearly upsampled to the image (half-pixel centres, as `tf.image.resizeBilinear`
 * without corner alignment), kept inside the box (pixels `x0 ≤ x < x1`, `y0 ≤ y < y1`) and thresholded.
 */
function instanceMask(
  coefficients: ArrayLike<number>,
  at: number,
  protos: ArrayLike<number>,
  protoAt: number,
  size: { hp: number; wp: number; k: number; height: number; width: number },
  box: readonly number[],
  threshold: number,
): Mask {
  const { hp, wp, k, height, width } = size;
  const data = new Uint8Array(height * width);
  const x0 = Math.max(0, Math.ceil(box[0] as number));
  const y0 = Math.max(0, Math.ceil(box[1] as number));
  const x1 = Math.min(width, Math.ceil(box[2] as number));
  const y1 = Math.min(height, Math.ceil(box[3] as number));
  const sy = hp / height;
  const sx = wp / width;
  // Only the prototype pixels the box's bilinear samples read.
  const source = (v: number, scale: number, last: number) => Math.min(Math.max((v + 0.5) * scale - 0.5, 0), last);
  const pyFrom = Math.floor(source(y0, sy, hp - 1));
  const pyTo = Math.min(hp - 1, Math.floor(source(Math.max(y0, y1 - 1), sy, hp - 1)) + 1);
  const pxFrom = Math.floor(source(x0, sx, wp - 1));
  const pxTo = Math.min(wp - 1, Math.floor(source(Math.max(x0, x1 - 1), sx, wp - 1)) + 1);
  const low = new Float32Array(hp * wp);
  for (let py = pyFrom; py <= pyTo; py++) {
    for (let px = pxFrom; px <= pxTo; px++) {
      const p = py * wp + px;
      let sum = 0;
      for (let j = 0; j < k; j++) sum += (coefficients[at + j] as number) * (protos[protoAt + p * k + j] as number);
      low[p] = sigmoid(sum);
    }
  }
  for (let y = y0; y < y1; y++) {
    const fy = source(y, sy, hp - 1);
    const ya = Math.floor(fy);
    const yb = Math.min(ya + 1, hp - 1);
    const dy = fy - ya;
    for (let x = x0; x < x1; x++) {
      const fx = source(x, sx, wp - 1);
      const xa = Math.floor(fx);
      const xb = Math.min(xa + 1, wp - 1);
      const dx = fx - xa;
      const top = (low[ya * wp + xa] as number) * (1 - dx) + (low[ya * wp + xb] as number) * dx;
      const bottom = (low[yb * wp + xa] as number) * (1 - dx) + (low[yb * wp + xb] as number) * dx;
      if (top * (1 - dy) + bottom * dy > threshold) data[y * width + x] = 1;
    }
  }
  return { width, height, data };
}

/**
 * The instances of an `InstanceSegmenter`'s three outputs `[detections, mask_coefficients, prototypes]` (tensors,
 * or `{ data, shape }` read on the host) on its `grid`: the detections exactly as `decodeDetections` finds them
 * (score threshold, top-k, class-aware NMS), then for each kept detection its point's coefficients times the
 * prototypes, sigmoid, upsampled to the image, cropped to the box and thresholded at `maskThreshold`. Masks are
 * image-sized 0/1 `Mask`s (encode them with `rleEncode` from `@optik/core` for COCO). Tensors are not disposed.
 *
 * @example
 * ```ts
 * const outputs = segmenter.model.predict(images) as tf.Tensor[];
 * const [{ boxes, labels, scores, masks }] = decodeInstances(outputs, segmenter.grid(), { scoreThreshold: 0.3 });
 * ```
 */
export function decodeInstances(
  outputs: readonly (tf.Tensor | TensorData)[],
  grid: DetectionGrid,
  options: DecodeInstancesOptions = {},
): InstanceDetections[] {
  const { maskThreshold, ...decode } = parseOrThrow(DecodeInstancesSchema, options, { what: 'decode options' });
  if (outputs.length !== 3) {
    throw new OptikError(
      'DATA_MISMATCH',
      `decodeInstances: ${outputs.length} outputs, expected 3 (detections, mask coefficients, prototypes).`,
      { received: outputs.length, hint: "Pass all three outputs of an InstanceSegmenter's model, in order." },
    );
  }
  const detections = read(outputs[0] as tf.Tensor | TensorData);
  const coefficients = read(outputs[1] as tf.Tensor | TensorData);
  const protos = read(outputs[2] as tf.Tensor | TensorData);
  const [batch, points, k] = coefficients.shape as [number, number, number];
  const [pb, hp, wp, pk] = protos.shape as [number, number, number, number];
  if (
    coefficients.shape.length !== 3 ||
    protos.shape.length !== 4 ||
    batch !== detections.shape[0] ||
    points !== grid.numPoints ||
    pb !== batch ||
    pk !== k
  ) {
    throw new OptikError(
      'DATA_MISMATCH',
      `decodeInstances: coefficients [${coefficients.shape.join(', ')}] and prototypes [${protos.shape.join(', ')}] do not fit detections [${detections.shape.join(', ')}] on a grid of ${grid.numPoints} points.`,
      {
        received: { coefficients: coefficients.shape, prototypes: protos.shape },
        hint: 'Expected coefficients [batch, points, k] and prototypes [batch, h, w, k] from the same model and batch.',
      },
    );
  }
  const [height, width] = grid.imageSize;
  return decodeWithPoints(detections, grid, decode).map(({ boxes, labels, scores, points: from }, i) => ({
    boxes,
    labels,
    scores,
    masks: boxes.map((box, d) =>
      instanceMask(
        coefficients.data,
        (i * points + (from[d] as number)) * k,
        protos.data,
        i * hp * wp * k,
        { hp, wp, k, height, width },
        box,
        maskThreshold,
      ),
    ),
  }));
}
