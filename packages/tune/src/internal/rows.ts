import type { ParamValue, TrialRecord, TrialState, UserAttrValue } from './types.js';

/** A cell of a trials table. */
export type TrialCell = ParamValue | UserAttrValue | null;

/**
 * One row of `trials.csv`. Every row has the same keys in the same order — `number`, `state`, `value`, the
 * parameters, the user attributes, `duration` (seconds), `error` — so the first row's keys are the header.
 */
export type TrialRow = Record<string, TrialCell> & {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly duration: number | null;
  readonly error: string | null;
};

const FIXED = new Set(['number', 'state', 'value', 'duration', 'error']);

/**
 * One row per trial, ascending by number: `number, state, value, <params…>, <user attributes…>, duration, error`.
 * A parameter absent from a trial (a conditional one) is null. A user attribute named like a parameter or a fixed
 * column is prefixed `attr.`.
 */
export function trialsToRows(trials: readonly TrialRecord[]): TrialRow[] {
  const params: string[] = [];
  const attrs: string[] = [];
  const sorted = trials.slice().sort((a, b) => a.number - b.number);
  for (const t of sorted) {
    for (const k of Object.keys(t.params)) if (!params.includes(k)) params.push(k);
    for (const k of Object.keys(t.userAttrs)) if (!attrs.includes(k)) attrs.push(k);
  }
  const attrColumn = (k: string): string => (FIXED.has(k) || params.includes(k) ? `attr.${k}` : k);
  return sorted.map((t) => {
    const row: Record<string, TrialCell> = { number: t.number, state: t.state, value: t.value };
    for (const k of params) row[k] = t.params[k] ?? null;
    for (const k of attrs) row[attrColumn(k)] = t.userAttrs[k] ?? null;
    row.duration =
      t.completedAt === null ? null : Math.round(Date.parse(t.completedAt) - Date.parse(t.startedAt)) / 1000;
    row.error = t.error;
    return row as TrialRow;
  });
}
