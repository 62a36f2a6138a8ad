import type { Direction, TrialRecord } from '../types.js';

/** What a pruner sees: the trial asking (with its reports so far) and every other trial of the study. */
export interface PrunerContext {
  readonly trial: TrialRecord;
  /** Every other trial (running ones included), ascending by number. */
  readonly trials: readonly TrialRecord[];
  readonly direction: Direction;
}

/** Decides, from intermediate values, whether a running trial should stop early. */
export interface Pruner {
  /** The pruner's kind, as in its config. */
  readonly type: string;
  /** True when the trial should be pruned now (at its last reported step). */
  prune(context: PrunerContext): boolean;
  /** A plain config that {@link createPruner} turns back into an equal pruner. */
  toConfig(): Record<string, unknown>;
}
