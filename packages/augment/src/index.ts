// The Node entry: everything of the browser entry (browser.ts, for pages and bundlers) plus the PNG preview
// grid, which draws with sharp.

/**
 * Every transform, `compose` / `oneOf` / `someOf`, the registry and the pipeline (de)serialisers, with their option
 * types: the browser entry's exports (each documented in browser.ts).
 *
 * @example
 * ```ts
 * const pipeline = compose([new RandomFlip({ p: 0.5 }), new RandomRotate({ degrees: [-15, 15] })], { seed: 1 });
 * ```
 */
export type {
  AugmentContext,
  AugmentTarget,
  BatchableTransform,
  BatchOptions,
  ComposeOptions,
  CopyPasteOptions,
  CutMixOptions,
  GaussianNoiseOptions,
  HueSaturationOptions,
  ImageSize,
  LabelMixingTransform,
  MixUpOptions,
  MosaicOptions,
  OneOfOptions,
  RandomBrightnessOptions,
  RandomContrastOptions,
  RandomCropOptions,
  RandomErasingOptions,
  RandomFlipOptions,
  RandomResizedCropOptions,
  RandomRotateOptions,
  RandomTranslateOptions,
  RandomZoomOptions,
  RunOptions,
  SampleInfo,
  SomeOfOptions,
  Transform,
  TransformClass,
  TransformConfig,
  TransformLevel,
  TransformParams,
} from './browser.js';
export {
  Compose,
  CopyPaste,
  CutMix,
  compose,
  fromConfig,
  GaussianNoise,
  HueSaturation,
  MixUp,
  Mosaic,
  OneOf,
  oneOf,
  parsePipeline,
  RandomBrightness,
  RandomContrast,
  RandomCrop,
  RandomErasing,
  RandomFlip,
  RandomResizedCrop,
  RandomRotate,
  RandomTranslate,
  RandomZoom,
  SomeOf,
  serializePipeline,
  someOf,
  transformRegistry,
} from './browser.js';
export type {
  /**
   * Options of {@link renderPreview}: `count`, `seed`, `columns`, `cellSize`, `pool`.
   *
   * @example
   * ```ts
   * const options: PreviewOptions = { count: 11, seed: 3, cellSize: 128 };
   * ```
   */
  PreviewOptions,
} from './internal/preview.js';
/**
 * `renderPreview` draws a PNG grid of one sample and its augmented variants (boxes and masks drawn);
 * `createDemoSample` makes a generated RGB sample with two objects for previews without a dataset.
 *
 * @example
 * ```ts
 * const png = await renderPreview(parsePipeline(yamlText), createDemoSample(), { count: 11, seed: 1 });
 * await writeFile('grid.png', png);
 * ```
 */
export { createDemoSample, describeParams, renderPreview } from './internal/preview.js';
