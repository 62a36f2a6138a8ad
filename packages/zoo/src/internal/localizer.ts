import { parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone, checkWeights, inferShapes } from './backbone.js';
import { boxHead, classificationHead } from './heads.js';
import { BackboneModel } from './model.js';
import { type LocalizerConfig, type LocalizerOptions, LocalizerSchema } from './schema.js';

/**
 * A single-object localizer built from config: a backbone (a preset or explicit layers, as for the classifier)
 * and two heads, `class` (softmax over `numClasses`; global average pooling first when the backbone ends in a
 * feature map, so the class does not depend on the position) and `box` (flattened, an optional hidden layer, four
 * sigmoid units: the box as normalised `[cx, cy, w, h]`). The model's outputs are `[class, box]`, in that order. Checked at construction
 * like the classifier (`CONFIG_INVALID` naming the key path).
 *
 * @example
 * ```ts
 * const localizer = new Localizer({ preset: 'loc-cnn', inputShape: [64, 64, 1], numClasses: 10 });
 * const [probabilities, box] = localizer.model.predict(tf.zeros([1, 64, 64, 1])) as tf.Tensor[];
 * ```
 */
export class Localizer extends BackboneModel<LocalizerConfig> {
  readonly model: tf.LayersModel;

  /** Validates `options` (errors are prefixed with `meta.path`, default `model`) and builds the model. */
  constructor(options: LocalizerOptions, meta: { path?: string } = {}) {
    const prefix = meta.path ?? 'model';
    super(parseOrThrow(LocalizerSchema, options, { what: 'localizer config', prefix }), 'loc-cnn');
    const body = this.bodyLayers();
    // The backbone may end in a feature map (the class head pools it globally, the box head flattens it) or a vector.
    const [h, w, c] = this.config.inputShape;
    const last = inferShapes(this.config, body, prefix).at(-1) ?? { kind: 'spatial', h, w, c };
    const flat = last.kind === 'flat' ? last.n : last.h * last.w * last.c;
    const boxUnits = this.config.boxHiddenUnits > 0 ? this.config.boxHiddenUnits : 4;
    checkWeights(`${prefix}.boxHiddenUnits`, 'box head', flat * boxUnits);
    const backbone = buildBackbone(this.config, body);
    const probabilities = classificationHead(
      backbone.output,
      { numClasses: this.config.numClasses, head: 'softmax', name: 'class', pooling: this.config.classPooling },
      backbone.init,
    );
    const box = boxHead(backbone.output, { hiddenUnits: this.config.boxHiddenUnits, name: 'box' }, backbone.init);
    this.model = tf.model({ inputs: backbone.input, outputs: [probabilities, box], name: this.config.name });
  }

  /** Rebuilds a localizer from {@link Localizer.toConfig} output. */
  static fromConfig(config: LocalizerOptions): Localizer {
    return new Localizer(config);
  }
}
