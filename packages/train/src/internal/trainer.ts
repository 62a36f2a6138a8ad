import { ensureBackend } from '@optik/backend';
import { createRng, OptikError, parseOrThrow, type Rng, type RngState } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { CheckpointContents, restoreCheckpoint } from './checkpoint.js';
import { computeLoss, type LossName, LossSchema, predictedClasses, trueClasses } from './losses/classification.js';
import { Optimizer, OptimizerSchema } from './optimizers.js';
import type {
  Callback,
  CallbackState,
  EpochLogs,
  Logs,
  LossFunction,
  StreamingMetric,
  Tensors,
  TrainContext,
} from './types.js';

/** The trainer's config: everything a run needs besides the model, the data and the callbacks. */
export const TrainerSchema = z.strictObject({
  epochs: z.number().int().min(1),
  optimizer: OptimizerSchema.prefault({ type: 'adam' }),
  loss: LossSchema.default('categoricalCrossentropy'),
  labelSmoothing: z.number().min(0).lt(1).default(0),
  classWeights: z.array(z.number().min(0)).min(2).optional(),
  gradientClip: z.strictObject({ mode: z.enum(['norm', 'value']), max: z.number().gt(0) }).optional(),
  seed: z.number().int().min(0).max(4294967295).default(0),
  stepsPerEpoch: z.number().int().min(1).optional(),
});
export type TrainerOptions = z.input<typeof TrainerSchema>;
export type TrainerConfig = z.output<typeof TrainerSchema>;

/** One batch: inputs and targets (one tensor, or one per model output). The trainer disposes both after use. */
export interface Batch {
  readonly xs: tf.Tensor;
  readonly ys: Tensors;
}

/** Batches for one epoch, or a function giving the batches of epoch `epoch` (needed to iterate more than once). */
export type BatchSource =
  | AsyncIterable<Batch>
  | Iterable<Batch>
  | ((epoch: number) => AsyncIterable<Batch> | Iterable<Batch>);

/**
 * How backends report a tensor allocation that did not fit: wasm's failed `malloc` surfaces as an out-of-bounds
 * access, V8 refuses the ArrayBuffer, WebGL/WebGPU say so.
 */
const OUT_OF_MEMORY = /memory access out of bounds|Array buffer allocation failed|out of memory|Cannot enlarge memory/i;

/** The run-time parts of a `fit`: the model, the data, callbacks, loss and metrics, a checkpoint to resume. */
export interface FitOptions {
  readonly model: tf.LayersModel;
  readonly trainData: BatchSource;
  readonly valData?: BatchSource | undefined;
  readonly callbacks?: readonly Callback[] | undefined;
  /**
   * The loss as a function of (targets, outputs), for models whose loss is not one of the named classification
   * losses (several outputs, boxes, masks). Replaces the config's `loss` (which then only labels checkpoints).
   */
  readonly loss?: LossFunction | undefined;
  /**
   * Metrics computed on training batches (logged as `<name>`) and on the validation data (`val_<name>`). Default:
   * accuracy, when the loss is a named classification loss; none with a loss function.
   */
  readonly metrics?: readonly StreamingMetric[] | undefined;
  /** Extra metrics on the validation data only; their results appear in the logs as `val_<name>` (`val_<name>_<key>`). */
  readonly valMetrics?: readonly StreamingMetric[] | undefined;
  /** A checkpoint folder (e.g. `<run>/weights/last`) to continue from: weights, optimizer, epoch, RNG, callbacks. */
  readonly resumeFrom?: string | undefined;
}

/** What a `fit` returns. */
export interface TrainResult {
  /** Every finished epoch of the run (including those before a resume). */
  readonly history: EpochLogs[];
  /** The first epoch this call ran (0, or the epoch after the checkpoint). */
  readonly initialEpoch: number;
  /** Epochs finished in total. */
  readonly epochsCompleted: number;
  /** True when a callback stopped training before `epochs`. */
  readonly stopped: boolean;
  /** `early-stopping`, `nan`, or what a callback set; undefined when the run completed. */
  readonly stopReason: string | undefined;
  /** Wall time of this call. */
  readonly seconds: number;
}

const DROPOUT_CLASSES = new Set(['Dropout', 'SpatialDropout1D']);

function iterate(source: AsyncIterable<Batch> | Iterable<Batch>): AsyncIterator<Batch> | Iterator<Batch> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

function batchesOf(source: BatchSource, epoch: number): AsyncIterable<Batch> | Iterable<Batch> {
  return typeof source === 'function' ? source(epoch) : source;
}

/** Dropout layers read `seed` at call time; seeding each step from the trainer's RNG makes runs reproducible. */
interface SeedableLayer {
  seed?: number | undefined;
}

/** tfjs' global-norm clipping: g · max / max(‖g‖, max). */
function clipGradients(grads: tf.NamedTensorMap, clip: TrainerConfig['gradientClip']): tf.NamedTensorMap {
  if (clip === undefined) return grads;
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const out: tf.NamedTensorMap = {};
    if (clip.mode === 'value') {
      for (const name of names) out[name] = tf.clipByValue(grads[name] as tf.Tensor, -clip.max, clip.max);
      return out;
    }
    const squares = names.map((name) => tf.sum(tf.square(grads[name] as tf.Tensor)));
    const norm = tf.sqrt(tf.addN(squares));
    const scale = tf.div(clip.max, tf.maximum(norm, clip.max));
    for (const name of names) out[name] = tf.mul(grads[name] as tf.Tensor, scale);
    return out;
  });
}

/**
 * Accuracy of a named classification loss's outputs, as a streaming metric: the count of right predictions is
 * summed on the device and read once per batch.
 */
export class LossAccuracy implements StreamingMetric {
  readonly name = 'accuracy';
  #correct = 0;
  #count = 0;
  constructor(readonly loss: LossName) {}
  reset(): void {
    this.#correct = 0;
    this.#count = 0;
  }
  async update(yTrue: Tensors, yPred: Tensors): Promise<void> {
    const labels = single(yTrue, 'targets');
    const output = single(yPred, 'outputs');
    const correct = tf.tidy(() =>
      tf.sum(tf.cast(tf.equal(trueClasses(this.loss, labels), predictedClasses(this.loss, output)), 'float32')),
    );
    this.#correct += (await correct.data())[0] ?? 0;
    correct.dispose();
    this.#count += output.shape[0] ?? 0;
  }
  result(): number {
    return this.#count === 0 ? 0 : this.#correct / this.#count;
  }
}

/** The one tensor of a single-output model (a named loss needs one output). */
function single(value: Tensors, what: string): tf.Tensor {
  if (value instanceof tf.Tensor) return value;
  if (value.length === 1) return value[0] as tf.Tensor;
  throw new OptikError('MODEL_INVALID', `A named loss needs one tensor of ${what}; got ${value.length}.`, {
    hint: 'Pass `loss` as a function of (targets, outputs) for models with several outputs.',
  });
}

/** The loss function of a named classification loss (mean over the batch, with smoothing and class weights). */
export function namedLoss(
  loss: LossName,
  options: { labelSmoothing?: number; classWeights?: readonly number[] | undefined } = {},
): LossFunction {
  return (yTrue, yPred) => computeLoss(loss, single(yTrue, 'targets'), single(yPred, 'outputs'), options);
}

/** Writes a metric's result into `logs` as `<prefix><name>` (`<prefix><name>_<key>` for several values). */
function logMetric(logs: Logs, metric: StreamingMetric, prefix = ''): void {
  const result = metric.result();
  if (typeof result === 'number') logs[`${prefix}${metric.name}`] = result;
  else for (const [key, value] of Object.entries(result)) logs[`${prefix}${metric.name}_${key}`] = value;
}

/**
 * Evaluation over batches: the mean loss (weighted by batch size) and the streaming metrics. `loss` is a named
 * classification loss (evaluated without class weights) or a loss function; with a named loss and no `metrics`,
 * accuracy is reported as before.
 */
export async function evaluateBatches(options: {
  model: tf.LayersModel;
  data: AsyncIterable<Batch> | Iterable<Batch>;
  loss: LossName | LossFunction;
  labelSmoothing?: number;
  metrics?: readonly StreamingMetric[] | undefined;
}): Promise<Logs> {
  const { model } = options;
  const named = typeof options.loss === 'string' ? options.loss : undefined;
  // Validation loss: without class weights (as Keras), with the same label smoothing.
  const lossFn =
    named === undefined
      ? (options.loss as LossFunction)
      : namedLoss(named, { labelSmoothing: options.labelSmoothing ?? 0 });
  const metrics = options.metrics ?? (named === undefined ? [] : [new LossAccuracy(named)]);
  for (const metric of metrics) metric.reset();
  let lossSum = 0;
  let count = 0;
  for await (const { xs, ys } of options.data) {
    try {
      const pred = tf.tidy(() => model.apply(xs, { training: false }) as tf.Tensor | tf.Tensor[]);
      try {
        const batchLoss = tf.tidy(() => lossFn(ys, pred));
        const size = xs.shape[0] ?? 0;
        lossSum += ((await batchLoss.data())[0] ?? Number.NaN) * size;
        batchLoss.dispose();
        count += size;
        for (const metric of metrics) await metric.update(ys, pred);
      } finally {
        tf.dispose(pred);
      }
    } finally {
      tf.dispose([xs, ...tensorList(ys)]);
    }
  }
  if (count === 0) {
    throw new OptikError('TRAIN_FAILED', 'The evaluation data yielded no batches.', {
      hint: 'Check the validation split; it must hold at least one sample.',
    });
  }
  const logs: Logs = { loss: lossSum / count };
  for (const metric of metrics) logMetric(logs, metric);
  return logs;
}

/** What `predict` and `evaluate` read: batches (a `BatchIterable` of @optik/data, an array) or, for predict, images. */
export type PredictData = tf.Tensor | AsyncIterable<Batch | tf.Tensor> | Iterable<Batch | tf.Tensor>;

/** An InMemoryDataset (pixels and labels, no batches) passed where batches are read: a coded hint to batch it. */
function refuseUnbatched(data: unknown, what: string): void {
  if (data === null || typeof data !== 'object') return;
  if (Symbol.asyncIterator in data || Symbol.iterator in data || data instanceof tf.Tensor) return;
  const looksLikeDataset = 'images' in data && 'labels' in data;
  throw new OptikError(
    'ARGUMENT_INVALID',
    `${what} reads batches, not ${looksLikeDataset ? 'a dataset of raw pixels' : 'this object'}.`,
    {
      hint: looksLikeDataset
        ? 'Batch the dataset in order: new BatchIterable(dataset, { batchSize: 64, shuffle: false }) from @optik/data.'
        : 'Pass a BatchIterable, an array of { xs, ys } batches, or (predict) an image tensor [n, h, w, c].',
    },
  );
}

/**
 * The model's outputs over a whole dataset (Keras `model.predict(dataset)`): batch by batch in inference mode
 * (dropout off), concatenated in order. `data` is an image tensor (cut into `batchSize` slices), or batches —
 * `{ xs, ys }` from a `BatchIterable` (disposed after use, as in training) or image tensors (left to the caller).
 * One tensor for a single-output model, one per output otherwise; the caller disposes them.
 */
export async function predictBatches(
  model: tf.LayersModel,
  data: PredictData,
  options: { batchSize?: number } = {},
): Promise<tf.Tensor | tf.Tensor[]> {
  refuseUnbatched(data, 'predict');
  const batchSize = options.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new OptikError('ARGUMENT_INVALID', 'predict: batchSize must be an integer ≥ 1.', { received: batchSize });
  }
  const parts: tf.Tensor[][] = [];
  const run = (xs: tf.Tensor) => {
    const out = tf.tidy(() => model.apply(xs, { training: false }) as tf.Tensor | tf.Tensor[]);
    parts.push(Array.isArray(out) ? out : [out]);
  };
  try {
    if (data instanceof tf.Tensor) {
      const n = data.shape[0] ?? 0;
      for (let start = 0; start < n; start += batchSize) {
        const slice = tf.slice(data, start, Math.min(batchSize, n - start));
        try {
          run(slice);
        } finally {
          slice.dispose();
        }
      }
    } else {
      for await (const item of data) {
        if (item instanceof tf.Tensor) run(item);
        else {
          try {
            run(item.xs);
          } finally {
            tf.dispose([item.xs, ...tensorList(item.ys)]);
          }
        }
      }
    }
    if (parts.length === 0) {
      throw new OptikError('ARGUMENT_INVALID', 'predict: the data yielded no images.', {
        hint: 'Pass a non-empty tensor or batches.',
      });
    }
    const outputs = (parts[0] as tf.Tensor[]).map((_, k) =>
      tf.concat(
        parts.map((p) => p[k] as tf.Tensor),
        0,
      ),
    );
    return outputs.length === 1 ? (outputs[0] as tf.Tensor) : outputs;
  } finally {
    for (const p of parts) tf.dispose(p);
  }
}

function tensorList(value: Tensors): tf.Tensor[] {
  return value instanceof tf.Tensor ? [value] : [...value];
}

/** Where a trainer writes and reads checkpoints: the file system in Node (file-trainer.ts), none in a browser. */
export interface CheckpointStore {
  write(dir: string, contents: CheckpointContents): Promise<void>;
  restore: typeof restoreCheckpoint;
}

/**
 * The Optik trainer: a custom loop over a tfjs LayersModel (not `model.fit`) with Keras-style callbacks,
 * class weights, label smoothing, gradient clipping, checkpoints and exact resume. This class has no checkpoint
 * store (the browser entry exports it); the Node entry's subclass stores checkpoints in folders.
 */
export class Trainer {
  /** Set by a subclass that can store checkpoints. */
  protected static readonly checkpoints: CheckpointStore | undefined = undefined;
  readonly #config: TrainerConfig;

  #checkpointStore(what: string): CheckpointStore {
    const store = (this.constructor as typeof Trainer).checkpoints;
    if (store === undefined) {
      throw new OptikError('ARGUMENT_INVALID', `This trainer cannot ${what}: it has no checkpoint store.`, {
        hint: 'Checkpoints are folders on disk: resume and ModelCheckpoint need the Node entry of @optik/train.',
      });
    }
    return store;
  }

  constructor(options: TrainerOptions, meta: { path?: string } = {}) {
    this.#config = parseOrThrow(TrainerSchema, options, { what: 'trainer config', prefix: meta.path ?? 'train' });
  }

  static fromConfig(config: TrainerOptions): Trainer {
    return new this(config);
  }

  toConfig(): TrainerConfig {
    return structuredClone(this.#config);
  }

  /**
   * The loss and metrics of `model` over a dataset (Keras `model.evaluate(dataset)`), with this trainer's loss
   * and label smoothing: `{ loss, accuracy }` by default, or `metrics` (any @optik/metrics streaming metric).
   * `data` is batches (a `BatchIterable`, an array of `{ xs, ys }`), disposed after use.
   */
  async evaluate(
    model: tf.LayersModel,
    data: AsyncIterable<Batch> | Iterable<Batch>,
    options: { metrics?: readonly StreamingMetric[]; loss?: LossFunction } = {},
  ): Promise<Logs> {
    refuseUnbatched(data, 'evaluate');
    await ensureBackend();
    return evaluateBatches({
      model,
      data,
      loss: options.loss ?? this.#config.loss,
      labelSmoothing: this.#config.labelSmoothing,
      metrics: options.metrics,
    });
  }

  /** The model's outputs over a dataset, in order ({@link predictBatches}: an image tensor or batches). */
  async predict(
    model: tf.LayersModel,
    data: PredictData,
    options: { batchSize?: number } = {},
  ): Promise<tf.Tensor | tf.Tensor[]> {
    await ensureBackend();
    return predictBatches(model, data, options);
  }

  async fit(options: FitOptions): Promise<TrainResult> {
    // Never silently on tfjs's pure-JS cpu backend because initBackend() was forgotten: prepare the best one.
    await ensureBackend();
    const started = performance.now();
    const config = this.#config;
    const { model } = options;
    const callbacks = options.callbacks ?? [];
    if (options.loss === undefined) this.#checkModel(model);
    const lossFn =
      options.loss ??
      namedLoss(config.loss, { labelSmoothing: config.labelSmoothing, classWeights: config.classWeights });
    const metrics = options.metrics ?? (options.loss === undefined ? [new LossAccuracy(config.loss)] : []);
    const valLoss: LossName | LossFunction = options.loss ?? config.loss;
    const names = new Set<string>();
    for (const cb of callbacks) {
      if (names.has(cb.name)) {
        throw new OptikError(
          'ARGUMENT_INVALID',
          `Two callbacks are named '${cb.name}'; names identify checkpoint state.`,
          {
            received: cb.name,
          },
        );
      }
      names.add(cb.name);
    }

    const optimizer = new Optimizer(config.optimizer, { path: 'train.optimizer' });
    const dropoutLayers = model.layers.filter((l) =>
      DROPOUT_CLASSES.has(l.getClassName()),
    ) as unknown as SeedableLayer[];
    const originalSeeds = dropoutLayers.map((l) => l.seed);
    let rng: Rng = createRng(config.seed);
    let initialEpoch = 0;
    let globalStep = 0;
    let stepsPerEpoch = config.stepsPerEpoch;
    let resumed = false;
    const history: EpochLogs[] = [];
    const pending: string[] = [];
    let epoch = 0;
    let stopTraining = false;
    let stopReason: string | undefined;

    const ctx: TrainContext = {
      model,
      epochs: config.epochs,
      get initialEpoch() {
        return initialEpoch;
      },
      get resumed() {
        return resumed;
      },
      get stepsPerEpoch() {
        return stepsPerEpoch;
      },
      get globalStep() {
        return globalStep;
      },
      get epoch() {
        return epoch;
      },
      get learningRate() {
        return optimizer.learningRate;
      },
      set learningRate(value: number) {
        optimizer.learningRate = value;
      },
      get stopTraining() {
        return stopTraining;
      },
      set stopTraining(value: boolean) {
        stopTraining = value;
      },
      get stopReason() {
        return stopReason;
      },
      set stopReason(value: string | undefined) {
        stopReason = value;
      },
      history,
      requestCheckpoint(dir: string) {
        if (!pending.includes(dir)) pending.push(dir);
      },
    };

    try {
      if (options.resumeFrom !== undefined) {
        const restored = await this.#checkpointStore('resume').restore(options.resumeFrom, model, optimizer);
        const { info } = restored;
        try {
          for (const cb of callbacks) {
            const saved = restored.callbacks.find((c) => c.name === cb.name);
            if (saved !== undefined) cb.setState?.(saved.state);
          }
        } finally {
          tf.dispose(restored.callbacks.flatMap((c) => (c.state.tensors ?? []).map((t) => t.tensor)));
        }
        optimizer.learningRate = info.learningRate;
        rng = createRng(info.rngState as RngState);
        initialEpoch = info.epoch + 1;
        globalStep = info.globalStep;
        stepsPerEpoch = stepsPerEpoch ?? info.stepsPerEpoch ?? undefined;
        history.push(...info.history);
        resumed = true;
        if (info.stopTraining) {
          stopTraining = true;
          stopReason = info.stopReason ?? undefined;
        }
      }
      epoch = initialEpoch;

      for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
      const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
      let lastLogs: Logs = history.at(-1) ?? {};

      while (epoch < config.epochs && !stopTraining) {
        const epochStart = performance.now();
        for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
        let batch = 0;
        let samples = 0;
        let lossSum = 0;
        for (const metric of metrics) metric.reset();
        const iterator = iterate(batchesOf(options.trainData, epoch));
        let interrupted = stopTraining;
        while (!interrupted) {
          const next = await iterator.next();
          if (next.done === true) break;
          const { xs, ys } = next.value;
          for (const cb of callbacks) await cb.onBatchBegin?.(batch, ctx);
          let batchLoss: number;
          const size = xs.shape[0] ?? 0;
          try {
            for (const layer of dropoutLayers) layer.seed = rng.uint32();
            batchLoss = await this.#step(model, trainable, optimizer, lossFn, metrics, xs, ys, { epoch, batch });
          } finally {
            tf.dispose([xs, ...tensorList(ys)]);
          }
          globalStep += 1;
          batch += 1;
          samples += size;
          lossSum += batchLoss * size;
          const seconds = (performance.now() - epochStart) / 1000;
          const batchLogs: Logs = { loss: lossSum / samples };
          for (const metric of metrics) logMetric(batchLogs, metric);
          Object.assign(batchLogs, {
            batch_loss: batchLoss,
            batch_size: size,
            learning_rate: optimizer.learningRate,
            samples_per_second: seconds > 0 ? samples / seconds : 0,
          });
          for (const cb of callbacks) await cb.onBatchEnd?.(batch - 1, batchLogs, ctx);
          if (stopTraining) {
            // Stopped inside the epoch unless that was its last batch: look one batch ahead to tell.
            const peek = await iterator.next();
            if (peek.done !== true) {
              tf.dispose([peek.value.xs, ...tensorList(peek.value.ys)]);
              interrupted = true;
              await iterator.return?.();
            }
            break;
          }
        }
        if (batch === 0 && !interrupted) {
          throw new OptikError('TRAIN_FAILED', `The training data yielded no batches in epoch ${epoch}.`, {
            hint: 'Pass trainData as a function (epoch) => batches when it must be iterated once per epoch.',
          });
        }
        // A stop inside the epoch (e.g. NaN) leaves the epoch unfinished: no validation, no epoch end, no checkpoint.
        if (interrupted) break;
        stepsPerEpoch ??= batch;
        const trainSeconds = (performance.now() - epochStart) / 1000;
        const logs: Logs = { loss: lossSum / samples };
        for (const metric of metrics) logMetric(logs, metric);
        if (options.valData !== undefined) {
          const val = await evaluateBatches({
            model,
            data: batchesOf(options.valData, epoch),
            loss: valLoss,
            labelSmoothing: config.labelSmoothing,
            metrics: [...metrics, ...(options.valMetrics ?? [])],
          });
          for (const [key, value] of Object.entries(val)) logs[`val_${key}`] = value;
        }
        logs.learning_rate = optimizer.learningRate;
        logs.samples_per_second = trainSeconds > 0 ? samples / trainSeconds : 0;
        logs.epoch_seconds = (performance.now() - epochStart) / 1000;
        history.push({ epoch, ...logs });
        lastLogs = logs;
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
        for (const dir of pending.splice(0)) {
          await this.#checkpoint(dir, {
            model,
            optimizer,
            callbacks,
            rng,
            epoch,
            globalStep,
            stepsPerEpoch,
            history,
            stopTraining,
            stopReason,
          });
        }
        epoch += 1;
      }

      for (const cb of callbacks) await cb.onTrainEnd?.(lastLogs, ctx);
      return {
        history: [...history],
        initialEpoch,
        epochsCompleted: history.length,
        stopped: stopTraining,
        stopReason,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      dropoutLayers.forEach((layer, i) => {
        layer.seed = originalSeeds[i];
      });
      optimizer.dispose();
    }
  }

  #checkModel(model: tf.LayersModel): void {
    const units = model.outputs[0]?.shape.at(-1);
    const { classWeights, loss } = this.#config;
    if (model.outputs.length !== 1 || typeof units !== 'number') {
      throw new OptikError('MODEL_INVALID', 'The trainer needs a model with one output of shape [batch, units].');
    }
    if (loss === 'binaryCrossentropy' && units !== 1) {
      throw new OptikError(
        'CONFIG_INVALID',
        `binaryCrossentropy needs a model with 1 sigmoid output; this one has ${units}.`,
        {
          path: 'train.loss',
          received: loss,
          hint: 'Use categoricalCrossentropy (one-hot labels) or sparseCategoricalCrossentropy (integer labels).',
        },
      );
    }
    if (classWeights !== undefined) {
      const expected = loss === 'binaryCrossentropy' ? 2 : units;
      if (classWeights.length !== expected) {
        throw new OptikError('CONFIG_INVALID', `classWeights needs one weight per class (${expected}).`, {
          path: 'train.classWeights',
          received: classWeights,
        });
      }
    }
  }

  async #step(
    model: tf.LayersModel,
    trainable: tf.Variable[],
    optimizer: Optimizer,
    lossFn: LossFunction,
    metrics: readonly StreamingMetric[],
    xs: tf.Tensor,
    ys: Tensors,
    where: { epoch: number; batch: number },
  ): Promise<number> {
    const config = this.#config;
    let pred: tf.Tensor | tf.Tensor[] | undefined;
    let value: tf.Scalar | undefined;
    let grads: tf.NamedTensorMap = {};
    let clipped: tf.NamedTensorMap = {};
    try {
      ({ value, grads } = tf.variableGrads(() => {
        const out = model.apply(xs, { training: true }) as tf.Tensor | tf.Tensor[];
        pred = Array.isArray(out) ? out.map((t) => tf.keep(t)) : tf.keep(out);
        return lossFn(ys, out);
      }, trainable));
      clipped = clipGradients(grads, config.gradientClip);
      optimizer.applyGradients(clipped);
      const output = pred as unknown as tf.Tensor | tf.Tensor[];
      for (const metric of metrics) await metric.update(ys, output);
      const [lossValue] = await value.data();
      return lossValue ?? Number.NaN;
    } catch (error) {
      if (error instanceof OptikError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new OptikError(
        'TRAIN_FAILED',
        `The training step failed at epoch ${where.epoch}, batch ${where.batch}: ${message}`,
        {
          received: {
            xs: xs.shape,
            ys: tensorList(ys).map((t) => t.shape),
            outputs: model.outputs.map((o) => o.shape),
          },
          hint: OUT_OF_MEMORY.test(message)
            ? `The backend ran out of memory (wasm's heap holds at most 4 GiB): lower the batch size (now ${xs.shape[0]}) or the image size, or pick a backend with more memory (optik doctor lists them).`
            : 'Check that the batch shapes fit the model input and that the targets fit the loss.',
        },
        { cause: error },
      );
    } finally {
      const extra = clipped === grads ? [] : Object.values(clipped);
      tf.dispose([...Object.values(grads), ...extra, ...(value === undefined ? [] : [value])]);
      if (pred !== undefined) tf.dispose(pred as tf.Tensor | tf.Tensor[]);
    }
  }

  async #checkpoint(
    dir: string,
    s: {
      model: tf.LayersModel;
      optimizer: Optimizer;
      callbacks: readonly Callback[];
      rng: Rng;
      epoch: number;
      globalStep: number;
      stepsPerEpoch: number | undefined;
      history: EpochLogs[];
      stopTraining: boolean;
      stopReason: string | undefined;
    },
  ): Promise<void> {
    const store = this.#checkpointStore(`write the checkpoint ${dir}`);
    const states: Array<{ name: string; state: CallbackState }> = [];
    for (const cb of s.callbacks) if (cb.getState !== undefined) states.push({ name: cb.name, state: cb.getState() });
    try {
      await store.write(dir, {
        model: s.model,
        optimizer: s.optimizer,
        callbacks: states,
        info: {
          epoch: s.epoch,
          epochs: this.#config.epochs,
          globalStep: s.globalStep,
          stepsPerEpoch: s.stepsPerEpoch ?? null,
          learningRate: s.optimizer.learningRate,
          rngState: s.rng.state(),
          stopTraining: s.stopTraining,
          stopReason: s.stopReason ?? null,
          history: s.history,
          trainer: this.#config as unknown as Record<string, unknown>,
          optimizerConfig: s.optimizer.toConfig() as unknown as Record<string, unknown>,
        },
      });
    } finally {
      tf.dispose(states.flatMap(({ state }) => (state.tensors ?? []).map((t) => t.tensor)));
    }
  }
}

/** The options of {@link train}: the trainer config and the fit options in one object. */
export type TrainOptions = Omit<TrainerOptions, 'loss'> &
  Omit<FitOptions, 'loss'> & { loss?: TrainerOptions['loss'] | LossFunction };

/**
 * The one-call form of `new TrainerClass(config).fit({ model, trainData, ... })` for a Trainer class: the browser
 * entry's `train` uses the plain {@link Trainer}, the Node entry's its checkpointing subclass.
 */
export function trainWith(TrainerClass: typeof Trainer): (options: TrainOptions) => Promise<TrainResult> {
  return (options) => {
    const { model, trainData, valData, callbacks, metrics, valMetrics, resumeFrom, loss, ...config } = options;
    const named = typeof loss === 'function' ? {} : loss === undefined ? {} : { loss };
    return new TrainerClass({ ...config, ...named }).fit({
      model,
      trainData,
      valData,
      callbacks,
      metrics,
      valMetrics,
      resumeFrom,
      ...(typeof loss === 'function' ? { loss } : {}),
    });
  };
}

/** Builds a {@link Trainer} from the config keys of `options` and fits (no checkpoints: see the Node entry). */
export const train = trainWith(Trainer);
