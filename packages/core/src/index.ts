export type { BoxCocoXywh, BoxYoloCxcywh } from './boxes.js';
export { boxArea, clipBox, cocoToXyxy, iou, xyxyToCoco, xyxyToYolo, yoloToXyxy } from './boxes.js';
export type { OptikEnv } from './env.js';
export { readEnv } from './env.js';
export type { OptikErrorCode, OptikErrorDetails } from './errors.js';
export {
  closestMatch,
  describeValue,
  formatPath,
  fromZodError,
  isOptikError,
  OptikError,
  parseOrThrow,
} from './errors.js';
/**
 * A detector's point grid and its levels, and the options of {@link detectionGrid}.
 *
 * @example
 * ```ts
 * const options: DetectionGridOptions = { imageSize: [64, 96], strides: [8, 16] };
 * ```
 */
export type { DetectionGrid, DetectionGridOptions, DetectionLevel } from './grid.js';
/**
 * The point grid of an anchor-free (FCOS) detector: per feature level (stride), the points' centres, strides and
 * the box-size range the level takes. Target encoding (`@optik/data`), the zoo `Detector` and `decodeDetections`
 * share it; it is plain geometry, so it also runs in browsers.
 *
 * @example
 * ```ts
 * const grid = detectionGrid({ imageSize: [128, 160], strides: [8, 16, 32] });
 * grid.numPoints; // 16·20 + 8·10 + 4·5 = 420
 * ```
 */
export { DetectionGridSchema, detectionGrid } from './grid.js';
export { assertSafeKeys, splitKeyPath } from './keys.js';
export type { Rle } from './rle.js';
export { rleArea, rleDecode, rleEncode, rleFromString, rleIou, rleMerge, rleToBbox, rleToString } from './rle.js';
export type { Rng, RngState } from './rng.js';
export { createRng } from './rng.js';
export type { BoxXyxy, ImageData, ImageSample, Mask, SampleTarget, TaskKind } from './types.js';
