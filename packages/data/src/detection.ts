// The browser-safe part of @optik/data: the FCOS point grid and target encoding (pure geometry and tfjs, no file
// system, no sharp), for packages that run in a browser (@optik/zoo decodes detections on this grid). Node code can
// keep importing these from '@optik/data'.
export type {
  DetectionGrid,
  DetectionGridOptions,
  DetectionLevel,
  DetectionTargetsOptions,
} from './internal/targets/detection.js';
/**
 * The FCOS point grid of an input size and the strides of the feature levels, without the rest of @optik/data
 * (browser-safe): the same function as `detectionGrid` from '@optik/data'.
 *
 * @example
 * ```ts
 * import { detectionGrid } from '@optik/data/detection';
 * const grid = detectionGrid({ imageSize: [128, 160], strides: [8, 16, 32] });
 * grid.numPoints; // 16·20 + 8·10 + 4·5 = 420
 * ```
 */
export {
  DetectionGridSchema,
  DetectionTargetsSchema,
  detectionGrid,
  detectionTargetLayout,
  encodeDetectionTargets,
} from './internal/targets/detection.js';
