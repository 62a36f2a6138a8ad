import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { TrialRecord } from '../types.js';
import type { Pruner, PrunerContext } from './types.js';

export const AshaPrunerSchema = z.strictObject({
  type: z.literal('asha').default('asha'),
  /** Steps (e.g. epochs) a trial gets before the first rung. Rung k is at minResource · reductionFactor^k. */
  minResource: z.number().int().min(1).default(1),
  /** η: the top 1/η of the trials that reached a rung are promoted to the next. */
  reductionFactor: z.number().int().min(2).default(3),
  /** Number of rungs; steps past the last rung are never pruned. Unbounded when absent. */
  rungs: z.number().int().min(1).optional(),
});

/** Options of {@link AshaPruner}. */
export type AshaPrunerOptions = z.input<typeof AshaPrunerSchema>;
/** Config of {@link AshaPruner}, defaults filled in. */
export type AshaPrunerConfig = z.output<typeof AshaPrunerSchema>;

/** A trial's value at a rung: its value at the first reported step ≥ the rung's resource. */
function rungValue(t: TrialRecord, resource: number): number | undefined {
  const iv = t.intermediateValues.find((v) => v.step >= resource);
  return iv === undefined || Number.isNaN(iv.value) ? undefined : iv.value;
}

/**
 * Asynchronous successive halving (ASHA, Li et al. 2020), as Optuna's SuccessiveHalvingPruner: rung k sits at
 * step `minResource · reductionFactor^k`. When a trial reaches a rung, its value there is compared with every
 * trial that has reached that rung (any state); it continues only if it ranks in the top
 * `max(1, floor(n / reductionFactor))`. Promotion is decided once per rung; a NaN report is always pruned.
 */
export class AshaPruner implements Pruner {
  readonly type = 'asha';
  readonly config: AshaPrunerConfig;
  /** Rungs each live trial has passed (decided once, as in ASHA). */
  private readonly passed = new Map<number, number>();

  constructor(options: AshaPrunerOptions = {}) {
    this.config = parseOrThrow(AshaPrunerSchema, options, { what: 'asha pruner options', prefix: 'pruner' });
  }

  static fromConfig(config: AshaPrunerOptions): AshaPruner {
    return new AshaPruner(config);
  }

  toConfig(): AshaPrunerConfig {
    return { ...this.config };
  }

  /** The step of rung `k`. */
  rungStep(k: number): number {
    return this.config.minResource * this.config.reductionFactor ** k;
  }

  prune({ trial, trials, direction }: PrunerContext): boolean {
    const last = trial.intermediateValues[trial.intermediateValues.length - 1];
    if (last === undefined) return false;
    if (Number.isNaN(last.value)) return true;
    const { reductionFactor, rungs } = this.config;
    let rung = this.passed.get(trial.number) ?? 0;
    while (rungs === undefined || rung < rungs) {
      const resource = this.rungStep(rung);
      if (last.step < resource) break;
      const mine = rungValue(trial, resource);
      if (mine === undefined) return true;
      const competing = [mine];
      for (const t of trials) {
        const v = rungValue(t, resource);
        if (v !== undefined) competing.push(v);
      }
      competing.sort((a, b) => (direction === 'minimize' ? a - b : b - a));
      const cutoff = competing[Math.max(0, Math.floor(competing.length / reductionFactor) - 1)] as number;
      const promoted = direction === 'minimize' ? mine <= cutoff : mine >= cutoff;
      if (!promoted) return true;
      rung += 1;
      this.passed.set(trial.number, rung);
    }
    return false;
  }
}
