import * as tf from '@tensorflow/tfjs';
import { preprocess } from './predict.js';
import type { LoadedRun } from './run.js';

/** A semantic segmentation of one image: a class per pixel of the model's input, and how many pixels each has. */
export interface Segmentation {
  /** `[height × width]` class ids, row-major, at the model's input size. */
  readonly classes: Int32Array;
  readonly height: number;
  readonly width: number;
  /** Pixels per class id. */
  readonly counts: readonly number[];
}

/** One class of the legend: its id, name, colour and share of the pixels. */
export interface LegendEntry {
  readonly classId: number;
  readonly label: string;
  readonly fraction: number;
  readonly color: readonly [number, number, number];
}

/**
 * The PASCAL VOC colour map (the devkit's `labelcolormap`): class `c`'s bits, three at a time, set the high bits
 * of red, green and blue in turn: 0 black (background), 1 maroon, 2 green, 3 olive, 4 navy, ….
 */
export function vocColor(classId: number): [number, number, number] {
  let [r, g, b] = [0, 0, 0];
  let c = classId;
  for (let shift = 7; shift >= 0 && c > 0; shift--) {
    r |= (c & 1) << shift;
    g |= ((c >> 1) & 1) << shift;
    b |= ((c >> 2) & 1) << shift;
    c >>= 3;
  }
  return [r, g, b];
}

/** Runs a segmentation run's model (`[1, H, W, numClasses]` logits) on one image and takes the argmax per pixel. */
export function segment(run: LoadedRun, image: CanvasImageSource): Segmentation {
  const { input } = preprocess(image, run);
  try {
    const { classes, height, width, numClasses } = tf.tidy(() => {
      const raw = run.model.predict(input);
      const logits = (Array.isArray(raw) ? raw[0] : raw) as tf.Tensor4D;
      const [, h, w, k] = logits.shape;
      return { classes: tf.argMax(logits, -1).dataSync() as Int32Array, height: h, width: w, numClasses: k };
    });
    const counts = new Array<number>(numClasses).fill(0);
    for (const c of classes) counts[c] = (counts[c] ?? 0) + 1;
    return { classes, height, width, counts };
  } finally {
    input.dispose();
  }
}

/** The classes covering the most pixels, most first (ties by class id), at most `limit`. */
export function legend(run: LoadedRun, seg: Segmentation, limit: number): LegendEntry[] {
  const total = seg.height * seg.width;
  return seg.counts
    .map((count, classId) => ({ classId, count }))
    .filter((e) => e.count > 0)
    .sort((a, b) => b.count - a.count || a.classId - b.classId)
    .slice(0, limit)
    .map(({ classId, count }) => ({
      classId,
      label: run.classNames[classId] ?? String(classId),
      fraction: count / total,
      color: vocColor(classId),
    }));
}

/** The class map as an RGBA overlay at the model's input size: VOC colours, the background (class 0) clear. */
export function overlay(seg: Segmentation, alpha: number): ImageData {
  const rgba = new Uint8ClampedArray(seg.height * seg.width * 4);
  const palette = seg.counts.map((_, c) => vocColor(c));
  for (let i = 0; i < seg.classes.length; i++) {
    const c = seg.classes[i] as number;
    const [r, g, b] = palette[c] ?? [255, 255, 255];
    rgba.set([r, g, b, c === 0 ? 0 : Math.round(alpha * 255)], i * 4);
  }
  return new ImageData(rgba, seg.width, seg.height);
}
