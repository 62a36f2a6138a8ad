import type { Labels, Probabilities } from './inputs.js';

/**
 * The Keras metric contract: feed batches with `update`, read the value with `result`, start over with `reset`.
 * Streaming in several chunks gives exactly the one-shot result. Classification metrics take class labels and
 * probabilities (arrays or tensors); other tasks name their own inputs (`YTrue`, `YPred`), e.g. `LocalizationMetrics`.
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
export interface Metric<Result, YTrue = Labels, YPred = Probabilities> {
  /** Stable camelCase name, used as a column in results.csv and a key in metrics.json. */
  readonly name: string;
  /** Accumulates one batch: for classification, true labels and predicted probabilities (arrays or tensors). */
  update(yTrue: YTrue, yPred: YPred): void;
  /** The value over everything seen since the last `reset`. */
  result(): Result;
  /** Forgets everything seen. */
  reset(): void;
  /** The validated options, enough to rebuild the metric with `fromConfig`. */
  toConfig(): object;
}
