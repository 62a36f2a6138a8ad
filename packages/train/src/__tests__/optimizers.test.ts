import { initBackend } from '@optik/backend';
import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Optimizer, type OptimizerOptions, train } from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
});

/** Minimises 0.5·w² from w = 1 (gradient w) for `steps` steps; returns w after each. */
function run(options: OptimizerOptions, steps: number, setup?: (o: Optimizer) => void): number[] {
  const w = tf.tidy(() => tf.variable(tf.scalar(1)));
  const optimizer = new Optimizer(options);
  setup?.(optimizer);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const grads = { [w.name]: w.clone() };
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    out.push(w.dataSync()[0] as number);
  }
  optimizer.dispose();
  w.dispose();
  return out;
}

describe('Optimizer', () => {
  it('SGD with momentum and Nesterov follows the update rules by hand', () => {
    const [a1, a2] = run({ type: 'sgd', learningRate: 0.1 }, 2);
    expect(a1).toBeCloseTo(0.9, 6);
    expect(a2).toBeCloseTo(0.81, 6);
    // v = 0.9·v + g; w −= lr·v: 1 → 0.9 → 0.9 − 0.1·(0.9 + 0.9) = 0.72.
    const [m1, m2] = run({ type: 'sgd', learningRate: 0.1, momentum: 0.9 }, 2);
    expect(m1).toBeCloseTo(0.9, 6);
    expect(m2).toBeCloseTo(0.72, 6);
    // Nesterov: w −= lr·(g + m·v): 1 − 0.1·(1 + 0.9) = 0.81.
    const [n1] = run({ type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true }, 1);
    expect(n1).toBeCloseTo(0.81, 6);
  });

  it('Adam, RMSprop: the first step by hand', () => {
    // Adam's first step moves by lr·ĝ/(|ĝ|+ε) ≈ lr.
    expect(run({ type: 'adam', learningRate: 0.1 }, 1)[0]).toBeCloseTo(0.9, 5);
    // RMSprop: ms = (1 − ρ)·g² = 0.1; w −= lr·g/√(ms + ε).
    expect(run({ type: 'rmsprop', learningRate: 0.01 }, 1)[0]).toBeCloseTo(1 - 0.01 / Math.sqrt(0.1), 5);
  });

  it('AdamW decays the weights by lr·weightDecay on top of the Adam step (decoupled)', () => {
    const adam = run({ type: 'adam', learningRate: 0.1 }, 3);
    const adamw = run({ type: 'adamw', learningRate: 0.1, weightDecay: 0.5 }, 3);
    // Step 1: w = 1·(1 − 0.05) then the Adam step ≈ −0.1 (independent of w's scale at the first step).
    expect(adamw[0]).toBeCloseTo(0.95 - 0.1, 4);
    expect(adamw[2]).toBeLessThan(adam[2] as number);
  });

  it('the learning rate can be read and set for every type (SGD keeps its tensor in sync)', () => {
    for (const type of ['sgd', 'adam', 'adamw', 'rmsprop'] as const) {
      const frozen = run({ type, learningRate: 0.1 }, 2, (o) => {
        expect(o.learningRate).toBe(0.1);
        o.learningRate = 0;
        expect(o.learningRate).toBe(0);
      });
      expect(frozen).toEqual([1, 1]);
    }
    expect(run({ type: 'sgd', learningRate: 0.1, momentum: 0.5 }, 1, (o) => (o.learningRate = 0.2))[0]).toBeCloseTo(
      0.8,
      6,
    );
  });

  it('state round-trips into a fresh optimizer and continues identically', async () => {
    for (const options of [
      { type: 'sgd', learningRate: 0.1, momentum: 0.9 },
      { type: 'adam', learningRate: 0.1 },
      { type: 'adamw', learningRate: 0.1 },
      { type: 'rmsprop', learningRate: 0.1, momentum: 0.5, centered: true },
    ] as const) {
      const w = tf.tidy(() => tf.variable(tf.scalar(1)));
      const a = new Optimizer(options);
      const step = (o: Optimizer) => {
        const grads = { [w.name]: w.clone() };
        o.applyGradients(grads);
        tf.dispose(Object.values(grads));
      };
      step(a);
      step(a);
      const state = await a.getState();
      const b = new Optimizer(options);
      await b.setState(state);
      tf.dispose(state.map((s) => s.tensor));
      expect(b.iterations).toBe(a.iterations);
      const start = w.dataSync()[0] as number;
      step(a);
      const viaA = w.dataSync()[0] as number;
      const reset = tf.scalar(start);
      w.assign(reset);
      reset.dispose();
      step(b);
      expect(w.dataSync()[0]).toBeCloseTo(viaA, 5);
      a.dispose();
      b.dispose();
      w.dispose();
    }
  });

  it('has no leaks and rejects bad configs with the key path', () => {
    const before = tf.memory().numTensors;
    run({ type: 'sgd', momentum: 0.9 }, 2, (o) => (o.learningRate = 0.05));
    run({ type: 'rmsprop', centered: true, momentum: 0.1 }, 2);
    run({ type: 'adamw' }, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new Optimizer({ type: 'sgd', momentum: 1.5 })).toThrow(/optimizer\.momentum/);
    expect(() => new Optimizer({ type: 'lamb' } as never)).toThrow(/optimizer\.type/);
    try {
      new Optimizer({ type: 'adam', learningRate: 0 });
    } catch (error) {
      expect(isOptikError(error, 'CONFIG_INVALID')).toBe(true);
    }
    const o = new Optimizer({ type: 'adamw', weightDecay: 0.1 });
    expect(Optimizer.fromConfig(o.toConfig()).toConfig()).toEqual(o.toConfig());
    expect(o.toConfig()).toEqual({
      type: 'adamw',
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0.1,
    });
    o.dispose();
  });

  it('gradient clipping bounds each update (value) and the global update norm (norm)', async () => {
    const data = toyData(16, 3);
    const change = async (gradientClip?: { mode: 'norm' | 'value'; max: number }) => {
      const model = tinyModel({ dropout: 0 });
      const before = model.getWeights().map((w) => Array.from(w.dataSync()));
      await train({
        model,
        trainData: batches(data, 16),
        epochs: 1,
        optimizer: { type: 'sgd', learningRate: 1 },
        ...(gradientClip === undefined ? {} : { gradientClip }),
      });
      const deltas = model
        .getWeights()
        .flatMap((w, i) => Array.from(w.dataSync()).map((v, j) => v - (before[i]?.[j] ?? 0)));
      model.dispose();
      return { max: Math.max(...deltas.map(Math.abs)), norm: Math.sqrt(deltas.reduce((s, d) => s + d * d, 0)) };
    };
    const free = await change();
    expect(free.max).toBeGreaterThan(0.01);
    const byValue = await change({ mode: 'value', max: 0.001 });
    expect(byValue.max).toBeLessThanOrEqual(0.001 + 1e-7);
    const byNorm = await change({ mode: 'norm', max: 0.01 });
    expect(byNorm.norm).toBeCloseTo(0.01, 5);
  });
});
