import * as tf from '@tensorflow/tfjs';
import type { Initializers } from './backbone.js';

// Heads sit on a backbone's output. Each is a small function of (features, options, initialisers) → output, so
// a model is a backbone plus the heads of its task; layer names are stable, since saved weights load by name.

/** True when a backbone's output is still a feature map (`[batch, h, w, c]`), not a vector. */
export function isFeatureMap(features: tf.SymbolicTensor): boolean {
  return features.shape.length === 4;
}

/**
 * The classification head: softmax over `numClasses` units, or one sigmoid unit for a binary `sigmoid` head. On a
 * feature map it first pools each channel over the whole map (average, or max: the strongest response wherever a
 * small object is), so the class does not depend on where the object is.
 */
export function classificationHead(
  features: tf.SymbolicTensor,
  options: { numClasses: number; head: 'softmax' | 'sigmoid'; name: string; pooling?: 'average' | 'max' },
  init: Initializers,
): tf.SymbolicTensor {
  const binary = options.head === 'sigmoid';
  let x = features;
  if (isFeatureMap(features)) {
    const pool =
      options.pooling === 'max'
        ? tf.layers.globalMaxPooling2d({ name: `${options.name}_gmp` })
        : tf.layers.globalAveragePooling2d({ name: `${options.name}_gap` });
    x = pool.apply(features) as tf.SymbolicTensor;
  }
  return tf.layers
    .dense({
      name: options.name,
      units: binary ? 1 : options.numClasses,
      activation: binary ? 'sigmoid' : 'softmax',
      kernelInitializer: init.glorot(),
    })
    .apply(x) as tf.SymbolicTensor;
}

/**
 * The box-regression head of a single object: on a feature map, flattened first (where things are must survive);
 * an optional hidden dense layer, then four sigmoid units, the box as normalised `[cx, cy, w, h]` (fractions of
 * the image), which the box losses (L1, GIoU) compare with the target.
 */
export function boxHead(
  features: tf.SymbolicTensor,
  options: { hiddenUnits: number; name: string },
  init: Initializers,
): tf.SymbolicTensor {
  let x = isFeatureMap(features)
    ? (tf.layers.flatten({ name: `${options.name}_flatten` }).apply(features) as tf.SymbolicTensor)
    : features;
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
