import type { TaskKind } from '@optik/core';
import type { BatchHook, InMemoryDataset, LabelMode, TargetHook } from '@optik/data';
import type { LossFunction, StreamingMetric } from '@optik/train';
import type { ModelSummary } from '@optik/zoo';
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { ReportSection } from '../run/report.js';

/** What every task's resolved config shares (the run lifecycle reads only these keys). */
export interface BaseTaskConfig {
  readonly task: TaskKind;
  readonly name?: string | undefined;
  readonly seed: number;
  readonly backend: string;
  readonly data: { readonly batchSize: number; readonly dataset?: string | undefined; readonly [key: string]: unknown };
  readonly augment?: Record<string, unknown>;
  readonly train: { readonly epochs: number; readonly seed: number; readonly [key: string]: unknown };
  readonly callbacks: {
    readonly checkpoint: { readonly enabled: boolean; readonly [key: string]: unknown };
    readonly timeLimit?: { readonly minutes: number } | undefined;
    readonly [key: string]: unknown;
  };
  readonly output: { readonly root: string };
}

/** A sample left out while loading (an unreadable image, an image without exactly one box…). */
export interface SkippedSample {
  readonly file: string;
  readonly reason: string;
}

/** The three splits of a run and what the model needs to know about them. */
export interface TaskData {
  readonly train: InMemoryDataset;
  readonly validation: InMemoryDataset;
  readonly test: InMemoryDataset;
  readonly classNames: readonly string[];
  /** `[height, width, channels]`. */
  readonly inputShape: [number, number, number];
  /** Where the images came from (built-in origin, folder or annotation file). */
  readonly origin: string;
  /** Samples the loader left out, counted and listed in the run folder. */
  readonly skipped: readonly SkippedSample[];
}

/** A built model: the tfjs model, its summary, and `dispose`. */
export interface TaskModel {
  readonly model: tf.LayersModel;
  summary(): ModelSummary;
  dispose(): void;
}

/** How batches, loss and metrics of a task's training are made. */
export interface TrainingSetup {
  /** Label encoding of class ids (classification); ignored when `encodeTargets` is set. */
  readonly labelMode: LabelMode;
  /** Builds the batch targets from the samples' targets (boxes, masks). */
  readonly encodeTargets?: TargetHook | undefined;
  /** The training-batch augmentation (moves the task's targets with the pixels). */
  readonly augment?: BatchHook | undefined;
  /** The loss as a function; undefined: the trainer's named loss (`train.loss`). */
  readonly loss?: LossFunction | undefined;
  /** Metrics on training and validation batches; undefined: the trainer's default (accuracy). */
  readonly metrics?: readonly StreamingMetric[] | undefined;
  /** Metrics on the validation batches only (logged as `val_<name>`), e.g. a detector's mAP, which training batches need not pay for. */
  /**
   * Images per validation batch (default: the training batch size, at least 256). Dense-output tasks (a U-Net's
   * per-pixel logits) set a smaller one so validation holds no more in memory than a training step.
   */
  readonly validationBatchSize?: number | undefined;
  readonly valMetrics?: readonly StreamingMetric[] | undefined;
}

/** What a task's evaluation gives: the full report (metrics.json) and the headline numbers (CLI, `--json`). */
export interface TaskEvaluation {
  readonly report: Record<string, unknown>;
  readonly headline: Record<string, unknown>;
}

/** The files a task wrote into a run (or ensemble) folder, and its part of report.html. */
export interface TaskArtifacts {
  readonly plots: readonly { readonly file: string; readonly caption: string }[];
  readonly report: ReportSection;
}

/** One image's prediction (task-specific fields), as `optik predict --json` returns it. */
export interface TaskImagePrediction {
  readonly file: string;
  readonly [key: string]: unknown;
}

/**
 * A vision task: everything that differs between classification, localization, detection and segmentation.
 * The run lifecycle (`run/lifecycle.ts`), evaluation and prediction of stored runs, and tuning call these hooks
 * and know no task by name; `registry.ts` maps each `task:` value to its Task.
 */
export interface Task<C extends BaseTaskConfig = BaseTaskConfig, P = unknown> {
  readonly kind: TaskKind;
  /** Title of reports, e.g. `Classification`. */
  readonly title: string;
  /** The whole config of this task (`task: <kind>` and every section). */
  readonly schema: z.ZodType;
  /** Cross-field rules and defaults after the schema parsed (paths in errors, `file` for messages). */
  resolve(parsed: unknown, meta: { file?: string }): C;
  /** The log key a tuning study maximises by default (`val_accuracy`, `val_iou`, …). */
  readonly defaultObjective: string;
  /** The per-epoch metrics the learning-curves plot shows (train and `val_` curves of each). */
  readonly curveMetrics: readonly string[];
  loadData(config: C): Promise<TaskData>;
  buildModel(config: C, data: TaskData): TaskModel;
  training(config: C, data: TaskData): TrainingSetup;
  /** The model's predictions on a dataset (with the config's test-time views). */
  predict(model: tf.LayersModel, dataset: InMemoryDataset, config: C): Promise<P>;
  /** The mean of several models' predictions on the same dataset (an ensemble). */
  combine(predictions: readonly P[]): P;
  evaluate(predictions: P, dataset: InMemoryDataset, classNames: readonly string[]): TaskEvaluation;
  /** Writes predictions.csv and plots into `dir` (plots under `plotsDir`); returns them and the report section. */
  writeArtifacts(options: {
    readonly dir: string;
    readonly plotsDir: string;
    readonly predictions: P;
    readonly evaluation: TaskEvaluation;
    readonly dataset: InMemoryDataset;
    readonly classNames: readonly string[];
  }): Promise<TaskArtifacts>;
  /** Predictions for decoded images (pixels 0–255 as in the dataset), one entry per file. */
  predictImages(
    model: tf.LayersModel,
    images: InMemoryDataset,
    files: readonly string[],
    config: C,
    options: {
      readonly topK: number /** Write each image with its prediction drawn (PNG) here. */;
      readonly outDir?: string | undefined;
      /** The least confidence a detection needs to be returned (detection tasks). */
      readonly conf?: number | undefined;
    },
  ): Promise<TaskImagePrediction[]>;
}
