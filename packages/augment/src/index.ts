import {
  Compose,
  type ComposeOptions,
  OneOf,
  type OneOfOptions,
  SomeOf,
  type SomeOfOptions,
} from './internal/compose.js';
import type { Transform } from './internal/types.js';

/**
 * Builds a pipeline that runs `transforms` in order, seeded (default seed 0) so runs are reproducible.
 *
 * @example
 * ```ts
 * const pipeline = compose([new RandomFlip(), new RandomRotate({ degrees: [-10, 10] })], { seed: 42 });
 * const { sample: out, params } = pipeline.run(sample); // params replay with pipeline.apply(sample, params)
 * ```
 */
export function compose(transforms: readonly Transform[], options: ComposeOptions = {}): Compose {
  return new Compose(transforms, options);
}

/**
 * Runs exactly one of `transforms`, chosen uniformly per sample.
 *
 * @example
 * ```ts
 * const pipeline = compose([oneOf([new RandomBrightness(), new RandomContrast()])]);
 * ```
 */
export function oneOf(transforms: readonly Transform[], options: OneOfOptions = {}): OneOf {
  return new OneOf(transforms, options);
}

/**
 * Runs between `n[0]` and `n[1]` of `transforms`, chosen per sample, in list order.
 *
 * @example
 * ```ts
 * const pipeline = compose([someOf([new RandomZoom(), new RandomTranslate(), new GaussianNoise()], { n: [1, 2] })]);
 * ```
 */
export function someOf(transforms: readonly Transform[], options: SomeOfOptions = {}): SomeOf {
  return new SomeOf(transforms, options);
}

export type {
  /**
   * Options of a pipeline run: `rng` (default: the pipeline's own seeded generator), `pool` for Mosaic/CopyPaste.
   *
   * @example
   * ```ts
   * pipeline.run(sample, { rng: createRng(1), pool: otherSamples });
   * ```
   */
  BatchOptions,
  ComposeOptions,
  OneOfOptions,
  RunOptions,
  SomeOfOptions,
} from './internal/compose.js';
/**
 * Containers: {@link Compose} (a seeded pipeline with `run`, `augment`, `augmentBatch`, `augmentBatchWithLabels`,
 * `augmentBatchWithTargets`), {@link OneOf} and {@link SomeOf}. `augmentBatchWithTargets(xs, targets, rng?)` gives
 * `augmentBatch`'s pixels and moves each image's `SampleTarget` (boxes, masks) exactly as `run` would.
 *
 * @example
 * ```ts
 * const pipeline = new Compose([new RandomFlip({ p: 0.5 })], { seed: 7 });
 * const xsAug = pipeline.augmentBatch(xs); // Tensor4D, each image its own flip
 * const { xs: x2, targets: t2 } = pipeline.augmentBatchWithTargets(xs, batchTargets, createRng(epoch));
 * ```
 */
export { Compose, OneOf, SomeOf } from './internal/compose.js';
export type {
  /**
   * Options of the geometric transforms (all: `p`, their ranges, `interpolation`, `fill`, `minArea`, `minVisibility`).
   *
   * @example
   * ```ts
   * const options: RandomRotateOptions = { p: 1, degrees: [-30, 30], interpolation: 'nearest' };
   * ```
   */
  RandomCropOptions,
  RandomFlipOptions,
  RandomResizedCropOptions,
  RandomRotateOptions,
  RandomTranslateOptions,
  RandomZoomOptions,
} from './internal/geometric.js';
/**
 * Geometric transforms: one affine warp per image, sampled on the host in typed-array loops (any backend; in a
 * batch, consecutive ones fuse into exact single passes); boxes and masks move with the pixels, and boxes below
 * `minArea` or `minVisibility` are dropped.
 *
 * @example
 * ```ts
 * const rotate = new RandomRotate({ degrees: [-15, 15], p: 1 });
 * const out = rotate.apply(sample, rotate.sampleParams(createRng(0), sample));
 * ```
 */
export {
  RandomCrop,
  RandomFlip,
  RandomResizedCrop,
  RandomRotate,
  RandomTranslate,
  RandomZoom,
} from './internal/geometric.js';
export type {
  /**
   * Options of MixUp / CutMix: `p` per image and the Beta `alpha`.
   *
   * @example
   * ```ts
   * const options: MixUpOptions = { alpha: 0.4 };
   * ```
   */
  CutMixOptions,
  MixUpOptions,
} from './internal/mix.js';
/**
 * Batch-level label mixing for classification; run through `Compose.augmentBatchWithLabels(xs, ys)`.
 *
 * @example
 * ```ts
 * const { xs: x2, ys: y2 } = compose([new RandomFlip(), new MixUp({ alpha: 0.2 })]).augmentBatchWithLabels(xs, ys);
 * ```
 */
export { CutMix, MixUp } from './internal/mix.js';
export type {
  /**
   * Options of Mosaic / CopyPaste.
   *
   * @example
   * ```ts
   * const options: MosaicOptions = { height: 64, width: 64, center: [0.3, 0.7] };
   * ```
   */
  CopyPasteOptions,
  MosaicOptions,
} from './internal/multi.js';
/**
 * Multi-sample transforms for detection and segmentation; partners come from `run(sample, { pool })`.
 *
 * @example
 * ```ts
 * const out = compose([new Mosaic({ height: 64, width: 64 })]).augment(sample, { pool: trainSamples });
 * ```
 */
export { CopyPaste, Mosaic } from './internal/multi.js';
export type {
  /**
   * Options of the pixel transforms (`p` and `[min, max]` ranges in fractions of the maximum pixel value).
   *
   * @example
   * ```ts
   * const options: RandomBrightnessOptions = { delta: [-0.1, 0.1] };
   * ```
   */
  GaussianNoiseOptions,
  HueSaturationOptions,
  RandomBrightnessOptions,
  RandomContrastOptions,
  RandomErasingOptions,
} from './internal/pixel.js';
/**
 * Pixel transforms: change values only, boxes and masks stay put; in `augmentBatch` they run in the same fused
 * per-image pass as the geometric ones, and `applyBatch` alone runs them as batched tensor ops.
 *
 * @example
 * ```ts
 * const pipeline = compose([new RandomBrightness(), new RandomContrast(), new HueSaturation()]);
 * ```
 */
export {
  GaussianNoise,
  HueSaturation,
  RandomBrightness,
  RandomContrast,
  RandomErasing,
} from './internal/pixel.js';
export type {
  /**
   * Options of {@link renderPreview}: `count`, `seed`, `columns`, `cellSize`, `captions`, `originalCaption`, `pool`.
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
 *
 * The parameters a pipeline drew, in words, one entry per transform that ran (`Rotate angle=4.03`,
 * `Translate dx=-6 dy=3`): the captions of `renderPreview({ captions: true })`.
 *
 * @example
 * ```ts
 * const words = describeParams(pipeline, pipeline.sampleParams(createRng(0), sample));
 * ```
 */
export { createDemoSample, describeParams, renderPreview } from './internal/preview.js';
export type {
  /**
   * A transform class as listed in the registry: `type`, `schema`, and `container` for Compose/OneOf/SomeOf.
   *
   * @example
   * ```ts
   * for (const [type, cls] of transformRegistry()) console.log(type, cls.container === true);
   * ```
   */
  TransformClass,
} from './internal/registry.js';
/**
 * Config ↔ transform: `fromConfig(config)` builds any transform or pipeline from `{ type, ...options }`
 * (`toConfig()` round-trips exactly); `parsePipeline(text)` reads YAML or JSON; `serializePipeline(t, format)`
 * writes it; `transformRegistry()` maps every type name to its class.
 *
 * @example
 * ```ts
 * const pipeline = parsePipeline('type: Compose\nseed: 1\ntransforms:\n  - { type: RandomFlip, p: 0.5 }\n');
 * serializePipeline(pipeline, 'json');
 * ```
 */
export { fromConfig, parsePipeline, serializePipeline, transformRegistry } from './internal/registry.js';
export type {
  /**
   * The transform contract and its parts: `Transform` (`sampleParams`, `apply`, `outputSize`, `toConfig`,
   * `targets`, `level`), `BatchableTransform` (`applyBatch`), `LabelMixingTransform`, params and configs.
   *
   * @example
   * ```ts
   * const params: TransformParams = t.sampleParams(rng, sample);
   * const out = t.apply(sample, params);
   * ```
   */
  AugmentContext,
  AugmentTarget,
  BatchableTransform,
  ImageSize,
  LabelMixingTransform,
  SampleInfo,
  Transform,
  TransformConfig,
  TransformLevel,
  TransformParams,
} from './internal/types.js';
