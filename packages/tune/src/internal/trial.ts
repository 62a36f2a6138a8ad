import { describeValue, OptikError } from '@optik/core';
import { assertDistribution, distributionContains, sameDistribution } from './distributions.js';
import { conditionHolds, type SearchSpace, toDistribution } from './space.js';
import type { Distribution, IntermediateValue, ParamValue, TrialRecord, TrialState, UserAttrValue } from './types.js';

/** What a live trial needs from its study (internal). */
export interface TrialHost {
  sample(trial: Trial, name: string, distribution: Distribution): ParamValue;
  shouldPrune(trial: Trial): boolean;
}

/** Options of `trial.suggestFloat` / `trial.suggestInt`. */
export interface SuggestNumberOptions {
  /** Sample on a log scale (needs low > 0; not with `step`). */
  readonly log?: boolean;
  /** Only multiples of `step` from `low` (high − low must be a multiple). */
  readonly step?: number;
}

/**
 * One evaluation of the objective. Parameters come from the study's search space (already in `params` when the
 * study has one) or are drawn on demand by `suggest…` (define-by-run); the objective reports intermediate values
 * with `report` and asks `shouldPrune`, throwing `trial.prune()` to stop early.
 */
export class Trial {
  /** 0-based number, unique within the study. */
  readonly number: number;
  /** ISO 8601 start time. */
  readonly startedAt: string;
  private readonly host: TrialHost;
  private readonly fixed: Readonly<Record<string, ParamValue>> | undefined;
  private readonly values: Record<string, ParamValue> = {};
  private readonly dists: Record<string, Distribution> = {};
  private readonly reports = new Map<number, number>();
  private readonly attrs: Record<string, UserAttrValue> = {};
  private finishedAs: TrialState | undefined;

  /** @internal Created by `study.ask()`. */
  constructor(host: TrialHost, number: number, fixed: Record<string, ParamValue> | undefined) {
    this.host = host;
    this.number = number;
    this.fixed = fixed;
    this.startedAt = new Date().toISOString();
  }

  /** The parameters drawn so far. */
  get params(): Readonly<Record<string, ParamValue>> {
    return { ...this.values };
  }

  /** The reported intermediate values, ascending by step. */
  get intermediateValues(): IntermediateValue[] {
    return [...this.reports.entries()].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value }));
  }

  /** The values recorded with {@link Trial.setUserAttr}. */
  get userAttrs(): Readonly<Record<string, UserAttrValue>> {
    return { ...this.attrs };
  }

  /** `running` until the study is told the result. */
  get state(): TrialState {
    return this.finishedAs ?? 'running';
  }

  /** A float in `[low, high]`, optionally log-scaled or on a `step` lattice. */
  suggestFloat(name: string, low: number, high: number, options: SuggestNumberOptions = {}): number {
    const d: Distribution =
      options.step === undefined
        ? { type: 'float', low, high, log: options.log ?? false }
        : { type: 'float', low, high, step: options.step, log: options.log ?? false };
    return this.suggest(name, d) as number;
  }

  /** An integer in `[low, high]` (both inclusive), optionally log-scaled or in multiples of `step`. */
  suggestInt(name: string, low: number, high: number, options: SuggestNumberOptions = {}): number {
    return this.suggest(name, { type: 'int', low, high, step: options.step ?? 1, log: options.log ?? false }) as number;
  }

  /** One of `choices`. */
  suggestCategorical<const T extends ParamValue>(name: string, choices: readonly T[]): T {
    return this.suggest(name, { type: 'categorical', choices: [...choices] }) as T;
  }

  /**
   * The value of `name` from `distribution`: the value already drawn (the distribution must match), the value the
   * sampler fixed for this trial (grid), or a fresh draw.
   */
  suggest(name: string, distribution: Distribution): ParamValue {
    if (typeof name !== 'string' || name === '') {
      throw new OptikError('ARGUMENT_INVALID', 'A parameter name must be a non-empty string.', { received: name });
    }
    this.assertRunning('suggest a parameter');
    assertDistribution(name, distribution);
    const existing = this.dists[name];
    if (existing !== undefined) {
      if (!sameDistribution(existing, distribution)) {
        throw new OptikError(
          'ARGUMENT_INVALID',
          `Parameter "${name}" was already suggested with another distribution.`,
          {
            received: distribution,
            hint: `Keep one distribution per name; it was ${describeValue(existing)}.`,
          },
        );
      }
      return this.values[name] as ParamValue;
    }
    const pinned = this.fixed?.[name];
    let value: ParamValue;
    if (pinned !== undefined) {
      if (!distributionContains(distribution, pinned)) {
        throw new OptikError('ARGUMENT_INVALID', `The grid value of "${name}" is outside its distribution.`, {
          received: pinned,
          hint: `The distribution is ${describeValue(distribution)}.`,
        });
      }
      value = pinned;
    } else {
      value = this.host.sample(this, name, distribution);
    }
    this.values[name] = value;
    this.dists[name] = structuredClone(distribution);
    return value;
  }

  /** @internal Draws every active parameter of a search space, in order, skipping those whose condition fails. */
  suggestSpace(space: SearchSpace): void {
    for (const spec of space.params) {
      if (conditionHolds(spec.when, this.values)) this.suggest(spec.name, toDistribution(spec));
    }
  }

  /**
   * Reports an intermediate value (e.g. validation accuracy after epoch `step`) for the pruner. Reporting a step
   * again replaces its value. NaN is accepted and makes `shouldPrune()` true.
   */
  report(value: number, step: number): void {
    this.assertRunning('report');
    if (typeof value !== 'number') {
      throw new OptikError('ARGUMENT_INVALID', 'trial.report needs a number value.', { received: value });
    }
    if (!Number.isInteger(step) || step < 0) {
      throw new OptikError('ARGUMENT_INVALID', 'trial.report needs a non-negative integer step.', { received: step });
    }
    this.reports.set(step, value);
  }

  /** True when the study's pruner says this trial should stop at its last reported step (false without one). */
  shouldPrune(): boolean {
    this.assertRunning('ask shouldPrune');
    return this.host.shouldPrune(this);
  }

  /**
   * The error to throw from the objective to end this trial as pruned.
   *
   * @example
   * if (trial.shouldPrune()) throw trial.prune();
   */
  prune(): OptikError {
    return new OptikError('TRIAL_PRUNED', `Trial ${this.number} was pruned.`);
  }

  /** Records an extra value with the trial (a metric, a run id); it becomes a column of `trialsToRows`. */
  setUserAttr(key: string, value: UserAttrValue): void {
    if (typeof key !== 'string' || key === '') {
      throw new OptikError('ARGUMENT_INVALID', 'A user attribute key must be a non-empty string.', { received: key });
    }
    this.attrs[key] = value;
  }

  /** @internal The record as it stands (state, value, end time and error come from the study). */
  toRecord(
    end: { state: TrialState; value: number | null; completedAt: string | null; error: string | null } = {
      state: 'running',
      value: null,
      completedAt: null,
      error: null,
    },
  ): TrialRecord {
    return {
      number: this.number,
      state: end.state,
      params: { ...this.values },
      distributions: structuredClone(this.dists),
      value: end.value,
      intermediateValues: this.intermediateValues,
      userAttrs: { ...this.attrs },
      startedAt: this.startedAt,
      completedAt: end.completedAt,
      error: end.error,
    };
  }

  /** @internal */
  finish(state: TrialState): void {
    this.finishedAs = state;
  }

  private assertRunning(what: string): void {
    if (this.finishedAs !== undefined) {
      throw new OptikError('ARGUMENT_INVALID', `Cannot ${what}: trial ${this.number} is ${this.finishedAs}.`, {
        hint: 'A trial is read-only once the study has been told its result.',
      });
    }
  }
}
