import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Direction,
  optimizationHistory,
  type ParamSpec,
  type ParamValue,
  paramImportance,
  sliceData,
  type TrialRecord,
} from '@optik/tune';
import { barChart, type ChartRow, lineChart, parallelCoordinatesChart, renderPng, scatterChart } from '@optik/viz';

/** One trial as the leaderboard, `trials.csv` and `--json` show it. */
export interface TuneTrialSummary {
  readonly number: number;
  /**
   * `interrupted`: stopped with the study (`signal`), as the store records it, in this and every later session
   * (the sampler reads it as failed, so a grid retries its point).
   */
  readonly status: 'running' | 'completed' | 'pruned' | 'failed' | 'interrupted';
  /** The trial's run in the store, and its name (`<study>-trial<n>`). */
  readonly runId: number | null;
  readonly runName: string | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The objective: its best per-epoch value (completed), the last reported value (pruned), else null. */
  readonly value: number | null;
  /** Test-split metrics of a completed trial (macro precision/recall/F1, log loss as `loss`), else null. */
  readonly accuracy: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly loss: number | null;
  /** Epochs trained. */
  readonly epochs: number;
  /** Wall time of the trial. */
  readonly seconds: number | null;
  readonly error: string | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The summary of a trial record (metrics from its user attributes). */
export function summarizeTrial(record: TrialRecord, run: { id: number; name: string } | undefined): TuneTrialSummary {
  const a = record.userAttrs;
  return {
    number: record.number,
    status: record.state,
    runId: run?.id ?? null,
    runName: run?.name ?? null,
    params: { ...record.params },
    value: record.value,
    accuracy: num(a.accuracy),
    precision: num(a.precision),
    recall: num(a.recall),
    f1: num(a.f1),
    loss: num(a.loss),
    epochs: num(a.epochs) ?? record.intermediateValues.length,
    seconds:
      record.completedAt === null
        ? null
        : Math.round(Date.parse(record.completedAt) - Date.parse(record.startedAt)) / 1000,
    error: record.error,
  };
}

const STATUS_RANK = { completed: 0, pruned: 1, running: 2, interrupted: 3, failed: 4 } as const;

/** Best first: completed by value, then pruned by value, then running, interrupted and failed; ties by number. */
export function leaderboard(trials: readonly TuneTrialSummary[], direction: Direction): TuneTrialSummary[] {
  const sign = direction === 'maximize' ? -1 : 1;
  return trials.slice().sort((a, b) => {
    const rank = STATUS_RANK[a.status] - STATUS_RANK[b.status];
    if (rank !== 0) return rank;
    if (a.value !== null && b.value !== null && a.value !== b.value) return sign * (a.value - b.value);
    if ((a.value === null) !== (b.value === null)) return a.value === null ? 1 : -1;
    return a.number - b.number;
  });
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * `trials.csv`: one row per trial, ascending by number — `trial, status, <objective>, <params…>, accuracy,
 * precision, recall, f1, loss, epochs, seconds, run_id, run_name, error`.
 */
export function trialsCsv(trials: readonly TuneTrialSummary[], objective: string, space: readonly ParamSpec[]): string {
  const params = space.map((s) => s.name);
  for (const t of trials) for (const k of Object.keys(t.params)) if (!params.includes(k)) params.push(k);
  const header = [
    'trial',
    'status',
    objective,
    ...params,
    'accuracy',
    'precision',
    'recall',
    'f1',
    'loss',
    'epochs',
    'seconds',
    'run_id',
    'run_name',
    'error',
  ];
  const rows = trials
    .slice()
    .sort((a, b) => a.number - b.number)
    .map((t) =>
      [
        t.number,
        t.status,
        t.value,
        ...params.map((p) => t.params[p] ?? null),
        t.accuracy,
        t.precision,
        t.recall,
        t.f1,
        t.loss,
        t.epochs,
        t.seconds,
        t.runId,
        t.runName,
        t.error,
      ]
        .map(csvCell)
        .join(','),
    );
  return `${[header.map(csvCell).join(','), ...rows].join('\n')}\n`;
}

/** A parameter value on a numeric axis: numbers as they are, a choice by its index in the choices. */
function axisValue(spec: ParamSpec | undefined, value: ParamValue): number | null {
  if (typeof value === 'number') return value;
  if (spec?.type === 'categorical') {
    const index = spec.choices.indexOf(value);
    return index >= 0 ? index : null;
  }
  return typeof value === 'boolean' ? Number(value) : null;
}

/**
 * The tuning plots as PNG files in `dir`: `optimization-history.png`, `parallel-coordinates.png`,
 * `param-importance.png` and one `slice-<param>.png` per parameter. Each needs completed trials (importance
 * needs 3 whose objective differs); a parameter with one value in every trial gets no axis, slice or bar; the
 * plots without enough data are left out. Returns the files written.
 */
export async function writeTunePlots(
  dir: string,
  trials: readonly TrialRecord[],
  options: { direction: Direction; objective: string; space: readonly ParamSpec[] },
): Promise<string[]> {
  const { direction, objective, space } = options;
  const specOf = new Map(space.map((s) => [s.name, s]));
  const written: string[] = [];
  const write = async (file: string, spec: Parameters<typeof renderPng>[0]) => {
    writeFileSync(join(dir, file), await renderPng(spec));
    written.push(file);
  };
  const history = optimizationHistory(trials, direction);
  if (history.length === 0) return written;
  await write(
    'optimization-history.png',
    lineChart(
      history.flatMap((p) => [
        { trial: p.number, [objective]: p.value, series: 'trial' },
        { trial: p.number, [objective]: p.best, series: 'best so far' },
      ]),
      { x: 'trial', y: objective, series: 'series', title: `Optimisation history (${direction} ${objective})` },
    ),
  );

  const completed = trials.filter((t) => t.state === 'completed' && t.value !== null);
  // A parameter with one value in every completed trial explains nothing: no axis, no slice, no importance.
  const varying = new Set(
    space.map((s) => s.name).filter((n) => new Set(completed.map((t) => JSON.stringify(t.params[n] ?? null))).size > 1),
  );
  const names = space.map((s) => s.name).filter((n) => varying.has(n));
  const rows: ChartRow[] = completed.map((t) => {
    const row: Record<string, unknown> = { [objective]: t.value };
    for (const n of names) {
      const v = t.params[n];
      if (v !== undefined) row[n] = axisValue(specOf.get(n), v);
    }
    return row;
  });
  if (names.length > 0) {
    await write(
      'parallel-coordinates.png',
      parallelCoordinatesChart(rows, {
        dimensions: [...names, objective],
        color: objective,
        title: 'Parameters of the completed trials (categorical: choice index)',
        width: Math.max(480, 64 * (names.length + 1)),
      }),
    );
  }
  const importance = paramImportance(trials).filter((p) => varying.has(p.name));
  // All zero when the objective tied in every trial: a chart of empty bars would say nothing.
  if (completed.length >= 3 && importance.some((p) => p.importance > 0)) {
    await write(
      'param-importance.png',
      barChart(
        importance.map((p) => ({ parameter: p.name, importance: p.importance })),
        { category: 'parameter', value: 'importance', title: `Parameter importance for ${objective}` },
      ),
    );
  }
  for (const series of sliceData(trials)) {
    if (!varying.has(series.name)) continue;
    const spec = specOf.get(series.name);
    const points = series.points
      .map((p) => ({ [series.name]: axisValue(spec, p.param), [objective]: p.value }))
      .filter((p) => p[series.name] !== null);
    if (points.length === 0) continue;
    const log = series.distribution.type !== 'categorical' && series.distribution.log;
    await write(
      `slice-${series.name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`,
      scatterChart(points, {
        x: series.name,
        y: objective,
        logX: log,
        title: `${objective} against ${series.name}${spec?.type === 'categorical' ? ` (${spec.choices.map((c, i) => `${i}=${String(c)}`).join(', ')})` : ''}`,
      }),
    );
  }
  return written;
}
