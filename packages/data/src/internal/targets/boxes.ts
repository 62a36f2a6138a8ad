import type { BoxXyxy, SampleTarget } from '@optik/core';
import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import type { TargetHook } from '../batches.js';

/** An image size in pixels. */
export interface ImageSize {
  readonly height: number;
  readonly width: number;
}

/** A pixel xyxy box as normalised `[cx, cy, w, h]` (fractions of the image), what box heads regress. */
export function boxToCxcywh(box: BoxXyxy, size: ImageSize): [number, number, number, number] {
  const [x0, y0, x1, y1] = box;
  return [(x0 + x1) / 2 / size.width, (y0 + y1) / 2 / size.height, (x1 - x0) / size.width, (y1 - y0) / size.height];
}

/** Normalised `[cx, cy, w, h]` back to a pixel xyxy box, clipped to the image (negative sizes count as 0). */
export function cxcywhToBox(values: ArrayLike<number>, size: ImageSize): BoxXyxy {
  const cx = (values[0] as number) * size.width;
  const cy = (values[1] as number) * size.height;
  const w = Math.max(0, values[2] as number) * size.width;
  const h = Math.max(0, values[3] as number) * size.height;
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return [
    clip(cx - w / 2, size.width),
    clip(cy - h / 2, size.height),
    clip(cx + w / 2, size.width),
    clip(cy + h / 2, size.height),
  ];
}

/**
 * The single-box target encoder (localization): each sample's class as a one-hot row and its box as normalised
 * `[cx, cy, w, h]`, i.e. `[oneHot [n, numClasses], boxes [n, 4]]` — the order of a localizer's outputs.
 */
export function encodeBoxTargets(numClasses: number): TargetHook {
  return (targets, size) => {
    const n = targets.length;
    const labels = new Int32Array(n);
    const boxes = new Float32Array(n * 4);
    targets.forEach((target: SampleTarget, i) => {
      if (target.kind !== 'localization') {
        throw new OptikError('DATA_FORMAT', `Sample ${i} of the batch has a ${target.kind} target, not one box.`, {
          received: target.kind,
          hint: 'Localization data has exactly one labelled box per image.',
        });
      }
      labels[i] = target.label;
      boxes.set(boxToCxcywh(target.box, size), i * 4);
    });
    return [tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat(), tf.tensor2d(boxes, [n, 4])];
  };
}
