import * as tf from '@tensorflow/tfjs';
import type { LabelMode } from '../memory.js';

/**
 * The class-id target encoder: labels as int32 ids (`int`), one-hot float32 (`categorical`) or `[n, 1]` 0/1
 * (`binary`), what the classification losses read. Call inside `tf.tidy`.
 */
export function encodeClassLabels(labels: Int32Array, mode: LabelMode, numClasses: number): tf.Tensor {
  const ids = tf.tensor1d(labels, 'int32');
  if (mode === 'int') return ids;
  if (mode === 'binary') return ids.toFloat().reshape([labels.length, 1]);
  return tf.oneHot(ids, numClasses).toFloat();
}
