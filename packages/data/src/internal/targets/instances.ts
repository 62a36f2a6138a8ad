import type { DetectionGrid, SampleTarget } from '@optik/core';
import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { TargetHook } from '../batches.js';
import { assignBatch, DetectionTargetsSchema, detectionTargetLayout } from './detection.js';

// YOLACT / YOLOv8-seg mask targets on the host: the FCOS assignment names the instance of each positive point, a
// few positives per image are chosen here (no top-k on the device), and everything the mask loss multiplies with —
// a one-hot selection of those points, their instance's mask at prototype resolution, the box crop divided by its
// area — is a constant of the batch, so the loss differentiates only matMul, sigmoid/softplus and arithmetic.

/** Options of {@link encodeInstanceTargets}: the detector's assignment plus the prototype stride and positive budget. */
export const InstanceTargetsSchema = DetectionTargetsSchema.extend({
  /** Stride of the model's prototype map (the image size must be a multiple of it). */
  prototypeStride: z.number().int().min(1).default(4),
  /** The most positive points per image whose masks enter the loss (spread over the instances, centre-most first). */
  maxMaskPositives: z.number().int().min(1).default(32),
});
export type InstanceTargetsOptions = z.input<typeof InstanceTargetsSchema>;

/**
 * Chooses at most `limit` positive points of one image: per instance, its points by descending centre-ness (ties:
 * lower index), taken round-robin over the instances so each instance gets its share.
 */
function choosePositives(
  owner: Int32Array,
  centerness: (a: number) => number,
  base: number,
  points: number,
  limit: number,
) {
  const byInstance = new Map<number, number[]>();
  for (let a = 0; a < points; a++) {
    const k = owner[base + a] as number;
    if (k < 0) continue;
    const list = byInstance.get(k);
    if (list === undefined) byInstance.set(k, [a]);
    else list.push(a);
  }
  const lists = [...byInstance.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([, list]) => list.sort((x, y) => centerness(y) - centerness(x) || x - y));
  const chosen: number[] = [];
  for (let round = 0; chosen.length < limit; round++) {
    let any = false;
    for (const list of lists) {
      const a = list[round];
      if (a === undefined) continue;
      any = true;
      if (chosen.length < limit) chosen.push(a);
    }
    if (!any) break;
  }
  return chosen;
}

/**
 * The instance-segmentation target encoder (YOLACT / YOLOv8-seg on the FCOS assignment), a `TargetHook`: boxes are
 * assigned to the points of `grid` as {@link encodeDetectionTargets} does; of each image's positive points at most
 * `maxMaskPositives` are chosen for the mask loss (spread over the instances, centre-most first). With `P` the most
 * chosen points of an image in the batch, `Hp × Wp` the image size over `prototypeStride`, returns six tensors:
 *
 * 1. `dense [B, A, numClasses + 6]` and 2. `groundTruth [B, maxBoxes, 6]`, exactly as `encodeDetectionTargets`;
 * 3. `selection [B, P, A]`: row p one-hot at the p-th chosen point (all 0 for padding rows), so
 *    `matMul(selection, coefficients)` gives the chosen points' coefficients;
 * 4. `maskTargets [B, P, Hp·Wp]`: the chosen point's instance mask at prototype resolution (the mean of each
 *    stride × stride block, a soft target in [0, 1]);
 * 5. `maskWeights [B, P, Hp·Wp]`: 1 on the prototype pixels whose centre lies in the instance's box (the crop),
 *    divided by the crop's pixel count and by the chosen points of the whole batch, so the weighted BCE sum is
 *    the per-instance mean inside the box averaged over the chosen points;
 * 6. `groundTruthMasks [B, maxBoxes, H, W]` (bool): each ground-truth row's mask at image size (for mask metrics).
 */
export function encodeInstanceTargets(
  grid: DetectionGrid,
  numClasses: number,
  options: InstanceTargetsOptions = {},
): TargetHook {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new OptikError('ARGUMENT_INVALID', `encodeInstanceTargets: numClasses is ${numClasses}.`, {
      received: numClasses,
      hint: 'Pass the number of classes (an integer ≥ 1).',
    });
  }
  const config = parseOrThrow(InstanceTargetsSchema, options, { what: 'instance target options' });
  const { prototypeStride: stride, maxMaskPositives } = config;
  const [height, width] = grid.imageSize;
  if (height % stride !== 0 || width % stride !== 0) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `encodeInstanceTargets: the image size ${height}×${width} is not a multiple of prototypeStride ${stride}.`,
      { received: stride, hint: "Pass the model's prototype stride (InstanceSegmenter protoStride)." },
    );
  }
  const hp = height / stride;
  const wp = width / stride;
  const layout = detectionTargetLayout(numClasses);
  const points = grid.numPoints;
  return (targets, size) => {
    const assigned = assignBatch(grid, numClasses, config, targets, size);
    const { dense, truth, owner, n, rows } = assigned;
    const instances = targets as readonly Extract<SampleTarget, { kind: 'instance-segmentation' }>[];
    instances.forEach((target, i) => {
      if (target.kind !== 'instance-segmentation') {
        throw new OptikError(
          'DATA_FORMAT',
          `Sample ${i} of the batch has a ${target.kind} target, not instance masks.`,
          {
            received: target.kind,
            hint: 'Instance segmentation needs a mask per box (a COCO JSON with polygon or RLE segmentations).',
          },
        );
      }
      target.masks.forEach((mask, k) => {
        if (mask.width !== width || mask.height !== height) {
          throw new OptikError(
            'DATA_MISMATCH',
            `Mask ${k} of sample ${i} is ${mask.width}×${mask.height}, its image ${width}×${height}.`,
            { received: [mask.width, mask.height], hint: 'Masks must move and resize with their images.' },
          );
        }
      });
      if (target.masks.length !== target.boxes.length) {
        throw new OptikError(
          'DATA_MISMATCH',
          `Sample ${i} has ${target.boxes.length} boxes but ${target.masks.length} masks.`,
          {
            received: target.masks.length,
            hint: 'Give one mask per box, and drop a mask whenever its box is dropped.',
          },
        );
      }
    });
    const chosen = instances.map((_, i) =>
      choosePositives(
        owner,
        (a) => dense[(i * points + a) * layout.width + layout.centerness] as number,
        i * points,
        points,
        maxMaskPositives,
      ),
    );
    const p = Math.max(1, ...chosen.map((c) => c.length));
    const total = Math.max(
      1,
      chosen.reduce((sum, c) => sum + c.length, 0),
    );
    const selection = new Float32Array(n * p * points);
    const maskTargets = new Float32Array(n * p * hp * wp);
    const maskWeights = new Float32Array(n * p * hp * wp);
    const gtMasks = new Uint8Array(n * rows * height * width);
    const low = new Float32Array(hp * wp);
    const crop = new Float32Array(hp * wp);
    instances.forEach((target, i) => {
      target.masks.forEach((mask, k) => {
        gtMasks.set(mask.data, (i * rows + k) * height * width);
      });
      const done = new Map<number, { low: Float32Array; crop: Float32Array }>();
      (chosen[i] as number[]).forEach((a, row) => {
        const k = owner[i * points + a] as number;
        let cached = done.get(k);
        if (cached === undefined) {
          const mask = target.masks[k] as { data: Uint8Array };
          low.fill(0);
          for (let y = 0; y < height; y++) {
            const line = Math.floor(y / stride) * wp;
            for (let x = 0; x < width; x++) {
              if (mask.data[y * width + x] !== 0) {
                const q = line + Math.floor(x / stride);
                low[q] = (low[q] as number) + 1;
              }
            }
          }
          for (let q = 0; q < low.length; q++) low[q] = (low[q] as number) / (stride * stride);
          const [x0, y0, x1, y1] = target.boxes[k] as [number, number, number, number];
          crop.fill(0);
          let count = 0;
          for (let py = 0; py < hp; py++) {
            const cy = (py + 0.5) * stride;
            if (cy < y0 || cy >= y1) continue;
            for (let px = 0; px < wp; px++) {
              const cx = (px + 0.5) * stride;
              if (cx >= x0 && cx < x1) {
                crop[py * wp + px] = 1;
                count++;
              }
            }
          }
          if (count === 0) {
            // A box between pixel centres still weighs its centre's pixel.
            const px = Math.min(wp - 1, Math.max(0, Math.floor((x0 + x1) / 2 / stride)));
            const py = Math.min(hp - 1, Math.max(0, Math.floor((y0 + y1) / 2 / stride)));
            crop[py * wp + px] = 1;
            count = 1;
          }
          for (let q = 0; q < crop.length; q++) crop[q] = (crop[q] as number) / (count * total);
          cached = { low: low.slice(), crop: crop.slice() };
          done.set(k, cached);
        }
        selection[(i * p + row) * points + a] = 1;
        maskTargets.set(cached.low, (i * p + row) * hp * wp);
        maskWeights.set(cached.crop, (i * p + row) * hp * wp);
      });
    });
    return [
      tf.tensor3d(dense, [n, points, layout.width]),
      tf.tensor3d(truth, [n, rows, 6]),
      tf.tensor3d(selection, [n, p, points]),
      tf.tensor3d(maskTargets, [n, p, hp * wp]),
      tf.tensor3d(maskWeights, [n, p, hp * wp]),
      tf.tensor4d(gtMasks, [n, rows, height, width], 'bool'),
    ];
  };
}
