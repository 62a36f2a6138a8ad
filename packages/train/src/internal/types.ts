import type * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from './optimizers.js';

/** Numbers a callback receives: `loss`, `accuracy`, `val_loss`, `val_accuracy`, `learning_rate`, … */
export type Logs = Record<string, number>;

/** One row of the history: the epoch (0-based, as Keras) and its logs. */
export type EpochLogs = Logs & { epoch: number };

/** What a callback can save into a checkpoint: JSON values and, optionally, tensors (e.g. best weights). */
export interface CallbackState {
  readonly values: Record<string, unknown>;
  readonly tensors?: NamedTensor[];
}

/** What callbacks see and steer: the model, the learning rate, the stop flag, checkpoint requests. */
export interface TrainContext {
  readonly model: tf.LayersModel;
  /** Total epochs of the run. */
  readonly epochs: number;
  /** The first epoch of this `fit` call: 0, or the epoch after the checkpoint it resumed from. */
  readonly initialEpoch: number;
  /** True when this `fit` resumed from a checkpoint (callbacks then keep the state they were given). */
  readonly resumed: boolean;
  /** Batches per epoch: from the config, else counted in the first epoch; undefined until known. */
  readonly stepsPerEpoch: number | undefined;
  /** Optimizer steps taken so far in the whole run. */
  readonly globalStep: number;
  /** The current epoch (0-based). */
  readonly epoch: number;
  /** The optimizer's learning rate; setting it takes effect at the next step. */
  learningRate: number;
  /** Set to true to stop after the current batch (mid-epoch) or epoch end (from onEpochEnd). */
  stopTraining: boolean;
  /** Why training stopped, shown in the result (`early-stopping`, `nan`, …). */
  stopReason: string | undefined;
  /** Every finished epoch so far, including those before a resume. */
  readonly history: readonly EpochLogs[];
  /** Writes a checkpoint to `dir` at the end of this epoch, after every callback's onEpochEnd has run. */
  requestCheckpoint(dir: string): void;
}

/**
 * The callback contract (Keras): every hook is optional and may be async. `name` identifies the callback's state
 * in a checkpoint, so it must be unique within one run.
 */
export interface Callback {
  readonly name: string;
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onBatchBegin?(batch: number, ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(logs: Logs, ctx: TrainContext): void | Promise<void>;
  /** State to save in a checkpoint (the trainer disposes the tensors after writing). */
  getState?(): CallbackState;
  /** Restores state from a checkpoint before `onTrainBegin` (the trainer disposes the tensors afterwards). */
  setState?(state: CallbackState): void;
}

/** A model's outputs, or a batch's targets: one tensor, or one per model output (in the model's output order). */
export type Tensors = tf.Tensor | readonly tf.Tensor[];

/**
 * A loss as a plain function: the batch's targets and the model's outputs in, the mean loss over the batch out
 * (a scalar). Every op on `yPred` must have a gradient in tfjs; targets are data (no gradient needed).
 */
export type LossFunction = (yTrue: Tensors, yPred: Tensors) => tf.Scalar;

/**
 * A streaming metric (the `update / result / reset` contract of @optik/metrics): the trainer feeds it the targets
 * and the model's outputs of each batch, during training (logged as `<name>`) and validation (`val_<name>`).
 * `update` must not keep the tensors. @optik/metrics' metrics fit this contract as they are.
 */
export interface StreamingMetric {
  readonly name: string;
  reset(): void;
  update(yTrue: Tensors, yPred: Tensors): void | Promise<void>;
  result(): number | Record<string, number>;
}

/** A metric evaluated on the validation data only: the same contract as {@link StreamingMetric}. */
export type ValidationMetric = StreamingMetric;
