import type { Labels, Probabilities } from './inputs.js';

/**
 * The Keras metric contract: feed batches with `update`, read the value with `result`, start over with `reset`.
 * Streaming in several chunks gives exactly the one-shot result.
 *
 * @example
 * ```ts
 * function evaluate(metric: Metric<number>, batches: [number[], number[][]][]): number {
 *   metric.reset();
 *   for (const [yTrue, yPred] of batches) metric.update(yTrue, yPred);
 *   return metric.result();
 * }
 * ```
 */
export interface Metric<Result> {
  /** Stable camelCase name, used as a column in results.csv and a key in metrics.json. */
  readonly name: string;
  /** Accumulates one batch: class indices and predicted probabilities. */
  update(yTrue: Labels, yPred: Probabilities): void;
  /** The value over everything seen since the last `reset`. */
  result(): Result;
  /** Forgets everything seen. */
  reset(): void;
  /** The validated options, enough to rebuild the metric with `fromConfig`. */
  toConfig(): object;
}
