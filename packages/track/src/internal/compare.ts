import { csvLine } from './files.js';
import type { RunInfo, RunRecord } from './records.js';
import type { RunStatus } from './schema.js';
import { numericMetrics, type ParamValue } from './values.js';

/** A side-by-side view of runs, as `store.compareRuns` returns it (and `optik runs compare --json` prints it). */
export interface RunComparison {
  /** The runs, in the order asked; `values[i]` below belongs to `runs[i]`. */
  readonly runs: ReadonlyArray<{
    readonly id: number;
    readonly name: string;
    readonly task: string;
    readonly status: RunStatus;
    readonly epochCount: number;
    readonly durationMs: number;
    /** Where the metrics come from: final metrics, or the last epoch of a run that has none, or nothing. */
    readonly metricsSource: 'final' | 'lastEpoch' | 'none';
  }>;
  /** Every parameter key of any run; `null` where a run lacks it. */
  readonly params: ReadonlyArray<{
    readonly key: string;
    readonly values: readonly ParamValue[];
    readonly differs: boolean;
  }>;
  /**
   * Every numeric metric; `best` is the index of the best run (lower is better for losses, errors, times), null
   * for counts such as `numSamples` (nothing to rank).
   */
  readonly metrics: ReadonlyArray<{
    readonly key: string;
    readonly values: ReadonlyArray<number | null>;
    readonly goal: 'max' | 'min';
    readonly best: number | null;
  }>;
}

const LOWER_IS_BETTER = /loss|error|mse|mae|rmse|perplexity|time|seconds|duration/i;

/**
 * Whether a metric is better high or low, from its name: losses, errors and times are minimised.
 *
 * @example
 * ```ts
 * metricGoal('val_loss'); // 'min'
 * metricGoal('accuracy'); // 'max'
 * ```
 */
export function metricGoal(key: string): 'max' | 'min' {
  return LOWER_IS_BETTER.test(key) ? 'min' : 'max';
}

/**
 * Whether a metric counts things (`numSamples`, `support`, `box_count`): listed as a fact, never ranked or
 * starred as better or worse.
 *
 * @example
 * ```ts
 * isCountMetric('numSamples'); // true
 * isCountMetric('f1'); // false
 * ```
 */
export function isCountMetric(key: string): boolean {
  return /^num[A-Z_]|^n_|(^|[_.])(count|support|samples|epochs)$|(Count|Samples|Support)$/.test(key);
}

export function compareRecords(records: readonly RunRecord[]): RunComparison {
  const metricMaps = records.map((record) => {
    const final = numericMetrics(record.metrics);
    if (Object.keys(final).length > 0) return { source: 'final' as const, values: final };
    const last = record.epochs.at(-1);
    if (last !== undefined) return { source: 'lastEpoch' as const, values: { ...last.metrics } };
    return { source: 'none' as const, values: {} as Record<string, number> };
  });
  const paramKeys = unionKeys(records.map((r) => r.params));
  const metricKeys = unionKeys(metricMaps.map((m) => m.values));
  return {
    runs: records.map((r, i) => ({
      id: r.id,
      name: r.name,
      task: r.task,
      status: r.status,
      epochCount: r.epochCount,
      durationMs: r.durationMs,
      metricsSource: metricMaps[i]?.source ?? 'none',
    })),
    params: paramKeys.map((key) => {
      const values = records.map((r) => (key in r.params ? (r.params[key] ?? null) : null));
      const first = JSON.stringify(values[0]);
      return { key, values, differs: values.some((v) => JSON.stringify(v) !== first) };
    }),
    metrics: metricKeys.map((key) => {
      const values = metricMaps.map((m) => m.values[key] ?? null);
      const goal = metricGoal(key);
      let best: number | null = null;
      values.forEach((v, i) => {
        if (v === null || Number.isNaN(v) || isCountMetric(key)) return;
        const current = best === null ? null : (values[best] as number);
        if (current === null || (goal === 'max' ? v > current : v < current)) best = i;
      });
      return { key, values, goal, best };
    }),
  };
}

/** The fixed leading columns of an export. */
export const EXPORT_COLUMNS = [
  'id',
  'name',
  'task',
  'status',
  'study_id',
  'trial_number',
  'epochs',
  'seconds',
  'seed',
  'backend',
  'git_commit',
  'created_at',
  'finished_at',
  'tags',
] as const;

export function runsToCsv(runs: readonly RunInfo[]): string {
  const paramKeys = unionKeys(runs.map((r) => r.params));
  const metricKeys = unionKeys(runs.map((r) => numericMetrics(r.metrics)));
  const lines = [
    csvLine([...EXPORT_COLUMNS, ...paramKeys.map((k) => `params.${k}`), ...metricKeys.map((k) => `metrics.${k}`)]),
  ];
  for (const r of runs) {
    lines.push(
      csvLine([
        r.id,
        r.name,
        r.task,
        r.status,
        r.studyId,
        r.trialNumber,
        r.epochCount,
        Math.round(r.durationMs) / 1000,
        r.seed,
        r.backend,
        r.gitCommit,
        r.createdAt,
        r.finishedAt,
        r.tags.join(';'),
        ...paramKeys.map((k) => r.params[k] ?? null),
        ...metricKeys.map((k) => {
          const v = r.metrics[k];
          return typeof v === 'number' ? v : null;
        }),
      ]),
    );
  }
  return lines.join('');
}

function unionKeys(maps: ReadonlyArray<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  for (const map of maps) for (const key of Object.keys(map)) keys.add(key);
  return [...keys];
}
