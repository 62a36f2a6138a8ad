/**
 * Precision, recall and F1 of one class, with its support (number of true samples).
 *
 * @example
 * ```ts
 * const { perClass } = new PrecisionRecallF1({ numClasses: 3 }).result();
 * const scores: ClassScores | undefined = perClass[0];
 * ```
 */
export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/**
 * Precision, recall and F1 averaged over classes.
 *
 * @example
 * ```ts
 * const macro: AveragedScores = classificationReport(yTrue, probs, classNames).macro;
 * ```
 */
export interface AveragedScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Per-class scores and the three averages, as scikit-learn's `precision_recall_fscore_support`.
 *
 * @example
 * ```ts
 * const metric = new PrecisionRecallF1({ numClasses: 10 });
 * metric.update(yTrue, probs);
 * const result: PrecisionRecallF1Result = metric.result();
 * ```
 */
export interface PrecisionRecallF1Result {
  readonly perClass: readonly ClassScores[];
  readonly macro: AveragedScores;
  readonly micro: AveragedScores;
  readonly weighted: AveragedScores;
}

// scikit-learn's zero_division=0: an undefined ratio (no predictions, no true samples) counts as 0.
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function f1Of(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** Scores from a `numClasses × numClasses` count matrix (rows: true class, columns: predicted class). */
export function scoresFromConfusion(matrix: Float64Array, numClasses: number): PrecisionRecallF1Result {
  const perClass: ClassScores[] = [];
  let tpSum = 0;
  let total = 0;
  for (let c = 0; c < numClasses; c++) {
    const tp = matrix[c * numClasses + c] as number;
    let trueCount = 0;
    let predictedCount = 0;
    for (let k = 0; k < numClasses; k++) {
      trueCount += matrix[c * numClasses + k] as number;
      predictedCount += matrix[k * numClasses + c] as number;
    }
    const precision = ratio(tp, predictedCount);
    const recall = ratio(tp, trueCount);
    perClass.push({ precision, recall, f1: f1Of(precision, recall), support: trueCount });
    tpSum += tp;
    total += trueCount;
  }
  const mean = (key: keyof AveragedScores, weighted: boolean): number => {
    let sum = 0;
    let weights = 0;
    for (const scores of perClass) {
      const weight = weighted ? scores.support : 1;
      sum += weight * scores[key];
      weights += weight;
    }
    return ratio(sum, weights);
  };
  const microPrecision = ratio(tpSum, total);
  return {
    perClass,
    macro: { precision: mean('precision', false), recall: mean('recall', false), f1: mean('f1', false) },
    micro: { precision: microPrecision, recall: microPrecision, f1: f1Of(microPrecision, microPrecision) },
    weighted: { precision: mean('precision', true), recall: mean('recall', true), f1: mean('f1', true) },
  };
}

/**
 * How to normalise a confusion matrix: over true classes (rows, = recall), predictions (columns) or everything.
 *
 * @example
 * ```ts
 * const byRow: ConfusionNormalization = 'true'; // each row sums to 1 (recall on the diagonal)
 * ```
 */
export type ConfusionNormalization = 'true' | 'pred' | 'all';

/**
 * Divides counts by row sums (`true`), column sums (`pred`) or the total (`all`); empty rows/columns give 0.
 *
 * @example
 * ```ts
 * normalizeConfusionMatrix([[3, 1], [0, 4]], 'true'); // [[0.75, 0.25], [0, 1]]
 * ```
 */
export function normalizeConfusionMatrix(
  matrix: readonly (readonly number[])[],
  normalize: ConfusionNormalization,
): number[][] {
  const rows = matrix.length;
  const columns = matrix[0]?.length ?? 0;
  const rowSums = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const columnSums = Array.from({ length: columns }, (_, j) => matrix.reduce((a, row) => a + (row[j] ?? 0), 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: columns }, (_, j) => {
      const value = matrix[i]?.[j] ?? 0;
      const denominator = normalize === 'true' ? rowSums[i]! : normalize === 'pred' ? columnSums[j]! : total;
      return denominator === 0 ? 0 : value / denominator;
    }),
  );
}
