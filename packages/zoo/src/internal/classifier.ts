import { parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone, inferShapes, requireVector } from './backbone.js';
import { classificationHead } from './heads.js';
import { BackboneModel } from './model.js';
import { type ClassifierConfig, type ClassifierOptions, ClassifierSchema } from './schema.js';

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
export class Classifier extends BackboneModel<ClassifierConfig> {
  readonly model: tf.LayersModel;

  /** Validates `options` (errors are prefixed with `meta.path`, default `model`) and builds the model. */
  constructor(options: ClassifierOptions, meta: { path?: string } = {}) {
    const prefix = meta.path ?? 'model';
    super(parseOrThrow(ClassifierSchema, options, { what: 'classifier config', prefix }), 'seed-cnn');
    const body = this.bodyLayers();
    const shapes = inferShapes(this.config, body, prefix);
    // Written layers must end in a vector (the course's flatten/globalAvgPool step is the user's to place); a preset
    // that ends in a feature map (loc-cnn) is pooled globally by the head.
    if (this.config.layers !== undefined) requireVector(this.config, shapes, prefix, 'classification head');
    // Backbone + classification head; the head layer keeps the name `head` that saved runs load by.
    const backbone = buildBackbone(this.config, body);
    const output = classificationHead(
      backbone.output,
      { numClasses: this.config.numClasses, head: this.config.head, name: 'head' },
      backbone.init,
    );
    this.model = tf.model({ inputs: backbone.input, outputs: output, name: this.config.name });
  }

  /** Rebuilds a classifier from {@link Classifier.toConfig} output. */
  static fromConfig(config: ClassifierOptions): Classifier {
    return new Classifier(config);
  }

  /** The loss that fits the head: binary cross-entropy for sigmoid, categorical for softmax. */
  get loss(): 'binaryCrossentropy' | 'categoricalCrossentropy' {
    return this.config.head === 'sigmoid' ? 'binaryCrossentropy' : 'categoricalCrossentropy';
  }
}
