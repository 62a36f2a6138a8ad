import { join } from 'node:path';
import type { RunStatus, StudyStatus } from './schema.js';
import { decodeMetrics, type EpochMetrics, type FinalMetrics, type Params } from './values.js';

/** Where a run keeps its files. The trainer writes the weights; plots go under `plots`. */
export interface RunPaths {
  /** The run folder `<root>/<task>/<name>`. */
  readonly dir: string;
  /** `config.yaml`: the fully resolved config. */
  readonly config: string;
  /** `run.json`: the run record (status, params, seed, backend, git commit, timings), rewritten on each change. */
  readonly runJson: string;
  /** `metrics.json`: the final metrics, written by `finish`. */
  readonly metrics: string;
  /** `results.csv`: one row per epoch, appended and flushed each epoch. */
  readonly results: string;
  /** `predictions.csv`: true label, predicted label, class probabilities. */
  readonly predictions: string;
  /** `plots/`: charts (PNG/SVG). */
  readonly plots: string;
  /** `weights/best/`: the best checkpoint. */
  readonly weightsBest: string;
  /** `weights/last/`: the last checkpoint (resume point). */
  readonly weightsLast: string;
}

/**
 * The file layout of a run folder.
 *
 * @example
 * ```ts
 * const { weightsBest } = runPaths('runs/classification/exp3');
 * ```
 */
export function runPaths(dir: string): RunPaths {
  return {
    dir,
    config: join(dir, 'config.yaml'),
    runJson: join(dir, 'run.json'),
    metrics: join(dir, 'metrics.json'),
    results: join(dir, 'results.csv'),
    predictions: join(dir, 'predictions.csv'),
    plots: join(dir, 'plots'),
    weightsBest: join(dir, 'weights', 'best'),
    weightsLast: join(dir, 'weights', 'last'),
  };
}

/** One logged epoch. */
export interface EpochRecord {
  readonly epoch: number;
  readonly metrics: EpochMetrics;
  /** ISO time the epoch was logged. */
  readonly loggedAt: string;
  /** Wall time of the epoch in milliseconds (time since the previous log, or as given). */
  readonly durationMs: number | null;
}

/** A run as listed: everything but the config and the epochs. Plain JSON (times are ISO strings). */
export interface RunInfo {
  readonly id: number;
  readonly name: string;
  readonly task: string;
  readonly status: RunStatus;
  /** Absolute run folder. */
  readonly dir: string;
  readonly params: Params;
  /** Final metrics (empty until `finish` gives them). */
  readonly metrics: FinalMetrics;
  readonly seed: number | null;
  readonly backend: string | null;
  readonly gitCommit: string | null;
  readonly tags: readonly string[];
  readonly studyId: number | null;
  readonly trialNumber: number | null;
  /** Process and host that last ran it (the sweep checks the pid to detect kill -9). */
  readonly pid: number | null;
  readonly host: string | null;
  /** Why it failed or was interrupted. */
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  /** Active time in milliseconds, summed over resumes (still growing while running). */
  readonly durationMs: number;
  /** Number of epochs logged. */
  readonly epochCount: number;
  /** Highest epoch logged, or null. */
  readonly lastEpoch: number | null;
}

/** A run in full: its info, its fully resolved config and every logged epoch (resume reads these). */
export interface RunRecord extends RunInfo {
  readonly config: Record<string, unknown>;
  readonly epochs: readonly EpochRecord[];
}

/** A study of the tuner: one run per trial. */
export interface StudyRecord {
  readonly id: number;
  readonly name: string;
  readonly task: string | null;
  readonly direction: 'minimize' | 'maximize';
  /** The metric the study optimises (a key of the trials' final metrics). */
  readonly objective: string;
  readonly sampler: Record<string, unknown>;
  readonly pruner: Record<string, unknown> | null;
  readonly space: Record<string, unknown> | null;
  readonly config: Record<string, unknown> | null;
  readonly status: StudyStatus;
  readonly bestRunId: number | null;
  readonly pid: number | null;
  readonly host: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  /** Trial counts by status. */
  readonly trials: Readonly<Record<RunStatus | 'total', number>>;
}

export interface RunRow {
  id: number;
  task: string;
  name: string;
  rel_dir: string;
  status: RunStatus;
  config: string;
  params: string;
  metrics: string | null;
  seed: number | null;
  backend: string | null;
  git_commit: string | null;
  tags: string;
  study_id: number | null;
  trial_number: number | null;
  pid: number | null;
  host: string | null;
  error: string | null;
  created_at: number;
  segment_start: number;
  updated_at: number;
  finished_at: number | null;
  elapsed_ms: number;
  epoch_count: number;
  last_epoch: number | null;
}

export interface EpochRow {
  epoch: number;
  metrics: string;
  logged_at: number;
  duration_ms: number | null;
}

export interface StudyRow {
  id: number;
  name: string;
  task: string | null;
  direction: 'minimize' | 'maximize';
  objective: string;
  sampler: string;
  pruner: string | null;
  space: string | null;
  config: string | null;
  status: StudyStatus;
  best_run_id: number | null;
  pid: number | null;
  host: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function toRunInfo(row: RunRow, root: string, now: number): RunInfo {
  const running = row.status === 'running';
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    status: row.status,
    dir: join(root, row.rel_dir),
    params: JSON.parse(row.params) as Params,
    metrics: decodeMetrics<FinalMetrics>(row.metrics),
    seed: row.seed,
    backend: row.backend,
    gitCommit: row.git_commit,
    tags: JSON.parse(row.tags) as string[],
    studyId: row.study_id,
    trialNumber: row.trial_number,
    pid: row.pid,
    host: row.host,
    error: row.error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
    durationMs: row.elapsed_ms + (running ? Math.max(0, now - row.segment_start) : 0),
    epochCount: row.epoch_count,
    lastEpoch: row.last_epoch,
  };
}

export function toEpochRecord(row: EpochRow): EpochRecord {
  return {
    epoch: row.epoch,
    metrics: decodeMetrics<EpochMetrics>(row.metrics),
    loggedAt: iso(row.logged_at),
    durationMs: row.duration_ms,
  };
}

export function toStudyRecord(row: StudyRow, trials: Record<RunStatus | 'total', number>): StudyRecord {
  const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as Record<string, unknown>));
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    direction: row.direction,
    objective: row.objective,
    sampler: JSON.parse(row.sampler) as Record<string, unknown>,
    pruner: parse(row.pruner),
    space: parse(row.space),
    config: parse(row.config),
    status: row.status,
    bestRunId: row.best_run_id,
    pid: row.pid,
    host: row.host,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
    trials,
  };
}
