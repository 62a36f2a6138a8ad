import { parseOrThrow } from '@optik/core';
import type * as tf from '@tensorflow/tfjs';
import { buildModel, inferShapes } from './build.js';
import { presetLayers } from './presets.js';
import { type ClassifierConfig, type ClassifierOptions, ClassifierSchema, type LayerConfig } from './schema.js';
import { formatSummary, type ModelSummary, summarizeModel } from './summary.js';

/**
 * A CNN classifier built from config in the course's vocabulary: a preset or explicit body layers, then a softmax
 * head of `numClasses` units (or one sigmoid unit for `head: 'sigmoid'`). The config is checked at construction:
 * a bad value is a `CONFIG_INVALID` naming its key path (`model.layers[2].filters`), and a body that cannot work on
 * `inputShape` (a pool shrinking the map below 1×1, dense before flatten) names the layer.
 *
 * @example
 * ```ts
 * const classifier = new Classifier({ preset: 'seed-cnn', inputShape: [28, 28, 1], numClasses: 10 });
 * classifier.model.predict(tf.zeros([1, 28, 28, 1]));
 * console.error(classifier.summaryText());
 * ```
 */
export class Classifier {
  /** The tfjs LayersModel (functional API; only built-in layers, so it loads anywhere tfjs runs). */
  readonly model: tf.LayersModel;
  readonly #config: ClassifierConfig;

  /** Validates `options` (errors are prefixed with `meta.path`, default `model`) and builds the model. */

  constructor(options: ClassifierOptions, meta: { path?: string } = {}) {
    const prefix = meta.path ?? 'model';
    this.#config = parseOrThrow(ClassifierSchema, options, { what: 'classifier config', prefix });
    const body = this.bodyLayers();
    inferShapes(this.#config, body, prefix);
    this.model = buildModel(this.#config, body);
  }

  /** Rebuilds a classifier from {@link Classifier.toConfig} output. */
  static fromConfig(config: ClassifierOptions): Classifier {
    return new Classifier(config);
  }

  /** The fully resolved config (defaults filled in); `fromConfig(toConfig())` rebuilds the same model. */
  toConfig(): ClassifierConfig {
    return structuredClone(this.#config);
  }

  /** The body layers (a preset expanded), head excluded. */
  bodyLayers(): LayerConfig[] {
    const config = this.#config;
    if (config.layers !== undefined) return structuredClone(config.layers);
    // The schema guarantees a preset when there are no layers.
    return presetLayers(config.preset ?? 'seed-cnn', config.dropout);
  }

  /** The loss that fits the head: binary cross-entropy for sigmoid, categorical for softmax. */
  get loss(): 'binaryCrossentropy' | 'categoricalCrossentropy' {
    return this.#config.head === 'sigmoid' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
  }

  /** Layers, output shapes and parameter counts as JSON. */
  summary(): ModelSummary {
    return summarizeModel(this.model);
  }

  /** The summary as a Keras-style text table. */
  summaryText(): string {
    return formatSummary(this.summary());
  }

  /** Frees the model's weights. */
  dispose(): void {
    this.model.dispose();
  }
}
