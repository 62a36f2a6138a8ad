/**
 * Trains a tfjs LayersModel with a custom loop: `new Trainer(config).fit({ model, trainData, valData, callbacks })`.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ epochs: 10, optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 42 });
 * const trainData = (epoch: number) => new BatchIterable(train, { batchSize: 64, seed: epoch }); // @optik/data
 * const result = await trainer.fit({ model, trainData, valData: new BatchIterable(validation, { shuffle: false }) });
 * ```
 */

/**
 * Option types of the built-in callbacks (what you pass to the constructors).
 *
 * @example
 * ```ts
 * const options: EarlyStoppingOptions = { patience: 5 };
 * ```
 */
export type {
  CsvLoggerOptions,
  EarlyStoppingOptions,
  LearningRateScheduleOptions,
  LearningRateSchedulerHooks,
  ModelCheckpointOptions,
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
 * Writes `<dir>/last` every epoch and `<dir>/best` when the monitored value improves: model (tfjs layers format),
 * optimizer state, epoch, RNG state and callback state — everything `resumeFrom` needs.
 *
 * @example
 * ```ts
 * new ModelCheckpoint({ dir: 'runs/classify/exp1/weights', monitor: 'val_accuracy' });
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
 *
 * Appends one CSV row per epoch (epoch, loss, accuracy, val_*, learning_rate, …); on resume it keeps the rows of
 * earlier epochs and drops any written after the checkpoint.
 *
 * @example
 * ```ts
 * new CsvLogger({ path: 'runs/classify/exp1/results.csv' });
 * ```
 */
export {
  CsvLogger,
  CsvLoggerSchema,
  EarlyStopping,
  EarlyStoppingSchema,
  LearningRateScheduler,
  LearningRateScheduleSchema,
  ModelCheckpoint,
  ModelCheckpointSchema,
  ReduceLROnPlateau,
  ReduceLROnPlateauSchema,
  scheduledLearningRate,
  TerminateOnNaN,
} from './internal/callbacks.js';
/**
 * The content of a checkpoint's `trainer.json`.
 *
 * @example
 * ```ts
 * const info: CheckpointInfo = readCheckpoint(dir);
 * ```
 */
export type { CheckpointInfo } from './internal/checkpoint.js';
/**
 * Reads a checkpoint's `trainer.json` (epoch, history, learning rate, configs) without loading tensors.
 *
 * @example
 * ```ts
 * const { epoch, history } = readCheckpoint('runs/classify/exp1/weights/last');
 * ```
 */
export { readCheckpoint } from './internal/checkpoint.js';
/**
 * Saves and loads a LayersModel as `model.json` + `weights.bin` with node:fs (no tfjs-node); the files are what
 * `tf.loadLayersModel('…/model.json')` reads in a browser. `fileSystemIO` is the raw tfjs IOHandler.
 *
 * @example
 * ```ts
 * await saveModel(model, 'runs/classify/exp1/weights/best');
 * const again = await loadModel('runs/classify/exp1/weights/best');
 * ```
 */
export { fileSystemIO, loadModel, saveModel } from './internal/io.js';
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
 * Option types of the progress bar and the stream it draws on.
 *
 * @example
 * ```ts
 * const options: ProgressBarOptions = { width: 30 };
 * ```
 */
export type { ProgressBarOptions, ProgressStream } from './internal/progress.js';
/**
 * A progress bar on stderr (epoch, batch, loss, metrics, samples/s, ETA), silent when not a TTY or disabled;
 * {@link formatProgressLine} renders one line.
 *
 * @example
 * ```ts
 * new ProgressBar({ enabled: !json });
 * ```
 */
export { formatProgressLine, ProgressBar, ProgressBarSchema } from './internal/progress.js';
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
 * batches)`, `trainer.predict(model, batchesOrImages)`), its zod schema, and `train`, the one-call form.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ epochs: 5, optimizer: { type: 'adam', learningRate: 1e-3 } });
 * await trainer.fit({ model, trainData: (epoch) => new BatchIterable(train, { seed: epoch }), valData: validationBatches });
 * const logs = await trainer.evaluate(model, testBatches); // { loss, accuracy }
 * ```
 *
 * Loss and metrics of a model over batches (Keras `model.evaluate(dataset)`), as a function: a named loss or a
 * loss function, and streaming metrics (accuracy by default with a named loss).
 *
 * @example
 * ```ts
 * const logs = await evaluateBatches({ model, data: testBatches, loss: 'categoricalCrossentropy' });
 * ```
 *
 * A model's outputs over a whole dataset (Keras `model.predict(dataset)`): an image tensor cut into batches, or a
 * `BatchIterable` / array of batches; outputs concatenated in order, inference mode (dropout off).
 *
 * @example
 * ```ts
 * const probabilities = (await predictBatches(model, new BatchIterable(test, { batchSize: 64, shuffle: false }))) as tf.Tensor;
 * ```
 */
export { evaluateBatches, predictBatches, Trainer, TrainerSchema, train } from './internal/trainer.js';
/**
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
 *
 * The callback contract (Keras' hooks plus `stopTraining`), the context callbacks steer, their logs and
 * checkpoint state. `trackingCallback(run)` of @optik/track is one: it logs each epoch into a run.
 *
 * @example
 * ```ts
 * const printer: Callback = { name: 'printer', onEpochEnd: (epoch, logs) => console.log(epoch + 1, logs.val_loss) };
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
