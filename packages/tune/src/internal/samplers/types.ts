import type { SearchSpace } from '../space.js';
import type { Direction, Distribution, ParamValue, TrialRecord } from '../types.js';

/** What a sampler sees when it draws a value: the other trials of the study and the trial being sampled. */
export interface SamplerContext {
  /** Every other trial of the study (running ones included), ascending by number. */
  readonly trials: readonly TrialRecord[];
  readonly direction: Direction;
  /** The number of the trial being sampled. */
  readonly trialNumber: number;
}

/**
 * A sampler proposes parameter values. `sample` draws one parameter at a time (independent sampling, as with
 * define-by-run); `startTrial` may fix a whole trial's parameters in advance (the grid sampler does).
 */
export interface Sampler {
  /** The sampler's kind, as in its config. */
  readonly type: string;
  /**
   * Called once as a trial starts. Returns parameters fixed for the trial, or undefined. Throws
   * `SEARCH_SPACE_EXHAUSTED` when nothing is left to try.
   */
  startTrial?(
    context: SamplerContext & { readonly space: SearchSpace | undefined },
  ): Record<string, ParamValue> | undefined;
  /** Draws a value for parameter `name` from `distribution`. */
  sample(context: SamplerContext, name: string, distribution: Distribution): ParamValue;
  /** A plain config that {@link createSampler} turns back into an equal sampler. */
  toConfig(): Record<string, unknown>;
}
