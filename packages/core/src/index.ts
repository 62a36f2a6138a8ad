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
export { assertSafeKeys, splitKeyPath } from './keys.js';
export type { Rle } from './rle.js';
export { rleArea, rleDecode, rleEncode, rleFromString, rleIou, rleMerge, rleToBbox, rleToString } from './rle.js';
export type { Rng, RngState } from './rng.js';
export { createRng } from './rng.js';
export type { BoxXyxy, ImageData, ImageSample, Mask, SampleTarget, TaskKind } from './types.js';
