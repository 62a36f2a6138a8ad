// Public entry of @optik/viz. Every export is named here; internals live under ./internal.
export type {
  BarChartOptions,
  ChartRow,
  CompareCurvesOptions,
  ConfusionMatrixChartOptions,
  CurveRun,
  LearningCurvesOptions,
  LineChartOptions,
  ParallelCoordinatesOptions,
  PrCurvesChartOptions,
  ScatterChartOptions,
} from './internal/charts.js';
export {
  barChart,
  compareCurvesChart,
  confusionMatrixChart,
  learningCurvesChart,
  lineChart,
  parallelCoordinatesChart,
  prCurvesChart,
  scatterChart,
} from './internal/charts.js';
export type { ImageGridOptions, LabeledImage, OverlayBox } from './internal/images.js';
export { drawBoxes, imageGrid } from './internal/images.js';
export type { ChartSpec, PngOptions } from './internal/render.js';
export { renderPng, renderSvg, svgToPng } from './internal/render.js';
