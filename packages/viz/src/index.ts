// Public entry of @optik/viz. Every export is named here; internals live under ./internal.
export type {
  BarChartOptions,
  ChartRow,
  ConfusionMatrixChartOptions,
  LearningCurvesOptions,
  LineChartOptions,
  ParallelCoordinatesOptions,
  PrCurvesChartOptions,
  ScatterChartOptions,
} from './internal/charts.js';
export {
  barChart,
  confusionMatrixChart,
  learningCurvesChart,
  lineChart,
  parallelCoordinatesChart,
  prCurvesChart,
  scatterChart,
} from './internal/charts.js';
export type { ImageGridOptions, LabeledImage, OverlayBox } from './internal/images.js';
export { drawBoxes, imageGrid } from './internal/images.js';
/**
 * Semantic masks on images: `overlayMask` blends each class's colour into the image (background and ignored pixels
 * left alone), `classColors` gives the colours (Pascal VOC's map), `maskToPng` writes a class-id (or colour) mask
 * PNG and `imageToPng` an overlay.
 *
 * @example
 * ```ts
 * const overlay = overlayMask(sample.image, predictedMask, { alpha: 0.5 });
 * writeFileSync('overlay.png', await imageToPng(overlay));
 * writeFileSync('mask.png', await maskToPng(predictedMask));
 * ```
 */
export { classColors, imageToPng, maskToPng, overlayMask } from './internal/masks.js';
export type { ChartSpec, PngOptions } from './internal/render.js';
export { renderPng, renderSvg, svgToPng } from './internal/render.js';
