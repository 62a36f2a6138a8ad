import { createRng, type Rng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.js';
import { type HostTensor, randomTensor } from './harness.js';

/**
 * The reference CNN's layer mix in miniature (conv → maxPool → strided `same` conv → maxPool → dense → softmax), so
 * that every kernel of the fast wasm training path runs: Conv2DBackpropFilter (both routes), Conv2DBackpropInput
 * (stride 2), MaxPoolGrad, BatchMatMul with transposes, and the bias-gradient Sum.
 */
function buildCnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 16, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** Seeded weights (tfjs initializers are not seeded by Optik), small enough that nothing saturates. */
function seededWeights(model: tf.LayersModel, rng: Rng): HostTensor[] {
  return model.getWeights().map((w) => {
    const t = randomTensor(rng, [...w.shape]);
    for (let i = 0; i < t.values.length; i++) t.values[i] = 0.3 * (t.values[i] as number);
    return t;
  });
}

/** Images whose class is the quadrant with a bright square. */
function dataset(rng: Rng): { x: HostTensor; y: HostTensor } {
  const n = 12;
  const x = randomTensor(rng, [n, 12, 12, 2]);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    y[i * 3 + label] = 1;
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        const index = ((i * 12 + r + (label === 1 ? 6 : 0)) * 12 + c + (label === 2 ? 6 : 0)) * 2;
        x.values[index] = (x.values[index] as number) + 2;
      }
    }
  }
  return { x, y: { shape: [n, 3], dtype: 'float32', values: y } };
}

/** Trains from the same weights with Adam on one backend and returns the loss of every step. */
async function lossCurve(backendName: string, weights: HostTensor[], data: { x: HostTensor; y: HostTensor }) {
  await tf.setBackend(backendName);
  const model = buildCnn();
  tf.tidy(() => model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape))));
  const optimizer = tf.train.adam(0.01);
  const xs = tf.tensor(data.x.values, data.x.shape);
  const ys = tf.tensor(data.y.values, data.y.shape);
  const losses: number[] = [];
  try {
    for (let step = 0; step < 12; step++) {
      const cost = optimizer.minimize(
        () => tf.metrics.categoricalCrossentropy(ys, model.apply(xs) as tf.Tensor).mean() as tf.Scalar,
        true,
      );
      losses.push(cost?.dataSync()[0] as number);
      cost?.dispose();
    }
  } finally {
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
  }
  return losses;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
});

describe('a small CNN on the fast wasm training path', () => {
  it('follows the cpu loss curve from the same weights, without leaking tensors', async () => {
    const rng = createRng(7);
    const data = dataset(rng.fork('data'));
    await tf.setBackend('cpu');
    const template = buildCnn();
    const weights = seededWeights(template, rng.fork('weights'));
    template.dispose();

    const expected = await lossCurve('cpu', weights, data);
    const before = tf.memory().numTensors;
    const actual = await lossCurve('wasm', weights, data);
    expect(tf.memory().numTensors).toBe(before);

    expect(actual).toHaveLength(expected.length);
    actual.forEach((loss, step) => {
      expect(Math.abs(loss - (expected[step] as number)), `step ${step}`).toBeLessThanOrEqual(
        1e-3 * Math.max(1, Math.abs(expected[step] as number)),
      );
    });
    expect(actual[actual.length - 1] as number).toBeLessThan((actual[0] as number) * 0.7);
  });
});
