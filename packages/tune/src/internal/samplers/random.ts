import { createRng, parseOrThrow, type Rng } from '@optik/core';
import { z } from 'zod';
import { latticeIndex, latticeValue } from '../distributions.js';
import type { Distribution, ParamValue } from '../types.js';
import type { Sampler, SamplerContext } from './types.js';

/** Draws a value uniformly from a distribution (log-uniformly for `log: true`, uniformly over the step lattice). */
export function sampleUniform(rng: Rng, d: Distribution): ParamValue {
  if (d.type === 'categorical') return rng.choice(d.choices);
  if (d.low === d.high) return d.low;
  if (d.type === 'int') {
    if (d.log) {
      const v = Math.round(Math.exp(rng.uniform(Math.log(d.low - 0.5), Math.log(d.high + 0.5))));
      return Math.min(d.high, Math.max(d.low, v));
    }
    return d.low + d.step * rng.int(0, latticeIndex(d.low, d.step, d.high) ?? 0);
  }
  if (d.log) return Math.min(d.high, Math.max(d.low, Math.exp(rng.uniform(Math.log(d.low), Math.log(d.high)))));
  if (d.step !== undefined) return latticeValue(d.low, d.step, rng.int(0, latticeIndex(d.low, d.step, d.high) ?? 0));
  return rng.uniform(d.low, d.high);
}

/**
 * The generator for one (trial, parameter) pair: derived from the seed, the trial number and the name, so that
 * values do not depend on the order in which concurrent trials happen to ask.
 */
export function paramRng(base: Rng, trialNumber: number, name: string): Rng {
  return base.fork(`${trialNumber}\u0000${name}`);
}

export const RandomSamplerSchema = z.strictObject({
  type: z.literal('random').default('random'),
  /** Seed of the sampler's generator. */
  seed: z.number().int().default(0),
});

/** Options of {@link RandomSampler}. */
export type RandomSamplerOptions = z.input<typeof RandomSamplerSchema>;
/** Config of {@link RandomSampler}, defaults filled in. */
export type RandomSamplerConfig = z.output<typeof RandomSamplerSchema>;

/** Samples every parameter independently and uniformly (log-uniformly for log scales); reproducible per seed. */
export class RandomSampler implements Sampler {
  readonly type = 'random';
  readonly config: RandomSamplerConfig;
  private readonly base: Rng;

  constructor(options: RandomSamplerOptions = {}) {
    this.config = parseOrThrow(RandomSamplerSchema, options, { what: 'random sampler options', prefix: 'sampler' });
    this.base = createRng(this.config.seed);
  }

  static fromConfig(config: RandomSamplerOptions): RandomSampler {
    return new RandomSampler(config);
  }

  sample(context: SamplerContext, name: string, distribution: Distribution): ParamValue {
    return sampleUniform(paramRng(this.base, context.trialNumber, name), distribution);
  }

  toConfig(): RandomSamplerConfig {
    return { ...this.config };
  }
}
