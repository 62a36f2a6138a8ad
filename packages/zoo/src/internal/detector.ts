import { type DetectionGrid, detectionGrid, OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { buildBackbone, type Initializers, inferShapes } from './backbone.js';
import { fcosHead, featurePyramid } from './heads.js';
import { BackboneModel } from './model.js';
import { type DetectorConfig, type DetectorOptions, DetectorSchema, type LayerConfig } from './schema.js';

/**
 * The body layers a detector uses, cut after the last map it reads, and the index of the map at each stride (the
 * last body layer whose map is `inputShape / stride`). Refuses a body without a map at some stride.
 */
function pyramidInputs(config: DetectorConfig, body: readonly LayerConfig[], prefix: string) {
  const [h, w] = config.inputShape;
  const shapes = inferShapes(config, body, prefix);
  const indices = pyramidStrides(config).map((stride) => {
    let found = -1;
    shapes.forEach((shape, i) => {
      if (shape.kind === 'spatial' && shape.h * stride === h && shape.w * stride === w) found = i;
    });
    if (found < 0) {
      throw new OptikError(
        'CONFIG_INVALID',
        `${prefix}: the backbone has no ${h / stride}×${w / stride} feature map, the size at stride ${stride} of a ${h}×${w} input.`,
        {
          path: `${prefix}.${config.pyramidStrides === undefined ? 'strides' : 'pyramidStrides'}`,
          received: pyramidStrides(config),
          hint: "Use a detector preset (det-tiny, det-small) or layers that halve the map with strides: 2 and padding: 'same' up to the largest stride, before any flatten or global pooling.",
        },
      );
    }
    return found;
  });
  return { body: body.slice(0, Math.max(...indices) + 1), indices };
}

/** The strides of the maps the feature pyramid joins: `pyramidStrides`, else the head's `strides`. */
function pyramidStrides(config: DetectorConfig): readonly number[] {
  return config.pyramidStrides ?? config.strides;
}

/**
 * The layers of a detector: input, the pyramid levels the head reads (at `strides`), the FCOS output and the box
 * branch's features per level.
 */
export interface DetectorGraph {
  readonly input: tf.SymbolicTensor;
  readonly levels: tf.SymbolicTensor[];
  readonly output: tf.SymbolicTensor;
  readonly boxFeatures: tf.SymbolicTensor[];
  readonly init: Initializers;
}

/**
 * Builds a detector's graph from its resolved config: backbone, feature pyramid at `pyramidStrides` (default
 * `strides`), FCOS head shared by the levels at `strides` (the instance segmenter adds its heads to the same graph).
 */
export function buildDetectorGraph(config: DetectorConfig, bodyLayers: LayerConfig[], prefix: string): DetectorGraph {
  const { body, indices } = pyramidInputs(config, bodyLayers, prefix);
  const backbone = buildBackbone(config, body);
  const strides = pyramidStrides(config);
  const pyramid = featurePyramid(
    indices.map((i) => backbone.features[i] as tf.SymbolicTensor),
    { strides, channels: config.fpnChannels, merge: config.fpnMerge, name: 'fpn' },
    backbone.init,
  );
  const levels = config.strides.map((s) => pyramid[strides.indexOf(s)] as tf.SymbolicTensor);
  const { output, boxFeatures } = fcosHead(
    levels,
    {
      numClasses: config.numClasses,
      channels: config.fpnChannels,
      convs: config.headConvs,
      priorProbability: config.priorProbability,
      name: 'detections',
    },
    backbone.init,
  );
  return { input: backbone.input, levels, output, boxFeatures, init: backbone.init };
}

/**
 * An anchor-free FCOS-style detector built from config: a backbone (a preset — `det-tiny`, `det-small` — or explicit
 * layers), a feature pyramid over its maps at `strides` (1–3 levels; nearest upsampling, add or concat; deeper maps
 * too with `pyramidStrides`), and one head shared by the levels at `strides`. The model has ONE output
 * `[batch, points, numClasses + 5]`: per point of {@link Detector.grid} (levels in stride order, row-major), the
 * class logits, the raw ltrb distances (decoded as `softplus(raw) · stride` pixels) and the centre-ness logit. Train it with `@optik/train`'s `fcosLoss` on targets
 * from `@optik/data`'s `encodeDetectionTargets(detector.grid(), numClasses)`; read boxes with
 * {@link decodeDetections}.
 *
 * @example
 * ```ts
 * const detector = new Detector({ preset: 'det-tiny', inputShape: [128, 160, 3], numClasses: 3 });
 * const output = detector.model.predict(images) as tf.Tensor; // [batch, 420, 8]
 * const [first] = decodeDetections(output, detector.grid(), { scoreThreshold: 0.3 });
 * ```
 */
export class Detector extends BackboneModel<DetectorConfig> {
  readonly model: tf.LayersModel;

  /** Validates `options` (errors are prefixed with `meta.path`, default `model`) and builds the model. */
  constructor(options: DetectorOptions, meta: { path?: string } = {}) {
    const prefix = meta.path ?? 'model';
    super(parseOrThrow(DetectorSchema, options, { what: 'detector config', prefix }), 'det-tiny');
    const { input, output } = buildDetectorGraph(this.config, this.bodyLayers(), prefix);
    this.model = tf.model({ inputs: input, outputs: output, name: this.config.name });
  }

  /** The points of the output (the grid `encodeDetectionTargets` and {@link decodeDetections} take). */
  grid(): DetectionGrid {
    const [h, w] = this.config.inputShape;
    return detectionGrid({ imageSize: [h, w], strides: this.config.strides });
  }

  /** Rebuilds a detector from {@link Detector.toConfig} output. */
  static fromConfig(config: DetectorOptions): Detector {
    return new Detector(config);
  }
}
