import { OptikError } from './errors.js';
import type { BoxXyxy } from './types.js';

/** A COCO box `[x, y, width, height]` in absolute pixels. */
export type BoxCocoXywh = readonly [number, number, number, number];
/** A YOLO box `[centerX, centerY, width, height]`, each normalised to 0–1 by the image size. */
export type BoxYoloCxcywh = readonly [number, number, number, number];

function checkSize(width: number, height: number): void {
  if (!(width > 0 && height > 0)) {
    throw new OptikError('ARGUMENT_INVALID', 'Image width and height must be positive to convert boxes.', {
      received: { width, height },
    });
  }
}

/**
 * COCO `[x, y, w, h]` → xyxy.
 *
 * @example
 * ```ts
 * cocoToXyxy([10, 20, 30, 40]); // [10, 20, 40, 60]
 * ```
 */
export function cocoToXyxy(box: BoxCocoXywh): BoxXyxy {
  const [x, y, w, h] = box;
  return [x, y, x + w, y + h];
}

/**
 * xyxy → COCO `[x, y, w, h]`.
 *
 * @example
 * ```ts
 * xyxyToCoco([10, 20, 40, 60]); // [10, 20, 30, 40]
 * ```
 */
export function xyxyToCoco(box: BoxXyxy): BoxCocoXywh {
  const [x0, y0, x1, y1] = box;
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * YOLO normalised `[cx, cy, w, h]` → absolute xyxy for an image of `width × height`.
 *
 * @example
 * ```ts
 * yoloToXyxy([0.5, 0.5, 0.5, 0.5], 100, 100); // [25, 25, 75, 75]
 * ```
 */
export function yoloToXyxy(box: BoxYoloCxcywh, width: number, height: number): BoxXyxy {
  checkSize(width, height);
  const [cx, cy, w, h] = box;
  return [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height];
}

/**
 * Absolute xyxy → YOLO normalised `[cx, cy, w, h]` for an image of `width × height`.
 *
 * @example
 * ```ts
 * xyxyToYolo([25, 25, 75, 75], 100, 100); // [0.5, 0.5, 0.5, 0.5]
 * ```
 */
export function xyxyToYolo(box: BoxXyxy, width: number, height: number): BoxYoloCxcywh {
  checkSize(width, height);
  const [x0, y0, x1, y1] = box;
  return [(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height];
}

/**
 * Box area in square pixels (0 for an empty or inverted box).
 *
 * @example
 * ```ts
 * boxArea([0, 0, 10, 5]); // 50
 * ```
 */
export function boxArea(box: BoxXyxy): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

/**
 * Clips a box to the image `[0, width] × [0, height]`; `clipped` says whether anything changed.
 *
 * @example
 * ```ts
 * clipBox([-5, 0, 20, 10], 16, 16); // { box: [0, 0, 16, 10], clipped: true }
 * ```
 */
export function clipBox(box: BoxXyxy, width: number, height: number): { box: BoxXyxy; clipped: boolean } {
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const out: BoxXyxy = [clamp(box[0], width), clamp(box[1], height), clamp(box[2], width), clamp(box[3], height)];
  return { box: out, clipped: out.some((v, i) => v !== box[i]) };
}

/**
 * Intersection over union of two xyxy boxes, in [0, 1].
 *
 * @example
 * ```ts
 * iou([0, 0, 10, 10], [5, 0, 15, 10]); // 1/3
 * ```
 */
export function iou(a: BoxXyxy, b: BoxXyxy): number {
  const inter = boxArea([Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]);
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}
