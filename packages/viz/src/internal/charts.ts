import { OptikError, parseOrThrow } from '@optik/core';
import { type ConfusionNormalization, normalizeConfusionMatrix, type PrecisionRecallCurve } from '@optik/metrics';
import { z } from 'zod';
import type { ChartSpec } from './render.js';

const SCHEMA_URL = 'https://vega.github.io/schema/vega-lite/v6.json';
const size = { width: z.int().min(50).max(4000).default(360), height: z.int().min(50).max(4000).default(240) };

/**
 * A table row for the charts: column name → value (numbers, or strings for categories).
 *
 * @example
 * ```ts
 * const row: ChartRow = { trial: 3, learningRate: 0.001, value: 0.91 };
 * ```
 */
export type ChartRow = Readonly<Record<string, unknown>>;

/** vega-lite reads dots and brackets in a field name as nested access; Optik names like `model.dropout` are flat. */
function field(name: string): string {
  return name.replace(/([.[\]\\])/g, '\\$1');
}

function requireColumns(data: readonly ChartRow[], columns: readonly string[], what: string): void {
  if (data.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', `${what}: there is no data to plot.`, { hint: 'Pass at least one row.' });
  }
  const seen = new Set(data.flatMap((row) => Object.keys(row)));
  for (const column of columns) {
    if (!seen.has(column)) {
      throw new OptikError('ARGUMENT_INVALID', `${what}: no row has a column "${column}".`, {
        received: [...seen],
        hint: 'Name one of the columns present in the rows.',
      });
    }
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/**
 * The scale of a quantitative axis. A column whose values are all equal (tied trials, a parameter with one value)
 * gets a padded domain around its value: vega would otherwise draw a zero-height axis with 6-decimal ticks.
 */
function axisScale(
  data: readonly ChartRow[],
  column: string,
  log: boolean,
): { type: 'log'; domain?: [number, number] } | { zero: false; domain?: [number, number] } {
  const values = new Set(data.map((row) => toNumber(row[column])).filter((v): v is number => v !== undefined));
  const only = values.size === 1 ? (values.values().next().value as number) : undefined;
  if (log) return only === undefined || only <= 0 ? { type: 'log' } : { type: 'log', domain: [only / 2, only * 2] };
  if (only === undefined) return { zero: false };
  const pad = only === 0 ? 1 : Math.abs(only) * 0.1;
  return { zero: false, domain: [only - pad, only + pad] };
}

function titled(title: string | undefined): { title?: string } {
  return title === undefined ? {} : { title };
}

const LearningCurvesSchema = z.strictObject({
  /** Metrics to plot, one panel each; a metric is skipped when no row has it. */
  metrics: z.array(z.string().min(1)).min(1).default(['loss', 'accuracy']),
  title: z.string().default('Learning curves'),
  ...size,
  width: z.int().min(50).max(4000).default(300),
});

/**
 * Options of {@link learningCurvesChart}.
 *
 * @example
 * ```ts
 * const options: LearningCurvesOptions = { metrics: ['loss', 'accuracy', 'f1'] };
 * ```
 */
export type LearningCurvesOptions = z.input<typeof LearningCurvesSchema>;

/**
 * Train vs validation curves per epoch, one panel per metric (loss and accuracy by default), from rows like
 * results.csv: `epoch`, `loss`, `val_loss` (or `valLoss`), `accuracy`, `val_accuracy`… Numeric strings are read as
 * numbers, so parsed CSV rows work as they are.
 *
 * @example
 * ```ts
 * const spec = learningCurvesChart([
 *   { epoch: 1, loss: 0.9, val_loss: 0.8, accuracy: 0.7, val_accuracy: 0.72 },
 *   { epoch: 2, loss: 0.5, val_loss: 0.55, accuracy: 0.83, val_accuracy: 0.81 },
 * ]);
 * await writeFile('learning-curves.png', await renderPng(spec));
 * ```
 */
export function learningCurvesChart(rows: readonly ChartRow[], options: LearningCurvesOptions = {}): ChartSpec {
  const o = parseOrThrow(LearningCurvesSchema, options, { what: 'learning curves options' });
  const { values, plotted } = curveValues(rows, o.metrics, 'learningCurvesChart');
  return curvePanels(o, values, plotted, {
    color: {
      field: 'split',
      type: 'nominal',
      title: null,
      scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#ff7f0e'] },
    },
  });
}

/** One line panel per metric over the epochs, with `encoding` added (how lines are coloured and dashed). */
function curvePanels(
  o: { title: string; width: number; height: number },
  values: readonly object[],
  metrics: readonly string[],
  encoding: Record<string, unknown>,
): ChartSpec {
  return {
    $schema: SCHEMA_URL,
    title: o.title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', sort: [...metrics], title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: o.width,
      height: o.height,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        ...encoding,
      },
    },
  };
}

/** One point of a learning curve: the metric's train or validation value at an epoch. */
interface CurvePoint {
  epoch: number;
  metric: string;
  split: 'train' | 'validation';
  value: number;
}

/** The train and validation points of `metrics` in results.csv-like rows, and the metrics found. */
function curveValues(
  rows: readonly ChartRow[],
  metrics: readonly string[],
  what: string,
): { values: CurvePoint[]; plotted: string[] } {
  const values: CurvePoint[] = [];
  const plotted: string[] = [];
  for (const metric of metrics) {
    const valKeys = [`val_${metric}`, `val${metric.charAt(0).toUpperCase()}${metric.slice(1)}`];
    let found = false;
    rows.forEach((row, i) => {
      const epoch = toNumber(row.epoch) ?? i + 1;
      const train = toNumber(row[metric]);
      const validation = valKeys.map((k) => toNumber(row[k])).find((v) => v !== undefined);
      if (train !== undefined) values.push({ epoch, metric, split: 'train', value: train });
      if (validation !== undefined) values.push({ epoch, metric, split: 'validation', value: validation });
      found ||= train !== undefined || validation !== undefined;
    });
    if (found) plotted.push(metric);
  }
  if (plotted.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', `${what}: no row has any of ${metrics.join(', ')}.`, {
      received: [...new Set(rows.flatMap((row) => Object.keys(row)))],
      hint: 'Pass results.csv rows with loss/val_loss (or valLoss) columns, or name the metrics to plot.',
    });
  }
  return { values, plotted };
}

/**
 * One run of {@link compareCurvesChart}: its label and its per-epoch rows (results.csv or the store's epochs).
 *
 * @example
 * ```ts
 * const run: CurveRun = { name: '3:baseline', rows: [{ epoch: 1, loss: 0.9, val_loss: 0.8 }] };
 * ```
 */
export interface CurveRun {
  readonly name: string;
  readonly rows: readonly ChartRow[];
}

/**
 * Options of {@link compareCurvesChart}.
 *
 * @example
 * ```ts
 * const options: CompareCurvesOptions = { metrics: ['loss', 'accuracy'], title: 'dropout 0.2 vs 0.5' };
 * ```
 */
export type CompareCurvesOptions = z.input<typeof LearningCurvesSchema>;

/**
 * The learning curves of several runs overlaid: one panel per metric, one colour per run, validation solid and
 * training dashed — what `optik runs compare --plot` draws. Run names must be distinct.
 *
 * @example
 * ```ts
 * const spec = compareCurvesChart([
 *   { name: '3:baseline', rows: [{ epoch: 1, loss: 0.9, val_loss: 0.8 }, { epoch: 2, loss: 0.5, val_loss: 0.6 }] },
 *   { name: '4:dropout', rows: [{ epoch: 1, loss: 1.0, val_loss: 0.85 }, { epoch: 2, loss: 0.6, val_loss: 0.55 }] },
 * ]);
 * await writeFile('compare.png', await renderPng(spec));
 * ```
 */
export function compareCurvesChart(runs: readonly CurveRun[], options: CompareCurvesOptions = {}): ChartSpec {
  const o = parseOrThrow(LearningCurvesSchema, options, { what: 'compare curves options' });
  const names = runs.map((r) => r.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (runs.length === 0 || repeated !== undefined) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      runs.length === 0
        ? 'compareCurvesChart: there are no runs to plot.'
        : `compareCurvesChart: two runs are named "${repeated}".`,
      { received: names, hint: 'Pass one or more runs with distinct names (e.g. "<id>:<name>").' },
    );
  }
  const values: (CurvePoint & { run: string })[] = [];
  const plotted = new Set<string>();
  for (const run of runs) {
    if (run.rows.length === 0) continue;
    const curves = curveValues(run.rows, o.metrics, `compareCurvesChart (run ${run.name})`);
    for (const point of curves.values) values.push({ ...point, run: run.name });
    for (const metric of curves.plotted) plotted.add(metric);
  }
  if (values.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'compareCurvesChart: none of the runs has a logged epoch.', {
      received: names,
      hint: 'Compare runs that trained for at least one epoch.',
    });
  }
  return curvePanels(
    o,
    values,
    o.metrics.filter((m) => plotted.has(m)),
    {
      color: { field: 'run', type: 'nominal', title: 'run', sort: names },
      strokeDash: {
        field: 'split',
        type: 'nominal',
        title: null,
        scale: {
          domain: ['validation', 'train'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
      },
      detail: { field: 'split', type: 'nominal' },
    },
  );
}

const ConfusionSchema = z.strictObject({
  /** Colour and percentage by row (`true`, = recall), column (`pred`), total (`all`), or counts only (`none`). */
  normalize: z.enum(['true', 'pred', 'all', 'none']).default('true'),
  title: z.string().default('Confusion matrix'),
  /** Side of one cell in pixels. */
  cellSize: z.int().min(10).max(200).default(40),
});

/**
 * Options of {@link confusionMatrixChart}.
 *
 * @example
 * ```ts
 * const options: ConfusionMatrixChartOptions = { normalize: 'pred', cellSize: 30 };
 * ```
 */
export type ConfusionMatrixChartOptions = z.input<typeof ConfusionSchema>;

/**
 * Confusion-matrix heatmap: rows are true classes, columns predictions, each cell shows its count and (unless
 * `normalize: 'none'`) its normalised share, coloured by that share.
 *
 * @example
 * ```ts
 * const spec = confusionMatrixChart(report.confusionMatrix, report.classNames);
 * ```
 */
export function confusionMatrixChart(
  matrix: readonly (readonly number[])[],
  classNames: readonly string[],
  options: ConfusionMatrixChartOptions = {},
): ChartSpec {
  const o = parseOrThrow(ConfusionSchema, options, { what: 'confusion matrix options' });
  const c = classNames.length;
  if (c === 0 || matrix.length !== c || matrix.some((row) => row.length !== c)) {
    throw new OptikError(
      'DATA_MISMATCH',
      `confusionMatrixChart: the matrix must be ${c} × ${c}, one row and column per class name.`,
      {
        received: matrix.map((row) => row.length),
      },
    );
  }
  const normalized =
    o.normalize === 'none' ? null : normalizeConfusionMatrix(matrix, o.normalize as ConfusionNormalization);
  const max = Math.max(1, ...matrix.flat());
  const values = matrix.flatMap((row, i) =>
    row.map((count, j) => {
      const share = normalized?.[i]?.[j];
      return {
        true: classNames[i],
        predicted: classNames[j],
        count,
        shade: share ?? count / max,
        label: share === undefined ? String(count) : `${count}\n${(share * 100).toFixed(0)}%`,
      };
    }),
  );
  const axis = { labelAngle: 0, labelLimit: 120 };
  return {
    $schema: SCHEMA_URL,
    title: o.title,
    width: o.cellSize * c,
    height: o.cellSize * c,
    data: { values },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: [...classNames],
        title: 'predicted',
        axis: { ...axis, labelAngle: -45 },
      },
      y: { field: 'true', type: 'nominal', sort: [...classNames], title: 'true', axis },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'shade',
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, 1] },
            title: o.normalize === 'none' ? 'count / max' : `share (${o.normalize})`,
          },
        },
      },
      {
        mark: { type: 'text', lineBreak: '\n', fontSize: Math.max(7, Math.min(11, o.cellSize / 4)) },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: 'datum.shade > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

const PrCurvesSchema = z.strictObject({
  title: z.string().default('Precision–recall curves'),
  /** Curves longer than this are thinned to evenly spaced points (the SVG stays small for big test sets). */
  maxPoints: z.int().min(10).default(400),
  ...size,
  height: z.int().min(50).max(4000).default(300),
});

/**
 * Options of {@link prCurvesChart}.
 *
 * @example
 * ```ts
 * const options: PrCurvesChartOptions = { maxPoints: 200, title: 'PR curves (test set)' };
 * ```
 */
export type PrCurvesChartOptions = z.input<typeof PrCurvesSchema>;

/**
 * Precision–recall curves, one step line per class, labelled with the class name and its average precision.
 * Takes the curves of `AveragePrecision.curves()` (or `BinaryAveragePrecision.curve()`) from @optik/metrics.
 *
 * @example
 * ```ts
 * const ap = new AveragePrecision({ numClasses: 10 });
 * ap.update(yTrue, probs);
 * const spec = prCurvesChart(ap.curves(), classNames);
 * ```
 */
export function prCurvesChart(
  curves: readonly PrecisionRecallCurve[],
  classNames: readonly string[],
  options: PrCurvesChartOptions = {},
): ChartSpec {
  const o = parseOrThrow(PrCurvesSchema, options, { what: 'PR curves options' });
  if (curves.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'prCurvesChart: there are no curves to plot.', {
      hint: 'Pass AveragePrecision.curves() after at least one update.',
    });
  }
  const values = curves.flatMap((curve) => {
    const name = classNames[curve.classId] ?? `class ${curve.classId}`;
    const ap = Number.isNaN(curve.averagePrecision) ? 'n/a' : curve.averagePrecision.toFixed(3);
    const series = `${name} (AP ${ap})`;
    const n = Math.min(curve.recall.length, curve.precision.length);
    const keep =
      n <= o.maxPoints
        ? Array.from({ length: n }, (_, i) => i)
        : [...new Set(Array.from({ length: o.maxPoints }, (_, k) => Math.round((k * (n - 1)) / (o.maxPoints - 1))))];
    return keep.map((i, order) => ({ series, order, recall: curve.recall[i], precision: curve.precision[i] }));
  });
  return {
    $schema: SCHEMA_URL,
    title: o.title,
    width: o.width,
    height: o.height,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'recall', type: 'quantitative', scale: { domain: [0, 1] } },
      y: { field: 'precision', type: 'quantitative', scale: { domain: [0, 1.02] } },
      color: { field: 'series', type: 'nominal', title: null },
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

const LineSchema = z.strictObject({
  x: z.string().min(1),
  y: z.string().min(1),
  /** Column whose values split the rows into one line each. */
  series: z.string().min(1).optional(),
  title: z.string().optional(),
  xTitle: z.string().optional(),
  yTitle: z.string().optional(),
  logY: z.boolean().default(false),
  points: z.boolean().default(true),
  ...size,
});

/**
 * Options of {@link lineChart}: the x and y columns, an optional `series` column, titles and a log y scale.
 *
 * @example
 * ```ts
 * const options: LineChartOptions = { x: 'trial', y: 'bestValue', title: 'Optimisation history' };
 * ```
 */
export type LineChartOptions = z.input<typeof LineSchema>;

/**
 * A line chart of `y` against `x`, one line per value of `series` (e.g. the tuner's optimisation history).
 *
 * @example
 * ```ts
 * const spec = lineChart(trials, { x: 'trial', y: 'value', series: 'kind', title: 'Optimisation history' });
 * ```
 */
export function lineChart(data: readonly ChartRow[], options: LineChartOptions): ChartSpec {
  const o = parseOrThrow(LineSchema, options, { what: 'line chart options' });
  requireColumns(data, [o.x, o.y, ...(o.series === undefined ? [] : [o.series])], 'lineChart');
  return {
    $schema: SCHEMA_URL,
    ...titled(o.title),
    width: o.width,
    height: o.height,
    data: { values: [...data] },
    mark: { type: 'line', point: o.points },
    encoding: {
      x: { field: field(o.x), type: 'quantitative', title: o.xTitle ?? o.x },
      y: {
        field: field(o.y),
        type: 'quantitative',
        title: o.yTitle ?? o.y,
        scale: axisScale(data, o.y, o.logY),
      },
      ...(o.series === undefined ? {} : { color: { field: field(o.series), type: 'nominal', title: o.series } }),
    },
  };
}

const BarSchema = z.strictObject({
  /** Column naming each bar. */
  category: z.string().min(1),
  /** Column holding each bar's length. */
  value: z.string().min(1),
  /** Horizontal bars (the default) read well for parameter names. */
  orientation: z.enum(['horizontal', 'vertical']).default('horizontal'),
  sort: z.enum(['descending', 'ascending', 'none']).default('descending'),
  title: z.string().optional(),
  valueTitle: z.string().optional(),
  ...size,
});

/**
 * Options of {@link barChart}.
 *
 * @example
 * ```ts
 * const options: BarChartOptions = { category: 'parameter', value: 'importance', sort: 'descending' };
 * ```
 */
export type BarChartOptions = z.input<typeof BarSchema>;

/**
 * A bar chart, one bar per row (e.g. the tuner's parameter importances), sorted by value by default.
 *
 * @example
 * ```ts
 * const spec = barChart([{ parameter: 'learningRate', importance: 0.7 }, { parameter: 'dropout', importance: 0.3 }], {
 *   category: 'parameter',
 *   value: 'importance',
 * });
 * ```
 */
export function barChart(data: readonly ChartRow[], options: BarChartOptions): ChartSpec {
  const o = parseOrThrow(BarSchema, options, { what: 'bar chart options' });
  requireColumns(data, [o.category, o.value], 'barChart');
  const sort = o.sort === 'none' ? null : o.sort === 'descending' ? '-value' : 'value';
  // Long category names (a tuning parameter's key path) stay whole up to 320 px; vega-lite cuts at 180 by default.
  const category = { field: field(o.category), type: 'nominal' as const, sort, title: null, axis: { labelLimit: 320 } };
  const value = { field: field(o.value), type: 'quantitative' as const, title: o.valueTitle ?? o.value };
  const horizontal = o.orientation === 'horizontal';
  return {
    $schema: SCHEMA_URL,
    ...titled(o.title),
    width: o.width,
    height: horizontal ? Math.max(o.height, 18 * data.length) : o.height,
    data: { values: [...data] },
    mark: 'bar',
    encoding: horizontal ? { y: category, x: value } : { x: category, y: value },
  };
}

const ScatterSchema = z.strictObject({
  x: z.string().min(1),
  y: z.string().min(1),
  /** Column colouring the points (numbers get a gradient, strings a palette). */
  color: z.string().min(1).optional(),
  /** Column splitting the plot into panels with their own x scale (e.g. one slice plot per parameter). */
  facet: z.string().min(1).optional(),
  title: z.string().optional(),
  logX: z.boolean().default(false),
  logY: z.boolean().default(false),
  ...size,
});

/**
 * Options of {@link scatterChart}.
 *
 * @example
 * ```ts
 * const options: ScatterChartOptions = { x: 'learningRate', y: 'value', logX: true };
 * ```
 */
export type ScatterChartOptions = z.input<typeof ScatterSchema>;

/**
 * A scatter plot of `y` against `x`, optionally coloured and split into panels (the tuner's slice plots).
 *
 * @example
 * ```ts
 * const spec = scatterChart(trials, { x: 'learningRate', y: 'value', color: 'trial', logX: true });
 * ```
 */
export function scatterChart(data: readonly ChartRow[], options: ScatterChartOptions): ChartSpec {
  const o = parseOrThrow(ScatterSchema, options, { what: 'scatter chart options' });
  const extra = [o.color, o.facet].filter((c): c is string => c !== undefined);
  requireColumns(data, [o.x, o.y, ...extra], 'scatterChart');
  const colorType: 'quantitative' | 'nominal' =
    o.color !== undefined && data.every((row) => typeof row[o.color!] === 'number') ? 'quantitative' : 'nominal';
  const inner = {
    width: o.width,
    height: o.height,
    mark: { type: 'point' as const, filled: true },
    encoding: {
      x: {
        field: field(o.x),
        type: 'quantitative' as const,
        title: o.x,
        scale: axisScale(data, o.x, o.logX),
      },
      y: {
        field: field(o.y),
        type: 'quantitative' as const,
        title: o.y,
        scale: axisScale(data, o.y, o.logY),
      },
      ...(o.color === undefined ? {} : { color: { field: field(o.color), type: colorType, title: o.color } }),
    },
  };
  const values = { values: [...data] };
  if (o.facet === undefined) return { $schema: SCHEMA_URL, ...titled(o.title), data: values, ...inner };
  return {
    $schema: SCHEMA_URL,
    ...titled(o.title),
    data: values,
    facet: { field: field(o.facet), type: 'nominal', title: null },
    columns: 3,
    resolve: { scale: { x: 'independent' } },
    spec: inner,
  };
}

const ParallelSchema = z.strictObject({
  /** Numeric columns, one vertical axis each, in this order. Each is rescaled to [0, 1] between its min and max. */
  dimensions: z.array(z.string().min(1)).min(2),
  /** Column colouring the lines (e.g. the objective value). */
  color: z.string().min(1).optional(),
  title: z.string().optional(),
  ...size,
  width: z.int().min(50).max(4000).default(480),
});

/**
 * Options of {@link parallelCoordinatesChart}.
 *
 * @example
 * ```ts
 * const options: ParallelCoordinatesOptions = { dimensions: ['learningRate', 'dropout', 'value'], color: 'value' };
 * ```
 */
export type ParallelCoordinatesOptions = z.input<typeof ParallelSchema>;

/**
 * Parallel coordinates: one line per row across the given numeric columns, each axis scaled to its own min–max
 * (the tuner's view of how parameters relate to the objective).
 *
 * @example
 * ```ts
 * const spec = parallelCoordinatesChart(trials, { dimensions: ['learningRate', 'dropout', 'filters', 'value'], color: 'value' });
 * ```
 */
export function parallelCoordinatesChart(data: readonly ChartRow[], options: ParallelCoordinatesOptions): ChartSpec {
  const o = parseOrThrow(ParallelSchema, options, { what: 'parallel coordinates options' });
  requireColumns(data, [...o.dimensions, ...(o.color === undefined ? [] : [o.color])], 'parallelCoordinatesChart');
  // Long format computed here (not with vega transforms) so dimension names never go through field parsing.
  const ranges = o.dimensions.map((d) => {
    const numbers = data.map((row) => toNumber(row[d])).filter((v): v is number => v !== undefined);
    return { min: Math.min(...numbers), max: Math.max(...numbers) };
  });
  const values = data.flatMap((row, index) =>
    o.dimensions.flatMap((dimension, k) => {
      const raw = toNumber(row[dimension]);
      if (raw === undefined) return [];
      const { min, max } = ranges[k]!;
      const scaled = max === min ? 0.5 : (raw - min) / (max - min);
      return [{ index, dimension, raw, scaled, ...(o.color === undefined ? {} : { colorValue: row[o.color] }) }];
    }),
  );
  const colorType: 'quantitative' | 'nominal' =
    o.color !== undefined && data.every((row) => typeof row[o.color!] === 'number') ? 'quantitative' : 'nominal';
  return {
    $schema: SCHEMA_URL,
    ...titled(o.title),
    width: o.width,
    height: o.height,
    data: { values },
    layer: [
      {
        mark: { type: 'rule', color: '#bbb' },
        encoding: {
          x: { field: 'dimension', type: 'nominal', sort: [...o.dimensions] },
          detail: { aggregate: 'count' },
        },
      },
      {
        mark: { type: 'line', opacity: 0.6 },
        encoding: {
          x: {
            field: 'dimension',
            type: 'nominal',
            sort: [...o.dimensions],
            title: null,
            // Slanted so long names (key paths) next to each other do not overprint.
            axis: { labelAngle: -35, labelAlign: 'right', labelLimit: 260 },
          },
          y: { field: 'scaled', type: 'quantitative', title: null, axis: null },
          detail: { field: 'index', type: 'nominal' },
          ...(o.color === undefined ? {} : { color: { field: 'colorValue', type: colorType, title: o.color } }),
          tooltip: [
            { field: 'dimension', type: 'nominal' },
            { field: 'raw', type: 'quantitative' },
          ],
        },
      },
      {
        mark: { type: 'text', dy: -6, fontSize: 9, color: '#555' },
        data: {
          values: o.dimensions.flatMap((dimension, k) => [
            { dimension, scaled: 1, text: formatTick(ranges[k]!.max) },
            { dimension, scaled: 0, text: formatTick(ranges[k]!.min) },
          ]),
        },
        encoding: {
          x: { field: 'dimension', type: 'nominal', sort: [...o.dimensions] },
          y: { field: 'scaled', type: 'quantitative' },
          text: { field: 'text', type: 'nominal' },
        },
      },
    ],
  };
}

function formatTick(value: number): string {
  if (!Number.isFinite(value)) return '';
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(2)
    : String(Number(value.toPrecision(4)));
}
