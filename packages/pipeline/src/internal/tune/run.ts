import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { isOptikError, OptikError } from '@optik/core';
import { openStore } from '@optik/track';
import {
  createStudy,
  type Distribution,
  GridSampler,
  type GridSamplerOptions,
  type ParamValue,
  type Sampler,
  type SamplerConfig,
  type SamplerContext,
  type TellResult,
  type Trial,
  type TrialRecord,
} from '@optik/tune';
import { stringify as toYaml } from 'yaml';
import { mergeOverrides } from '../config.js';

import { runTraining } from '../run/lifecycle.js';
import { expandDotted, retrainPipelineConfig, type TuneConfig, trialPipelineConfig } from './config.js';
import { type EnsembleMember, evaluateEnsemble } from './ensemble.js';
import { TrialPool } from './pool.js';
import { leaderboard, summarizeTrial, type TuneTrialSummary, trialsCsv, writeTunePlots } from './report.js';
import { TrackStudyStorage } from './storage.js';
import { writeStudyHtml } from './study-report.js';

/** Options of {@link runTune}. */
export interface RunTuneOptions {
  /** Backend for the trials and the retrain (`--backend`); beats `OPTIK_BACKEND` and the config. */
  readonly backend?: string | undefined;
  /** Trials in the whole study (`--trials`); beats the config's `trials`. */
  readonly trials?: number | undefined;
  /** Trials at once (`--parallel`); beats the config's `parallel`. */
  readonly parallel?: number | undefined;
  /**
   * Stops the study: no new trial starts, running trials stop after their current epoch and are marked
   * interrupted, the study is marked interrupted and there is no retrain. Run again to resume.
   */
  readonly signal?: AbortSignal | undefined;
  /** A trial started (its run exists). */
  readonly onTrialStart?:
    | ((trial: { number: number; params: Readonly<Record<string, ParamValue>> }) => void)
    | undefined;
  /** A trial finished an epoch (0-based). */
  readonly onTrialEpoch?:
    | ((info: { number: number; epoch: number; logs: Readonly<Record<string, number>> }) => void)
    | undefined;
  /** A trial ended (completed, pruned or failed). */
  readonly onTrialEnd?: ((trial: TuneTrialSummary) => void) | undefined;
  /** An epoch of the retrain ended. */
  readonly onRetrainEpoch?:
    | ((info: { epoch: number; epochs: number; logs: Readonly<Record<string, number>> }) => void)
    | undefined;
  /** Informational lines (study, folders, retrain). */
  readonly log?: ((line: string) => void) | undefined;
}

/** A number when `value` is a finite number, else null (headline metrics differ between tasks). */
function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A retrain of a trial's parameters on train + validation. */
export interface TuneRetrainResult {
  /** The trial whose parameters were retrained. */
  readonly trial: number;
  readonly runId: number;
  readonly runName: string;
  readonly runDir: string;
  /** Test-split metrics of the retrained model. */
  readonly metrics: Record<string, unknown>;
  readonly epochs: number;
  readonly seconds: number;
}

/** The ensemble of the retrained models (mean class probabilities), tested on the test split. */
export interface TuneEnsembleResult {
  readonly members: readonly { readonly trial: number; readonly runId: number; readonly runName: string }[];
  /** `<studyDir>/ensemble/`: metrics.json, predictions.csv, plots/. */
  readonly dir: string;
  readonly metrics: Record<string, unknown>;
}

/** Time kept for each test evaluation when `totalTimeLimit` shares the time left among the retrains. */
const EVAL_RESERVE_MS = 60_000;
/** A retrain with less time than this is not started. */
const MIN_RETRAIN_MS = 60_000;

/** What {@link runTune} returns. */
export interface TuneResult {
  readonly studyId: number;
  readonly studyName: string;
  /** `<output.root>/studies/<name>/`: report.html, trials.csv, study.json, tune.yaml, plots/. */
  readonly studyDir: string;
  readonly objective: string;
  readonly direction: 'maximize' | 'minimize';
  /** The best completed trial (by the objective), or null when none completed. */
  readonly best: {
    readonly number: number;
    readonly runId: number | null;
    readonly params: Readonly<Record<string, ParamValue>>;
    readonly value: number;
    readonly metrics: {
      readonly accuracy: number | null;
      readonly precision: number | null;
      readonly recall: number | null;
      readonly f1: number | null;
      readonly loss: number | null;
    };
  } | null;
  /** Every trial of the study (earlier sessions included), ascending by number. */
  readonly trials: readonly TuneTrialSummary[];
  /** The same, best first. */
  readonly leaderboard: readonly TuneTrialSummary[];
  /** Trials this call ran. */
  readonly ran: number;
  /** The retrain of the best trial's parameters: the number to hand in when there is no ensemble. */
  readonly retrain: TuneRetrainResult | null;
  /** Every retrain (`retrainTop`), best trial first. */
  readonly retrains: readonly TuneRetrainResult[];
  /** With `retrainTop` ≥ 2: the ensemble of the retrained models — then the number to hand in. */
  readonly ensemble: TuneEnsembleResult | null;
  /** Files written in `studyDir` (trials.csv, study.json, tune.yaml, plots/…). */
  readonly files: readonly string[];
  /** True when `signal` stopped the study. */
  readonly interrupted: boolean;
  readonly seconds: number;
}

/**
 * The grid sampler, except that a point whose trial failed in this session is not tried again in it (an invalid
 * combination fails every time; @optik/tune's grid retries failed points at once). A resumed study retries them
 * once, which also covers trials failed by an interruption or a crash.
 */
class SessionGridSampler implements Sampler {
  readonly type = 'grid';
  readonly inner: GridSampler;
  readonly failedHere = new Set<number>();

  constructor(config: SamplerConfig) {
    this.inner = new GridSampler(config as GridSamplerOptions);
  }

  startTrial(context: Parameters<NonNullable<Sampler['startTrial']>>[0]) {
    const trials = context.trials.map((t) =>
      t.state === 'failed' && this.failedHere.has(t.number) ? { ...t, state: 'pruned' as const } : t,
    );
    return this.inner.startTrial({ ...context, trials });
  }

  sample(context: SamplerContext, name: string, distribution: Distribution): ParamValue {
    return this.inner.sample(context, name, distribution);
  }

  toConfig(): Record<string, unknown> {
    return this.inner.toConfig();
  }
}

/** The config recorded with the study and in `tune.yaml` (plain JSON). */
function tuneConfigJson(config: TuneConfig): Record<string, unknown> {
  return JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
}

/**
 * Runs a hyperparameter search over a training pipeline: a study in the run store (same name → resumed), trials
 * in `parallel` worker processes (each its own backend, wasm with 1 thread when several share the cores), one run
 * per trial with its parameters, epochs, final metrics and status (completed, pruned, failed), then `trials.csv`,
 * the plots, and — with `retrain` — the best parameters retrained on train + validation and tested.
 */
export async function runTune(config: TuneConfig, options: RunTuneOptions = {}): Promise<TuneResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const trialsTotal = options.trials ?? config.trials;
  const parallelWanted = options.parallel ?? config.parallel;
  for (const [name, value] of [
    ['trials', trialsTotal],
    ['parallel', parallelWanted],
  ] as const) {
    if (value !== null && (!Number.isInteger(value) || value < 1)) {
      throw new OptikError('ARGUMENT_INVALID', `${name} must be an integer ≥ 1.`, { received: value });
    }
  }
  const base = mergeOverrides(config.base, expandDotted(config.trialOverrides)) as { output?: { root?: unknown } };
  const root = resolve(typeof base.output?.root === 'string' ? base.output.root : 'runs');
  const store = openStore({ root });
  const storage = new TrackStudyStorage({
    store,
    task: String(config.base.task ?? 'classification'),
    objective: config.objective,
    sampler: config.sampler as Record<string, unknown>,
    pruner: config.pruner as Record<string, unknown>,
    space: { params: config.space },
    config: tuneConfigJson(config),
    trialConfig: (params) => trialPipelineConfig(config, params) as unknown as Record<string, unknown>,
  });
  let pool: TrialPool | undefined;
  let studyRecordId: number | undefined;
  try {
    const grid = config.sampler.type === 'grid' ? new SessionGridSampler(config.sampler) : undefined;
    const study = await createStudy({
      name: config.name,
      direction: config.direction,
      space: config.space,
      sampler: grid ?? config.sampler,
      pruner: config.pruner,
      storage,
    });
    studyRecordId = Number(study.id);
    store.updateStudy(studyRecordId, { status: 'running' });
    const studyDir = join(root, 'studies', study.name);
    mkdirSync(join(studyDir, 'plots'), { recursive: true });
    writeFileSync(join(studyDir, 'tune.yaml'), toYaml(tuneConfigJson(config)));
    const already = study.trials.length;
    log(
      `study ${study.name} (id ${study.id}): ${already === 0 ? 'new' : `resumed with ${already} trials`}; ${config.direction} ${config.objective}; store ${store.dbPath}`,
    );

    let budget: number;
    if (trialsTotal !== null) budget = Math.max(0, trialsTotal - already);
    else if (grid !== undefined) budget = grid.inner.points(study.space).length;
    else budget = 0;
    const parallel = Math.max(1, Math.min(parallelWanted, budget));
    const cores = os.availableParallelism();
    const threads = parallel > 1 ? Math.max(1, Math.floor(cores / parallel)) : undefined;
    const deadline =
      config.timeLimit === null ? Number.POSITIVE_INFINITY : Date.now() + config.timeLimit.minutes * 60_000;
    const activePool = new TrialPool(parallel);
    pool = activePool;
    const signal = options.signal;
    const onAbort = () => activePool.stopAll();
    signal?.addEventListener('abort', onAbort, { once: true });

    const runIdOf = (n: number) => storage.runIdOf(study.id, n);
    const summaryOf = (record: TrialRecord): TuneTrialSummary => {
      const runId = runIdOf(record.number);
      const run = runId === undefined ? undefined : store.openRun(runId);
      const summary = summarizeTrial(record, run === undefined ? undefined : { id: run.id, name: run.name });
      // The store's status is what `runs ls` and `runs studies` show: a trial stopped with its study stays
      // `interrupted` in every later session too (the sampler reads it as failed to retry its point).
      return run?.status === 'interrupted' ? { ...summary, status: 'interrupted' } : summary;
    };

    let asked = 0;
    let exhausted = false;
    let ran = 0;
    const interrupted: number[] = [];
    const runOne = async (trial: Trial): Promise<void> => {
      const runId = runIdOf(trial.number);
      options.onTrialStart?.({ number: trial.number, params: trial.params });
      let result: TellResult;
      let missingObjective = false;
      try {
        if (runId === undefined) throw new OptikError('INTERNAL', `Trial ${trial.number} has no run in the store.`);
        const trialConfig = trialPipelineConfig(config, trial.params);
        const end = await activePool.run(
          {
            type: 'trial',
            trialNumber: trial.number,
            runId,
            config: trialConfig as unknown as Record<string, unknown>,
            backend: options.backend,
            threads,
          },
          {
            onEpoch: (epoch, logs) => {
              options.onTrialEpoch?.({ number: trial.number, epoch, logs });
              const value = logs[config.objective];
              if (value === undefined) {
                missingObjective = true;
                return true;
              }
              trial.report(value, epoch + 1);
              return signal?.aborted === true || trial.shouldPrune();
            },
          },
        );
        if (signal?.aborted) {
          interrupted.push(trial.number);
          return;
        }
        if (missingObjective) {
          result = {
            state: 'failed',
            error: `The training logs have no "${config.objective}" (the objective). Use a per-epoch log key such as val_accuracy or val_loss.`,
          };
        } else if (end.kind === 'done') {
          const values = trial.intermediateValues.map((v) => v.value).filter((v) => Number.isFinite(v));
          const m = end.outcome.metrics;
          trial.setUserAttr('accuracy', finite(m.accuracy));
          trial.setUserAttr('precision', finite(m.precision));
          trial.setUserAttr('recall', finite(m.recall));
          trial.setUserAttr('f1', finite(m.f1));
          trial.setUserAttr('loss', finite(m.logLoss));
          trial.setUserAttr('epochs', end.outcome.epochs);
          trial.setUserAttr('trainSeconds', Math.round(end.outcome.seconds * 1000) / 1000);
          storage.attachMetrics(study.id, trial.number, end.outcome.finalMetrics);
          result =
            values.length === 0
              ? { state: 'failed', error: 'The trial reported no finite objective value.' }
              : config.direction === 'maximize'
                ? Math.max(...values)
                : Math.min(...values);
        } else if (end.kind === 'pruned') {
          trial.setUserAttr('epochs', trial.intermediateValues.length);
          result = { state: 'pruned' };
        } else {
          trial.setUserAttr('epochs', trial.intermediateValues.length);
          result = { state: 'failed', error: end.message };
        }
      } catch (error) {
        if (signal?.aborted) {
          interrupted.push(trial.number);
          return;
        }
        result = { state: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
      const record = await study.tell(trial, result);
      if (record.state === 'failed') grid?.failedHere.add(record.number);
      ran += 1;
      options.onTrialEnd?.(summaryOf(record));
    };

    const lane = async (): Promise<void> => {
      while (!exhausted && asked < budget && Date.now() < deadline && signal?.aborted !== true) {
        asked += 1;
        let trial: Trial;
        try {
          trial = await study.ask();
        } catch (error) {
          if (isOptikError(error, 'SEARCH_SPACE_EXHAUSTED')) {
            exhausted = true;
            return;
          }
          // A space that cannot be sampled for this trial: the study recorded it as failed; go on.
          if (isOptikError(error)) {
            log(`trial could not be sampled: ${error.message}`);
            continue;
          }
          throw error;
        }
        await runOne(trial);
      }
    };
    try {
      await Promise.all(Array.from({ length: parallel }, () => lane()));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await activePool.close();
      pool = undefined;
    }
    let wasInterrupted = signal?.aborted === true;
    for (const number of interrupted) {
      const runId = runIdOf(number);
      if (runId !== undefined) store.openRun(runId).markInterrupted('the study was stopped');
    }

    const records = study.trials;
    const summaries = records.map((record) => {
      const summary = summaryOf(record);
      return interrupted.includes(record.number) ? { ...summary, status: 'interrupted' as const } : summary;
    });
    const files: string[] = [];
    writeFileSync(join(studyDir, 'trials.csv'), trialsCsv(summaries, config.objective, config.space));
    files.push('trials.csv');
    const plots = await writeTunePlots(join(studyDir, 'plots'), records, {
      direction: config.direction,
      objective: config.objective,
      space: config.space,
    });
    files.push(...plots.map((p) => join('plots', p)));

    const bestRecord = study.bestTrial;
    const bestSummary = bestRecord === undefined ? undefined : summaries.find((s) => s.number === bestRecord.number);
    const best =
      bestRecord === undefined || bestSummary === undefined
        ? null
        : {
            number: bestRecord.number,
            runId: bestSummary.runId,
            params: bestRecord.params,
            value: bestRecord.value as number,
            metrics: {
              accuracy: bestSummary.accuracy,
              precision: bestSummary.precision,
              recall: bestSummary.recall,
              f1: bestSummary.f1,
              loss: bestSummary.loss,
            },
          };
    if (best?.runId !== null && best?.runId !== undefined) store.updateStudy(studyRecordId, { bestRunId: best.runId });

    const board = leaderboard(summaries, config.direction);
    const retrains: TuneRetrainResult[] = [];
    let ensemble: TuneEnsembleResult | null = null;
    if (config.retrain && best !== null && !wasInterrupted) {
      // The k best completed trials, distinct parameter sets only.
      const picked: TuneTrialSummary[] = [];
      const seen = new Set<string>();
      for (const row of board) {
        const key = JSON.stringify(row.params);
        if (row.status !== 'completed' || seen.has(key)) continue;
        seen.add(key);
        picked.push(row);
        if (picked.length === config.retrainTop) break;
      }
      const commandEnd =
        config.totalTimeLimit === null ? Number.POSITIVE_INFINITY : started + config.totalTimeLimit.minutes * 60_000;
      const members: EnsembleMember[] = [];
      for (const [rank, row] of picked.entries()) {
        let retrainConfig = retrainPipelineConfig(config, row.params, rank);
        const left = picked.length - rank;
        // Each retrain's share of the time left, keeping ~1 minute per test evaluation (and one for the ensemble).
        const reserve = (left + (picked.length > 1 ? 1 : 0)) * EVAL_RESERVE_MS;
        const share = (commandEnd - performance.now() - reserve) / left;
        if (share < MIN_RETRAIN_MS) {
          log(
            `no time left for retrain ${rank + 1} of ${picked.length} (totalTimeLimit ${config.totalTimeLimit?.minutes} min)`,
          );
          break;
        }
        if (Number.isFinite(share)) {
          const minutes = Math.min(
            retrainConfig.callbacks.timeLimit?.minutes ?? Number.POSITIVE_INFINITY,
            share / 60_000,
          );
          retrainConfig = { ...retrainConfig, callbacks: { ...retrainConfig.callbacks, timeLimit: { minutes } } };
        }
        log(
          `retraining trial ${row.number}'s parameters on train + validation${picked.length > 1 ? ` (${rank + 1} of ${picked.length})` : ''}${Number.isFinite(share) ? `, at most ${(retrainConfig.callbacks.timeLimit?.minutes ?? 0).toFixed(1)} min` : ''}`,
        );
        try {
          const trained = await runTraining(retrainConfig, {
            backend: options.backend,
            log,
            progress: false,
            signal,
            onEpoch: options.onRetrainEpoch,
          });
          const retrain: TuneRetrainResult = {
            trial: row.number,
            runId: trained.runId,
            runName: trained.runName,
            runDir: trained.runDir,
            metrics: trained.metrics,
            epochs: trained.epochs,
            seconds: trained.seconds,
          };
          retrains.push(retrain);
          members.push({ ...retrain, config: retrainConfig });
        } catch (error) {
          // Stopped during the retrain: its run is marked interrupted; the study's trials are all on record.
          if (signal?.aborted !== true) throw error;
          wasInterrupted = true;
          break;
        }
      }
      if (members.length > 1 && !wasInterrupted) {
        const ensembleDir = join(studyDir, 'ensemble');
        log(`testing the ensemble of ${members.map((m) => m.runName).join(' + ')}`);
        const evaluated = await evaluateEnsemble(ensembleDir, members);
        ensemble = {
          members: members.map((m) => ({ trial: m.trial, runId: m.runId, runName: m.runName })),
          dir: ensembleDir,
          metrics: evaluated.metrics,
        };
        files.push(...evaluated.files.map((f) => join('ensemble', f)));
      }
    }

    const seconds = (performance.now() - started) / 1000;
    const result: TuneResult = {
      studyId: studyRecordId,
      studyName: study.name,
      studyDir,
      objective: config.objective,
      direction: config.direction,
      best,
      trials: summaries,
      leaderboard: board,
      ran,
      retrain: retrains[0] ?? null,
      retrains,
      ensemble,
      files: [...files, 'study.json', 'tune.yaml', 'report.html'],
      interrupted: wasInterrupted,
      seconds,
    };
    writeFileSync(join(studyDir, 'study.json'), `${JSON.stringify(result, null, 2)}\n`);
    const runDirs = new Map(store.listRuns({ studyId: studyRecordId }).map((run) => [run.id, run.dir]));
    for (const retrain of retrains) runDirs.set(retrain.runId, retrain.runDir);
    writeStudyHtml(result, runDirs);
    store.updateStudy(studyRecordId, { status: wasInterrupted ? 'interrupted' : 'completed' });
    return result;
  } catch (error) {
    if (studyRecordId !== undefined) {
      try {
        store.updateStudy(studyRecordId, { status: options.signal?.aborted ? 'interrupted' : 'failed' });
      } catch {
        // keep the original error
      }
    }
    throw error;
  } finally {
    await pool?.close();
    store.close();
  }
}
