import { createRng, OptikError, type Rng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import type { LayerConfig } from './schema.js';

// A backbone is a list of body layers (a preset expanded, or the user's `layers`) on an input shape. It ends in a
// feature map or, after flatten/globalAvgPool (and dense layers), in a vector; each head says which it needs.

/** What every model config shares: the input shape and the seed of its initialisers. */
export interface BackboneConfig {
  readonly inputShape: readonly [number, number, number];
  readonly seed: number;
}

type Spatial = { kind: 'spatial'; h: number; w: number; c: number };
/** The shape of a backbone's output (or of any layer's), without the batch axis. */
export type Shape = Spatial | { kind: 'flat'; n: number };

function describeShape(shape: Shape): string {
  return shape.kind === 'spatial' ? `${shape.h}×${shape.w}×${shape.c}` : `a vector of ${shape.n}`;
}

/** Output length of a sliding window along one axis (Keras' conv_output_length). */
function windowOutput(size: number, window: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/** The most weights one layer may hold (100 M float32 = 400 MB): beyond that a config is a typo, not a model. */
export const MAX_LAYER_WEIGHTS = 100_000_000;

/** Refuses a layer whose kernel would hold more than {@link MAX_LAYER_WEIGHTS} weights, before tfjs allocates it. */
export function checkWeights(path: string, type: string, weights: number): void {
  if (weights <= MAX_LAYER_WEIGHTS) return;
  throw new OptikError(
    'CONFIG_INVALID',
    `${path} (${type}) would hold ${weights.toExponential(2)} weights (${((weights * 4) / 1e9).toFixed(1)} GB of float32), more than the ${MAX_LAYER_WEIGHTS / 1e6} M one layer may have.`,
    {
      path,
      received: weights,
      hint: 'Use fewer filters/units, or shrink the feature map (pooling, strides) before flatten and dense layers.',
    },
  );
}

/**
 * Walks the body layers with their output shapes, so that a config that cannot work fails before tfjs is involved,
 * with the layer's key path in the message.
 */
export function inferShapes(config: BackboneConfig, layers: readonly LayerConfig[], prefix: string): Shape[] {
  const [h, w, c] = config.inputShape;
  let shape: Shape = { kind: 'spatial', h, w, c };
  const shapes: Shape[] = [];
  layers.forEach((layer, i) => {
    const path = `${prefix}.layers[${i}]`;
    const needsSpatial = (): Spatial => {
      if (shape.kind !== 'spatial') {
        throw new OptikError(
          'CONFIG_INVALID',
          `${path} (${layer.type}) needs an H×W×C feature map, but it comes after the map was flattened (its input is ${describeShape(shape)}).`,
          { path, hint: 'Move flatten/globalAvgPool after the last convolution or pooling layer.' },
        );
      }
      return shape;
    };
    const slide = (window: number, stride: number, padding: 'valid' | 'same', channels: number, what: string) => {
      const input = needsSpatial();
      if (layer.type !== 'pool') checkWeights(path, layer.type, window * window * input.c * channels);
      const oh = windowOutput(input.h, window, stride, padding);
      const ow = windowOutput(input.w, window, stride, padding);
      if (oh < 1 || ow < 1) {
        throw new OptikError(
          'CONFIG_INVALID',
          `${path} (${layer.type}) shrinks the feature map below 1×1: its input is ${describeShape(input)} and a ${what} of ${window}×${window} with strides ${stride} and padding '${padding}' leaves ${Math.max(oh, 0)}×${Math.max(ow, 0)}.`,
          {
            path,
            hint: `Use padding: same, a smaller ${what}, fewer downsampling layers, or a larger inputShape.`,
          },
        );
      }
      shape = { kind: 'spatial', h: oh, w: ow, c: channels };
    };
    switch (layer.type) {
      case 'conv':
        slide(layer.kernelSize, layer.strides, layer.padding, layer.filters, 'kernelSize');
        break;
      case 'separableConv':
        slide(layer.kernelSize, layer.strides, layer.padding, layer.filters, 'kernelSize');
        break;
      case 'residual':
        slide(layer.kernelSize, layer.strides, 'same', layer.filters, 'kernelSize');
        break;
      case 'pool':
        slide(layer.poolSize, layer.strides ?? layer.poolSize, layer.padding, needsSpatial().c, 'poolSize');
        break;
      case 'flatten': {
        const input = needsSpatial();
        shape = { kind: 'flat', n: input.h * input.w * input.c };
        break;
      }
      case 'globalAvgPool':
        shape = { kind: 'flat', n: needsSpatial().c };
        break;
      case 'dense':
        if (shape.kind === 'flat') checkWeights(path, 'dense', shape.n * layer.units);
        if (shape.kind !== 'flat') {
          throw new OptikError(
            'CONFIG_INVALID',
            `${path} (dense) needs a flat input, but its input is the feature map ${describeShape(shape)}.`,
            { path, hint: "Add { type: 'flatten' } or { type: 'globalAvgPool' } before it." },
          );
        }
        shape = { kind: 'flat', n: layer.units };
        break;
      case 'batchNorm':
      case 'dropout':
      case 'activation':
        break;
    }
    shapes.push(shape);
  });
  return shapes;
}

/** Refuses a backbone that does not end in a vector, for heads built of dense layers (`what` names the head). */
export function requireVector(config: BackboneConfig, shapes: readonly Shape[], prefix: string, what: string): void {
  const [h, w, c] = config.inputShape;
  const last: Shape = shapes.at(-1) ?? { kind: 'spatial', h, w, c };
  if (last.kind !== 'flat') {
    throw new OptikError(
      'CONFIG_INVALID',
      `${prefix}.layers ends with the feature map ${describeShape(last)}, but the ${what} needs a vector.`,
      { path: `${prefix}.layers`, hint: "End the body with { type: 'flatten' } or { type: 'globalAvgPool' }." },
    );
  }
}

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** Seeded initialisers, shared by a backbone and its heads (drawn in build order, so a build is reproducible). */
export interface Initializers {
  glorot(): Initializer;
  he(): Initializer;
  /** Normal with standard deviation 0.01 (the prediction convolutions of RetinaNet/FCOS heads). */
  small(): Initializer;
}

/** Seeded initialisers: one fresh seed per weight, drawn from the config's seed, so a build is reproducible. */
export function seededInitializers(rng: Rng): Initializers {
  return {
    glorot: () => tf.initializers.glorotUniform({ seed: rng.uint32() }),
    he: () => tf.initializers.heNormal({ seed: rng.uint32() }),
    small: () => tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: rng.uint32() }),
  };
}

/** A built backbone: the model input, the backbone's output, and the initialisers its heads continue with. */
export interface Backbone {
  readonly input: tf.SymbolicTensor;
  readonly output: tf.SymbolicTensor;
  /** The output of each body layer, in order (a detector's pyramid reads several). */
  readonly features: readonly tf.SymbolicTensor[];
  readonly init: Initializers;
}

/** Builds the backbone's layers (functional API) for an already validated config and body. */
export function buildBackbone(config: BackboneConfig, layers: readonly LayerConfig[]): Backbone {
  const init = seededInitializers(createRng(config.seed));
  const input = tf.input({ shape: [...config.inputShape], name: 'input' });
  let x = input;
  const features: tf.SymbolicTensor[] = [];
  const apply = (layer: tf.layers.Layer, at: tf.SymbolicTensor): tf.SymbolicTensor =>
    layer.apply(at) as tf.SymbolicTensor;

  layers.forEach((layer, i) => {
    const id = `l${i}`;
    switch (layer.type) {
      case 'conv': {
        x = apply(
          tf.layers.conv2d({
            name: `${id}_conv`,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: layer.padding,
            useBias: !layer.batchNorm,
            activation: layer.batchNorm ? 'linear' : layer.activation,
            kernelInitializer: init.glorot(),
          }),
          x,
        );
        if (layer.batchNorm) {
          x = apply(tf.layers.batchNormalization({ name: `${id}_bn` }), x);
          x = apply(tf.layers.activation({ name: `${id}_act`, activation: layer.activation }), x);
        }
        break;
      }
      case 'separableConv': {
        x = apply(
          tf.layers.depthwiseConv2d({
            name: `${id}_dw`,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: layer.padding,
            useBias: !layer.batchNorm,
            depthwiseInitializer: init.glorot(),
          }),
          x,
        );
        if (layer.batchNorm) x = apply(tf.layers.batchNormalization({ name: `${id}_dw_bn` }), x);
        x = apply(tf.layers.activation({ name: `${id}_dw_act`, activation: layer.activation }), x);
        x = apply(
          tf.layers.conv2d({
            name: `${id}_pw`,
            filters: layer.filters,
            kernelSize: 1,
            useBias: !layer.batchNorm,
            kernelInitializer: init.glorot(),
          }),
          x,
        );
        if (layer.batchNorm) x = apply(tf.layers.batchNormalization({ name: `${id}_pw_bn` }), x);
        x = apply(tf.layers.activation({ name: `${id}_pw_act`, activation: layer.activation }), x);
        break;
      }
      case 'residual': {
        const inputChannels = x.shape[x.shape.length - 1];
        let y = apply(
          tf.layers.conv2d({
            name: `${id}_conv1`,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: 'same',
            useBias: false,
            kernelInitializer: init.he(),
          }),
          x,
        );
        y = apply(tf.layers.batchNormalization({ name: `${id}_bn1` }), y);
        y = apply(tf.layers.activation({ name: `${id}_relu1`, activation: 'relu' }), y);
        y = apply(
          tf.layers.conv2d({
            name: `${id}_conv2`,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            padding: 'same',
            useBias: false,
            kernelInitializer: init.he(),
          }),
          y,
        );
        y = apply(tf.layers.batchNormalization({ name: `${id}_bn2` }), y);
        let shortcut = x;
        if (layer.strides !== 1 || inputChannels !== layer.filters) {
          // Projection shortcut (ResNet option B) when the shape changes.
          shortcut = apply(
            tf.layers.conv2d({
              name: `${id}_proj`,
              filters: layer.filters,
              kernelSize: 1,
              strides: layer.strides,
              padding: 'same',
              useBias: false,
              kernelInitializer: init.he(),
            }),
            x,
          );
          shortcut = apply(tf.layers.batchNormalization({ name: `${id}_proj_bn` }), shortcut);
        }
        const sum = tf.layers.add({ name: `${id}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
        x = apply(tf.layers.activation({ name: `${id}_relu2`, activation: 'relu' }), sum);
        break;
      }
      case 'pool': {
        const args = {
          name: `${id}_pool`,
          poolSize: layer.poolSize,
          strides: layer.strides ?? layer.poolSize,
          padding: layer.padding,
        };
        x = apply(layer.mode === 'max' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args), x);
        break;
      }
      case 'batchNorm':
        x = apply(
          tf.layers.batchNormalization({ name: `${id}_bn`, momentum: layer.momentum, epsilon: layer.epsilon }),
          x,
        );
        break;
      case 'dropout':
        x = apply(tf.layers.dropout({ name: `${id}_dropout`, rate: layer.rate }), x);
        break;
      case 'flatten':
        x = apply(tf.layers.flatten({ name: `${id}_flatten` }), x);
        break;
      case 'globalAvgPool':
        x = apply(tf.layers.globalAveragePooling2d({ name: `${id}_gap` }), x);
        break;
      case 'dense':
        x = apply(
          tf.layers.dense({
            name: `${id}_dense`,
            units: layer.units,
            activation: layer.activation,
            kernelInitializer: init.glorot(),
          }),
          x,
        );
        break;
      case 'activation':
        x = apply(tf.layers.activation({ name: `${id}_act`, activation: layer.activation }), x);
        break;
    }
    features.push(x);
  });

  return { input, output: x, features, init };
}
