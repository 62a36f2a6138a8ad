// The Node entry: everything of the browser entry (browser.ts, for pages and bundlers) plus what reads or writes
// files — checkpoints and resume, saveModel / loadModel, ModelCheckpoint, CsvLogger — and the terminal progress bar.

/**
 * Everything that also runs in a browser: losses, optimizers, callbacks that write no files, the trainer's types
 * and `evaluateBatches` (each documented in browser.ts).
 *
 * @example
 * ```ts
 * const early = new EarlyStopping({ monitor: 'val_loss', patience: 3 });
 * ```
 */
export type {
  Batch,
  BatchSource,
  Callback,
  CallbackState,
  EarlyStoppingOptions,
  EpochLogs,
  FcosLossConfig,
  FcosLossOptions,
  FcosLossTerms,
  FitOptions,
  InstanceSegmentationLossOptions,
  InstanceSegmentationLossTerms,
  LearningRateScheduleOptions,
  LearningRateSchedulerHooks,
  Logs,
  LossFunction,
  LossName,
  LossOptions,
  NamedTensor,
  OptimizerConfig,
  OptimizerOptions,
  PredictData,
  ReduceLROnPlateauOptions,
  SegmentationLossOptions,
  StreamingMetric,
  Tensors,
  TrainContext,
  TrainerConfig,
  TrainerOptions,
  TrainResult,
  ValidationMetric,
} from './browser.js';
export {
  boxIouTensor,
  boxL1Loss,
  computeLoss,
  EarlyStopping,
  EarlyStoppingSchema,
  evaluateBatches,
  FcosLossSchema,
  fcosLoss,
  fcosLossTerms,
  giouLoss,
  InstanceSegmentationLossSchema,
  instanceSegmentationLoss,
  instanceSegmentationLossTerms,
  LearningRateScheduler,
  LearningRateScheduleSchema,
  LossSchema,
  Optimizer,
  OptimizerSchema,
  perSampleLoss,
  pixelCrossEntropy,
  predictBatches,
  ReduceLROnPlateau,
  ReduceLROnPlateauSchema,
  SegmentationLossSchema,
  scheduledLearningRate,
  segmentationLoss,
  softDiceLoss,
  TerminateOnNaN,
  TrainerSchema,
} from './browser.js';
/**
 * Option types of the callbacks that write files.
 *
 * @example
 * ```ts
 * const options: ModelCheckpointOptions = { dir: 'runs/classify/exp1/weights' };
 * ```
 */
export type { CsvLoggerOptions, ModelCheckpointOptions } from './internal/callbacks-files.js';
/**
 * Writes `<dir>/last` every epoch and `<dir>/best` when the monitored value improves: model (tfjs layers format),
 * optimizer state, epoch, RNG state and callback state — everything `resumeFrom` needs.
 *
 * @example
 * ```ts
 * new ModelCheckpoint({ dir: 'runs/classify/exp1/weights', monitor: 'val_accuracy' });
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
export { CsvLogger, CsvLoggerSchema, ModelCheckpoint, ModelCheckpointSchema } from './internal/callbacks-files.js';
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
 * Trains a tfjs LayersModel with a custom loop and stores checkpoints in folders (`ModelCheckpoint`, `resumeFrom`):
 * `new Trainer(config).fit({ model, trainData, valData, callbacks })`; `train` is the one-call form.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ epochs: 10, optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 42 });
 * const result = await trainer.fit({ model, trainData: (epoch) => new BatchIterable(train, { seed: epoch }), resumeFrom: 'runs/x/weights/last' });
 * ```
 */
export { Trainer, train } from './internal/file-trainer.js';
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
