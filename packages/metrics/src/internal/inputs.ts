import { OptikError } from '@optik/core';

/**
 * Class indices, one per sample (`number[]`, `Int32Array`, …).
 *
 * @example
 * ```ts
 * const yTrue: Labels = new Int32Array([0, 2, 1]);
 * ```
 */
export type Labels = ArrayLike<number>;

/**
 * Predicted probabilities: either row-major flat (`n × columns`, e.g. a tensor's `dataSync()`) or one row per
 * sample. Binary metrics read one column (the positive-class probability).
 *
 * @example
 * ```ts
 * const flat: Probabilities = new Float32Array([0.9, 0.1, 0.2, 0.8]); // 2 samples × 2 classes
 * const rows: Probabilities = [[0.9, 0.1], [0.2, 0.8]];
 * ```
 */
export type Probabilities = ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

/** Reads class indices and checks each one is an integer in `[0, numClasses)`. */
export function readLabels(yTrue: Labels, numClasses: number, what: string): Int32Array {
  const out = new Int32Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) {
    const label = yTrue[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new OptikError(
        'DATA_UNKNOWN_CLASS',
        `${what}: yTrue[${i}] is not a class index in [0, ${numClasses - 1}].`,
        { received: label, hint: 'Pass integer class indices (not one-hot rows) matching numClasses.' },
      );
    }
    out[i] = label;
  }
  return out;
}

function isRows(yPred: Probabilities): yPred is ReadonlyArray<ArrayLike<number>> {
  return yPred.length > 0 && typeof yPred[0] !== 'number';
}

/** Reads `n × columns` probabilities into a row-major Float64Array, checking the shape and that values are finite. */
export function readProbabilities(yPred: Probabilities, n: number, columns: number, what: string): Float64Array {
  const out = new Float64Array(n * columns);
  if (isRows(yPred)) {
    if (yPred.length !== n) {
      throw new OptikError('DATA_MISMATCH', `${what}: yPred has ${yPred.length} rows but yTrue has ${n} labels.`, {
        hint: 'Pass one probability row per label.',
      });
    }
    for (let i = 0; i < n; i++) {
      const row = yPred[i] as ArrayLike<number>;
      if (row.length !== columns) {
        throw new OptikError(
          'DATA_MISMATCH',
          `${what}: yPred[${i}] has ${row.length} probabilities, expected ${columns}.`,
          { hint: columns === 1 ? 'Binary metrics take the positive-class probability only.' : 'One per class.' },
        );
      }
      for (let j = 0; j < columns; j++) out[i * columns + j] = row[j] as number;
    }
  } else {
    if (yPred.length !== n * columns) {
      throw new OptikError(
        'DATA_MISMATCH',
        `${what}: yPred has ${yPred.length} values, expected ${n} labels × ${columns} column${columns === 1 ? '' : 's'} = ${n * columns}.`,
        { hint: 'Pass probabilities row-major (as tensor.dataSync() returns them), one row per label.' },
      );
    }
    for (let k = 0; k < out.length; k++) out[k] = yPred[k] as number;
  }
  for (let k = 0; k < out.length; k++) {
    if (!Number.isFinite(out[k])) {
      throw new OptikError('ARGUMENT_INVALID', `${what}: yPred holds a non-finite value at flat index ${k}.`, {
        received: out[k],
        hint: 'Check the model output for NaN (e.g. a diverged training run).',
      });
    }
  }
  return out;
}

/** Index of the largest value in row `i` (the first one on ties, like `np.argmax` and `tf.argMax`). */
export function argmaxRow(probs: Float64Array, i: number, columns: number): number {
  let best = 0;
  let bestValue = probs[i * columns] as number;
  for (let j = 1; j < columns; j++) {
    const value = probs[i * columns + j] as number;
    if (value > bestValue) {
      best = j;
      bestValue = value;
    }
  }
  return best;
}
