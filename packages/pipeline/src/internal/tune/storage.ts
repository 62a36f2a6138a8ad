import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError, OptikError } from '@optik/core';
import type { JsonValue, RunInfo, RunStatus, Store } from '@optik/track';
import type { Direction, ParamValue, StudyInfo, StudyStorage, TrialRecord, TrialState } from '@optik/tune';

/** Options of {@link TrackStudyStorage}. */
export interface TrackStudyStorageOptions {
  /** An open run store; the caller closes it. */
  readonly store: Store;
  /** Task folder of the trial runs (default `classification`). */
  readonly task?: string;
  /** The per-epoch metric the study optimises (stored with the study; a resume must use the same). */
  readonly objective: string;
  /** Sampler, pruner, search space and tune config, stored with the study for `optik runs studies`. */
  readonly sampler?: Record<string, unknown>;
  readonly pruner?: Record<string, unknown> | null;
  readonly space?: Record<string, unknown> | null;
  readonly config?: Record<string, unknown> | null;
  /** The config recorded with a trial's run (`config.yaml`), from its parameters (default: none). */
  readonly trialConfig?: (params: Readonly<Record<string, ParamValue>>) => Record<string, unknown>;
}

const TRIAL_FILE = 'trial.json';

/**
 * A `@optik/tune` {@link StudyStorage} over the `@optik/track` SQLite store: a study is a row of the studies
 * table, each trial a run (`<study>-trial<n>`, with `studyId`, `trialNumber`, its parameters as params and its
 * config), so `optik runs` lists every trial and a study of the same name resumes after an interruption.
 *
 * A trial's run is created when the trial starts; whoever trains it logs its epochs into it. When the study is
 * told the result, the run is finished with status `completed`, `pruned` or `failed`, the final metrics attached
 * with {@link TrackStudyStorage.attachMetrics} (test metrics of a completed trial), the objective value under the
 * objective's name and the whole trial record under `trial`. `trial.json` in the run folder mirrors the record
 * while it runs. A run the store marked `interrupted` (its process died) is read back as a failed trial. Loading
 * or creating a study takes its owner lock in the store (`STUDY_BUSY` while another live process runs it), so two
 * searches never share the trials of one study.
 */
export class TrackStudyStorage implements StudyStorage {
  readonly store: Store;
  readonly task: string;
  readonly objective: string;
  private readonly options: TrackStudyStorageOptions;
  private readonly runIds = new Map<string, number>();
  private readonly extra = new Map<string, Record<string, unknown>>();

  constructor(options: TrackStudyStorageOptions) {
    this.options = options;
    this.store = options.store;
    this.task = options.task ?? 'classification';
    this.objective = options.objective;
  }

  async createStudy(input: { readonly name: string; readonly direction: Direction }): Promise<StudyInfo> {
    // loadIfExists: a study of this name created meanwhile by another process goes through its owner lock.
    const record = this.store.createStudy({
      loadIfExists: true,
      name: input.name,
      task: this.task,
      direction: input.direction,
      objective: this.objective,
      sampler: this.options.sampler ?? {},
      pruner: this.options.pruner ?? null,
      space: this.options.space ?? null,
      config: this.options.config ?? null,
    });
    return { id: String(record.id), name: record.name, direction: record.direction, createdAt: record.createdAt };
  }

  async loadStudy(name: string): Promise<StudyInfo | undefined> {
    try {
      const record = this.store.getStudy(name);
      if (record.objective !== this.objective) {
        throw new OptikError(
          'ARGUMENT_INVALID',
          `Study "${name}" optimises "${record.objective}", not "${this.objective}".`,
          { received: this.objective, hint: 'Use a new study name for a different objective.' },
        );
      }
      // Take the study's owner lock before its trials are read (and running ones marked failed): STUDY_BUSY while
      // another live process runs it, so a second `optik tune` never touches the first one's trials.
      this.store.updateStudy(record.id, { status: 'running' });
      return { id: String(record.id), name: record.name, direction: record.direction, createdAt: record.createdAt };
    } catch (error) {
      if (isOptikError(error, 'RUN_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /** The run id of trial `number` of study `studyId` (undefined before the trial was saved). */
  runIdOf(studyId: string, number: number): number | undefined {
    const key = `${studyId}:${number}`;
    const cached = this.runIds.get(key);
    if (cached !== undefined) return cached;
    const found = this.store.listRuns({ studyId: Number(studyId) }).find((r) => r.trialNumber === number);
    if (found !== undefined) this.runIds.set(key, found.id);
    return found?.id;
  }

  /** Final metrics to store with trial `number` when it ends (e.g. the trial's test metrics). */
  attachMetrics(studyId: string, number: number, metrics: Record<string, unknown>): void {
    const key = `${studyId}:${number}`;
    this.extra.set(key, { ...this.extra.get(key), ...metrics });
  }

  async saveTrial(studyId: string, trial: TrialRecord): Promise<void> {
    const key = `${studyId}:${trial.number}`;
    let runId = this.runIdOf(studyId, trial.number);
    if (runId === undefined) {
      let config: Record<string, unknown> = {};
      try {
        config = this.options.trialConfig?.(trial.params) ?? {};
      } catch {
        // An invalid combination: the trial fails when it runs and says why; the run keeps its parameters.
      }
      const run = this.store.createRun({
        task: this.task,
        studyId: Number(studyId),
        trialNumber: trial.number,
        params: { ...trial.params },
        config,
        ...(typeof config.seed === 'number' ? { seed: config.seed } : {}),
        tags: ['trial'],
      });
      runId = run.id;
      this.runIds.set(key, runId);
    }
    const run = this.store.openRun(runId);
    writeJsonAtomic(join(run.dir, TRIAL_FILE), trial);
    if (trial.state === 'running') return;
    const metrics: Record<string, unknown> = {
      ...this.extra.get(key),
      ...(trial.value === null ? {} : { [this.objective]: trial.value }),
      trial: trial as unknown as JsonValue,
    };
    const status: Exclude<RunStatus, 'running' | 'interrupted'> = trial.state;
    // Normally still running (the worker leaves it to us); interrupted or finished by someone else, it is
    // reopened so that the stored status and metrics are the study's.
    if (run.status !== 'running') run.reopen();
    run.finish({ status, metrics, ...(trial.error === null ? {} : { error: trial.error }) });
    this.extra.delete(key);
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    const runs = this.store.listRuns({ studyId: Number(studyId), sortBy: 'trialNumber' });
    const out: TrialRecord[] = [];
    for (const run of runs) {
      if (run.trialNumber === null) continue;
      this.runIds.set(`${studyId}:${run.trialNumber}`, run.id);
      out.push(toTrialRecord(run));
    }
    return out;
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(partial, file);
}

const STATE_OF: Record<RunStatus, TrialState> = {
  running: 'running',
  completed: 'completed',
  pruned: 'pruned',
  failed: 'failed',
  interrupted: 'failed',
};

/** The trial record of a run: the stored record (final metrics, else trial.json), status and error from the store. */
function toTrialRecord(run: RunInfo): TrialRecord {
  let stored = run.metrics.trial as unknown as TrialRecord | undefined;
  if (stored === undefined || stored === null || typeof stored !== 'object') {
    try {
      stored = JSON.parse(readFileSync(join(run.dir, TRIAL_FILE), 'utf8')) as TrialRecord;
    } catch {
      stored = undefined;
    }
  }
  const state = STATE_OF[run.status];
  const params: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(run.params)) if (v !== null) params[k] = v;
  const base: TrialRecord = stored ?? {
    number: run.trialNumber as number,
    state,
    params,
    distributions: {},
    value: null,
    intermediateValues: [],
    userAttrs: {},
    startedAt: run.createdAt,
    completedAt: run.finishedAt,
    error: run.error,
  };
  if (run.status === 'interrupted') {
    return {
      ...base,
      state: 'failed',
      completedAt: run.finishedAt ?? run.updatedAt,
      error: run.error ?? 'Interrupted: the process running the trial stopped.',
    };
  }
  return { ...base, number: run.trialNumber as number, state };
}
