import { OptikError } from '@optik/core';

/** A value a run parameter may take: flat and comparable across runs. */
export type ParamValue = string | number | boolean | null;

/** A flat key → value map of a run's hyperparameters (`train.learningRate: 0.001`). */
export type Params = Record<string, ParamValue>;

/** Metrics of one epoch: flat name → number (`loss`, `val_accuracy`, `lr`). NaN and ±Infinity are kept. */
export type EpochMetrics = Record<string, number>;

/** Any JSON value. Final metrics may nest (per-class tables, a confusion matrix). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Final metrics of a run: name → JSON value; top-level numbers are what tables and comparisons show. */
export type FinalMetrics = Record<string, JsonValue>;

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': -Infinity,
};

/** JSON.stringify that keeps NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity". */
export function encodeJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    indent,
  );
}

/** Parses a metrics object written by {@link encodeJson}, turning the non-finite markers back into numbers. */
export function decodeMetrics<T extends Record<string, unknown>>(text: string | null): T {
  if (text === null) return {} as T;
  const parsed = JSON.parse(text) as Record<string, unknown>;
  for (const [key, v] of Object.entries(parsed)) {
    if (typeof v === 'string' && v in NON_FINITE) parsed[key] = NON_FINITE[v];
  }
  return parsed as T;
}

/** Checks that `value` is a plain JSON-able object and returns a deep copy of it. */
export function toPlainObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptikError('ARGUMENT_INVALID', `${what} must be a plain object.`, { received: value });
  }
  let text: string | undefined;
  try {
    text = encodeJson(value);
  } catch (cause) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `${what} must be JSON-serialisable (no cycles, BigInt or functions).`,
      { hint: 'Pass the resolved config as plain data.' },
      { cause },
    );
  }
  return JSON.parse(text as string) as Record<string, unknown>;
}

/** Validates epoch metrics: a flat object of numbers. */
export function checkEpochMetrics(metrics: unknown): EpochMetrics {
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
    throw new OptikError('ARGUMENT_INVALID', 'Epoch metrics must be an object of name → number.', {
      received: metrics,
    });
  }
  const out: EpochMetrics = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (key === '' || key === 'epoch') {
      throw new OptikError('ARGUMENT_INVALID', 'Epoch metric names must be non-empty and not "epoch".', {
        path: `metrics.${key}`,
        received: key,
      });
    }
    if (typeof value !== 'number') {
      throw new OptikError('ARGUMENT_INVALID', `Epoch metric "${key}" must be a number.`, {
        path: `metrics.${key}`,
        received: value,
        hint: 'Log scalars only (call .dataSync()[0] on a scalar tensor first).',
      });
    }
    out[key] = value;
  }
  return out;
}

/**
 * Flattens a nested config into dotted keys with scalar values, the form runs are compared and tuned on:
 * `{ train: { learningRate: 0.001 }, model: { layers: [{ filters: 32 }] } }` →
 * `{ 'train.learningRate': 0.001, 'model.layers[0].filters': 32 }`. Empty objects and arrays are kept as JSON text.
 *
 * @example
 * ```ts
 * flattenParams({ train: { learningRate: 0.001 } }); // { 'train.learningRate': 0.001 }
 * ```
 */
export function flattenParams(config: Record<string, unknown>): Params {
  const out: Params = {};
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      out[path] = value;
    } else if (typeof value === 'number') {
      out[path] = Number.isFinite(value) ? value : String(value);
    } else if (Array.isArray(value)) {
      if (value.length === 0) out[path] = '[]';
      value.forEach((item, i) => {
        visit(item, `${path}[${i}]`);
      });
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && path !== '') out[path] = '{}';
      for (const [key, item] of entries) visit(item, path === '' ? key : `${path}.${key}`);
    }
    // undefined and functions carry no hyperparameter: skipped
  };
  visit(config, '');
  return out;
}

/** The numeric top-level entries of final metrics (what tables, comparisons and exports show). */
export function numericMetrics(metrics: FinalMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) if (typeof value === 'number') out[key] = value;
  return out;
}
