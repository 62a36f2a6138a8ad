import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { readBinary } from './binary.js';
import { type AveragedScores, type PrecisionRecallF1Result, scoresFromConfusion } from './confusion.js';
import { isTensorLike, type Labels, type Probabilities, readLabels, readProbabilities } from './inputs.js';
import { AveragePrecision, ConfusionMatrix, LogLoss, RocAuc, TopKAccuracy } from './multiclass.js';
import { averagePrecisionFromCounts, rankCounts, rocAucFromCounts } from './ranking.js';

export const ReportSchema = z.strictObject({
  /** Binary only: predicted positive when `p > threshold`. */
  threshold: z.number().min(0).max(1).default(0.5),
  /** Multiclass only: the k of each top-k accuracy; values ≥ the number of classes are skipped. */
  topK: z.array(z.int().min(1)).default([5]),
  /** Log-loss clipping. */
  eps: z.number().gt(0).lt(0.5).default(Number.EPSILON),
});

/**
 * Options of `classificationReport`: `threshold` (binary, 0.5), `topK` (multiclass, [5]), `eps` (log loss).
 *
 * @example
 * ```ts
 * const options: ClassificationReportOptions = { topK: [3, 5] };
 * ```
 */
export type ClassificationReportOptions = z.input<typeof ReportSchema>;

/**
 * One class's line of the report. `null` where a value is undefined (the class never occurs in yTrue).
 *
 * @example
 * ```ts
 * const worst: ReportClass | undefined = [...report.perClass].sort((a, b) => a.f1 - b.f1)[0];
 * ```
 */
export interface ReportClass {
  readonly name: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
  readonly rocAuc: number | null;
  readonly averagePrecision: number | null;
}

/**
 * Everything `classificationReport` measures, as plain JSON (no NaN: undefined values are `null`).
 *
 * @example
 * ```ts
 * const report: ClassificationReport = classificationReport(yTrue, probs, classNames);
 * await writeFile('metrics.json', JSON.stringify(report, null, 2));
 * ```
 */
export interface ClassificationReport {
  readonly task: 'binary' | 'multiclass';
  readonly numSamples: number;
  readonly classNames: readonly string[];
  readonly accuracy: number;
  /** Macro average, the headline number. */
  readonly precision: number;
  /** Macro average, the headline number. */
  readonly recall: number;
  /** Macro average, the headline number. */
  readonly f1: number;
  readonly macro: AveragedScores;
  readonly micro: AveragedScores;
  readonly weighted: AveragedScores;
  readonly perClass: readonly ReportClass[];
  /** Counts, `confusionMatrix[trueClass][predictedClass]`. */
  readonly confusionMatrix: readonly (readonly number[])[];
  /** Multiclass: macro one-vs-rest ROC-AUC. Binary: ROC-AUC of the positive class (scikit-learn's default). */
  readonly rocAuc: number | null;
  /** Multiclass: macro one-vs-rest average precision. Binary: the positive class's. */
  readonly averagePrecision: number | null;
  readonly logLoss: number;
  /** Multiclass only; empty for binary. */
  readonly topK: readonly { readonly k: number; readonly accuracy: number }[];
  /** Binary only (`null` for multiclass): the positive class (index 1) at the threshold. */
  readonly binary: {
    readonly threshold: number;
    readonly positiveClass: string;
    readonly precision: number;
    readonly recall: number;
    readonly f1: number;
  } | null;
}

const orNull = (value: number): number | null => (Number.isNaN(value) ? null : value);

/** The fields every report shares: the sample count, the names, accuracy and the averaged scores. */
export function headline(
  scores: PrecisionRecallF1Result,
  numSamples: number,
  classNames: readonly string[],
): Pick<
  ClassificationReport,
  'numSamples' | 'classNames' | 'accuracy' | 'precision' | 'recall' | 'f1' | 'macro' | 'micro' | 'weighted'
> {
  return {
    numSamples,
    classNames: [...classNames],
    accuracy: scores.micro.precision,
    precision: scores.macro.precision,
    recall: scores.macro.recall,
    f1: scores.macro.f1,
    macro: scores.macro,
    micro: scores.micro,
    weighted: scores.weighted,
  };
}

function isBinaryInput(yPred: Probabilities, n: number, numClasses: number): boolean {
  if (numClasses !== 2) return false;
  if (isTensorLike(yPred)) return yPred.shape.length === 1 || (yPred.shape.length === 2 && yPred.shape[1] === 1);
  if (yPred.length > 0 && typeof yPred[0] !== 'number') return (yPred[0] as ArrayLike<number>).length === 1;
  return yPred.length === n;
}

/**
 * All classification metrics of one evaluation at once, JSON-ready for metrics.json. Multiclass when `yPred` has
 * one probability per class; binary (threshold rule) when there are two class names and one probability per
 * sample (a sigmoid head).
 *
 * @example
 * ```ts
 * const report = classificationReport([0, 1, 2], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], ['cat', 'dog', 'fox']);
 * console.log(report.accuracy, report.precision, report.recall, report.f1);
 * ```
 */
export function classificationReport(
  yTrue: Labels,
  yPred: Probabilities,
  classNames: readonly string[],
  options: ClassificationReportOptions = {},
): ClassificationReport {
  const config = parseOrThrow(ReportSchema, options, { what: 'classificationReport options' });
  const numClasses = classNames.length;
  if (numClasses < 2) {
    throw new OptikError('ARGUMENT_INVALID', 'classificationReport needs at least two class names.', {
      received: classNames,
      hint: 'Pass the dataset class names in label order.',
    });
  }
  const n = isTensorLike(yTrue) ? (yTrue.shape[0] ?? 0) : yTrue.length;
  if (n === 0) {
    throw new OptikError('DATA_MISMATCH', 'classificationReport got no samples.', {
      hint: 'Evaluate on a non-empty set.',
    });
  }
  if (isBinaryInput(yPred, n, numClasses)) return binaryReport(yTrue, yPred, classNames, config);
  // Read tensors once; every metric below then gets plain arrays.
  const labels = readLabels(yTrue, numClasses, 'classificationReport');
  const probs = readProbabilities(yPred, labels.length, numClasses, 'classificationReport');

  const confusion = new ConfusionMatrix({ numClasses });
  const roc = new RocAuc({ numClasses });
  const ap = new AveragePrecision({ numClasses });
  const logLoss = new LogLoss({ numClasses, eps: config.eps });
  for (const metric of [confusion, roc, ap, logLoss]) metric.update(labels, probs);
  const matrix = confusion.result();
  const scores = scoresFromConfusion(Float64Array.from(matrix.flat()), numClasses);
  const rocResult = roc.result();
  const apResult = ap.result();
  const topK = config.topK
    .filter((k) => k < numClasses)
    .map((k) => {
      const metric = new TopKAccuracy({ numClasses, k });
      metric.update(labels, probs);
      return { k, accuracy: metric.result() };
    });
  return {
    task: 'multiclass',
    ...headline(scores, n, classNames),
    perClass: scores.perClass.map((s, c) => ({
      name: classNames[c] as string,
      ...s,
      rocAuc: orNull(rocResult.perClass[c] as number),
      averagePrecision: orNull(apResult.perClass[c] as number),
    })),
    confusionMatrix: matrix,
    rocAuc: orNull(rocResult.macro),
    averagePrecision: orNull(apResult.macro),
    logLoss: logLoss.result(),
    topK,
    binary: null,
  };
}

function binaryReport(
  yTrue: Labels,
  yPred: Probabilities,
  classNames: readonly string[],
  config: z.output<typeof ReportSchema>,
): ClassificationReport {
  const { labels, probs } = readBinary(yTrue, yPred, 'classificationReport');
  const n = labels.length;
  const matrix = new Float64Array(4);
  let logLoss = 0;
  const negativeScores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = probs[i] as number;
    const t = labels[i] as number;
    const predicted = p > config.threshold ? 1 : 0;
    matrix[t * 2 + predicted] = (matrix[t * 2 + predicted] as number) + 1;
    const pos = Math.min(Math.max(p, config.eps), 1 - config.eps);
    const neg = Math.min(Math.max(1 - p, config.eps), 1 - config.eps);
    logLoss -= Math.log((t === 1 ? pos : neg) / (pos + neg));
    negativeScores[i] = 1 - p;
  }
  const scores = scoresFromConfusion(matrix, 2);
  const positiveCounts = rankCounts(probs, (i) => labels[i] === 1);
  const negativeCounts = rankCounts(negativeScores, (i) => labels[i] === 0);
  const rocAuc = [rocAucFromCounts(negativeCounts), rocAucFromCounts(positiveCounts)];
  const ap = [averagePrecisionFromCounts(negativeCounts), averagePrecisionFromCounts(positiveCounts)];
  const positive = scores.perClass[1]!;
  return {
    task: 'binary',
    ...headline(scores, n, classNames),
    perClass: scores.perClass.map((s, c) => ({
      name: classNames[c] as string,
      ...s,
      rocAuc: orNull(rocAuc[c] as number),
      averagePrecision: orNull(ap[c] as number),
    })),
    confusionMatrix: [
      [matrix[0] as number, matrix[1] as number],
      [matrix[2] as number, matrix[3] as number],
    ],
    rocAuc: orNull(rocAuc[1] as number),
    averagePrecision: orNull(ap[1] as number),
    logLoss: logLoss / n,
    topK: [],
    binary: {
      threshold: config.threshold,
      positiveClass: classNames[1] as string,
      precision: positive.precision,
      recall: positive.recall,
      f1: positive.f1,
    },
  };
}
