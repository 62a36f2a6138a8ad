import { existsSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, join } from 'node:path';
import { TrackStudyStorage } from '@optik/pipeline';
import {
  type EpochRecord,
  parseCsv,
  type RunInfo,
  type RunRecord,
  runPaths,
  type Store,
  type StudyRecord,
} from '@optik/track';
import { optimizationHistory, parallelCoordinatesData, paramImportance, type TrialRecord } from '@optik/tune';
import { barChart, type ChartSpec, learningCurvesChart, lineChart, parallelCoordinatesChart } from '@optik/viz';
import { IMAGE_EXTENSIONS, listFiles, readJson } from './files.js';

/** A run as the runs table lists it: no config, no per-class tables, only numbers that fit a column. */
export interface RunRow {
  readonly id: number;
  readonly name: string;
  readonly task: string;
  readonly status: RunInfo['status'];
  readonly dataset: string | null;
  /** Top-level numeric final metrics (accuracy, f1, meanIoU …), or the last epoch's while it runs. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly epochCount: number;
  readonly tags: readonly string[];
  readonly studyId: number | null;
  readonly trialNumber: number | null;
  readonly createdAt: string;
  readonly error: string | null;
}

const NOT_HEADLINE = new Set(['numSamples']);

/** Numbers at the top level of a metrics object (nested reports, matrices and records are left out). */
export function headlineOf(metrics: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === 'number' && Number.isFinite(value) && !NOT_HEADLINE.has(key)) out[key] = value;
  }
  return out;
}

function datasetOf(run: RunInfo): string | null {
  const fromParams = run.params['data.dataset'] ?? run.params['data.directory'];
  if (typeof fromParams === 'string') return fromParams;
  const origin = (run.metrics.dataset as { origin?: unknown } | undefined)?.origin;
  return typeof origin === 'string' ? origin : null;
}

export function runRow(run: RunInfo): RunRow {
  return {
    id: run.id,
    name: run.name,
    task: run.task,
    status: run.status,
    dataset: datasetOf(run),
    metrics: headlineOf(run.metrics),
    durationMs: run.durationMs,
    epochCount: run.epochCount,
    tags: run.tags,
    studyId: run.studyId,
    trialNumber: run.trialNumber,
    createdAt: run.createdAt,
    error: run.error,
  };
}

/** The names plotted as learning curves: metrics logged for training that also have a `val_` twin, else all. */
export function curveMetrics(epochs: readonly EpochRecord[]): string[] {
  const keys = new Set(epochs.flatMap((e) => Object.keys(e.metrics)));
  const paired = [...keys].filter((k) => !k.startsWith('val_') && keys.has(`val_${k}`));
  if (paired.length > 0) return paired;
  return [...keys].filter((k) => !/seconds|per_second|learning_rate|^lr$/.test(k));
}

/** One row per epoch (numbered from 1 as the store and `optik train` number them) with every numeric metric. */
export function epochRows(epochs: readonly EpochRecord[]): Record<string, number>[] {
  return epochs.map((e) => {
    const row: Record<string, number> = { epoch: e.epoch };
    for (const [k, v] of Object.entries(e.metrics)) if (typeof v === 'number' && Number.isFinite(v)) row[k] = v;
    return row;
  });
}

/** The learning-curves chart of @optik/viz (the same spec `report.html` renders), or null before the first epoch. */
export function learningCurves(epochs: readonly EpochRecord[]): ChartSpec | null {
  const metrics = curveMetrics(epochs);
  if (epochs.length === 0 || metrics.length === 0) return null;
  return learningCurvesChart(epochRows(epochs), { title: 'Learning curves', metrics, width: 420, height: 240 });
}

/** What a prediction row says, with the index the image route uses. */
interface PredictionCell {
  readonly row: number;
  readonly id: string;
}

export interface ConfusionView {
  readonly classNames: readonly string[];
  readonly matrix: readonly (readonly number[])[];
  /** Per cell `[true][predicted]`: the predictions.csv rows (at most 48) whose `id` is an image file path. */
  readonly images: readonly (readonly (readonly PredictionCell[])[])[] | null;
}

export interface RunView {
  readonly run: RunRow & { readonly dir: string; readonly params: RunInfo['params']; readonly seed: number | null };
  readonly config: Record<string, unknown>;
  readonly epochs: Record<string, number>[];
  readonly curveMetrics: readonly string[];
  readonly charts: { readonly learningCurves: ChartSpec | null };
  /** The final metrics (metrics.json or the store), as recorded. */
  readonly metrics: Record<string, unknown>;
  readonly diagnosis: unknown;
  readonly perClass: readonly Record<string, unknown>[] | null;
  readonly confusion: ConfusionView | null;
  readonly model: unknown;
  readonly files: {
    readonly all: readonly string[];
    readonly plots: readonly string[];
    readonly report: string | null;
    readonly weights: readonly string[];
  };
  /** Plain-language notes about what is missing or unreadable in the run folder. */
  readonly problems: readonly string[];
}

/** Everything the Run page shows, read from the store and the run folder; a missing file becomes a problem note. */
export function runView(record: RunRecord): RunView {
  const paths = runPaths(record.dir);
  const problems: string[] = [];
  const folderExists = existsSync(record.dir);
  if (!folderExists) problems.push(`The run folder ${record.dir} is missing; only what the store recorded is shown.`);
  let metrics: Record<string, unknown> = record.metrics;
  const metricsFile = readJson(paths.metrics);
  if ('value' in metricsFile && isRecord(metricsFile.value)) metrics = metricsFile.value;
  else if (folderExists && record.status !== 'running' && 'problem' in metricsFile) {
    problems.push(`metrics.json is ${metricsFile.problem}; showing the metrics recorded in the store.`);
  }
  const model = readJson(join(record.dir, 'model-summary.json'));
  const all = folderExists ? listFiles(record.dir) : [];
  const plots = all.filter((f) => f.startsWith('plots/') && IMAGE_EXTENSIONS.has(extname(f).toLowerCase()));
  const classNames = Array.isArray(metrics.classNames) ? metrics.classNames.map(String) : null;
  const matrix = isMatrix(metrics.confusionMatrix) ? metrics.confusionMatrix : null;
  return {
    run: { ...runRow(record), dir: record.dir, params: record.params, seed: record.seed },
    config: record.config,
    epochs: epochRows(record.epochs),
    curveMetrics: curveMetrics(record.epochs),
    charts: { learningCurves: learningCurves(record.epochs) },
    metrics,
    diagnosis: metrics.diagnosis ?? null,
    perClass: Array.isArray(metrics.perClass) ? metrics.perClass.filter(isRecord) : null,
    confusion:
      classNames !== null && matrix !== null && matrix.length === classNames.length
        ? { classNames, matrix, images: cellImages(paths.predictions, classNames) }
        : null,
    model: 'value' in model ? model.value : null,
    files: {
      all,
      plots,
      report: all.includes('report.html') ? 'report.html' : null,
      weights: all.filter((f) => f.startsWith('weights/')),
    },
    problems,
  };
}

/** The image file a predictions.csv row names (absolute, or relative to the run folder), if it is an image. */
export function predictionImage(runDir: string, row: number): string | undefined {
  const table = readPredictions(join(runDir, 'predictions.csv'));
  const id = table?.rows[row]?.[table.idColumn];
  if (id === undefined || !IMAGE_EXTENSIONS.has(extname(id).toLowerCase())) return undefined;
  const file = isAbsolute(id) ? id : join(runDir, id);
  return existsSync(file) ? file : undefined;
}

function readPredictions(file: string): { rows: string[][]; idColumn: number; header: string[] } | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: string[][];
  try {
    parsed = parseCsv(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const [header, ...rows] = parsed;
  if (header === undefined) return undefined;
  return { header, rows, idColumn: header.indexOf('id') };
}

function cellImages(file: string, classNames: readonly string[]): PredictionCell[][][] | null {
  const table = readPredictions(file);
  if (table === undefined || table.idColumn < 0) return null;
  const trueColumn = table.header.indexOf('true');
  const predictedColumn = table.header.indexOf('predicted');
  if (trueColumn < 0 || predictedColumn < 0) return null;
  const index = new Map(classNames.map((name, i) => [name, i]));
  const cells = classNames.map(() => classNames.map((): PredictionCell[] => []));
  let withImages = 0;
  table.rows.forEach((fields, row) => {
    const id = fields[table.idColumn] ?? '';
    if (!IMAGE_EXTENSIONS.has(extname(id).toLowerCase())) return;
    const t = index.get(fields[trueColumn] ?? '') ?? Number(fields[trueColumn]);
    const p = index.get(fields[predictedColumn] ?? '') ?? Number(fields[predictedColumn]);
    const cell = cells[t]?.[p];
    if (cell === undefined) return;
    withImages++;
    if (cell.length < 48) cell.push({ row, id });
  });
  return withImages === 0 ? null : cells;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isMatrix = (value: unknown): value is number[][] =>
  Array.isArray(value) && value.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'));

/** The Compare page: the differing config keys, the metric table and one overlaid chart per curve metric. */
export function compareView(store: Store, ids: readonly number[]) {
  const comparison = store.compareRuns(ids);
  const records = ids.map((id) => store.getRun(id));
  const label = (r: RunRecord) => `${r.name} (#${r.id})`;
  const metrics = [...new Set(records.flatMap((r) => curveMetrics(r.epochs)))];
  const curves = metrics.flatMap((metric) => {
    const rows = records.flatMap((r) =>
      epochRows(r.epochs).flatMap((row) => [
        ...(row[metric] === undefined ? [] : [{ epoch: row.epoch, run: label(r), split: 'train', value: row[metric] }]),
        ...(row[`val_${metric}`] === undefined
          ? []
          : [{ epoch: row.epoch, run: label(r), split: 'validation', value: row[`val_${metric}`] }]),
      ]),
    );
    if (rows.length === 0) return [];
    const validation = rows.filter((r) => r.split === 'validation');
    const shown = validation.length > 0 ? validation : rows;
    return [
      {
        metric,
        split: validation.length > 0 ? 'validation' : 'train',
        spec: lineChart(shown, {
          x: 'epoch',
          y: 'value',
          series: 'run',
          title: `${validation.length > 0 ? 'val_' : ''}${metric}`,
          yTitle: metric,
          width: 420,
          height: 220,
        }),
      },
    ];
  });
  return {
    runs: comparison.runs,
    configDiff: comparison.params.filter((p) => p.differs),
    metrics: comparison.metrics,
    curves,
  };
}

/** The most trials the parallel-coordinates plot draws (the best ones). */
const PARALLEL_LINES = 200;

/** A trial of the Studies page. */
export interface TrialRow {
  readonly number: number;
  readonly state: TrialRecord['state'];
  readonly params: TrialRecord['params'];
  readonly value: number | null;
  readonly runId: number;
}

/** The Study page: trials with parameters and values, the best trial, parameter importance and the charts. */
export function studyView(store: Store, study: StudyRecord) {
  // Only each trial's run id here (the trials come from the storage): the light listing skips config and metrics.
  const runs = store.listRuns({ studyId: study.id, sortBy: 'trialNumber', metrics: 'numbers' });
  const storage = new TrackStudyStorage({ store, objective: study.objective, task: study.task ?? 'classification' });
  // listTrials is synchronous work behind a promise; read the runs once and map them the same way.
  return storage.listTrials(String(study.id)).then((trials) => {
    const runIdOf = new Map(runs.map((r) => [r.trialNumber, r.id]));
    const rows: TrialRow[] = trials.map((t) => ({
      number: t.number,
      state: t.state,
      params: t.params,
      value: t.value,
      runId: runIdOf.get(t.number) ?? -1,
    }));
    const completed = rows.filter((t) => t.state === 'completed' && t.value !== null);
    const sign = study.direction === 'minimize' ? 1 : -1;
    const best = completed.reduce<TrialRow | null>(
      (a, t) => (a === null || sign * (t.value as number) < sign * (a.value as number) ? t : a),
      null,
    );
    const importance = completed.length >= 2 ? paramImportance(trials) : [];
    const history = optimizationHistory(trials, study.direction);
    const parallel = parallelCoordinatesData(trials, study.direction);
    const numericParams = parallel.params
      .map((p) => p.name)
      .filter((name) => completed.some((t) => typeof t.params[name] === 'number'));
    // Past a few hundred lines the plot is unreadable and slow to draw: it keeps the best ones.
    const parallelTrials = [...completed]
      .sort((a, b) => sign * ((a.value as number) - (b.value as number)))
      .slice(0, PARALLEL_LINES);
    const charts = {
      history:
        history.length === 0
          ? null
          : lineChart(
              history.flatMap((h) => [
                { trial: h.number, value: h.value, series: 'trial' },
                { trial: h.number, value: h.best, series: 'best so far' },
              ]),
              {
                x: 'trial',
                y: 'value',
                series: 'series',
                title: `${study.objective} over trials`,
                width: 460,
                // a dot per trial reads well for tens of trials; for hundreds the lines say it and draw faster
                points: history.length <= 200,
              },
            ),
      importance:
        importance.length === 0
          ? null
          : barChart(
              importance.map((p) => ({ parameter: p.name, importance: p.importance })),
              { category: 'parameter', value: 'importance', title: 'Parameter importance', width: 360 },
            ),
      parallel:
        completed.length === 0 || numericParams.length === 0
          ? null
          : parallelCoordinatesChart(
              parallelTrials.map((t) => ({ ...t.params, [study.objective]: t.value })),
              {
                dimensions: [...numericParams, study.objective],
                color: study.objective,
                title:
                  parallelTrials.length < completed.length
                    ? `Parallel coordinates (best ${parallelTrials.length} of ${completed.length} trials)`
                    : 'Parallel coordinates',
                width: 560,
              },
            ),
    };
    return { study, trials: rows, best, importance, history, charts };
  });
}

export type { RunRecord };
