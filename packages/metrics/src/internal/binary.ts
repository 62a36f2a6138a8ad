import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { GrowableFloat64 } from './buffer.js';
import { type Labels, type Probabilities, positiveColumn, readLabels, readProbabilities } from './inputs.js';
import type { Metric } from './metric.js';
import { clip, type PrecisionRecallCurve, type RocCurve } from './multiclass.js';
import {
  averagePrecisionFromCounts,
  prCurveFromCounts,
  rankCounts,
  rocAucFromCounts,
  rocCurveFromCounts,
} from './ranking.js';

export const ThresholdSchema = z.strictObject({ threshold: z.number().min(0).max(1).default(0.5) });
export const BinaryRankingSchema = z.strictObject({});
export const BinaryLogLossSchema = z.strictObject({ eps: z.number().gt(0).lt(0.5).default(Number.EPSILON) });

/**
 * Options of the thresholded binary metrics: predicted positive when `p > threshold` (default 0.5).
 *
 * @example
 * ```ts
 * const options: ThresholdMetricOptions = { threshold: 0.3 };
 * ```
 */
export type ThresholdMetricOptions = z.input<typeof ThresholdSchema>;
/**
 * Options of `BinaryLogLoss`: `eps` (clipping) defaults to `Number.EPSILON`.
 *
 * @example
 * ```ts
 * const options: BinaryLogLossOptions = { eps: 1e-7 };
 * ```
 */
export type BinaryLogLossOptions = z.input<typeof BinaryLogLossSchema>;

export type ThresholdConfig = z.output<typeof ThresholdSchema>;
export type BinaryLogLossConfig = z.output<typeof BinaryLogLossSchema>;

/**
 * Reads binary labels (0/1, or one-hot rows of a tensor) and the positive-class probabilities (flat, rows of one
 * value, or a `[n]`, `[n, 1]` or `[n, 2]` tensor).
 */
export function readBinary(
  yTrue: Labels,
  yPred: Probabilities,
  what: string,
): { labels: Int32Array; probs: Float64Array } {
  const labels = readLabels(yTrue, 2, what);
  return { labels, probs: readProbabilities(positiveColumn(yPred), labels.length, 1, what) };
}

/** Counts of the 2 × 2 confusion matrix with predicted positive = `p > threshold` (Keras's rule). */
class BinaryCounts {
  tn = 0;
  fp = 0;
  fn = 0;
  tp = 0;

  update(yTrue: Labels, yPred: Probabilities, threshold: number, what: string): void {
    const { labels, probs } = readBinary(yTrue, yPred, what);
    for (let i = 0; i < labels.length; i++) {
      const predicted = (probs[i] as number) > threshold;
      if (labels[i] === 1) {
        if (predicted) this.tp++;
        else this.fn++;
      } else if (predicted) this.fp++;
      else this.tn++;
    }
  }

  reset(): void {
    this.tn = 0;
    this.fp = 0;
    this.fn = 0;
    this.tp = 0;
  }
}

abstract class ThresholdMetric implements Metric<number> {
  abstract readonly name: string;
  private readonly config: ThresholdConfig;
  protected readonly counts = new BinaryCounts();

  constructor(options: ThresholdMetricOptions, what: string) {
    this.config = parseOrThrow(ThresholdSchema, options, { what: `${what} options` });
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    this.counts.update(yTrue, yPred, this.config.threshold, `${this.name}.update`);
  }

  abstract result(): number;

  reset(): void {
    this.counts.reset();
  }

  toConfig(): ThresholdConfig {
    return { ...this.config };
  }
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Fraction of samples where `p > threshold` matches the 0/1 label.
 *
 * @example
 * ```ts
 * const metric = new BinaryAccuracy({ threshold: 0.5 });
 * metric.update([0, 1, 1], [0.2, 0.7, 0.4]);
 * metric.result(); // 2 / 3
 * ```
 */
export class BinaryAccuracy extends ThresholdMetric {
  readonly name = 'binaryAccuracy';

  constructor(options: ThresholdMetricOptions = {}) {
    super(options, 'BinaryAccuracy');
  }

  static fromConfig(config: ThresholdMetricOptions): BinaryAccuracy {
    return new BinaryAccuracy(config);
  }

  result(): number {
    const { tp, tn, fp, fn } = this.counts;
    return ratio(tp + tn, tp + tn + fp + fn);
  }
}

/**
 * Precision of the positive class, TP / (TP + FP), predicted positive = `p > threshold`; 0 when undefined.
 *
 * @example
 * ```ts
 * const metric = new BinaryPrecision();
 * metric.update([0, 1, 1], [0.6, 0.7, 0.4]);
 * metric.result(); // 0.5
 * ```
 */
export class BinaryPrecision extends ThresholdMetric {
  readonly name = 'binaryPrecision';

  constructor(options: ThresholdMetricOptions = {}) {
    super(options, 'BinaryPrecision');
  }

  static fromConfig(config: ThresholdMetricOptions): BinaryPrecision {
    return new BinaryPrecision(config);
  }

  result(): number {
    return ratio(this.counts.tp, this.counts.tp + this.counts.fp);
  }
}

/**
 * Recall of the positive class, TP / (TP + FN), predicted positive = `p > threshold`; 0 when undefined.
 *
 * @example
 * ```ts
 * const metric = new BinaryRecall({ threshold: 0.3 });
 * metric.update([0, 1, 1], [0.6, 0.7, 0.4]);
 * metric.result(); // 1
 * ```
 */
export class BinaryRecall extends ThresholdMetric {
  readonly name = 'binaryRecall';

  constructor(options: ThresholdMetricOptions = {}) {
    super(options, 'BinaryRecall');
  }

  static fromConfig(config: ThresholdMetricOptions): BinaryRecall {
    return new BinaryRecall(config);
  }

  result(): number {
    return ratio(this.counts.tp, this.counts.tp + this.counts.fn);
  }
}

/**
 * F1 of the positive class (harmonic mean of precision and recall), predicted positive = `p > threshold`.
 *
 * @example
 * ```ts
 * const metric = new BinaryF1Score();
 * metric.update([0, 1, 1], [0.6, 0.7, 0.4]);
 * metric.result(); // 0.5
 * ```
 */
export class BinaryF1Score extends ThresholdMetric {
  readonly name = 'binaryF1';

  constructor(options: ThresholdMetricOptions = {}) {
    super(options, 'BinaryF1Score');
  }

  static fromConfig(config: ThresholdMetricOptions): BinaryF1Score {
    return new BinaryF1Score(config);
  }

  result(): number {
    const { tp, fp, fn } = this.counts;
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    return ratio(2 * precision * recall, precision + recall);
  }
}

class BinaryScoreStore {
  private readonly labels = new GrowableFloat64();
  private readonly probs = new GrowableFloat64();

  update(yTrue: Labels, yPred: Probabilities, what: string): void {
    const { labels, probs } = readBinary(yTrue, yPred, what);
    this.labels.push(Float64Array.from(labels));
    this.probs.push(probs);
  }

  counts() {
    const labels = this.labels.view();
    return rankCounts(this.probs.view(), (i) => labels[i] === 1);
  }

  reset(): void {
    this.labels.clear();
    this.probs.clear();
  }
}

/**
 * Exact ROC-AUC of a binary problem from positive-class probabilities; NaN until both classes were seen.
 *
 * @example
 * ```ts
 * const metric = new BinaryRocAuc();
 * metric.update([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * metric.result(); // 0.75
 * ```
 */
export class BinaryRocAuc implements Metric<number> {
  readonly name = 'binaryRocAuc';
  private readonly store = new BinaryScoreStore();

  constructor(options: z.input<typeof BinaryRankingSchema> = {}) {
    parseOrThrow(BinaryRankingSchema, options, { what: 'BinaryRocAuc options' });
  }

  static fromConfig(config: z.input<typeof BinaryRankingSchema>): BinaryRocAuc {
    return new BinaryRocAuc(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    this.store.update(yTrue, yPred, 'BinaryRocAuc.update');
  }

  result(): number {
    return rocAucFromCounts(this.store.counts());
  }

  /** The ROC curve (classId 1, the positive class). */
  curve(): RocCurve {
    const counts = this.store.counts();
    return { classId: 1, ...rocCurveFromCounts(counts), auc: rocAucFromCounts(counts) };
  }

  reset(): void {
    this.store.reset();
  }

  toConfig(): Record<string, never> {
    return {};
  }
}

/**
 * Average precision (PR-AUC, scikit-learn's definition) of the positive class; NaN until a positive was seen.
 *
 * @example
 * ```ts
 * const metric = new BinaryAveragePrecision();
 * metric.update([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * metric.result(); // 0.8333…
 * ```
 */
export class BinaryAveragePrecision implements Metric<number> {
  readonly name = 'binaryAveragePrecision';
  private readonly store = new BinaryScoreStore();

  constructor(options: z.input<typeof BinaryRankingSchema> = {}) {
    parseOrThrow(BinaryRankingSchema, options, { what: 'BinaryAveragePrecision options' });
  }

  static fromConfig(config: z.input<typeof BinaryRankingSchema>): BinaryAveragePrecision {
    return new BinaryAveragePrecision(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    this.store.update(yTrue, yPred, 'BinaryAveragePrecision.update');
  }

  result(): number {
    return averagePrecisionFromCounts(this.store.counts());
  }

  /** The precision–recall curve of the positive class (classId 1). */
  curve(): PrecisionRecallCurve {
    const counts = this.store.counts();
    return { classId: 1, ...prCurveFromCounts(counts), averagePrecision: averagePrecisionFromCounts(counts) };
  }

  reset(): void {
    this.store.reset();
  }

  toConfig(): Record<string, never> {
    return {};
  }
}

/**
 * Binary cross-entropy as scikit-learn's `log_loss` on positive-class probabilities (clipped to [eps, 1 − eps]).
 *
 * @example
 * ```ts
 * const metric = new BinaryLogLoss();
 * metric.update([0, 1], [0.1, 0.8]);
 * metric.result(); // (−ln 0.9 − ln 0.8) / 2
 * ```
 */
export class BinaryLogLoss implements Metric<number> {
  readonly name = 'binaryLogLoss';
  private readonly config: BinaryLogLossConfig;
  private sum = 0;
  private total = 0;

  constructor(options: BinaryLogLossOptions = {}) {
    this.config = parseOrThrow(BinaryLogLossSchema, options, { what: 'BinaryLogLoss options' });
  }

  static fromConfig(config: BinaryLogLossOptions): BinaryLogLoss {
    return new BinaryLogLoss(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    const { eps } = this.config;
    const { labels, probs } = readBinary(yTrue, yPred, 'BinaryLogLoss.update');
    for (let i = 0; i < labels.length; i++) {
      const p = clip(probs[i] as number, eps);
      const q = clip(1 - (probs[i] as number), eps);
      this.sum -= Math.log((labels[i] === 1 ? p : q) / (p + q));
    }
    this.total += labels.length;
  }

  result(): number {
    return this.total === 0 ? Number.NaN : this.sum / this.total;
  }

  reset(): void {
    this.sum = 0;
    this.total = 0;
  }

  toConfig(): BinaryLogLossConfig {
    return { ...this.config };
  }
}
