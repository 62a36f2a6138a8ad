import { createRng, type Rng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedAdam, fusedMomentum, initBackend } from '../index.js';
import { randomTensor } from './harness.js';

/** Shapes of a small net's variables: sizes that are and are not multiples of the SIMD width. */
const SHAPES = [[3, 3, 2, 5], [5], [7, 4], [4], [1]];

function makeVariables(rng: Rng, prefix: string): tf.Variable[] {
  return SHAPES.map((shape, i) => {
    const t = randomTensor(rng, shape);
    return tf.tidy(() => tf.variable(tf.tensor(t.values, shape), true, `${prefix}_${i}`));
  });
}

/** The same random gradients for every optimizer under test (drawn per step from the seed). */
function gradientsFor(rng: Rng, variables: tf.Variable[]): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  variables.forEach((v, i) => {
    const t = randomTensor(rng, [...v.shape]);
    // Some steps give a variable a tiny gradient, so that ε matters.
    const scale = i === 3 ? 1e-6 : 1;
    grads[v.name] = tf.tensor(
      Float32Array.from(t.values, (x) => x * scale),
      [...v.shape],
    );
  });
  return grads;
}

function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  const a = actual.dataSync();
  const e = expected.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (e[i] as number)));
    scale = Math.max(scale, Math.abs(e[i] as number));
  }
  return diff / Math.max(scale, 1e-12);
}

/** Runs `steps` updates of `optimizer` on fresh variables with gradients drawn from `seed`. */
function train(optimizer: tf.Optimizer, prefix: string, steps: number, seed = 7): tf.Variable[] {
  const variables = makeVariables(createRng(1), prefix);
  const rng = createRng(seed);
  for (let step = 0; step < steps; step++) {
    const grads = gradientsFor(rng, variables);
    const renamed: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) renamed[name] = g;
    optimizer.applyGradients(renamed);
    tf.dispose(Object.values(grads));
  }
  return variables;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
});

interface FusedCase {
  readonly name: string;
  readonly kernel: string;
  readonly stock: (learningRate: number) => tf.Optimizer;
  readonly fused: (learningRate: number) => tf.Optimizer;
}
const CASES: FusedCase[] = [
  { name: 'fusedAdam', kernel: 'OptikAdam', stock: (lr) => tf.train.adam(lr), fused: (lr) => fusedAdam(lr) },
  {
    name: 'fusedMomentum',
    kernel: 'OptikMomentum',
    stock: (lr) => tf.train.momentum(lr, 0.9),
    fused: (lr) => fusedMomentum(lr, 0.9),
  },
  {
    name: 'fusedMomentum (Nesterov)',
    kernel: 'OptikMomentum',
    stock: (lr) => tf.train.momentum(lr, 0.8, true),
    fused: (lr) => fusedMomentum(lr, 0.8, true),
  },
];

/** Disposes an optimizer, and the −learning-rate scalar that tfjs's MomentumOptimizer.dispose() forgets. */
function disposeOptimizer(optimizer: tf.Optimizer): void {
  const c = (optimizer as unknown as { c?: tf.Scalar }).c;
  optimizer.dispose();
  if (c !== undefined && !c.isDisposed) c.dispose();
}

const GRID = CASES.flatMap((c) => ['wasm', 'cpu'].map((backendName) => ({ ...c, backendName })));

describe.each(GRID)('$name on $backendName', ({ backendName, kernel, stock: makeStock, fused: makeFused }) => {
  it('matches the tfjs optimizer within 1e-6 over 20 steps (weights and slots) and leaks nothing', async () => {
    await tf.setBackend(backendName);
    const before = tf.memory().numTensors;
    const stock = makeStock(0.01);
    const fused = makeFused(0.01);
    const expected = train(stock, `${backendName}_stock`, 20);
    const actual = train(fused, `${backendName}_fused`, 20);
    for (let i = 0; i < SHAPES.length; i++) {
      expect(relativeError(actual[i] as tf.Variable, expected[i] as tf.Variable)).toBeLessThanOrEqual(1e-6);
    }
    const stockState = await stock.getWeights();
    const fusedState = await fused.getWeights();
    expect(fusedState.map((w) => w.name.replace('fused', ''))).toEqual(
      stockState.map((w) => w.name.replace('stock', '')),
    );
    expect(fusedState[0]?.tensor.dataSync()[0]).toBe(20); // iterations
    for (let i = 1; i < stockState.length; i++) {
      expect(relativeError(fusedState[i]?.tensor as tf.Tensor, stockState[i]?.tensor as tf.Tensor)).toBeLessThanOrEqual(
        1e-6,
      );
    }
    tf.dispose([stockState[0]?.tensor, fusedState[0]?.tensor] as tf.Tensor[]);
    tf.dispose([...expected, ...actual]);
    disposeOptimizer(stock);
    disposeOptimizer(fused);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('updates each variable with one fused kernel instead of tensor ops', async () => {
    await tf.setBackend(backendName);
    const before = tf.memory().numTensors;
    const optimizer = makeFused(0.01);
    let variables: tf.Variable[] = [];
    const profile = await tf.profile(() => {
      variables = train(optimizer, `${backendName}_profiled`, 1);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names.filter((n) => n === kernel)).toHaveLength(SHAPES.length);
    expect(names).not.toContain('Sqrt');
    tf.dispose(variables);
    disposeOptimizer(optimizer);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumes from the tfjs optimizer state and the other way round', async () => {
    await tf.setBackend(backendName);
    const before = tf.memory().numTensors;
    // Reference: 12 uninterrupted stock steps. Then: 6 steps of one kind, state moved into the other, 6 more.
    const reference = makeStock(0.02);
    const expected = train(reference, `${backendName}_ref`, 12);
    for (const [first, second] of [
      [makeStock(0.02), makeFused(0.02)],
      [makeFused(0.02), makeStock(0.02)],
    ] as const) {
      const variables = makeVariables(createRng(1), `${backendName}_${first.constructor.name}_resume`);
      const rng = createRng(7);
      const step = (optimizer: tf.Optimizer) => {
        const grads = gradientsFor(rng, variables);
        optimizer.applyGradients(grads);
        tf.dispose(Object.values(grads));
      };
      for (let i = 0; i < 6; i++) step(first);
      // As @optik/train's checkpoints copy it: slot variables cloned, the iterations scalar is already a copy.
      const state = (await first.getWeights()).map(({ name, tensor }) => ({
        name,
        tensor: tensor instanceof tf.Variable ? tf.clone(tensor) : tensor,
      }));
      await second.setWeights(state);
      tf.dispose(state.map((s) => s.tensor));
      for (let i = 0; i < 6; i++) step(second);
      for (let i = 0; i < SHAPES.length; i++) {
        expect(relativeError(variables[i] as tf.Variable, expected[i] as tf.Variable)).toBeLessThanOrEqual(1e-6);
      }
      tf.dispose(variables);
      disposeOptimizer(first);
      disposeOptimizer(second);
    }
    tf.dispose(expected);
    disposeOptimizer(reference);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a compiled layers model like the tfjs optimizer', async () => {
    await tf.setBackend(backendName);
    const before = tf.memory().numTensors;
    const rng = createRng(3);
    const x = randomTensor(rng, [8, 6, 6, 2]);
    const y = randomTensor(rng, [8, 3]);
    const losses: number[][] = [];
    for (const optimizer of [makeStock(0.01), makeFused(0.01)]) {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [6, 6, 2],
            filters: 3,
            kernelSize: 3,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        ],
      });
      model.compile({ optimizer, loss: 'meanSquaredError' });
      const xs = tf.tensor(x.values, x.shape);
      const ys = tf.tensor(y.values, y.shape);
      const curve: number[] = [];
      for (let i = 0; i < 5; i++) curve.push((await model.trainOnBatch(xs, ys)) as number);
      losses.push(curve);
      tf.dispose([xs, ys]);
      disposeOptimizer(optimizer);
      model.dispose();
    }
    const [stockCurve, fusedCurve] = losses as [number[], number[]];
    expect(stockCurve[4]).toBeLessThan(stockCurve[0] as number);
    for (let i = 0; i < 5; i++) expect(fusedCurve[i]).toBeCloseTo(stockCurve[i] as number, 5);
    expect(tf.memory().numTensors).toBe(before);
  });
});
