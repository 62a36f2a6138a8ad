import type { BoxXyxy, ImageData, ImageSample, Mask, SampleTarget } from '@optik/core';
import { boxArea, OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import type { ImageSize } from './types.js';
import { type Affine, applyAffine } from './warp.js';

/** The largest pixel value of an image's storage: 255 for bytes, 1 for floats. */
export function maxValueOf(image: ImageData): number {
  return image.data instanceof Uint8Array ? 255 : 1;
}

/** `[1, h, w, c]` float tensor of the raw pixel values. */
export function imageToTensor(image: ImageData): tf.Tensor4D {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new OptikError('DATA_MISMATCH', 'Image data length does not match width × height × channels.', {
      received: { width, height, channels, length: data.length },
    });
  }
  return tf.tidy(() => tf.tensor4d(Float32Array.from(data), [1, height, width, channels]));
}

/** Reads a `[1, h, w, c]` tensor back into the storage type of `like` (bytes are rounded and clipped). */
export function tensorToImage(t: tf.Tensor4D, like: ImageData): ImageData {
  const [, height, width, channels] = t.shape;
  const values = t.dataSync();
  if (!(like.data instanceof Uint8Array))
    return { width, height, channels: channels as ImageData['channels'], data: Float32Array.from(values) };
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = Math.min(255, Math.max(0, Math.round(values[i] as number)));
  return { width, height, channels: channels as ImageData['channels'], data };
}

/** Runs a batched tensor step on one image. */
export function mapImage(image: ImageData, step: (x: tf.Tensor4D, maxValue: number) => tf.Tensor4D): ImageData {
  const x = imageToTensor(image);
  try {
    const y = step(x, maxValueOf(image));
    try {
      return tensorToImage(y, image);
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

/** The masks a target carries, in a fixed order (semantic: one; instance: one per object). */
export function targetMasks(target: SampleTarget): readonly Mask[] {
  if (target.kind === 'semantic-segmentation') return [target.mask];
  if (target.kind === 'instance-segmentation') return target.masks;
  return [];
}

/** Stacks masks as channels of a `[1, h, w, n]` float tensor. */
export function masksToTensor(masks: readonly Mask[]): tf.Tensor4D {
  const first = masks[0];
  if (first === undefined) throw new OptikError('INTERNAL', 'masksToTensor needs at least one mask.');
  const { width, height } = first;
  const n = masks.length;
  const data = new Float32Array(width * height * n);
  masks.forEach((mask, k) => {
    if (mask.width !== width || mask.height !== height || mask.data.length !== width * height) {
      throw new OptikError('DATA_MISMATCH', 'All masks of a sample must have the same size as each other.', {
        received: { width: mask.width, height: mask.height, length: mask.data.length },
      });
    }
    for (let i = 0; i < width * height; i++) data[i * n + k] = mask.data[i] as number;
  });
  return tf.tensor4d(data, [1, height, width, n]);
}

export function tensorToMasks(t: tf.Tensor4D): Mask[] {
  const [, height, width, n] = t.shape;
  const values = t.dataSync();
  const masks: Mask[] = [];
  for (let k = 0; k < n; k++) {
    const data = new Uint8Array(width * height);
    for (let i = 0; i < width * height; i++) data[i] = Math.round(values[i * n + k] as number);
    masks.push({ width, height, data });
  }
  return masks;
}

/** Checks that masks match the image they belong to (a sample, or a target and its image's size). */
export function checkMasks(sample: Pick<ImageSample, 'target' | 'source'> & { readonly image: ImageSize }): void {
  for (const mask of targetMasks(sample.target)) {
    if (mask.width !== sample.image.width || mask.height !== sample.image.height) {
      throw new OptikError('DATA_MISMATCH', 'A mask must have the same width and height as its image.', {
        received: { image: [sample.image.width, sample.image.height], mask: [mask.width, mask.height] },
        ...(sample.source === undefined ? {} : { file: sample.source }),
      });
    }
  }
}

/** A rectangle `[x0, y0, x1, y1]` boxes are clipped to. */
export type ClipRect = readonly [number, number, number, number];

export interface MovedBox {
  readonly box: BoxXyxy;
  readonly area: number;
  readonly visibility: number;
}

/** Moves a box by its four corners, takes the enclosing box, clips it to `clip`, and measures what is left. */
export function moveBox(box: BoxXyxy, forward: Affine, clip: ClipRect): MovedBox {
  const corners = [
    applyAffine(forward, box[0], box[1]),
    applyAffine(forward, box[2], box[1]),
    applyAffine(forward, box[0], box[3]),
    applyAffine(forward, box[2], box[3]),
  ];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const moved: BoxXyxy = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const clipped: BoxXyxy = [
    clamp(moved[0], clip[0], clip[2]),
    clamp(moved[1], clip[1], clip[3]),
    clamp(moved[2], clip[0], clip[2]),
    clamp(moved[3], clip[1], clip[3]),
  ];
  const full = boxArea(moved);
  const area = boxArea(clipped);
  return { box: clipped, area, visibility: full > 0 ? area / full : 0 };
}

/** Box-dropping thresholds. */
export interface DropRule {
  readonly minArea: number;
  readonly minVisibility: number;
}

export function keepBox(moved: MovedBox, rule: DropRule): boolean {
  return moved.area > 0 && moved.area >= rule.minArea && moved.visibility >= rule.minVisibility;
}

/**
 * Moves a target's boxes and masks: boxes through `forward` (clipped to `clip`, dropped by `rule`), masks through
 * `warpMasks`. Instance masks are dropped together with their boxes. A localisation box is never dropped.
 */
export function moveTarget(
  target: SampleTarget,
  forward: Affine,
  clip: ClipRect,
  rule: DropRule,
  warpMasks: (masks: readonly Mask[]) => Mask[],
): SampleTarget {
  switch (target.kind) {
    case 'classification':
      return target;
    case 'localization':
      return { ...target, box: moveBox(target.box, forward, clip).box };
    case 'detection': {
      const labels: number[] = [];
      const boxes: BoxXyxy[] = [];
      const crowd: boolean[] = [];
      target.boxes.forEach((box, i) => {
        const moved = moveBox(box, forward, clip);
        if (!keepBox(moved, rule)) return;
        labels.push(target.labels[i] as number);
        boxes.push(moved.box);
        crowd.push(target.crowd?.[i] === true);
      });
      // Crowd flags follow their boxes.
      return target.crowd === undefined
        ? { kind: 'detection', labels, boxes }
        : { kind: 'detection', labels, boxes, crowd };
    }
    case 'semantic-segmentation':
      return { kind: 'semantic-segmentation', mask: warpMasks([target.mask])[0] as Mask };
    case 'instance-segmentation': {
      const warped = target.masks.length > 0 ? warpMasks(target.masks) : [];
      const labels: number[] = [];
      const boxes: BoxXyxy[] = [];
      const masks: Mask[] = [];
      target.boxes.forEach((box, i) => {
        const moved = moveBox(box, forward, clip);
        if (!keepBox(moved, rule)) return;
        labels.push(target.labels[i] as number);
        boxes.push(moved.box);
        const mask = warped[i];
        if (mask !== undefined) masks.push(mask);
      });
      return { kind: 'instance-segmentation', labels, boxes, masks };
    }
  }
}

/** The bounding box of a mask's non-zero pixels, or `null` when it is empty. */
export function maskBox(mask: Mask): BoxXyxy | null {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[y * mask.width + x] === 0) continue;
      if (x < x0) x0 = x;
      if (y < y0) y0 = y;
      if (x + 1 > x1) x1 = x + 1;
      if (y + 1 > y1) y1 = y + 1;
    }
  }
  return x1 < 0 ? null : [x0, y0, x1, y1];
}
