import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { GrowableFloat64 } from './buffer.js';
import { type PrecisionRecallF1Result, scoresFromConfusion } from './confusion.js';
import {
  argmaxRow,
  isSigmoidOutput,
  type Labels,
  type Probabilities,
  readLabels,
  readProbabilities,
} from './inputs.js';
import type { Metric } from './metric.js';
import {
  averagePrecisionFromCounts,
  prCurveFromCounts,
  rankCounts,
  rocAucFromCounts,
  rocCurveFromCounts,
} from './ranking.js';

const numClasses = z.int().min(2).max(1_000_000);

export const MulticlassSchema = z.strictObject({ numClasses });
export const AveragedSchema = z.strictObject({
  numClasses,
  average: z.enum(['macro', 'micro', 'weighted']).default('macro'),
});
export const TopKSchema = z
  .strictObject({ numClasses, k: z.int().min(1).default(5) })
  .refine((o) => o.k <= o.numClasses, { message: 'k must be at most numClasses', path: ['k'] });
export const LogLossSchema = z.strictObject({ numClasses, eps: z.number().gt(0).lt(0.5).default(Number.EPSILON) });

/**
 * Options of `Accuracy`, `ConfusionMatrix`, `PrecisionRecallF1`, `RocAuc` and `AveragePrecision`.
 *
 * @example
 * ```ts
 * const options: MulticlassMetricOptions = { numClasses: 10 };
 * ```
 */
export type MulticlassMetricOptions = z.input<typeof MulticlassSchema>;
/**
 * Options of `Precision`, `Recall` and `F1Score`: `average` is `macro` (default), `micro` or `weighted`.
 *
 * @example
 * ```ts
 * const options: AveragedMetricOptions = { numClasses: 10, average: 'weighted' };
 * ```
 */
export type AveragedMetricOptions = z.input<typeof AveragedSchema>;
/**
 * Options of `TopKAccuracy`: `k` defaults to 5 and must be at most `numClasses`.
 *
 * @example
 * ```ts
 * const options: TopKAccuracyOptions = { numClasses: 10, k: 3 };
 * ```
 */
export type TopKAccuracyOptions = z.input<typeof TopKSchema>;
/**
 * Options of `LogLoss`: `eps` (clipping) defaults to `Number.EPSILON`, scikit-learn's float64 default.
 *
 * @example
 * ```ts
 * const options: LogLossOptions = { numClasses: 10 };
 * ```
 */
export type LogLossOptions = z.input<typeof LogLossSchema>;

export type MulticlassConfig = z.output<typeof MulticlassSchema>;
export type AveragedConfig = z.output<typeof AveragedSchema>;
export type TopKConfig = z.output<typeof TopKSchema>;
export type LogLossConfig = z.output<typeof LogLossSchema>;

function read(
  yTrue: Labels,
  yPred: Probabilities,
  numClasses: number,
  what: string,
): { labels: Int32Array; probs: Float64Array } {
  const labels = readLabels(yTrue, numClasses, what);
  const n = labels.length;
  if (numClasses === 2 && isSigmoidOutput(yPred, n)) {
    // A sigmoid head's [n, 1] (or [n]) output is the second class's probability: read it as [1 − p, p].
    const positive = readProbabilities(yPred, n, 1, what);
    const probs = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      probs[2 * i] = 1 - (positive[i] as number);
      probs[2 * i + 1] = positive[i] as number;
    }
    return { labels, probs };
  }
  return { labels, probs: readProbabilities(yPred, n, numClasses, what) };
}

/**
 * Fraction of samples whose highest-probability class (first on ties, like `argMax`) is the true one.
 *
 * @example
 * ```ts
 * const accuracy = new Accuracy({ numClasses: 3 });
 * accuracy.update([0, 2], [[0.8, 0.1, 0.1], [0.5, 0.2, 0.3]]);
 * accuracy.result(); // 0.5
 * ```
 */
export class Accuracy implements Metric<number> {
  readonly name = 'accuracy';
  private readonly config: MulticlassConfig;
  private correct = 0;
  private total = 0;

  constructor(options: MulticlassMetricOptions) {
    this.config = parseOrThrow(MulticlassSchema, options, { what: 'Accuracy options' });
  }

  static fromConfig(config: MulticlassMetricOptions): Accuracy {
    return new Accuracy(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    const c = this.config.numClasses;
    const { labels, probs } = read(yTrue, yPred, c, 'Accuracy.update');
    for (let i = 0; i < labels.length; i++) if (argmaxRow(probs, i, c) === labels[i]) this.correct++;
    this.total += labels.length;
  }

  result(): number {
    return this.total === 0 ? 0 : this.correct / this.total;
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
  }

  toConfig(): MulticlassConfig {
    return { ...this.config };
  }
}

/**
 * Fraction of samples whose true class is among the `k` highest probabilities. Ties are ranked as scikit-learn's
 * `top_k_accuracy_score` ranks them (among equal scores the higher class index comes first), so the value equals
 * sklearn's on the same predictions.
 *
 * @example
 * ```ts
 * const top2 = new TopKAccuracy({ numClasses: 3, k: 2 });
 * top2.update([2], [[0.5, 0.2, 0.3]]);
 * top2.result(); // 1
 * ```
 */
export class TopKAccuracy implements Metric<number> {
  readonly name: string;
  private readonly config: TopKConfig;
  private hits = 0;
  private total = 0;

  constructor(options: TopKAccuracyOptions) {
    this.config = parseOrThrow(TopKSchema, options, { what: 'TopKAccuracy options' });
    this.name = `top${this.config.k}Accuracy`;
  }

  static fromConfig(config: TopKAccuracyOptions): TopKAccuracy {
    return new TopKAccuracy(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    const { numClasses: c, k } = this.config;
    const { labels, probs } = read(yTrue, yPred, c, 'TopKAccuracy.update');
    for (let i = 0; i < labels.length; i++) {
      const t = labels[i] as number;
      const score = probs[i * c + t] as number;
      let rank = 0;
      for (let j = 0; j < c; j++) {
        const other = probs[i * c + j] as number;
        if (other > score || (other === score && j > t)) rank++;
      }
      if (rank < k) this.hits++;
    }
    this.total += labels.length;
  }

  result(): number {
    return this.total === 0 ? 0 : this.hits / this.total;
  }

  reset(): void {
    this.hits = 0;
    this.total = 0;
  }

  toConfig(): TopKConfig {
    return { ...this.config };
  }
}

/** Shared streaming state: the count matrix of (true class, argmax class). */
class ConfusionCounts {
  readonly counts: Float64Array;

  constructor(readonly numClasses: number) {
    this.counts = new Float64Array(numClasses * numClasses);
  }

  update(yTrue: Labels, yPred: Probabilities, what: string): void {
    const c = this.numClasses;
    const { labels, probs } = read(yTrue, yPred, c, what);
    for (let i = 0; i < labels.length; i++) {
      const index = (labels[i] as number) * c + argmaxRow(probs, i, c);
      this.counts[index] = (this.counts[index] as number) + 1;
    }
  }

  matrix(): number[][] {
    const c = this.numClasses;
    return Array.from({ length: c }, (_, r) => Array.from(this.counts.subarray(r * c, (r + 1) * c)));
  }

  reset(): void {
    this.counts.fill(0);
  }
}

/**
 * Confusion matrix of counts: `result()[trueClass][predictedClass]`, predicted = argmax.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix({ numClasses: 2 });
 * cm.update([0, 1, 1], [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]]);
 * cm.result(); // [[1, 0], [1, 1]]
 * ```
 */
export class ConfusionMatrix implements Metric<number[][]> {
  readonly name = 'confusionMatrix';
  private readonly config: MulticlassConfig;
  private readonly state: ConfusionCounts;

  constructor(options: MulticlassMetricOptions) {
    this.config = parseOrThrow(MulticlassSchema, options, { what: 'ConfusionMatrix options' });
    this.state = new ConfusionCounts(this.config.numClasses);
  }

  static fromConfig(config: MulticlassMetricOptions): ConfusionMatrix {
    return new ConfusionMatrix(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    this.state.update(yTrue, yPred, 'ConfusionMatrix.update');
  }

  result(): number[][] {
    return this.state.matrix();
  }

  reset(): void {
    this.state.reset();
  }

  toConfig(): MulticlassConfig {
    return { ...this.config };
  }
}

/**
 * Precision, recall, F1 and support per class, with macro, micro and weighted averages.
 *
 * @example
 * ```ts
 * const prf = new PrecisionRecallF1({ numClasses: 3 });
 * prf.update(yTrue, probs);
 * const { perClass, macro, micro, weighted } = prf.result();
 * ```
 */
export class PrecisionRecallF1 implements Metric<PrecisionRecallF1Result> {
  readonly name = 'precisionRecallF1';
  private readonly config: MulticlassConfig;
  private readonly state: ConfusionCounts;

  constructor(options: MulticlassMetricOptions) {
    this.config = parseOrThrow(MulticlassSchema, options, { what: 'PrecisionRecallF1 options' });
    this.state = new ConfusionCounts(this.config.numClasses);
  }

  static fromConfig(config: MulticlassMetricOptions): PrecisionRecallF1 {
    return new PrecisionRecallF1(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    this.state.update(yTrue, yPred, 'PrecisionRecallF1.update');
  }

  result(): PrecisionRecallF1Result {
    return scoresFromConfusion(this.state.counts, this.config.numClasses);
  }

  reset(): void {
    this.state.reset();
  }

  toConfig(): MulticlassConfig {
    return { ...this.config };
  }
}

type ScoreKey = 'precision' | 'recall' | 'f1';

abstract class AveragedScore implements Metric<number> {
  abstract readonly name: string;
  protected abstract readonly key: ScoreKey;
  private readonly config: AveragedConfig;
  private readonly state: ConfusionCounts;

  constructor(options: AveragedMetricOptions, what: string) {
    this.config = parseOrThrow(AveragedSchema, options, { what: `${what} options` });
    this.state = new ConfusionCounts(this.config.numClasses);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    this.state.update(yTrue, yPred, `${this.name}.update`);
  }

  result(): number {
    return scoresFromConfusion(this.state.counts, this.config.numClasses)[this.config.average][this.key];
  }

  reset(): void {
    this.state.reset();
  }

  toConfig(): AveragedConfig {
    return { ...this.config };
  }
}

/** Precision averaged over classes (`average`: `macro` default, `micro` or `weighted` by support). */
export class Precision extends AveragedScore {
  readonly name = 'precision';
  protected readonly key = 'precision';

  constructor(options: AveragedMetricOptions) {
    super(options, 'Precision');
  }

  static fromConfig(config: AveragedMetricOptions): Precision {
    return new Precision(config);
  }
}

/**
 * Recall averaged over classes (`average`: `macro` default, `micro` or `weighted` by support).
 *
 * @example
 * ```ts
 * const recall = new Recall({ numClasses: 10, average: 'weighted' });
 * recall.update(yTrue, probs);
 * recall.result();
 * ```
 */
export class Recall extends AveragedScore {
  readonly name = 'recall';
  protected readonly key = 'recall';

  constructor(options: AveragedMetricOptions) {
    super(options, 'Recall');
  }

  static fromConfig(config: AveragedMetricOptions): Recall {
    return new Recall(config);
  }
}

/**
 * F1 averaged over classes (`average`: `macro` default, `micro` or `weighted` by support).
 *
 * @example
 * ```ts
 * const f1 = F1Score.fromConfig({ numClasses: 10, average: 'micro' });
 * f1.update(yTrue, probs);
 * f1.result();
 * ```
 */
export class F1Score extends AveragedScore {
  readonly name = 'f1';
  protected readonly key = 'f1';

  constructor(options: AveragedMetricOptions) {
    super(options, 'F1Score');
  }

  static fromConfig(config: AveragedMetricOptions): F1Score {
    return new F1Score(config);
  }
}

/**
 * One-vs-rest ranking result: one value per class (NaN where the class never occurs) and their mean.
 *
 * @example
 * ```ts
 * const { perClass, macro }: OneVsRestResult = rocAuc.result();
 * ```
 */
export interface OneVsRestResult {
  readonly perClass: readonly number[];
  readonly macro: number;
}

/**
 * A precision–recall curve in scikit-learn's layout (recall decreasing, last point recall 0, precision 1).
 *
 * @example
 * ```ts
 * const curves: PrecisionRecallCurve[] = averagePrecision.curves();
 * ```
 */
export interface PrecisionRecallCurve {
  readonly classId: number;
  readonly precision: readonly number[];
  readonly recall: readonly number[];
  /** Ascending distinct scores; one fewer than the points. */
  readonly thresholds: readonly number[];
  readonly averagePrecision: number;
}

/**
 * A ROC curve from (0, 0) at threshold +Infinity through every distinct score.
 *
 * @example
 * ```ts
 * const curves: RocCurve[] = rocAuc.curves();
 * ```
 */
export interface RocCurve {
  readonly classId: number;
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
  readonly thresholds: readonly number[];
  readonly auc: number;
}

/** Keeps every (label, score row) so ranking metrics are exact, not bucketed: memory grows as n × numClasses. */
class ScoreStore {
  private readonly labels = new GrowableFloat64();
  private readonly probs = new GrowableFloat64();

  constructor(readonly numClasses: number) {}

  update(yTrue: Labels, yPred: Probabilities, what: string): void {
    const { labels, probs } = read(yTrue, yPred, this.numClasses, what);
    this.labels.push(Float64Array.from(labels));
    this.probs.push(probs);
  }

  counts(classId: number) {
    const c = this.numClasses;
    const labels = this.labels.view();
    const probs = this.probs.view();
    const scores = new Float64Array(labels.length);
    for (let i = 0; i < labels.length; i++) scores[i] = probs[i * c + classId] as number;
    return rankCounts(scores, (i) => labels[i] === classId);
  }

  reset(): void {
    this.labels.clear();
    this.probs.clear();
  }
}

function macroOf(values: readonly number[]): number {
  const defined = values.filter((v) => !Number.isNaN(v));
  return defined.length === 0 ? Number.NaN : defined.reduce((a, b) => a + b, 0) / defined.length;
}

abstract class OneVsRest implements Metric<OneVsRestResult> {
  abstract readonly name: string;
  protected readonly config: MulticlassConfig;
  protected readonly store: ScoreStore;

  constructor(options: MulticlassMetricOptions, what: string) {
    this.config = parseOrThrow(MulticlassSchema, options, { what: `${what} options` });
    this.store = new ScoreStore(this.config.numClasses);
  }

  protected abstract score(classId: number): number;

  update(yTrue: Labels, yPred: Probabilities): void {
    this.store.update(yTrue, yPred, `${this.name}.update`);
  }

  result(): OneVsRestResult {
    const perClass = Array.from({ length: this.config.numClasses }, (_, c) => this.score(c));
    return { perClass, macro: macroOf(perClass) };
  }

  reset(): void {
    this.store.reset();
  }

  toConfig(): MulticlassConfig {
    return { ...this.config };
  }
}

/**
 * ROC-AUC one-vs-rest, exact (scikit-learn's `roc_auc_score`): per class and the macro mean. A class absent from
 * yTrue has no defined AUC (NaN) and is left out of the mean.
 *
 * @example
 * ```ts
 * const rocAuc = new RocAuc({ numClasses: 3 });
 * rocAuc.update(yTrue, probs);
 * rocAuc.result().macro;
 * ```
 */
export class RocAuc extends OneVsRest {
  readonly name = 'rocAuc';

  constructor(options: MulticlassMetricOptions) {
    super(options, 'RocAuc');
  }

  static fromConfig(config: MulticlassMetricOptions): RocAuc {
    return new RocAuc(config);
  }

  protected score(classId: number): number {
    return rocAucFromCounts(this.store.counts(classId));
  }

  /** The ROC curve of every class. */
  curves(): RocCurve[] {
    return Array.from({ length: this.config.numClasses }, (_, classId) => {
      const counts = this.store.counts(classId);
      return { classId, ...rocCurveFromCounts(counts), auc: rocAucFromCounts(counts) };
    });
  }
}

/**
 * PR-AUC one-vs-rest as average precision (scikit-learn's `average_precision_score`, no interpolation): per class
 * and the macro mean. A class absent from yTrue is NaN and left out of the mean.
 *
 * @example
 * ```ts
 * const ap = new AveragePrecision({ numClasses: 3 });
 * ap.update(yTrue, probs);
 * ap.result().perClass; // one PR-AUC per class
 * ap.curves(); // for prCurvesChart in @optik/viz
 * ```
 */
export class AveragePrecision extends OneVsRest {
  readonly name = 'averagePrecision';

  constructor(options: MulticlassMetricOptions) {
    super(options, 'AveragePrecision');
  }

  static fromConfig(config: MulticlassMetricOptions): AveragePrecision {
    return new AveragePrecision(config);
  }

  protected score(classId: number): number {
    return averagePrecisionFromCounts(this.store.counts(classId));
  }

  /** The precision–recall curve of every class (what `prCurvesChart` in @optik/viz draws). */
  curves(): PrecisionRecallCurve[] {
    return Array.from({ length: this.config.numClasses }, (_, classId) => {
      const counts = this.store.counts(classId);
      return { classId, ...prCurveFromCounts(counts), averagePrecision: averagePrecisionFromCounts(counts) };
    });
  }
}

/**
 * Mean cross-entropy of the true class, as scikit-learn's `log_loss`: probabilities are clipped to
 * `[eps, 1 − eps]` and each row renormalised to sum to 1. NaN before any update.
 *
 * @example
 * ```ts
 * const logLoss = new LogLoss({ numClasses: 2 });
 * logLoss.update([0, 1], [[0.9, 0.1], [0.2, 0.8]]);
 * logLoss.result(); // (−ln 0.9 − ln 0.8) / 2
 * ```
 */
export class LogLoss implements Metric<number> {
  readonly name = 'logLoss';
  private readonly config: LogLossConfig;
  private sum = 0;
  private total = 0;

  constructor(options: LogLossOptions) {
    this.config = parseOrThrow(LogLossSchema, options, { what: 'LogLoss options' });
  }

  static fromConfig(config: LogLossOptions): LogLoss {
    return new LogLoss(config);
  }

  update(yTrue: Labels, yPred: Probabilities): void {
    const { numClasses: c, eps } = this.config;
    const { labels, probs } = read(yTrue, yPred, c, 'LogLoss.update');
    for (let i = 0; i < labels.length; i++) {
      let rowSum = 0;
      for (let j = 0; j < c; j++) rowSum += clip(probs[i * c + j] as number, eps);
      const p = clip(probs[i * c + (labels[i] as number)] as number, eps) / rowSum;
      this.sum -= Math.log(p);
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

  toConfig(): LogLossConfig {
    return { ...this.config };
  }
}

export function clip(p: number, eps: number): number {
  return Math.min(Math.max(p, eps), 1 - eps);
}
