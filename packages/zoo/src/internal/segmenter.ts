import { createRng, OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { checkWeights, type Initializers, seededInitializers } from './backbone.js';
import { ZooModel } from './model.js';
import { type SegmenterConfig, type SegmenterOptions, type SegmenterPresetName, SegmenterSchema } from './schema.js';

type Architecture = Pick<
  SegmenterConfig,
  'depth' | 'baseFilters' | 'upsampling' | 'interpolation' | 'batchNorm' | 'dropout'
>;

/** The presets' architectures (3–4 levels of 8–16 base filters: small enough to train on a CPU). */
const SEGMENTER_PRESETS: Record<SegmenterPresetName, Architecture> = {
  'unet-tiny': {
    depth: 3,
    baseFilters: 8,
    upsampling: 'transpose',
    interpolation: 'bilinear',
    batchNorm: true,
    dropout: 0,
  },
  'unet-small': {
    depth: 4,
    baseFilters: 16,
    upsampling: 'resize',
    interpolation: 'bilinear',
    batchNorm: true,
    dropout: 0.1,
  },
};

/** Fills the architecture fields the options left out from the preset (`unet-tiny` when none is named). */
function resolveSegmenter(parsed: ReturnType<typeof SegmenterSchema.parse>): SegmenterConfig {
  const preset = SEGMENTER_PRESETS[parsed.preset ?? 'unet-tiny'];
  return {
    ...parsed,
    depth: parsed.depth ?? preset.depth,
    baseFilters: parsed.baseFilters ?? preset.baseFilters,
    upsampling: parsed.upsampling ?? preset.upsampling,
    interpolation: parsed.interpolation ?? preset.interpolation,
    batchNorm: parsed.batchNorm ?? preset.batchNorm,
    dropout: parsed.dropout ?? preset.dropout,
  };
}

/** Refuses an input a U-Net of this depth cannot halve `depth` times and grow back to the same size. */
function checkSegmenterShape(config: SegmenterConfig, prefix: string): void {
  const [height, width, channels] = config.inputShape;
  const factor = 2 ** config.depth;
  if (height % factor !== 0 || width % factor !== 0) {
    const round = (v: number) => Math.max(factor, Math.round(v / factor) * factor);
    throw new OptikError(
      'CONFIG_INVALID',
      `${prefix}.inputShape ${height}×${width} is not divisible by 2^depth = ${factor} (depth ${config.depth}): each encoder level halves the map and the decoder must grow it back to the input size.`,
      {
        path: `${prefix}.inputShape`,
        received: [height, width, channels],
        hint: `Use an image size divisible by ${factor} (e.g. ${round(height)}×${round(width)}), or a smaller ${prefix}.depth.`,
      },
    );
  }
  const deepest = config.baseFilters * 2 ** config.depth;
  checkWeights(`${prefix}.baseFilters`, 'bottleneck conv', 9 * deepest * deepest);
}

type Apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => tf.SymbolicTensor;
const apply: Apply = (layer, x) => layer.apply(x) as tf.SymbolicTensor;

/** Two 3×3 `same` convolutions, each followed by (batch norm and) relu: the block of every U-Net level. */
function doubleConv(
  x: tf.SymbolicTensor,
  filters: number,
  name: string,
  config: SegmenterConfig,
  init: Initializers,
): tf.SymbolicTensor {
  let y = x;
  for (const j of [1, 2]) {
    y = apply(
      tf.layers.conv2d({
        name: `${name}_conv${j}`,
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: !config.batchNorm,
        kernelInitializer: init.he(),
      }),
      y,
    );
    if (config.batchNorm) y = apply(tf.layers.batchNormalization({ name: `${name}_bn${j}` }), y);
    y = apply(tf.layers.activation({ name: `${name}_relu${j}`, activation: 'relu' }), y);
  }
  return y;
}

/** Doubles the map: a 2×2 stride-2 transposed convolution, or upsampling then a 3×3 convolution. */
function upsample(
  x: tf.SymbolicTensor,
  filters: number,
  name: string,
  config: SegmenterConfig,
  init: Initializers,
): tf.SymbolicTensor {
  if (config.upsampling === 'transpose') {
    return apply(
      tf.layers.conv2dTranspose({
        name: `${name}_up`,
        filters,
        kernelSize: 2,
        strides: 2,
        padding: 'same',
        kernelInitializer: init.glorot(),
      }),
      x,
    );
  }
  const up = apply(
    tf.layers.upSampling2d({ name: `${name}_up`, size: [2, 2], interpolation: config.interpolation }),
    x,
  );
  return apply(
    tf.layers.conv2d({
      name: `${name}_upconv`,
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init.he(),
    }),
    up,
  );
}

/**
 * A U-Net semantic segmenter built from config: an encoder of `depth` levels (two 3×3 convolutions, optional batch
 * norm, relu, a 2×2 max pool; filters `baseFilters·2^level`), a bottleneck (optional dropout), a decoder that
 * upsamples (`transpose` or `resize`), concatenates the skip of the same level and applies two 3×3 convolutions,
 * and a 1×1 convolution to `numClasses` logits per pixel: the output is `[batch, height, width, numClasses]`
 * logits (softmax over the last axis; one channel: sigmoid). Checked at construction (`CONFIG_INVALID` naming the
 * key path, e.g. an input not divisible by 2^depth).
 *
 * @example
 * ```ts
 * const segmenter = new Segmenter({ preset: 'unet-tiny', inputShape: [64, 96, 3], numClasses: 4 });
 * const logits = segmenter.model.predict(tf.zeros([1, 64, 96, 3])) as tf.Tensor; // [1, 64, 96, 4]
 * ```
 */
export class Segmenter extends ZooModel<SegmenterConfig> {
  readonly model: tf.LayersModel;

  /** Validates `options` (errors are prefixed with `meta.path`, default `model`) and builds the model. */
  constructor(options: SegmenterOptions, meta: { path?: string } = {}) {
    const prefix = meta.path ?? 'model';
    super(resolveSegmenter(parseOrThrow(SegmenterSchema, options, { what: 'segmenter config', prefix })));
    const config = this.config;
    checkSegmenterShape(config, prefix);
    const init = seededInitializers(createRng(config.seed));
    const input = tf.input({ shape: [...config.inputShape], name: 'input' });
    const skips: tf.SymbolicTensor[] = [];
    let x = input;
    for (let level = 0; level < config.depth; level++) {
      x = doubleConv(x, config.baseFilters * 2 ** level, `enc${level}`, config, init);
      skips.push(x);
      x = apply(tf.layers.maxPooling2d({ name: `enc${level}_pool`, poolSize: 2, strides: 2 }), x);
    }
    x = doubleConv(x, config.baseFilters * 2 ** config.depth, 'bottleneck', config, init);
    if (config.dropout > 0) x = apply(tf.layers.dropout({ name: 'bottleneck_dropout', rate: config.dropout }), x);
    for (let level = config.depth - 1; level >= 0; level--) {
      const filters = config.baseFilters * 2 ** level;
      x = upsample(x, filters, `dec${level}`, config, init);
      x = apply(tf.layers.concatenate({ name: `dec${level}_concat`, axis: -1 }), [
        x,
        skips[level] as tf.SymbolicTensor,
      ]);
      x = doubleConv(x, filters, `dec${level}`, config, init);
    }
    const logits = apply(
      tf.layers.conv2d({ name: 'logits', filters: config.numClasses, kernelSize: 1, kernelInitializer: init.glorot() }),
      x,
    );
    this.model = tf.model({ inputs: input, outputs: logits, name: config.name });
  }

  /** Rebuilds a segmenter from {@link Segmenter.toConfig} output. */
  static fromConfig(config: SegmenterOptions): Segmenter {
    return new Segmenter(config);
  }
}
