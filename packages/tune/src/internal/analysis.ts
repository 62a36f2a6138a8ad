import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { Direction, Distribution, ParamValue, TrialRecord } from './types.js';

const completedOf = (trials: readonly TrialRecord[]): TrialRecord[] =>
  trials
    .filter((t) => t.state === 'completed' && t.value !== null && Number.isFinite(t.value))
    .sort((a, b) => a.number - b.number);

/** The latest distribution each parameter was drawn from, in order of first appearance. */
function distributionsOf(trials: readonly TrialRecord[]): Map<string, Distribution> {
  const out = new Map<string, Distribution>();
  for (const t of trials.slice().sort((a, b) => a.number - b.number)) {
    for (const [name, d] of Object.entries(t.distributions)) out.set(name, d);
  }
  return out;
}

/** One point of the optimisation history. */
export interface HistoryPoint {
  readonly number: number;
  /** The trial's objective value. */
  readonly value: number;
  /** The best value among completed trials up to and including this one. */
  readonly best: number;
}

/** Optimisation history: each completed trial's value and the best value so far, by trial number. */
export function optimizationHistory(trials: readonly TrialRecord[], direction: Direction): HistoryPoint[] {
  let best: number | undefined;
  return completedOf(trials).map((t) => {
    const value = t.value as number;
    if (best === undefined || (direction === 'minimize' ? value < best : value > best)) best = value;
    return { number: t.number, value, best };
  });
}

const ImportanceOptionsSchema = z.strictObject({
  /** Bins for a numeric parameter with more distinct values than this (equal width, in log space for log). */
  bins: z.number().int().min(2).default(10),
});

/** Options of {@link paramImportance}. */
export type ParamImportanceOptions = z.input<typeof ImportanceOptionsSchema>;

/** A parameter's share of the explained variance of the objective. */
export interface ParamImportance {
  readonly name: string;
  /** In [0, 1]; the importances of a study sum to 1 unless none explains anything (all 0). */
  readonly importance: number;
}

/**
 * Parameter importance, "fANOVA-lite": for each parameter, the completed trials where it exists are grouped by
 * its value (each choice of a categorical, each value of a discrete parameter with few values, otherwise
 * `min(bins, ⌊n/4⌋)` equal-width bins — in log space for log parameters); the importance is the share of the
 * objective's variance explained by the group means, corrected for chance (epsilon² = (SS_between − (k−1)·MS_within)
 * / (SS_total + MS_within), clipped at 0), normalised over the parameters to sum to 1. Unlike full fANOVA it
 * ignores interactions; it is cheap and stable with tens of trials. Sorted by importance, largest first.
 */
export function paramImportance(
  trials: readonly TrialRecord[],
  options: ParamImportanceOptions = {},
): ParamImportance[] {
  const { bins } = parseOrThrow(ImportanceOptionsSchema, options, { what: 'importance options' });
  const completed = completedOf(trials);
  const raw: ParamImportance[] = [];
  for (const [name, d] of distributionsOf(completed)) {
    const rows = completed.filter((t) => t.params[name] !== undefined);
    const groupOf = grouping(
      d,
      rows.map((t) => t.params[name] as ParamValue),
      bins,
    );
    raw.push({
      name,
      importance: epsilonSquared(rows.map((t) => [groupOf(t.params[name] as ParamValue), t.value as number])),
    });
  }
  const total = raw.reduce((a, r) => a + r.importance, 0);
  return raw
    .map((r) => ({ name: r.name, importance: total > 0 ? r.importance / total : 0 }))
    .sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
}

function grouping(d: Distribution, values: readonly ParamValue[], bins: number): (v: ParamValue) => string {
  const distinct = new Set(values);
  const nBins = Math.min(bins, Math.max(2, Math.floor(values.length / 4)));
  if (d.type === 'categorical' || distinct.size <= nBins) return (v) => JSON.stringify(v);
  const scale = (v: number): number => (d.log ? Math.log(v) : v);
  const lo = scale(d.low);
  const width = (scale(d.high) - lo) / nBins;
  return (v) => String(width > 0 ? Math.min(nBins - 1, Math.floor((scale(v as number) - lo) / width)) : 0);
}

function epsilonSquared(pairs: readonly (readonly [string, number])[]): number {
  const n = pairs.length;
  if (n < 3) return 0;
  const mean = pairs.reduce((a, [, y]) => a + y, 0) / n;
  const groups = new Map<string, number[]>();
  for (const [g, y] of pairs) {
    const list = groups.get(g) ?? [];
    list.push(y);
    groups.set(g, list);
  }
  const k = groups.size;
  if (k < 2 || n - k < 1) return 0;
  let ssTotal = 0;
  for (const [, y] of pairs) ssTotal += (y - mean) ** 2;
  if (ssTotal === 0) return 0;
  let ssBetween = 0;
  for (const ys of groups.values()) {
    const m = ys.reduce((a, b) => a + b, 0) / ys.length;
    ssBetween += ys.length * (m - mean) ** 2;
  }
  const msWithin = (ssTotal - ssBetween) / (n - k);
  return Math.max(0, (ssBetween - (k - 1) * msWithin) / (ssTotal + msWithin));
}

/** Data of one slice plot: the objective against one parameter, a point per completed trial that has it. */
export interface SliceSeries {
  readonly name: string;
  /** For the axis: categorical choices, or numeric bounds and `log`. */
  readonly distribution: Distribution;
  readonly points: readonly { readonly number: number; readonly param: ParamValue; readonly value: number }[];
}

/** Slice plot data, one series per parameter (in order of first appearance). */
export function sliceData(trials: readonly TrialRecord[]): SliceSeries[] {
  const completed = completedOf(trials);
  return [...distributionsOf(completed)].map(([name, distribution]) => ({
    name,
    distribution,
    points: completed
      .filter((t) => t.params[name] !== undefined)
      .map((t) => ({ number: t.number, param: t.params[name] as ParamValue, value: t.value as number })),
  }));
}

/** Parallel-coordinates data: one axis per parameter plus the objective, one line per completed trial. */
export interface ParallelCoordinates {
  readonly params: readonly { readonly name: string; readonly distribution: Distribution }[];
  /** The objective axis: the range of the values and which end is better. */
  readonly objective: { readonly min: number; readonly max: number; readonly direction: Direction };
  /** One line per completed trial; a parameter absent from a trial is missing from its `params`. */
  readonly lines: readonly {
    readonly number: number;
    readonly value: number;
    readonly params: Readonly<Record<string, ParamValue>>;
  }[];
}

/** Parallel-coordinates plot data over the completed trials. */
export function parallelCoordinatesData(trials: readonly TrialRecord[], direction: Direction): ParallelCoordinates {
  const completed = completedOf(trials);
  const values = completed.map((t) => t.value as number);
  return {
    params: [...distributionsOf(completed)].map(([name, distribution]) => ({ name, distribution })),
    objective: {
      min: values.length === 0 ? 0 : Math.min(...values),
      max: values.length === 0 ? 0 : Math.max(...values),
      direction,
    },
    lines: completed.map((t) => ({ number: t.number, value: t.value as number, params: { ...t.params } })),
  };
}
