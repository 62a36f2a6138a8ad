import { OptikError } from '@optik/core';

/**
 * The part of a tensor the metrics read: its shape and its values, row-major. A tfjs `tf.Tensor` is one, so
 * metrics take tensors as they are without depending on tfjs (the trainer hands its validation batches this way).
 *
 * @example
 * ```ts
 * const probs: TensorLike = model.predict(xs) as tf.Tensor; // [n, numClasses]
 * const fake: TensorLike = { shape: [2, 1], dataSync: () => new Float32Array([0.9, 0.2]) };
 * ```
 */
export interface TensorLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/**
 * True labels of a batch: class indices (`number[]`, `Int32Array`, …), or a tensor holding them — integer labels
 * `[n]` or `[n, 1]`, or one-hot (also soft, e.g. label-smoothed) rows `[n, numClasses]`, whose class is the argmax.
 *
 * @example
 * ```ts
 * const indices: Labels = new Int32Array([0, 2, 1]);
 * const oneHot: Labels = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3); // [3, 3]
 * ```
 */
export type Labels = ArrayLike<number> | TensorLike;

/**
 * Predicted probabilities: row-major flat (`n × columns`, e.g. a tensor's `dataSync()`), one row per sample, or a
 * tensor `[n, numClasses]`. Binary metrics read the positive-class probability: flat, rows of one value, or a
 * tensor `[n]`, `[n, 1]` (a sigmoid head) or `[n, 2]` (a softmax head; column 1 is read).
 *
 * @example
 * ```ts
 * const flat: Probabilities = new Float32Array([0.9, 0.1, 0.2, 0.8]); // 2 samples × 2 classes
 * const rows: Probabilities = [[0.9, 0.1], [0.2, 0.8]];
 * const tensor: Probabilities = model.predict(xs) as tf.Tensor;
 * ```
 */
export type Probabilities = ArrayLike<number> | ReadonlyArray<ArrayLike<number>> | TensorLike;

/** Whether a value is tensor-like (a shape array and a `dataSync` method) rather than an array. */
export function isTensorLike(value: unknown): value is TensorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { shape?: unknown }).shape) &&
    typeof (value as { dataSync?: unknown }).dataSync === 'function'
  );
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Class indices of a label tensor: `[n]` and `[n, 1]` hold indices, `[n, numClasses]` (numClasses > 1) holds
 * one-hot or soft rows (each must sum to 1; the class is the row's argmax, first on ties).
 */
function labelsOfTensor(yTrue: TensorLike, numClasses: number, what: string): ArrayLike<number> {
  const { shape } = yTrue;
  const values = yTrue.dataSync();
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) return values;
  if (shape.length === 2 && shape[1] === numClasses) {
    const n = shape[0] as number;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < numClasses; j++) sum += values[i * numClasses + j] as number;
      if (!(Math.abs(sum - 1) <= 1e-3)) {
        throw new OptikError('DATA_MISMATCH', `${what}: row ${i} of the one-hot yTrue sums to ${sum}, not 1.`, {
          received: Array.from({ length: numClasses }, (_, j) => values[i * numClasses + j]),
          hint: 'Pass one-hot (or label-smoothed) rows [n, numClasses], or integer class indices [n].',
        });
      }
      out[i] = argmaxRow(values, i, numClasses);
    }
    return out;
  }
  throw new OptikError(
    'DATA_MISMATCH',
    `${what}: a yTrue tensor of shape ${shapeText(shape)} is neither class indices nor one-hot rows.`,
    {
      received: shape,
      hint: `Pass integer labels of shape [n] or [n, 1], or one-hot labels of shape [n, ${numClasses}].`,
    },
  );
}

/** Reads class indices and checks each one is an integer in `[0, numClasses)`. */
export function readLabels(yTrue: Labels, numClasses: number, what: string): Int32Array {
  const values = isTensorLike(yTrue) ? labelsOfTensor(yTrue, numClasses, what) : yTrue;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const label = values[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new OptikError(
        'DATA_UNKNOWN_CLASS',
        `${what}: yTrue[${i}] is not a class index in [0, ${numClasses - 1}].`,
        {
          received: label,
          hint: 'Pass integer class indices or one-hot rows matching numClasses.',
        },
      );
    }
    out[i] = label;
  }
  return out;
}

function isRows(
  yPred: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>,
): yPred is ReadonlyArray<ArrayLike<number>> {
  return yPred.length > 0 && typeof yPred[0] !== 'number';
}

/**
 * Positive-class probabilities of a binary prediction tensor: `[n]` and `[n, 1]` as they are, `[n, 2]` (softmax)
 * its column 1. Anything else is left for `readProbabilities` to reject with the shape in the message.
 */
export function positiveColumn(yPred: Probabilities): Probabilities {
  if (!isTensorLike(yPred)) return yPred;
  const { shape } = yPred;
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) return yPred.dataSync();
  if (shape.length === 2 && shape[1] === 2) {
    const values = yPred.dataSync();
    return Float64Array.from({ length: shape[0] as number }, (_, i) => values[2 * i + 1] as number);
  }
  return yPred;
}

function probabilitiesOfTensor(yPred: TensorLike, n: number, columns: number, what: string): ArrayLike<number> {
  const { shape } = yPred;
  const fits =
    (shape.length === 2 && shape[0] === n && shape[1] === columns) ||
    (columns === 1 && shape.length === 1 && shape[0] === n);
  if (!fits) {
    throw new OptikError(
      'DATA_MISMATCH',
      `${what}: yPred has shape ${shapeText(shape)}, expected [${n}, ${columns}] (${n} labels × ${columns} ${columns === 1 ? 'probability' : 'classes'}).`,
      {
        received: shape,
        hint:
          columns === 1
            ? 'Binary metrics take a sigmoid output [n, 1] (or [n]) or a two-class softmax [n, 2].'
            : 'Pass the model output (softmax probabilities) for the same batch as yTrue.',
      },
    );
  }
  return yPred.dataSync();
}

/** Whether `yPred` holds one probability per sample (a sigmoid's `[n, 1]` or `[n]`, rows of one, or `n` numbers). */
export function isSigmoidOutput(yPred: Probabilities, n: number): boolean {
  if (n === 0) return false;
  if (isTensorLike(yPred)) return (yPred.shape.length === 2 && yPred.shape[1] === 1) || yPred.shape.length === 1;
  if (isRows(yPred)) return (yPred[0] as ArrayLike<number>).length === 1;
  return yPred.length === n;
}

/** Reads `n × columns` probabilities into a row-major Float64Array, checking the shape and that values are finite. */
export function readProbabilities(yPred: Probabilities, n: number, columns: number, what: string): Float64Array {
  const out = new Float64Array(n * columns);
  const values = isTensorLike(yPred) ? probabilitiesOfTensor(yPred, n, columns, what) : yPred;
  if (isRows(values)) {
    if (values.length !== n) {
      throw new OptikError('DATA_MISMATCH', `${what}: yPred has ${values.length} rows but yTrue has ${n} labels.`, {
        hint: 'Pass one probability row per label.',
      });
    }
    for (let i = 0; i < n; i++) {
      const row = values[i] as ArrayLike<number>;
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
    if (values.length !== n * columns) {
      throw new OptikError(
        'DATA_MISMATCH',
        `${what}: yPred has ${values.length} values, expected ${n} labels × ${columns} column${columns === 1 ? '' : 's'} = ${n * columns}.`,
        { hint: 'Pass probabilities row-major (as tensor.dataSync() returns them), one row per label.' },
      );
    }
    for (let k = 0; k < out.length; k++) out[k] = values[k] as number;
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
export function argmaxRow(probs: ArrayLike<number>, i: number, columns: number): number {
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
