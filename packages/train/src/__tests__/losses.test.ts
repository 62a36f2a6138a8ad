import { initBackend } from '@optik/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Callback, computeLoss, type LossName, train } from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
});

const ln = Math.log;
const value = (loss: LossName, yTrue: number[][] | number[], yPred: number[][], options = {}) =>
  tf.tidy(() => {
    const y = Array.isArray(yTrue[0]) ? tf.tensor2d(yTrue as number[][]) : tf.tensor1d(yTrue as number[], 'int32');
    return computeLoss(loss, y, tf.tensor2d(yPred), options).dataSync()[0] as number;
  });

describe('losses', () => {
  const y = [
    [1, 0, 0],
    [0, 1, 0],
  ];
  const p = [
    [0.7, 0.2, 0.1],
    [0.3, 0.4, 0.3],
  ];

  it('categorical cross-entropy: mean of −log p(true)', () => {
    expect(value('categoricalCrossentropy', y, p)).toBeCloseTo((-ln(0.7) - ln(0.4)) / 2, 5);
    expect(value('categoricalCrossentropy', y, p)).toBeCloseTo(0.636483, 5);
    expect(value('sparseCategoricalCrossentropy', [0, 1], p)).toBeCloseTo(0.636483, 5);
  });

  it('label smoothing mixes the targets with the uniform distribution', () => {
    // s = 0.3, K = 3: targets 0.8 / 0.1 / 0.1.
    const s1 = -(0.8 * ln(0.7) + 0.1 * ln(0.2) + 0.1 * ln(0.1));
    const s2 = -(0.1 * ln(0.3) + 0.8 * ln(0.4) + 0.1 * ln(0.3));
    expect(value('categoricalCrossentropy', y, p, { labelSmoothing: 0.3 })).toBeCloseTo((s1 + s2) / 2, 5);
    expect(value('categoricalCrossentropy', y, p, { labelSmoothing: 0.3 })).toBeCloseTo(0.825185, 5);
    expect(value('sparseCategoricalCrossentropy', [0, 1], p, { labelSmoothing: 0.3 })).toBeCloseTo(0.825185, 5);
  });

  it('class weights scale each sample by its true class weight (mean over the batch)', () => {
    const expected = (2 * -ln(0.7) + 0.5 * -ln(0.4)) / 2;
    expect(value('categoricalCrossentropy', y, p, { classWeights: [2, 0.5, 1] })).toBeCloseTo(expected, 5);
    expect(value('sparseCategoricalCrossentropy', [0, 1], p, { classWeights: [2, 0.5, 1] })).toBeCloseTo(0.585748, 5);
  });

  it('binary cross-entropy with smoothing toward 0.5 and class weights', () => {
    const yb = [[1], [0]];
    const pb = [[0.8], [0.4]];
    expect(value('binaryCrossentropy', yb, pb)).toBeCloseTo((-ln(0.8) - ln(0.6)) / 2, 5);
    const s1 = -(0.9 * ln(0.8) + 0.1 * ln(0.2));
    const s2 = -(0.1 * ln(0.4) + 0.9 * ln(0.6));
    expect(value('binaryCrossentropy', yb, pb, { labelSmoothing: 0.2 })).toBeCloseTo((s1 + s2) / 2, 5);
    // classWeights[0] for label 0, classWeights[1] for label 1.
    expect(value('binaryCrossentropy', yb, pb, { classWeights: [3, 1] })).toBeCloseTo((-ln(0.8) + 3 * -ln(0.6)) / 2, 5);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    value('categoricalCrossentropy', y, p, { labelSmoothing: 0.1, classWeights: [1, 2, 3] });
    value('binaryCrossentropy', [[1]], [[0.3]], { labelSmoothing: 0.1, classWeights: [1, 2] });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the trainer reports the loss of its first batch as computed by hand from the initial predictions', async () => {
    const data = toyData(8, 4);
    const hand = (options: { labelSmoothing?: number; classWeights?: number[] }) => {
      const model = tinyModel({ dropout: 0 });
      const probs = tf.tidy(() => (model.predict(tf.tensor2d(data.x)) as tf.Tensor).arraySync() as number[][]);
      model.dispose();
      const s = options.labelSmoothing ?? 0;
      let sum = 0;
      probs.forEach((row, i) => {
        const label = data.y[i] as number;
        const total = row.reduce((a, b) => a + b, 0);
        const sample = -row.reduce((acc, q, k) => acc + ((k === label ? 1 : 0) * (1 - s) + s / 3) * ln(q / total), 0);
        sum += sample * (options.classWeights?.[label] ?? 1);
      });
      return sum / probs.length;
    };
    const reported = async (options: { labelSmoothing?: number; classWeights?: number[] }) => {
      const model = tinyModel({ dropout: 0 });
      let first = Number.NaN;
      const spy: Callback = {
        name: 'spy',
        onBatchEnd: (batch, logs) => {
          if (batch === 0) first = logs.batch_loss as number;
        },
      };
      await train({ model, trainData: batches(data, 8), epochs: 1, callbacks: [spy], ...options });
      model.dispose();
      return first;
    };
    const plain = await reported({});
    expect(plain).toBeCloseTo(hand({}), 5);
    const smoothed = await reported({ labelSmoothing: 0.2 });
    expect(smoothed).toBeCloseTo(hand({ labelSmoothing: 0.2 }), 5);
    expect(smoothed).not.toBeCloseTo(plain, 3);
    const weighted = await reported({ classWeights: [3, 1, 0.5] });
    expect(weighted).toBeCloseTo(hand({ classWeights: [3, 1, 0.5] }), 5);
    expect(weighted).not.toBeCloseTo(plain, 3);
  });
});
