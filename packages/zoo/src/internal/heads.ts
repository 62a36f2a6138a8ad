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

/**
 * A feature pyramid (Lin et al., 2017) over backbone maps of increasing stride: a 1×1 lateral conv per level to
 * `channels`; from the top down, each level joins its lateral with the nearest-upsampled level above (`add`, or
 * `concat` along channels) and a 3×3 conv brings it back to `channels`. Returns one map per input, same order.
 */
export function featurePyramid(
  features: readonly tf.SymbolicTensor[],
  options: { strides: readonly number[]; channels: number; merge: 'add' | 'concat'; name: string },
  init: Initializers,
): tf.SymbolicTensor[] {
  const conv = (name: string, kernelSize: number, at: tf.SymbolicTensor) =>
    tf.layers
      .conv2d({ name, filters: options.channels, kernelSize, padding: 'same', kernelInitializer: init.glorot() })
      .apply(at) as tf.SymbolicTensor;
  const laterals = features.map((f, k) => conv(`${options.name}_lateral${k}`, 1, f));
  const outputs: tf.SymbolicTensor[] = new Array(features.length);
  for (let k = features.length - 1; k >= 0; k--) {
    let merged = laterals[k] as tf.SymbolicTensor;
    const above = outputs[k + 1];
    if (above !== undefined) {
      const ratio = (options.strides[k + 1] as number) / (options.strides[k] as number);
      const up = tf.layers
        .upSampling2d({ name: `${options.name}_up${k}`, size: [ratio, ratio], interpolation: 'nearest' })
        .apply(above) as tf.SymbolicTensor;
      const join =
        options.merge === 'add'
          ? tf.layers.add({ name: `${options.name}_add${k}` })
          : tf.layers.concatenate({ name: `${options.name}_concat${k}`, axis: -1 });
      merged = join.apply([merged, up]) as tf.SymbolicTensor;
    }
    outputs[k] = conv(`${options.name}_out${k}`, 3, merged);
  }
  return outputs;
}

/**
 * The FCOS head, shared by every pyramid level (the same layers, so the same weights): a class branch and a box
 * branch of `convs` × (conv 3×3 + ReLU), then class logits (bias `−log((1 − prior)/prior)`, so every point starts
 * as background with probability `1 − prior`), 4 raw ltrb values and a centre-ness logit from the box branch.
 * Each level's `[h, w, C + 5]` is flattened to `[h·w, C + 5]` (row-major) and the levels are concatenated: one
 * output `[points, numClasses + 5]`, named `name`. Also returns each level's box-branch features (for heads that
 * share the box tower, e.g. mask coefficients).
 */
export function fcosHead(
  levels: readonly tf.SymbolicTensor[],
  options: { numClasses: number; channels: number; convs: number; priorProbability: number; name: string },
  init: Initializers,
): { output: tf.SymbolicTensor; boxFeatures: tf.SymbolicTensor[] } {
  const { numClasses, channels, convs, priorProbability, name } = options;
  const tower = (branch: string) =>
    Array.from({ length: convs }, (_, i) =>
      tf.layers.conv2d({
        name: `${name}_${branch}${i}`,
        filters: channels,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init.glorot(),
      }),
    );
  const classTower = tower('class');
  const boxTower = tower('box');
  const predict = (suffix: string, filters: number, bias?: number) =>
    tf.layers.conv2d({
      name: `${name}_${suffix}`,
      filters,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: init.small(),
      ...(bias === undefined ? {} : { biasInitializer: tf.initializers.constant({ value: bias }) }),
    });
  const classLogits = predict('class_logits', numClasses, -Math.log((1 - priorProbability) / priorProbability));
  const boxLtrb = predict('box_ltrb', 4);
  const centerness = predict('centerness', 1);
  const run = (layers: readonly tf.layers.Layer[], at: tf.SymbolicTensor) =>
    layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, at);
  const boxFeatures: tf.SymbolicTensor[] = [];
  const flat = levels.map((level, k) => {
    const c = run(classTower, level);
    const b = run(boxTower, level);
    boxFeatures.push(b);
    const joined = tf.layers
      .concatenate({ name: `${name}_level${k}`, axis: -1 })
      .apply([classLogits.apply(c), boxLtrb.apply(b), centerness.apply(b)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
    const [, h, w] = level.shape as [null, number, number, number];
    return tf.layers
      .reshape({ name: `${name}_flat${k}`, targetShape: [h * w, numClasses + 5] })
      .apply(joined) as tf.SymbolicTensor;
  });
  return { output: concatPoints(flat, name), boxFeatures };
}

/** Flattened levels `[points_k, c]` joined along the points (a single level is returned as it is). */
function concatPoints(flat: readonly tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  if (flat.length === 1) return flat[0] as tf.SymbolicTensor;
  return tf.layers.concatenate({ name, axis: 1 }).apply([...flat]) as tf.SymbolicTensor;
}

/**
 * YOLACT's mask coefficients: one 3×3 conv shared by the levels on each level's box-branch features, `tanh`, so
 * each point has `prototypes` coefficients in (−1, 1); flattened like the FCOS head (levels in order, row-major)
 * into `[points, prototypes]`, named `name`.
 */
export function coefficientHead(
  boxFeatures: readonly tf.SymbolicTensor[],
  options: { prototypes: number; name: string },
  init: Initializers,
): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({
    name: `${options.name}_conv`,
    filters: options.prototypes,
    kernelSize: 3,
    padding: 'same',
    activation: 'tanh',
    kernelInitializer: init.glorot(),
  });
  const flat = boxFeatures.map((features, k) => {
    const [, h, w] = features.shape as [null, number, number, number];
    return tf.layers
      .reshape({ name: `${options.name}_flat${k}`, targetShape: [h * w, options.prototypes] })
      .apply(conv.apply(features)) as tf.SymbolicTensor;
  });
  return concatPoints(flat, options.name);
}

/**
 * The prototype branch (ultralytics `Proto`): on the finest pyramid level, conv 3×3 + ReLU, a transposed conv
 * `factor`×`factor` with stride `factor` + ReLU (skipped for factor 1), conv 3×3 + ReLU, and a linear 1×1 conv to
 * `prototypes` maps (named `name`): `[h·factor, w·factor, prototypes]`.
 */
export function prototypeHead(
  finest: tf.SymbolicTensor,
  options: { prototypes: number; channels: number; factor: number; name: string },
  init: Initializers,
): tf.SymbolicTensor {
  const { prototypes, channels, factor, name } = options;
  const conv = (layerName: string, filters: number, kernelSize: number, activation: 'relu' | 'linear') =>
    tf.layers.conv2d({
      name: layerName,
      filters,
      kernelSize,
      padding: 'same',
      activation,
      kernelInitializer: init.glorot(),
    });
  let x = conv(`${name}_conv0`, channels, 3, 'relu').apply(finest) as tf.SymbolicTensor;
  if (factor > 1) {
    x = tf.layers
      .conv2dTranspose({
        name: `${name}_up`,
        filters: channels,
        kernelSize: factor,
        strides: factor,
        padding: 'valid',
        activation: 'relu',
        kernelInitializer: init.glorot(),
      })
      .apply(x) as tf.SymbolicTensor;
  }
  x = conv(`${name}_conv1`, channels, 3, 'relu').apply(x) as tf.SymbolicTensor;
  return conv(name, prototypes, 1, 'linear').apply(x) as tf.SymbolicTensor;
}
