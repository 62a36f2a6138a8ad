/**
 * A CNN classifier from config: presets (`seed-cnn`, `vgg-small`, `resnet-small`, `mobilenet-small`) or explicit
 * layers, a sigmoid or softmax head, a summary with parameter counts.
 *
 * @example
 * ```ts
 * const classifier = new Classifier({ preset: 'seed-cnn', inputShape: [28, 28, 1], numClasses: 10 });
 * ```
 */
export { Classifier } from './internal/classifier.js';
export type { DecodeDetectionsOptions, Detections, NmsOptions } from './internal/decode.js';
/**
 * Detections from a detector's output (also of a model loaded with `tf.loadLayersModel`): scores
 * `sqrt(σ(class) · σ(centre-ness))`, a score threshold, the top-k per image, boxes decoded on the grid, and
 * class-aware NMS (`nonMaxSuppression`, torchvision `batched_nms` semantics, on typed arrays).
 *
 * @example
 * ```ts
 * const model = await tf.loadLayersModel('file://runs/detection/exp/weights/best/model.json');
 * const grid = detectionGrid({ imageSize: [128, 160], strides: [8, 16, 32] });
 * const [{ boxes, labels, scores }] = decodeDetections(model.predict(xs) as tf.Tensor, grid, { scoreThreshold: 0.3 });
 * const keep = nonMaxSuppression([0, 0, 10, 10, 1, 1, 10, 10], [0.9, 0.8], [0, 0], { iouThreshold: 0.5 }); // [0]
 * ```
 *
 * `mirrorDetectionOutput` maps a detector's raw output for a mirrored image (`hflip`/`vflip`) back onto the original
 * image's points, to average with the plain output before decoding (test-time augmentation, the pipeline's
 * `test.tta`):
 *
 * ```ts
 * const flipped = detector.model.predict(tf.reverse(xs, 2)) as tf.Tensor;
 * const back = mirrorDetectionOutput(await flipped.data(), flipped.shape, detector.grid(), 'hflip');
 * ```
 */
export {
  DecodeDetectionsSchema,
  decodeDetections,
  mirrorDetectionOutput,
  NmsSchema,
  nonMaxSuppression,
} from './internal/decode.js';
/**
 * An anchor-free FCOS-style detector from config: a backbone (`det-tiny`, `det-small` or explicit layers), a small
 * feature pyramid at `strides` and one shared head; ONE output `[batch, points, numClasses + 5]` (class logits,
 * raw ltrb, centre-ness logit per point of `detector.grid()`).
 *
 * @example
 * ```ts
 * const detector = new Detector({ preset: 'det-tiny', inputShape: [128, 160, 3], numClasses: 3 });
 * const grid = detector.grid(); // the points encodeDetectionTargets assigns boxes to
 * ```
 */
export { Detector } from './internal/detector.js';
/**
 * A YOLACT / YOLOv8-seg style instance segmenter: the FCOS Detector plus a prototype branch (k maps at
 * `protoStride`) and k tanh mask coefficients per point. Outputs `[detections [B, points, C + 5],
 * mask_coefficients [B, points, k], prototypes [B, H / protoStride, W / protoStride, k]]`.
 *
 * @example
 * ```ts
 * const segmenter = new InstanceSegmenter({ preset: 'det-tiny', inputShape: [128, 160, 3], numClasses: 3, prototypes: 8 });
 * const [detections, coefficients, prototypes] = segmenter.model.predict(images) as tf.Tensor[];
 * ```
 */
export { InstanceSegmenter } from './internal/instance-segmenter.js';
/**
 * The options of `decodeInstances` and one image's decoded instances (boxes, labels, scores, masks).
 *
 * @example
 * ```ts
 * const options: DecodeInstancesOptions = { scoreThreshold: 0.25, maskThreshold: 0.5 };
 * ```
 */
export type { DecodeInstancesOptions, InstanceDetections } from './internal/instances.js';
/**
 * Instances from an InstanceSegmenter's three outputs: the detections as `decodeDetections` finds them, plus one
 * image-sized 0/1 mask each (`sigmoid(coefficients · prototypes)`, upsampled, cropped to the box, thresholded).
 *
 * @example
 * ```ts
 * const outputs = segmenter.model.predict(images) as tf.Tensor[];
 * const [{ boxes, labels, scores, masks }] = decodeInstances(outputs, segmenter.grid(), { maskThreshold: 0.5 });
 * ```
 */
export { DecodeInstancesSchema, decodeInstances } from './internal/instances.js';
/**
 * A single-object localizer from config: the classifier's backbone (presets — `loc-cnn` keeps positions — or
 * explicit layers) and two heads, `class` (softmax) and `box` (normalised `[cx, cy, w, h]`); outputs `[class, box]`.
 *
 * @example
 * ```ts
 * const localizer = new Localizer({ preset: 'loc-cnn', inputShape: [64, 64, 1], numClasses: 10 });
 * ```
 */
export { Localizer } from './internal/localizer.js';
/**
 * Disposes a LayersModel with all its weights, also those of layers called several times (the detector's head,
 * shared by the pyramid levels), which `model.dispose()` leaves behind. Zoo models' `dispose()` uses it; call it
 * for models loaded with `tf.loadLayersModel`.
 *
 * @example
 * ```ts
 * const model = await tf.loadLayersModel('file://runs/detection/exp/weights/best/model.json');
 * disposeModel(model);
 * ```
 */
export { disposeModel } from './internal/model.js';
/**
 * The body layers of a preset with every default filled in (the head is not included), to print or to copy into
 * an explicit `layers` list and edit.
 *
 * @example
 * ```ts
 * presetLayers('seed-cnn'); // [{ type: 'conv', filters: 32, kernelSize: 3, ... }, ...]
 * ```
 */
export { presetLayers } from './internal/presets.js';
/**
 * Types of the classifier config: `ClassifierOptions` is what you write (defaults optional), `ClassifierConfig` the
 * resolved form `toConfig()` returns; `LayerOptions`/`LayerConfig` likewise for one layer.
 *
 * @example
 * ```ts
 * const options: ClassifierOptions = { preset: 'seed-cnn', inputShape: [28, 28, 1], numClasses: 10 };
 * ```
 */
export type {
  ClassifierConfig,
  ClassifierOptions,
  DetectorConfig,
  DetectorOptions,
  InstanceSegmenterConfig,
  InstanceSegmenterOptions,
  LayerConfig,
  LayerOptions,
  LocalizerConfig,
  LocalizerOptions,
  PresetName,
  SegmenterConfig,
  SegmenterOptions,
  SegmenterPresetName,
} from './internal/schema.js';
/**
 * The zod schemas of a classifier config and of one body layer (a discriminated union on `type`).
 *
 * @example
 * ```ts
 * const config = ClassifierSchema.parse({ preset: 'vgg-small', inputShape: [32, 32, 3], numClasses: 10 });
 * ```
 *
 * The preset names, for CLI help and config validation.
 *
 * @example
 * ```ts
 * PRESET_NAMES.includes('resnet-small'); // true
 * ```
 *
 * The zod schema of an instance segmenter config (the detector's fields plus `prototypes`, `protoChannels`,
 * `protoStride`).
 *
 * @example
 * ```ts
 * InstanceSegmenterSchema.parse({ preset: 'det-tiny', inputShape: [128, 128, 3], numClasses: 8 }).prototypes; // 16
 * ```
 *
 * The zod schema of a segmenter config (flat; a preset fills the architecture fields left out) and the U-Net
 * preset names.
 *
 * @example
 * ```ts
 * SegmenterSchema.parse({ preset: 'unet-small', inputShape: [128, 128, 3], numClasses: 9 });
 * SEGMENTER_PRESET_NAMES; // ['unet-tiny', 'unet-small']
 * ```
 */
export {
  ClassifierSchema,
  DetectorSchema,
  InstanceSegmenterSchema,
  LayerSchema,
  LocalizerSchema,
  PRESET_NAMES,
  SEGMENTER_PRESET_NAMES,
  SegmenterSchema,
} from './internal/schema.js';
/**
 * A U-Net semantic segmenter from config (`unet-tiny`, `unet-small`, or depth, base filters, `transpose`/`resize`
 * upsampling, batch norm, dropout): skip connections by concatenation, `[batch, height, width, numClasses]` logits.
 *
 * @example
 * ```ts
 * const segmenter = new Segmenter({ preset: 'unet-tiny', inputShape: [64, 96, 3], numClasses: 4 });
 * ```
 */
export { Segmenter } from './internal/segmenter.js';
/**
 * The summary's JSON shape.
 *
 * @example
 * ```ts
 * const { totalParams }: ModelSummary = classifier.summary();
 * ```
 */
export type { LayerSummary, ModelSummary } from './internal/summary.js';
/**
 * A summary of any tfjs LayersModel (layers, output shapes, parameter counts) as JSON, and as a text table.
 *
 * @example
 * ```ts
 * console.error(formatSummary(summarizeModel(model)));
 * ```
 */
export { formatSummary, summarizeModel } from './internal/summary.js';
