import { fusedAdam, fusedMomentum } from '@optik/backend';
import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

const learningRate = z.number().gt(0);

/** Stochastic gradient descent, with optional (Nesterov) momentum. */
export const SgdSchema = z.strictObject({
  type: z.literal('sgd'),
  learningRate: learningRate.default(0.01),
  momentum: z.number().min(0).lt(1).default(0),
  nesterov: z.boolean().default(false),
});

/** Adam (Kingma & Ba). */
export const AdamSchema = z.strictObject({
  type: z.literal('adam'),
  learningRate: learningRate.default(0.001),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().gt(0).default(1e-7),
});

/** AdamW: Adam with decoupled weight decay (Loshchilov & Hutter): `w ← w − lr·weightDecay·w` each step. */
export const AdamWSchema = z.strictObject({
  type: z.literal('adamw'),
  learningRate: learningRate.default(0.001),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().gt(0).default(1e-7),
  weightDecay: z.number().min(0).default(0.004),
});

/** RMSprop (Hinton), optionally centered and with momentum. */
export const RmspropSchema = z.strictObject({
  type: z.literal('rmsprop'),
  learningRate: learningRate.default(0.001),
  rho: z.number().min(0).lt(1).default(0.9),
  momentum: z.number().min(0).lt(1).default(0),
  epsilon: z.number().gt(0).default(1e-7),
  centered: z.boolean().default(false),
});

export const OptimizerSchema = z.discriminatedUnion('type', [SgdSchema, AdamSchema, AdamWSchema, RmspropSchema]);
export type OptimizerConfig = z.output<typeof OptimizerSchema>;
export type OptimizerOptions = z.input<typeof OptimizerSchema>;

/** A named tensor, as tfjs optimizers' getWeights/setWeights use. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** The tfjs optimizer fields the wrapper reads and writes (all are public on the tfjs classes at runtime). */
interface TfOptimizerInternals {
  learningRate: number;
  setLearningRate?: (lr: number) => void;
  c?: tf.Scalar;
}

/**
 * A tfjs optimizer built from config, with a settable learning rate, decoupled weight decay for AdamW, and its
 * state (slots and iteration count) readable and writable for checkpoints.
 */
export class Optimizer {
  readonly #config: OptimizerConfig;
  readonly #inner: tf.Optimizer;

  constructor(options: OptimizerOptions, meta: { path?: string } = {}) {
    this.#config = parseOrThrow(OptimizerSchema, options, {
      what: 'optimizer config',
      prefix: meta.path ?? 'optimizer',
    });
    const c = this.#config;
    switch (c.type) {
      case 'sgd':
        // Momentum: tfjs's update fused into one kernel per variable on wasm and cpu (same results and state).
        this.#inner =
          c.momentum > 0 ? fusedMomentum(c.learningRate, c.momentum, c.nesterov) : tf.train.sgd(c.learningRate);
        break;
      case 'adam':
      case 'adamw':
        // tfjs's Adam with each variable's update fused into one kernel on wasm and cpu (same results and state).
        this.#inner = fusedAdam(c.learningRate, c.beta1, c.beta2, c.epsilon);
        break;
      case 'rmsprop':
        this.#inner = tf.train.rmsprop(c.learningRate, c.rho, c.momentum, c.epsilon, c.centered);
        break;
    }
  }

  static fromConfig(config: OptimizerOptions): Optimizer {
    return new Optimizer(config);
  }

  toConfig(): OptimizerConfig {
    return structuredClone(this.#config);
  }

  get learningRate(): number {
    return (this.#inner as unknown as TfOptimizerInternals).learningRate;
  }

  set learningRate(value: number) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new OptikError('ARGUMENT_INVALID', 'The learning rate must be a finite number ≥ 0.', { received: value });
    }
    const inner = this.#inner as unknown as TfOptimizerInternals;
    // SGD and momentum keep −lr in a scalar tensor that setLearningRate replaces; the others read the field.
    if (typeof inner.setLearningRate === 'function') inner.setLearningRate(value);
    else inner.learningRate = value;
  }

  /** Applies one update. Gradients must be given in the same variable order every step (slots are positional). */
  applyGradients(grads: tf.NamedTensorMap): void {
    if (this.#config.type === 'adamw' && this.#config.weightDecay > 0) {
      const factor = 1 - this.learningRate * this.#config.weightDecay;
      tf.tidy(() => {
        for (const name of Object.keys(grads)) {
          const variable = tf.engine().registeredVariables[name];
          if (variable !== undefined) variable.assign(tf.mul(variable, factor));
        }
      });
    }
    this.#inner.applyGradients(grads);
  }

  /** Iterations so far plus every slot variable, copied (the caller disposes them). */
  async getState(): Promise<NamedTensor[]> {
    const weights = await this.#inner.getWeights();
    return weights.map(({ name, tensor }) => ({
      name,
      tensor: tensor instanceof tf.Variable ? tf.clone(tensor) : tensor,
    }));
  }

  /** Restores a state from {@link getState} into a fresh optimizer (the tensors are copied, not kept). */
  async setState(state: NamedTensor[]): Promise<void> {
    await this.#inner.setWeights(state);
  }

  get iterations(): number {
    return this.#inner.iterations;
  }

  dispose(): void {
    const inner = this.#inner as unknown as TfOptimizerInternals;
    this.#inner.dispose();
    // MomentumOptimizer.dispose forgets the −lr scalar it inherits from SGD.
    if (inner.c !== undefined && !inner.c.isDisposed) inner.c.dispose();
  }
}
