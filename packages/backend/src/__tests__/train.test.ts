import { createRng, type Rng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.js';
import { type HostTensor, randomTensor, relativeError, tidyHost, toHost } from './harness.js';

/**
 * A tiny conv net with depthwise convolutions and batch normalization, as the zoo's mobile presets build. The
 * convolutions before batch norm have no bias, as in MobileNet: its gradient would be exactly zero (pure noise).
 */
function buildNet(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.depthwiseConv2d({
        inputShape: [6, 6, 3],
        kernelSize: 3,
        depthMultiplier: 2,
        padding: 'same',
        useBias: false,
      }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** Seeded weights, so the same net exists on every backend (tfjs initializers are not seeded by Optik). */
function seededWeights(model: tf.LayersModel, rng: Rng): HostTensor[] {
  return model.getWeights().map((w) => {
    const t = randomTensor(rng, [...w.shape]);
    const isBatchNormScale = w.shape.length === 1 && w.size > 0;
    // Keep variances positive and scales near one; conv and dense weights small.
    for (let i = 0; i < t.values.length; i++) {
      const v = t.values[i] as number;
      t.values[i] = isBatchNormScale ? 1 + 0.1 * Math.abs(v) : 0.3 * v;
    }
    return t;
  });
}

/** Eight images whose class is the channel with a bright offset. */
function dataset(rng: Rng): { x: HostTensor; y: HostTensor } {
  const n = 9;
  const x = randomTensor(rng, [n, 6, 6, 3]);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    y[i * 3 + label] = 1;
    for (let p = 0; p < 36; p++)
      x.values[(i * 36 + p) * 3 + label] = (x.values[(i * 36 + p) * 3 + label] as number) + 2;
  }
  return { x, y: { shape: [n, 3], dtype: 'float32', values: y } };
}

function loss(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const probabilities = model.apply(x, { training: true }) as tf.Tensor;
  return tf.metrics.categoricalCrossentropy(y, probabilities).mean() as tf.Scalar;
}

async function withNet<T>(backendName: string, weights: HostTensor[], fn: (model: tf.LayersModel) => T): Promise<T> {
  await tf.setBackend(backendName);
  const model = buildNet();
  if (weights.length > 0) tf.tidy(() => model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape))));
  try {
    return fn(model);
  } finally {
    model.dispose();
  }
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
});

describe('a tiny conv net with batch norm and depthwise convs', () => {
  const rng = createRng(21);
  const { x, y } = dataset(rng.fork('data'));
  let weights: HostTensor[] = [];
  beforeAll(async () => {
    weights = await withNet('cpu', [], (model) => seededWeights(model, rng.fork('weights')));
  });

  it('has gradients on wasm that match cpu', async () => {
    const before = tf.memory().numTensors;
    const gradients = (model: tf.LayersModel): HostTensor[] =>
      tidyHost(() => {
        const xs = tf.tensor(x.values, x.shape);
        const ys = tf.tensor(y.values, y.shape);
        const { grads } = tf.variableGrads(() => loss(model, xs, ys));
        return model.trainableWeights.map((w) => toHost(grads[(w.read() as tf.Variable).name] as tf.Tensor));
      });
    const expected = await withNet('cpu', weights, gradients);
    const actual = await withNet('wasm', weights, gradients);
    expect(actual).toHaveLength(expected.length);
    actual.forEach((g, i) => {
      expect(g.shape).toEqual(expected[i]?.shape);
      expect(relativeError(g, expected[i] as HostTensor), `gradient ${i}`).toBeLessThanOrEqual(1e-4);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains on wasm: the loss falls', async () => {
    const before = tf.memory().numTensors;
    const losses = await withNet('wasm', weights, (model) => {
      const optimizer = tf.train.adam(0.05);
      const xs = tf.tensor(x.values, x.shape);
      const ys = tf.tensor(y.values, y.shape);
      const history: number[] = [];
      for (let step = 0; step < 25; step++) {
        const cost = optimizer.minimize(() => loss(model, xs, ys), true);
        history.push((cost as tf.Scalar).dataSync()[0] as number);
        cost?.dispose();
      }
      tf.dispose([xs, ys]);
      optimizer.dispose();
      return history;
    });
    expect(tf.getBackend()).toBe('wasm');
    const first = losses[0] as number;
    const last = losses[losses.length - 1] as number;
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first * 0.5);
    expect(tf.memory().numTensors).toBe(before);
  });
});
