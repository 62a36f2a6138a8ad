import * as tf from '@tensorflow/tfjs';
import type { Initializers } from './backbone.js';

// Heads sit on a backbone's output. Each is a small function of (features, options, initialisers) → output, so
// a model is a backbone plus the heads of its task; layer names are stable, since saved weights load by name.

/** The classification head: softmax over `numClasses` units, or one sigmoid unit for a binary `sigmoid` head. */
export function classificationHead(
  features: tf.SymbolicTensor,
  options: { numClasses: number; head: 'softmax' | 'sigmoid'; name: string },
  init: Initializers,
): tf.SymbolicTensor {
  const binary = options.head === 'sigmoid';
  return tf.layers
    .dense({
      name: options.name,
      units: binary ? 1 : options.numClasses,
      activation: binary ? 'sigmoid' : 'softmax',
      kernelInitializer: init.glorot(),
    })
    .apply(features) as tf.SymbolicTensor;
}

/**
 * The box-regression head of a single object: an optional hidden dense layer, then four sigmoid units, the box as
 * normalised `[cx, cy, w, h]` (fractions of the image), which the box losses (L1, GIoU) compare with the target.
 */
export function boxHead(
  features: tf.SymbolicTensor,
  options: { hiddenUnits: number; name: string },
  init: Initializers,
): tf.SymbolicTensor {
  let x = features;
  if (options.hiddenUnits > 0) {
    x = tf.layers
      .dense({
        name: `${options.name}_hidden`,
        units: options.hiddenUnits,
        activation: 'relu',
        kernelInitializer: init.glorot(),
      })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.layers
    .dense({ name: options.name, units: 4, activation: 'sigmoid', kernelInitializer: init.glorot() })
    .apply(x) as tf.SymbolicTensor;
}
