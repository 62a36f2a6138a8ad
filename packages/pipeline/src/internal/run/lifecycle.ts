import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, isOptikError, OptikError } from '@optik/core';
import { makeBatches } from '@optik/data';
import { diagnoseFit, type FitDiagnosis } from '@optik/metrics';
import { guardRun, openStore, type Run, type RunRef } from '@optik/track';
import {
  type Callback,
  EarlyStopping,
  LearningRateScheduler,
  ModelCheckpoint,
  ProgressBar,
  ReduceLROnPlateau,
  readCheckpoint,
  TerminateOnNaN,
  type TrainContext,
  Trainer,
  type TrainerOptions,
  TrainerSchema,
} from '@optik/train';
import { learningCurvesChart, renderPng } from '@optik/viz';
import { disposeModel } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { initRunBackend, loadRunModel } from '../runs.js';
import { type PipelineConfig, taskOf } from '../tasks/registry.js';
import type { TaskData } from '../tasks/types.js';
import { checkTrainingMemory } from './memory.js';
import { dataOverview, renderReportHtml } from './report.js';
import { recordSplit } from './split.js';

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** Backend to use (`--backend`); beats `OPTIK_BACKEND` and the config's `backend`. */
  readonly backend?: string | undefined;
  /** Continue this run (id, name or `task/name` in the store at `config.output.root`) from its last checkpoint. */
  readonly resume?: RunRef | undefined;
  /** Stops training after the current batch; the run is marked interrupted and the promise rejects. */
  readonly signal?: AbortSignal | undefined;
  /** Called after each epoch is logged (epochs are 0-based). */
  readonly onEpoch?:
    | ((info: { epoch: number; epochs: number; logs: Readonly<Record<string, number>> }) => void)
    | undefined;
  /** Informational lines (data origin, run folder, model size). */
  readonly log?: ((line: string) => void) | undefined;
  /** Draw the terminal progress bar on stderr (only when stderr is a TTY). Default true. */
  readonly progress?: boolean | undefined;
}

/** What {@link runTraining} returns. */
export interface TrainingResult {
  readonly runId: number;
  readonly runName: string;
  readonly runDir: string;
  readonly backend: string;
  /** Test-set headline metrics of the best checkpoint (the task's: accuracy and macro P/R/F1, IoU, …). */
  readonly metrics: Record<string, unknown>;
  readonly diagnosis: FitDiagnosis;
  /** Epochs finished in total (including those before a resume). */
  readonly epochs: number;
  /** The epoch `weights/best` was saved at, 1-based as results.csv and the console number epochs; null without checkpoints. */
  readonly bestEpoch: number | null;
  readonly stopReason: string | null;
  /**
   * The run's time as the store records it and `optik runs ls/show` list it (from creating the run, over every
   * resumed segment, to its test evaluation); a tuning trial's is the wall time of its training call.
   */
  readonly seconds: number;
  /** The task's full test report written to metrics.json. */
  readonly report: Record<string, unknown>;
  /** Samples the data loader left out (unreadable images, images without one box…), also in `skipped.csv`. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

/**
 * How a tuning worker drives a training (internal): it logs into a run the study's storage created, asks after
 * each epoch whether to stop (pruning), and leaves the run's status and final metrics to the study.
 */
export interface TrialHooks {
  /** The running run to log into. It is not guarded, marked or finished here. */
  readonly runId: number;
  /** wasm threads (1 when several trials share the cores); undefined for the backend's default. */
  readonly threads?: number | undefined;
  /** Called after each epoch is logged; resolves to true to stop the trial (pruned: no test evaluation). */
  readonly afterEpoch: (epoch: number, logs: Readonly<Record<string, number>>) => Promise<boolean>;
  /** Loads the splits (a worker passes a cached loader, so its trials share one decoded dataset). */
  readonly loadData?: ((config: PipelineConfig) => Promise<TaskData>) | undefined;
}

/** A trial's training result: what runTraining returns, plus the final metrics it would have finished the run with. */
export interface TrialTrainingResult extends TrainingResult {
  readonly finalMetrics: Record<string, unknown>;
}

/** An abort signal as a callback: stops after the current batch. */
function abortCallback(signal: AbortSignal): Callback {
  return {
    name: 'abortSignal',
    onBatchEnd(_batch, _logs, ctx) {
      if (signal.aborted) {
        ctx.stopTraining = true;
        ctx.stopReason = 'aborted';
      }
    },
  };
}

/** The time-limit callback, which also tells how many epochs the run will get. */
export interface TimeLimitCallback extends Callback {
  /** The epochs that fit in the limit at the last epoch's pace (at most the run's); undefined before one ended. */
  plannedEpochs(ctx: TrainContext): number | undefined;
}

/**
 * Stops before an epoch that would end after `started + minutes` (judged by the last epoch's duration). After each
 * epoch it also counts the epochs that will fit at the mean pace of the epochs after the first (the first carries
 * the warm-up), so a cosine schedule can end its decay with the time without jumping back up when one epoch is
 * slower or faster than the others.
 */
export function timeLimitCallback(
  minutes: number,
  started: number,
  now: () => number = () => performance.now(),
): TimeLimitCallback {
  let planned: number | undefined;
  const durations: number[] = [];
  return {
    name: 'timeLimit',
    plannedEpochs: (ctx) => (planned === undefined ? undefined : Math.min(ctx.epochs, planned)),
    onEpochEnd(epoch, logs, ctx) {
      const elapsed = (now() - started) / 1000;
      const next = logs.epoch_seconds ?? 0;
      if (next > 0) durations.push(next);
      const steady = durations.length > 1 ? durations.slice(1) : durations;
      const pace = steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length);
      if (pace > 0) planned = epoch + 1 + Math.max(0, Math.floor((minutes * 60 - elapsed) / pace));
      if (epoch + 1 < ctx.epochs && elapsed + next > minutes * 60) {
        ctx.stopTraining = true;
        ctx.stopReason = 'time-limit';
      }
    },
  };
}

function buildCallbacks(
  config: PipelineConfig,
  run: Run,
  onEpoch: RunTrainingOptions['onEpoch'],
  started: number,
): Callback[] {
  const c = config.callbacks;
  const callbacks: Callback[] = [
    {
      // First, so an epoch is on record before any other callback can fail or stop the run.
      name: 'track',
      onEpochEnd(epoch, logs) {
        // Epochs on record are numbered as the console shows them: 1 for the first (Keras' `Epoch 1/10`).
        run.logEpoch(epoch + 1, logs, { durationMs: (logs.epoch_seconds ?? 0) * 1000 });
        onEpoch?.({ epoch, epochs: config.train.epochs, logs });
      },
    },
  ];
  if (c.earlyStopping !== undefined) callbacks.push(new EarlyStopping(c.earlyStopping));
  if (c.reduceLrOnPlateau !== undefined) callbacks.push(new ReduceLROnPlateau(c.reduceLrOnPlateau));
  const timeLimit = c.timeLimit === undefined ? undefined : timeLimitCallback(c.timeLimit.minutes, started);
  if (c.schedule !== undefined) {
    // Under a time limit, a schedule over the rest of the run (cosine) spans the epochs that fit in it.
    callbacks.push(
      new LearningRateScheduler(c.schedule, timeLimit === undefined ? {} : { plannedEpochs: timeLimit.plannedEpochs }),
    );
  }
  if (c.terminateOnNan) callbacks.push(new TerminateOnNaN());
  if (timeLimit !== undefined) callbacks.push(timeLimit);
  if (c.checkpoint.enabled) {
    const { enabled: _enabled, ...checkpoint } = c.checkpoint;
    callbacks.push(new ModelCheckpoint({ ...checkpoint, dir: join(run.dir, 'weights') }));
  }
  return callbacks;
}

/**
 * The epoch of the checkpoint in `dir`, or null when there is none. A damaged checkpoint (CHECKPOINT_CORRUPT) is
 * not "none": resuming from it must fail loudly rather than silently start again from epoch 1.
 */
function lastCheckpointEpoch(dir: string): number | null {
  try {
    return readCheckpoint(dir).epoch;
  } catch (error) {
    if (isOptikError(error) && error.code === 'CHECKPOINT_CORRUPT') throw error;
    return null;
  }
}

/**
 * Trains a pipeline of any task end to end and records it: backend, data, model, a tracked run (config.yaml,
 * results.csv per epoch, weights/best and weights/last), then the test-set evaluation of the best checkpoint
 * (predictions.csv, metrics.json with the task's report, diagnosis, timings and backend), plots and report.html.
 */
export async function runTraining(config: PipelineConfig, options: RunTrainingOptions = {}): Promise<TrainingResult> {
  const { finalMetrics: _finalMetrics, ...result } = await trainPipeline(config, options, undefined);
  return result;
}

/**
 * {@link runTraining}, or with `trial` a tuning trial's training: logged into the trial's run, stopped when
 * `afterEpoch` says so (rejecting with `TRIAL_PRUNED`), the run left running for the study to finish.
 */
export async function trainPipeline(
  config: PipelineConfig,
  options: RunTrainingOptions,
  trial: TrialHooks | undefined,
): Promise<TrialTrainingResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const task = taskOf(config.task);
  if (options.resume !== undefined) checkResumable(config.output.root, options.resume);
  const backend = await initRunBackend(config.backend, options.backend, trial?.threads);
  const data = await (trial?.loadData ?? ((c: PipelineConfig) => task.loadData(c)))(config);
  log(
    `data: ${data.origin}; ${data.train.length} train / ${data.validation.length} validation / ${data.test.length} test images, ${data.classNames.length} classes, ${data.inputShape.join('×')}`,
  );
  if (data.skipped.length > 0) {
    log(
      `warning: ${data.skipped.length} images were left out (${data.skipped[0]?.file}: ${data.skipped[0]?.reason}${data.skipped.length > 1 ? ', …' : ''}); the list is in the run's skipped.csv`,
    );
  }
  const tensorsBefore = tf.memory().numTensors;
  const built = task.buildModel(config, data);
  try {
    checkTrainingMemory(built.model, config.data.batchSize);
  } catch (error) {
    built.dispose();
    throw error;
  }
  const store = openStore({ root: config.output.root });
  let run: Run | undefined;
  // True once this call owns the run (created it, holds its guard, or is the trial that logs into it): only
  // then may a failure mark it failed. A refused second `--resume` must leave the live run alone.
  let owned = false;
  let release = () => {};
  try {
    let resumeFrom: string | undefined;
    if (trial !== undefined) {
      run = store.openRun(trial.runId);
    } else if (options.resume !== undefined) {
      run = store.openRun(store.getRun(options.resume).id);
      // Read the checkpoint before touching the run: a damaged one (CHECKPOINT_CORRUPT) leaves it as it was.
      const lastEpoch = lastCheckpointEpoch(run.paths.weightsLast);
      release = guardRun(run);
      run.reopen();
      if (lastEpoch !== null) resumeFrom = run.paths.weightsLast;
    } else {
      run = store.createRun({
        task: config.task,
        ...(config.name === undefined ? {} : { name: config.name }),
        config: config as unknown as Record<string, unknown>,
        seed: config.seed,
        backend: backend.name,
      });
      release = guardRun(run);
    }
    owned = true;
    const activeRun = run;
    if (data.skipped.length > 0) writeSkipped(activeRun.dir, data.skipped);
    if (trial === undefined && options.resume === undefined) recordSplit(activeRun.dir, data);
    log(
      `run ${run.id}: ${run.dir}${resumeFrom === undefined ? '' : ` (resuming after epoch ${(lastCheckpointEpoch(resumeFrom) ?? -1) + 1})`}`,
    );
    const summary = built.summary();
    log(`model: ${summary.totalParams.toLocaleString('en')} parameters`);
    // The model summary as JSON in the run folder, for the dashboard and scripts (report.html shows it as a table).
    writeFileSync(join(activeRun.dir, 'model-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

    const setup = task.training(config, data);
    const { batchSize } = config.data;
    const hooks = {
      ...(setup.augment === undefined ? {} : { augmentBatch: setup.augment }),
      ...(setup.encodeTargets === undefined ? {} : { encodeTargets: setup.encodeTargets }),
    };
    const labelMode = setup.labelMode;
    const trainData = (epoch: number) =>
      makeBatches(
        data.train,
        { batchSize, labelMode, seed: createRng(config.seed).fork(`batches:${epoch}`).uint32() },
        hooks,
      );
    const valHooks = setup.encodeTargets === undefined ? {} : { encodeTargets: setup.encodeTargets };
    const valData = () =>
      makeBatches(
        data.validation,
        { batchSize: setup.validationBatchSize ?? Math.max(batchSize, 256), shuffle: false, labelMode },
        valHooks,
      );
    const callbacks = buildCallbacks(config, activeRun, options.onEpoch, started);
    let pruned = false;
    if (trial !== undefined) {
      // Right after the epoch is on record, before early stopping or the checkpoint: the study decides first.
      callbacks.splice(1, 0, {
        name: 'trialGate',
        async onEpochEnd(epoch, logs, ctx) {
          if (await trial.afterEpoch(epoch, logs)) {
            pruned = true;
            ctx.stopTraining = true;
            ctx.stopReason = 'pruned';
          }
        },
      });
    }
    if (options.progress ?? true) callbacks.push(new ProgressBar({ enabled: true }));
    if (options.signal !== undefined) callbacks.push(abortCallback(options.signal));

    // The train section may hold task keys (e.g. localization's lossWeights, read by its loss): the trainer gets its own.
    const trainerConfig = Object.fromEntries(
      Object.entries(config.train).filter(([key]) => key in TrainerSchema.shape),
    ) as TrainerOptions;
    const trainer = new Trainer(trainerConfig, { path: 'train' });
    const fit = await trainer.fit({
      model: built.model,
      trainData,
      valData,
      callbacks,
      resumeFrom,
      ...(setup.loss === undefined ? {} : { loss: setup.loss }),
      ...(setup.metrics === undefined ? {} : { metrics: setup.metrics }),
      ...(setup.valMetrics === undefined ? {} : { valMetrics: setup.valMetrics }),
    });
    if (options.signal?.aborted) {
      if (trial === undefined) activeRun.markInterrupted('aborted');
      throw options.signal.reason ?? new Error('aborted');
    }
    if (pruned) {
      throw new OptikError('TRIAL_PRUNED', `Stopped by the pruner after epoch ${fit.epochsCompleted}.`);
    }

    if (fit.history.length === 0) {
      throw new OptikError(
        'TRAIN_FAILED',
        `Training stopped (${fit.stopReason ?? 'unknown'}) before its first epoch ended.`,
        {
          hint:
            fit.stopReason === 'nan'
              ? 'The loss became NaN or infinite: lower train.optimizer.learningRate (e.g. ÷10) or add gradientClip.'
              : 'Nothing was learned, so there is nothing to evaluate.',
        },
      );
    }
    const evalStarted = performance.now();
    const bestCheckpoint = config.callbacks.checkpoint.enabled
      ? lastCheckpointEpoch(activeRun.paths.weightsBest)
      : null;
    // 1-based, as the console, results.csv and `runs show` number epochs.
    const bestEpoch = bestCheckpoint === null ? null : bestCheckpoint + 1;
    const predictions = await predictBest(built.model, activeRun.dir, bestEpoch !== null, (model) =>
      task.predict(model, data.test, config),
    );
    const evaluation = task.evaluate(predictions, data.test, data.classNames);
    // Without accuracy in the history (detection, segmentation), the task's own validation metric shows learning.
    const diagnosis = diagnoseFit(fit.history, { learnedMetric: task.defaultObjective });
    const artifacts = await task.writeArtifacts({
      dir: activeRun.dir,
      plotsDir: activeRun.paths.plots,
      predictions,
      evaluation,
      dataset: data.test,
      classNames: data.classNames,
    });
    writeFileSync(
      join(activeRun.paths.plots, 'learning-curves.png'),
      await renderPng(
        learningCurvesChart(
          fit.history.map((h) => ({ ...h, epoch: h.epoch + 1 })),
          { title: 'Learning curves', metrics: [...task.curveMetrics] },
        ),
      ),
    );
    const plots = [
      {
        file: 'learning-curves.png',
        caption: `Learning curves: training vs validation ${task.curveMetrics.join(', ')} per epoch.`,
      },
      ...artifacts.plots,
    ];
    const evalSeconds = (performance.now() - evalStarted) / 1000;

    const trainSeconds = fit.history.reduce((sum, h) => sum + (h.epoch_seconds ?? 0), 0);
    const speeds = fit.history.map((h) => h.samples_per_second).filter((v): v is number => v !== undefined);
    const samplesPerSecond = speeds.length === 0 ? null : speeds.reduce((a, b) => a + b, 0) / speeds.length;
    const training = {
      epochs: fit.epochsCompleted,
      bestEpoch,
      stopReason: fit.stopReason ?? null,
      trainSeconds,
      evalSeconds,
      samplesPerSecond,
    };
    const builtin = 'dataset' in config.data ? config.data.dataset : undefined;
    const source = typeof builtin === 'string' ? builtin : data.origin;
    writeFileSync(
      join(activeRun.dir, 'report.html'),
      renderReportHtml({
        title: `${task.title} of ${source}`,
        runName: `${activeRun.task}/${activeRun.name}`,
        runId: activeRun.id,
        runDir: activeRun.dir,
        backend: backend.name,
        dataset: data.origin,
        splits: { train: data.train.length, validation: data.validation.length, test: data.test.length },
        config: config as unknown as Record<string, unknown>,
        data: dataOverview(data),
        model: built.summary(),
        results: artifacts.report,
        diagnosis,
        training,
        plots,
        plotsDir: activeRun.paths.plots,
      }),
    );
    // The run's own clock (all its segments, as `optik runs ls/show` list it); a trial's run is the study's to time.
    const seconds = trial === undefined ? activeRun.info().durationMs / 1000 : (performance.now() - started) / 1000;
    const finalMetrics = {
      ...evaluation.report,
      split: 'test',
      weights: bestEpoch === null ? 'final' : 'best',
      diagnosis,
      timings: { ...training, totalSeconds: seconds },
      backend: { name: backend.name, reason: backend.reason },
      dataset: {
        origin: data.origin,
        train: data.train.length,
        validation: data.validation.length,
        test: data.test.length,
        skipped: data.skipped.length,
      },
    };
    if (trial === undefined) activeRun.finish({ metrics: finalMetrics });
    return {
      runId: activeRun.id,
      runName: activeRun.name,
      runDir: activeRun.dir,
      backend: backend.name,
      metrics: evaluation.headline,
      diagnosis,
      epochs: fit.epochsCompleted,
      bestEpoch,
      stopReason: fit.stopReason ?? null,
      seconds,
      report: evaluation.report,
      skipped: data.skipped,
      finalMetrics,
    };
  } catch (error) {
    if (owned && trial === undefined && run !== undefined && run.status === 'running') {
      // A resume that found its checkpoint damaged leaves the run as it was (interrupted, resumable once the files
      // are restored); any other failure marks it failed.
      if (options.resume !== undefined && isOptikError(error) && error.code === 'CHECKPOINT_CORRUPT') {
        run.markInterrupted(`resume refused: ${error.message}`);
      } else run.markFailed(error);
    }
    throw error;
  } finally {
    release();
    built.dispose();
    store.close();
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked > 0) log(`warning: ${leaked} tensors were not released`);
  }
}

/** `skipped.csv` in the run folder: every image the loader left out, and why. */
function writeSkipped(dir: string, skipped: readonly { file: string; reason: string }[]): void {
  const cell = (text: string) => `"${text.replace(/"/g, '""')}"`;
  writeFileSync(
    join(dir, 'skipped.csv'),
    `file,reason\n${skipped.map((s) => `${cell(s.file)},${cell(s.reason)}`).join('\n')}\n`,
  );
}

/**
 * A loader that remembers the last splits it loaded: a tuning worker trains many trials on the same data, and
 * decoding + splitting it again for each trial is pure overhead. `batchSize` is the only data setting that does not
 * change what is loaded, so trials that search it share the cache too. The datasets are read-only.
 */
export function cachedDataLoader(): (config: PipelineConfig) => Promise<TaskData> {
  let last: { key: string; data: Promise<TaskData> } | undefined;
  return (config) => {
    const { batchSize: _batchSize, ...loading } = config.data;
    const key = JSON.stringify({ task: config.task, loading, seed: config.seed });
    if (last?.key !== key) {
      const data = taskOf(config.task).loadData(config);
      last = { key, data };
      // A failed load is not remembered: the next trial tries again (and reports its own error).
      data.catch(() => {
        if (last?.data === data) last = undefined;
      });
    }
    return last.data;
  };
}

/** Fails fast (before loading anything) when the run to resume does not exist or has completed. */
function checkResumable(root: string, ref: RunRef): void {
  const store = openStore({ root, sweep: false });
  try {
    const record = store.getRun(ref);
    if (record.status === 'completed') {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `Run ${record.task}/${record.name} is completed; there is nothing to resume.`,
        {
          received: ref,
          hint: 'Start a new run with `optik train <config>` (e.g. with more train.epochs).',
        },
      );
    }
  } finally {
    store.close();
  }
}

/** The task's predictions from `weights/best` (the final model when there is no best checkpoint). */
async function predictBest<P>(
  model: tf.LayersModel,
  runDir: string,
  hasBest: boolean,
  predict: (model: tf.LayersModel) => Promise<P>,
): Promise<P> {
  if (!hasBest) return predict(model);
  const loaded = await loadRunModel(runDir);
  try {
    return await predict(loaded.model);
  } finally {
    disposeModel(loaded.model);
  }
}
