import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

/** The classification losses (on probabilities, as the zoo's softmax/sigmoid heads output). */
export const LossSchema = z.enum(['categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy']);
export type LossName = z.output<typeof LossSchema>;

/** Keras' epsilon: predictions are clipped to [ε, 1 − ε] before the log. */
const EPSILON = 1e-7;

export interface LossOptions {
  /** Mixes one-hot targets with the uniform distribution: y·(1 − s) + s/K (binary: + s/2). */
  readonly labelSmoothing?: number;
  /** One weight per class; each sample's loss is multiplied by its true class's weight. */
  readonly classWeights?: readonly number[] | undefined;
}

/** Dense targets (one-hot or 0/1) from the labels the loss receives. */
function denseTargets(loss: LossName, yTrue: tf.Tensor, numClasses: number): tf.Tensor {
  if (loss === 'sparseCategoricalCrossentropy') return tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), numClasses);
  return tf.cast(yTrue, 'float32');
}

/** The integer class of each sample, for class weights and accuracy. */
export function trueClasses(loss: LossName, yTrue: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    if (loss === 'sparseCategoricalCrossentropy') return tf.cast(tf.reshape(yTrue, [-1]), 'int32') as tf.Tensor1D;
    if (loss === 'binaryCrossentropy') return tf.cast(tf.greater(tf.reshape(yTrue, [-1]), 0.5), 'int32') as tf.Tensor1D;
    return tf.cast(tf.argMax(yTrue, -1), 'int32') as tf.Tensor1D;
  });
}

/** The predicted class of each sample. */
export function predictedClasses(loss: LossName, yPred: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() =>
    loss === 'binaryCrossentropy'
      ? (tf.cast(tf.greater(tf.reshape(yPred, [-1]), 0.5), 'int32') as tf.Tensor1D)
      : (tf.cast(tf.argMax(yPred, -1), 'int32') as tf.Tensor1D),
  );
}

/** Per-sample loss, shape [batch], before class weights. */
export function perSampleLoss(loss: LossName, yTrue: tf.Tensor, yPred: tf.Tensor, labelSmoothing = 0): tf.Tensor1D {
  return tf.tidy(() => {
    const numClasses = yPred.shape[yPred.shape.length - 1] ?? 1;
    let target = denseTargets(loss, yTrue, numClasses);
    if (loss === 'binaryCrossentropy') {
      target = tf.reshape(target, yPred.shape);
      if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), 0.5 * labelSmoothing);
      const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
      const terms = tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p))));
      return tf.neg(tf.mean(tf.reshape(terms, [yPred.shape[0] ?? -1, -1]), -1)) as tf.Tensor1D;
    }
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / numClasses);
    // As Keras: renormalise the probabilities, clip, then −Σ y·log p.
    const normalised = tf.div(yPred, tf.sum(yPred, -1, true));
    const p = tf.clipByValue(normalised, EPSILON, 1 - EPSILON);
    return tf.neg(tf.sum(tf.mul(target, tf.log(p)), -1)) as tf.Tensor1D;
  });
}

/**
 * The batch loss: the mean over the batch of each sample's loss times its class weight (Keras'
 * sum-over-batch-size reduction, so class weights scale the loss rather than being renormalised).
 */
export function computeLoss(loss: LossName, yTrue: tf.Tensor, yPred: tf.Tensor, options: LossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const perSample = perSampleLoss(loss, yTrue, yPred, options.labelSmoothing ?? 0);
    if (options.classWeights === undefined) return tf.mean(perSample) as tf.Scalar;
    const weights = tf.gather(tf.tensor1d([...options.classWeights], 'float32'), trueClasses(loss, yTrue));
    return tf.mean(tf.mul(perSample, weights)) as tf.Scalar;
  });
}
