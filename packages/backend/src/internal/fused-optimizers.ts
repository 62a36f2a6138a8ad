import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { getKernel, type NamedAttrMap, registerKernel } from '@tensorflow/tfjs';
import { optimizerKernels } from './kernels/index.js';
import { OptikAdam, type OptikAdamAttrs } from './kernels/OptikAdam.js';
import { OptikMomentum, type OptikMomentumAttrs } from './kernels/OptikMomentum.js';

/** The tfjs AdamOptimizer fields the fused step reads and writes (private in its typings, public at runtime). */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/** Registers the fused optimizer kernels (new kernel names: nothing of tfjs's is replaced). Idempotent. */
export function registerOptimizerKernels(): void {
  for (const config of optimizerKernels) {
    if (getKernel(config.kernelName, config.backendName) === undefined) registerKernel(config);
  }
}

function checkFloat32(name: string, value: tf.Tensor, gradient: tf.Tensor): void {
  if (value.dtype !== 'float32' || gradient.dtype !== 'float32') {
    throw new OptikError('ARGUMENT_INVALID', `Optik's fused optimizers update float32 variables; "${name}" is not.`, {
      received: `${value.dtype} variable, ${gradient.dtype} gradient`,
      hint: 'Only float32 variables can be trained.',
    });
  }
}

/**
 * tfjs's Adam with each variable's update fused into one kernel (Optik's `OptikAdam`: one SIMD pass on wasm, one
 * loop on cpu) instead of ~13 tensor ops. Same float32 arithmetic in the same order, same slots, same
 * `getWeights`/`setWeights` layout and `className` ('Adam'), so checkpoints move freely between the two. On a
 * backend without the kernel (e.g. `tensorflow`) it runs tfjs's own update. Made by {@link fusedAdam}.
 *
 * @example
 * ```ts
 * const optimizer: FusedAdamOptimizer = fusedAdam(1e-3);
 * ```
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1: number, beta2: number, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
    registerOptimizerKernels();
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (getKernel(OptikAdam, tf.getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamInternals;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const attrs: OptikAdamAttrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      // tfjs computes sub(1, accBeta) in float32.
      oneMinusAccBeta1: Math.fround(1 - (state.accBeta1.dataSync()[0] as number)),
      oneMinusAccBeta2: Math.fround(1 - (state.accBeta2.dataSync()[0] as number)),
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name] as tf.Variable;
        state.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        state.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]?.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        checkFloat32(name, value, gradient);
        const [x1, m1, v1] = tf
          .engine()
          .runKernel(OptikAdam, { x: value, gradient, m, v }, attrs as unknown as NamedAttrMap) as tf.Tensor[];
        m.assign(m1 as tf.Tensor);
        v.assign(v1 as tf.Tensor);
        value.assign(x1 as tf.Tensor);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * An Adam optimizer whose per-variable update is one fused kernel on the `wasm` and `cpu` backends; same results,
 * state and config as `tf.train.adam` (tfjs's own update on other backends).
 *
 * @example
 * ```ts
 * model.compile({ optimizer: fusedAdam(1e-3), loss: 'categoricalCrossentropy' });
 * ```
 */
export function fusedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

/** The tfjs MomentumOptimizer fields the fused step reads (private or protected in its typings). */
interface MomentumInternals {
  m: tf.Scalar;
  c: tf.Scalar;
  useNesterov: boolean;
  accumulations: { originalName: string; variable: tf.Variable }[];
}

/**
 * tfjs's momentum SGD with each variable's update fused into one kernel (Optik's `OptikMomentum`) on wasm and cpu:
 * same float32 arithmetic, slots, `getWeights`/`setWeights` layout and `className` ('Momentum') as
 * `tf.train.momentum`; tfjs's own update on other backends. Made by {@link fusedMomentum}.
 *
 * @example
 * ```ts
 * const optimizer: FusedMomentumOptimizer = fusedMomentum(0.01, 0.9, true);
 * ```
 */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  constructor(learningRate: number, momentum: number, useNesterov = false) {
    super(learningRate, momentum, useNesterov);
    registerOptimizerKernels();
  }

  override applyGradients(variableGradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    if (getKernel(OptikMomentum, tf.getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as MomentumInternals;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    // tfjs multiplies by its float32 scalars m (the momentum given at construction) and c (−learning rate).
    const attrs: OptikMomentumAttrs = {
      momentum: state.m.dataSync()[0] as number,
      negLearningRate: state.c.dataSync()[0] as number,
      nesterov: state.useNesterov,
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name] as tf.Variable;
        state.accumulations[i] ??= {
          originalName: `${name}/momentum`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]?.tensor : variableGradients[name];
        if (gradient == null) return;
        checkFloat32(name, value, gradient);
        const accumulation = state.accumulations[i].variable;
        const [x1, a1] = tf
          .engine()
          .runKernel(
            OptikMomentum,
            { x: value, gradient, accumulation },
            attrs as unknown as NamedAttrMap,
          ) as tf.Tensor[];
        accumulation.assign(a1 as tf.Tensor);
        value.assign(x1 as tf.Tensor);
      });
    });
    this.incrementIterations();
  }
}

/**
 * A momentum-SGD optimizer whose per-variable update is one fused kernel on the `wasm` and `cpu` backends; same
 * results, state and config as `tf.train.momentum` (tfjs's own update on other backends).
 *
 * @example
 * ```ts
 * model.compile({ optimizer: fusedMomentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
 * ```
 */
export function fusedMomentum(learningRate: number, momentum: number, useNesterov = false): FusedMomentumOptimizer {
  return new FusedMomentumOptimizer(learningRate, momentum, useNesterov);
}
