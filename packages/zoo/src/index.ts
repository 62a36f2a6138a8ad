/**
 * A CNN classifier from config: presets (`seed-cnn`, `vgg-small`, `resnet-small`, `mobilenet-small`) or explicit
 * layers, a sigmoid or softmax head, a summary with parameter counts.
 *
 * @example
 * ```ts
 * const classifier = new Classifier({ preset: 'seed-cnn', inputShape: [28, 28, 1], numClasses: 10 });
 * ```
 */
export { Classifier } from './internal/classifier.js';
/**
 * A single-object localizer from config: the classifier's backbone (presets — `loc-cnn` keeps positions — or
 * explicit layers) and two heads, `class` (softmax) and `box` (normalised `[cx, cy, w, h]`); outputs `[class, box]`.
 *
 * @example
 * ```ts
 * const localizer = new Localizer({ preset: 'loc-cnn', inputShape: [64, 64, 1], numClasses: 10 });
 * ```
 */
export { Localizer } from './internal/localizer.js';
/**
 * The body layers of a preset with every default filled in (the head is not included), to print or to copy into
 * an explicit `layers` list and edit.
 *
 * @example
 * ```ts
 * presetLayers('seed-cnn'); // [{ type: 'conv', filters: 32, kernelSize: 3, ... }, ...]
 * ```
 */
export { presetLayers } from './internal/presets.js';
/**
 * Types of the classifier config: `ClassifierOptions` is what you write (defaults optional), `ClassifierConfig` the
 * resolved form `toConfig()` returns; `LayerOptions`/`LayerConfig` likewise for one layer.
 *
 * @example
 * ```ts
 * const options: ClassifierOptions = { preset: 'seed-cnn', inputShape: [28, 28, 1], numClasses: 10 };
 * ```
 */
export type {
  ClassifierConfig,
  ClassifierOptions,
  LayerConfig,
  LayerOptions,
  LocalizerConfig,
  LocalizerOptions,
  PresetName,
} from './internal/schema.js';
/**
 * The zod schemas of a classifier config and of one body layer (a discriminated union on `type`).
 *
 * @example
 * ```ts
 * const config = ClassifierSchema.parse({ preset: 'vgg-small', inputShape: [32, 32, 3], numClasses: 10 });
 * ```
 *
 * The preset names, for CLI help and config validation.
 *
 * @example
 * ```ts
 * PRESET_NAMES.includes('resnet-small'); // true
 * ```
 */
export { ClassifierSchema, LayerSchema, LocalizerSchema, PRESET_NAMES } from './internal/schema.js';
/**
 * The summary's JSON shape.
 *
 * @example
 * ```ts
 * const { totalParams }: ModelSummary = classifier.summary();
 * ```
 */
export type { LayerSummary, ModelSummary } from './internal/summary.js';
/**
 * A summary of any tfjs LayersModel (layers, output shapes, parameter counts) as JSON, and as a text table.
 *
 * @example
 * ```ts
 * console.error(formatSummary(summarizeModel(model)));
 * ```
 */
export { formatSummary, summarizeModel } from './internal/summary.js';
