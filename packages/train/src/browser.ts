// The browser entry (the `browser` export condition): everything of @optik/train that runs in a page. The Node
// entry (index.ts) re-exports all of it and adds what reads or writes files: checkpoints and resume, saveModel /
// loadModel, ModelCheckpoint, CsvLogger, the terminal progress bar. Here `Trainer` trains without checkpoints.

/**
 * Option types of the built-in callbacks (what you pass to the constructors).
 *
 * @example
 * ```ts
 * const options: EarlyStoppingOptions = { patience: 5 };
 * ```
 */
export type {
  EarlyStoppingOptions,
  LearningRateScheduleOptions,
  LearningRateSchedulerHooks,
  ReduceLROnPlateauOptions,
} from './internal/callbacks.js';
/**
 * Stops when a monitored value stops improving; with `restoreBestWeights` the model ends with its best epoch's
 * weights (also across a resume: the best weights are part of the checkpoint).
 *
 * @example
 * ```ts
 * new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * ```
 *
 * Multiplies the learning rate by `factor` when the monitored value has not improved for `patience` epochs.
 *
 * @example
 * ```ts
 * new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2 });
 * ```
 *
 * Sets the learning rate from a schedule (`constant`, `step`, `cosine`, each with linear warm-up) per epoch or
 * per step; {@link scheduledLearningRate} is the formula on its own. A `plannedEpochs` hook shortens the run a cosine
 * schedule spans, e.g. to the epochs a time limit leaves room for.
 *
 * @example
 * ```ts
 * new LearningRateScheduler({ type: 'cosine', warmup: 2, unit: 'epoch', minLearningRate: 1e-5 });
 * new LearningRateScheduler({ type: 'cosine' }, { plannedEpochs: () => epochsThatFit });
 * ```
 *
 * Stops training at the first batch whose loss is NaN or infinite (`stopReason: 'nan'`).
 *
 * @example
 * ```ts
 * callbacks: [new TerminateOnNaN()]
 * ```
 */
export {
  EarlyStopping,
  EarlyStoppingSchema,
  LearningRateScheduler,
  LearningRateScheduleSchema,
  ReduceLROnPlateau,
  ReduceLROnPlateauSchema,
  scheduledLearningRate,
  TerminateOnNaN,
} from './internal/callbacks.js';
/**
 * Box losses of a localization head, on normalised `[cx, cy, w, h]` boxes `[batch, 4]`, one value per sample
 * (reduce with `tf.mean`): `boxL1Loss` is the mean absolute error of the 4 coordinates, `giouLoss` is `1 − GIoU`
 * (Rezatofighi et al.; 0 for identical boxes, above 1 for disjoint ones, finite for empty or negative-size
 * predictions), and `boxIouTensor` is the IoU of each pair of rows, for logging. Every op has a gradient on every
 * backend.
 *
 * @example
 * ```ts
 * const loss = tf.tidy(() => tf.add(tf.mean(giouLoss(boxesTrue, boxesPred)), tf.mean(boxL1Loss(boxesTrue, boxesPred))));
 * const iou = tf.tidy(() => tf.mean(boxIouTensor(boxesTrue, boxesPred)).dataSync()[0]);
 * ```
 */
export { boxIouTensor, boxL1Loss, giouLoss } from './internal/losses/boxes.js';
/**
 * The loss names and loss options.
 *
 * @example
 * ```ts
 * const name: LossName = 'binaryCrossentropy';
 * ```
 */
export type { LossName, LossOptions } from './internal/losses/classification.js';
/**
 * Cross-entropy losses on probabilities (categorical, sparse, binary) with label smoothing and class weights,
 * reduced as Keras does (mean over the batch of weighted per-sample losses).
 *
 * @example
 * ```ts
 * const loss = computeLoss('categoricalCrossentropy', yTrue, yPred, { labelSmoothing: 0.1, classWeights: [1, 2] });
 * ```
 */
export { computeLoss, LossSchema, perSampleLoss } from './internal/losses/classification.js';
export type {
  FcosLossConfig,
  FcosLossOptions,
  FcosLossTerms,
} from './internal/losses/detection.js';
/**
 * The FCOS detection loss: sigmoid focal loss over every point and class, `1 − GIoU` of the decoded boxes and
 * centre-ness BCE over the positive points, each divided by `max(1, positives)` and weighted. Targets come from
 * `@optik/data`'s `encodeDetectionTargets` (`[dense, groundTruth]`); the output is a zoo `Detector`'s
 * `[B, A, C + 5]`. `fcosLossTerms` gives the three unweighted terms (for logging or tests).
 *
 * @example
 * ```ts
 * const loss = fcosLoss({ classificationWeight: 1, boxWeight: 2, centernessWeight: 1 });
 * const { classification, box, centerness } = fcosLossTerms(dense, detector.model.predict(xs) as tf.Tensor);
 * ```
 */
export { FcosLossSchema, fcosLoss, fcosLossTerms } from './internal/losses/detection.js';
export type {
  InstanceSegmentationLossOptions,
  InstanceSegmentationLossTerms,
} from './internal/losses/instances.js';
/**
 * The instance-segmentation loss (YOLACT / YOLOv8-seg prototypes on the FCOS detector): the FCOS terms plus the
 * mask BCE of the chosen positives (`selection · coefficients · prototypesᵀ` against their instance masks at
 * prototype resolution, averaged inside each box). Targets come from `@optik/data`'s `encodeInstanceTargets`; the
 * outputs are a zoo `InstanceSegmenter`'s `[detections, coefficients, prototypes]`.
 *
 * @example
 * ```ts
 * const loss = instanceSegmentationLoss({ maskWeight: 1 });
 * const { classification, box, centerness, mask } = instanceSegmentationLossTerms(targets, outputs);
 * ```
 */
export {
  InstanceSegmentationLossSchema,
  instanceSegmentationLoss,
  instanceSegmentationLossTerms,
} from './internal/losses/instances.js';
/**
 * The options of {@link segmentationLoss} (what a config's `train.segmentationLoss`-like section holds).
 *
 * @example
 * ```ts
 * const options: SegmentationLossOptions = { dice: 0.5, ignoreIndex: 255 };
 * ```
 */
export type { SegmentationLossOptions } from './internal/losses/segmentation.js';
/**
 * Semantic-segmentation losses on NHWC logits (softmax on the last axis; one channel: sigmoid): the pixel
 * cross-entropy (class weights, ignore index 255), the soft Dice loss (per class over batch·h·w, classes absent from
 * the batch left out), and `segmentationLoss(options)`, their weighted sum as a trainer loss function. Targets are
 * one-hot `[b, h, w, K]` (ignored pixels all zero; K = 2 for a binary model) or class ids `[b, h, w]`.
 *
 * @example
 * ```ts
 * const loss = segmentationLoss({ crossEntropy: 1, dice: 1, classWeights: [0.5, 1, 1] });
 * const value = loss(oneHotMasks, segmenter.model.predict(images) as tf.Tensor);
 * ```
 */
export {
  pixelCrossEntropy,
  SegmentationLossSchema,
  segmentationLoss,
  softDiceLoss,
} from './internal/losses/segmentation.js';
/**
 * Optimizer config types and the named-tensor shape of optimizer state.
 *
 * @example
 * ```ts
 * const options: OptimizerOptions = { type: 'adamw', weightDecay: 0.01 };
 * ```
 */
export type { NamedTensor, OptimizerConfig, OptimizerOptions } from './internal/optimizers.js';
/**
 * Optimizers from config — SGD (momentum, Nesterov), Adam, AdamW (decoupled weight decay), RMSprop — with a
 * settable learning rate and savable state.
 *
 * @example
 * ```ts
 * const optimizer = new Optimizer({ type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true });
 * ```
 */
export { Optimizer, OptimizerSchema } from './internal/optimizers.js';
/**
 * Types of the trainer: its config (`TrainerOptions` in, `TrainerConfig` resolved), a batch, a batch source, the
 * run-time fit options and the result.
 *
 * @example
 * ```ts
 * const source: BatchSource = (epoch) => makeBatches(epoch);
 * ```
 */
export type {
  Batch,
  BatchSource,
  FitOptions,
  PredictData,
  TrainerConfig,
  TrainerOptions,
  TrainResult,
} from './internal/trainer.js';
/**
 * The trainer (`new Trainer(options).fit({ model, trainData, valData, callbacks })`, `trainer.evaluate(model,
 * batches)`, `trainer.predict(model, batchesOrImages)`), its zod schema, `train` (the one-call form), and as
 * functions: `evaluateBatches` (Keras `model.evaluate(dataset)`: loss and metrics over batches) and
 * `predictBatches` (Keras `model.predict(dataset)`: outputs over an image tensor or batches, in order).
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ epochs: 5, optimizer: { type: 'adam', learningRate: 1e-3 } });
 * const logs = await trainer.evaluate(model, testBatches); // { loss, accuracy }
 * const probabilities = (await predictBatches(model, testBatches)) as tf.Tensor;
 * ```
 */
export { evaluateBatches, predictBatches, Trainer, TrainerSchema, train } from './internal/trainer.js';
/**
 * The callback contract (Keras' hooks plus `stopTraining`), the context callbacks steer, their logs and
 * checkpoint state, and the validation-metric hook (`update / result / reset`).
 *
 * @example
 * ```ts
 * const recorder: Callback = { name: 'track', onEpochEnd: (epoch, logs) => store.logEpoch(epoch, logs) };
 * ```
 *
 * The task seam's training contracts: a loss is a plain function `(targets, outputs) → scalar` (several outputs
 * come as arrays in the model's output order), and metrics are streaming `update / result / reset` objects that
 * the trainer feeds on training batches (`<name>`) and validation batches (`val_<name>`) — @optik/metrics' metrics
 * fit as they are.
 *
 * @example
 * ```ts
 * const loss: LossFunction = (yTrue, yPred) => tf.losses.meanSquaredError(yTrue as tf.Tensor, yPred as tf.Tensor);
 * await new Trainer({ epochs: 3 }).fit({ model, trainData, loss, metrics: [] });
 * ```
 */
export type {
  Callback,
  CallbackState,
  EpochLogs,
  Logs,
  LossFunction,
  StreamingMetric,
  Tensors,
  TrainContext,
  ValidationMetric,
} from './internal/types.js';
