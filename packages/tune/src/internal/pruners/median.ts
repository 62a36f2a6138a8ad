import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { Pruner, PrunerContext } from './types.js';

export const MedianPrunerSchema = z.strictObject({
  type: z.literal('median').default('median'),
  /** No pruning until this many trials have completed. */
  nStartupTrials: z.number().int().min(0).default(5),
  /** No pruning at steps below this one (let the curves settle). */
  nWarmupSteps: z.number().int().min(0).default(0),
  /** No pruning at a step until at least this many completed trials reported a value at it. */
  nMinTrials: z.number().int().min(1).default(1),
});

/** Options of {@link MedianPruner}. */
export type MedianPrunerOptions = z.input<typeof MedianPrunerSchema>;
/** Config of {@link MedianPruner}, defaults filled in. */
export type MedianPrunerConfig = z.output<typeof MedianPrunerSchema>;

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Prunes a trial whose intermediate value at its last reported step is worse than the median of the completed
 * trials' values at that same step — after `nStartupTrials` completed trials and from step `nWarmupSteps` on.
 * A NaN report is always pruned. (Optuna compares the trial's best value so far; this compares the value at the
 * step, as the curves of one training run are compared epoch by epoch.)
 */
export class MedianPruner implements Pruner {
  readonly type = 'median';
  readonly config: MedianPrunerConfig;

  constructor(options: MedianPrunerOptions = {}) {
    this.config = parseOrThrow(MedianPrunerSchema, options, { what: 'median pruner options', prefix: 'pruner' });
  }

  static fromConfig(config: MedianPrunerOptions): MedianPruner {
    return new MedianPruner(config);
  }

  toConfig(): MedianPrunerConfig {
    return { ...this.config };
  }

  prune({ trial, trials, direction }: PrunerContext): boolean {
    const last = trial.intermediateValues[trial.intermediateValues.length - 1];
    if (last === undefined) return false;
    if (Number.isNaN(last.value)) return true;
    const completed = trials.filter((t) => t.state === 'completed');
    if (completed.length < this.config.nStartupTrials) return false;
    if (last.step < this.config.nWarmupSteps) return false;
    const atStep: number[] = [];
    for (const t of completed) {
      const v = t.intermediateValues.find((iv) => iv.step === last.step)?.value;
      if (v !== undefined && !Number.isNaN(v)) atStep.push(v);
    }
    if (atStep.length === 0 || atStep.length < this.config.nMinTrials) return false;
    const m = median(atStep);
    return direction === 'minimize' ? last.value > m : last.value < m;
  }
}
