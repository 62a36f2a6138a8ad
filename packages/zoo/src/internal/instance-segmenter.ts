import { type DetectionGrid, detectionGrid, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { buildDetectorGraph } from './detector.js';
import { coefficientHead, prototypeHead } from './heads.js';
import { BackboneModel } from './model.js';
import { type InstanceSegmenterConfig, type InstanceSegmenterOptions, InstanceSegmenterSchema } from './schema.js';

/**
 * A YOLACT / YOLOv8-seg style instance segmenter: the FCOS {@link Detector} (same backbone, pyramid and head, same
 * layer names) plus a prototype branch on the finest pyramid level and `prototypes` mask coefficients per point
 * from the box branch. Three outputs, in this order:
 *
 * 1. `detections [batch, points, numClasses + 5]`: exactly the detector's output (decode with `decodeDetections`);
 * 2. `mask_coefficients [batch, points, prototypes]`: tanh coefficients per point of {@link InstanceSegmenter.grid};
 * 3. `prototypes [batch, height / protoStride, width / protoStride, prototypes]`: linear prototype maps.
 *
 * A detection's mask is `sigmoid(coefficients · prototypes)` cropped to its box (YOLACT's linear combination, one
 * batched matrix product). Train it with `@optik/train`'s `instanceSegmentationLoss` on targets from
 * `@optik/data`'s `encodeInstanceTargets`; read instances with `decodeInstances`.
 */
export class InstanceSegmenter extends BackboneModel<InstanceSegmenterConfig> {
  readonly model: tf.LayersModel;

  /** Validates `options` (errors are prefixed with `meta.path`, default `model`) and builds the model. */
  constructor(options: InstanceSegmenterOptions, meta: { path?: string } = {}) {
    const prefix = meta.path ?? 'model';
    super(parseOrThrow(InstanceSegmenterSchema, options, { what: 'instance segmenter config', prefix }), 'det-tiny');
    const { prototypes, protoChannels, protoStride, strides } = this.config;
    const graph = buildDetectorGraph(this.config, this.bodyLayers(), prefix);
    const coefficients = coefficientHead(graph.boxFeatures, { prototypes, name: 'mask_coefficients' }, graph.init);
    const protos = prototypeHead(
      graph.levels[0] as tf.SymbolicTensor,
      { prototypes, channels: protoChannels, factor: Math.min(...strides) / protoStride, name: 'prototypes' },
      graph.init,
    );
    this.model = tf.model({
      inputs: graph.input,
      outputs: [graph.output, coefficients, protos],
      name: this.config.name,
    });
  }

  /** The points of the first two outputs (the grid `encodeInstanceTargets` and `decodeInstances` take). */
  grid(): DetectionGrid {
    const [h, w] = this.config.inputShape;
    return detectionGrid({ imageSize: [h, w], strides: this.config.strides });
  }

  /** Rebuilds an instance segmenter from {@link InstanceSegmenter.toConfig} output. */
  static fromConfig(config: InstanceSegmenterOptions): InstanceSegmenter {
    return new InstanceSegmenter(config);
  }
}
