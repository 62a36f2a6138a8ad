import { initBackend } from '@optik/backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Optimizer } from '../index.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
});

/** Variables of a few shapes and a deterministic gradient per step (no RNG needed). */
function variables(prefix: string): tf.Variable[] {
  return [[3, 4], [5], [2, 2, 3]].map((shape, k) =>
    tf.tidy(() =>
      tf.variable(
        tf
          .linspace(
            -1 + k,
            1 + k,
            shape.reduce((a, b) => a * b, 1),
          )
          .reshape(shape),
        true,
        `${prefix}${k}`,
      ),
    ),
  );
}

function gradients(vars: tf.Variable[], step: number): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  for (const v of vars) grads[v.name] = tf.tidy(() => tf.sin(tf.mul(v, step + 1)));
  return grads;
}

function step(apply: (grads: tf.NamedTensorMap) => void, vars: tf.Variable[], i: number): void {
  const grads = gradients(vars, i);
  apply(grads);
  tf.dispose(Object.values(grads));
}

const CASES = [
  {
    options: { type: 'adam', learningRate: 0.05 } as const,
    stock: () => tf.train.adam(0.05, 0.9, 0.999, 1e-7),
    kernel: 'OptikAdam',
    slots: ['m', 'v'],
  },
  {
    options: { type: 'adamw', learningRate: 0.05, weightDecay: 0 } as const,
    stock: () => tf.train.adam(0.05, 0.9, 0.999, 1e-7),
    kernel: 'OptikAdam',
    slots: ['m', 'v'],
  },
  {
    options: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true } as const,
    stock: () => tf.train.momentum(0.05, 0.9, true),
    kernel: 'OptikMomentum',
    slots: ['momentum'],
  },
];

describe("the trainer's fused optimizers", () => {
  it.each(CASES)('$options.type runs $kernel and matches tfjs over 20 steps, state included', async (c) => {
    const before = tf.memory().numTensors;
    const ours = new Optimizer(c.options);
    const stock = c.stock();
    const applyOurs = (grads: tf.NamedTensorMap) => ours.applyGradients(grads);
    const applyStock = (grads: tf.NamedTensorMap) =>
      stock.applyGradients(grads as Parameters<typeof stock.applyGradients>[0]);
    const a = variables('ours');
    const b = variables('stock');
    const profile = await tf.profile(() => step(applyOurs, a, 0));
    expect(profile.kernels.filter((k) => k.name === c.kernel)).toHaveLength(a.length);
    step(applyStock, b, 0);
    for (let i = 1; i < 20; i++) {
      step(applyOurs, a, i);
      step(applyStock, b, i);
    }
    for (let k = 0; k < a.length; k++) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a[k] as tf.Variable, b[k] as tf.Variable))).dataSync()[0]);
      const scale = tf.tidy(() => tf.max(tf.abs(b[k] as tf.Variable)).dataSync()[0]);
      expect((diff as number) / (scale as number)).toBeLessThanOrEqual(1e-6);
    }
    // Checkpoint state: iterations then the slots, named as tfjs names them.
    const state = await ours.getState();
    expect(state.map((s) => s.name)).toEqual([
      'iter',
      ...c.slots.flatMap((slot) => [0, 1, 2].map((k) => `ours${k}/${slot}`)),
    ]);
    expect(state[0]?.tensor.dataSync()[0]).toBe(20);
    tf.dispose(state.map((s) => s.tensor));
    ours.dispose();
    const leakedScalar = (stock as unknown as { c?: tf.Scalar }).c; // tfjs's Momentum forgets it on dispose
    stock.dispose();
    if (leakedScalar !== undefined && !leakedScalar.isDisposed) leakedScalar.dispose();
    tf.dispose([...a, ...b]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
