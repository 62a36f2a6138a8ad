import { createRng, parseOrThrow, type Rng } from '@optik/core';
import { z } from 'zod';
import { distributionContains, latticeIndex, latticeValue } from '../distributions.js';
import type { Distribution, ParamValue, TrialRecord } from '../types.js';
import { CategoricalParzen, NumericParzen } from './parzen.js';
import { paramRng, sampleUniform } from './random.js';
import type { Sampler, SamplerContext } from './types.js';

export const TpeSamplerSchema = z.strictObject({
  type: z.literal('tpe').default('tpe'),
  /** Seed of the sampler's generator. */
  seed: z.number().int().default(0),
  /** Trials sampled at random before the Parzen estimators take over (completed + pruned trials). */
  nStartupTrials: z.number().int().min(0).default(10),
  /** Candidates drawn from l(x) per parameter; the one with the largest l(x)/g(x) wins. */
  nEiCandidates: z.number().int().min(1).default(24),
  /** Fraction of trials counted as good: n_good = min(ceil(gamma · n), 25). */
  gamma: z.number().gt(0).lt(1).default(0.1),
  /** Weight of the prior component in each estimator. */
  priorWeight: z.number().positive().default(1),
});

/** Options of {@link TpeSampler}. */
export type TpeSamplerOptions = z.input<typeof TpeSamplerSchema>;
/** Config of {@link TpeSampler}, defaults filled in. */
export type TpeSamplerConfig = z.output<typeof TpeSamplerSchema>;

type Score = readonly [number, number];

/** Optuna's ranking key: completed trials first by objective, then pruned ones by (−last step, last value). */
function scoreOf(t: TrialRecord, sign: number): Score | undefined {
  if (t.state === 'completed' && t.value !== null && Number.isFinite(t.value)) {
    return [Number.NEGATIVE_INFINITY, sign * t.value];
  }
  if (t.state === 'pruned') {
    const last = t.intermediateValues[t.intermediateValues.length - 1];
    if (last === undefined) return [1, 0];
    return [-last.step, Number.isNaN(last.value) ? Number.POSITIVE_INFINITY : sign * last.value];
  }
  return undefined;
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), following Optuna's independent TPESampler: after
 * `nStartupTrials` random trials, the finished trials are split into the best `min(ceil(gamma·n), 25)` ("good")
 * and the rest; for each parameter a Parzen estimator l(x) is fitted on the good trials' values and g(x) on the
 * others' — only trials where the parameter exists, so conditional parameters are handled — and of
 * `nEiCandidates` draws from l(x) the one maximising l(x)/g(x) is returned. Numeric parameters use truncated
 * Gaussians in log space when `log: true`, with bin masses for int/step parameters; categorical ones use
 * smoothed choice frequencies with a prior.
 */
export class TpeSampler implements Sampler {
  readonly type = 'tpe';
  readonly config: TpeSamplerConfig;
  private readonly base: Rng;

  constructor(options: TpeSamplerOptions = {}) {
    this.config = parseOrThrow(TpeSamplerSchema, options, { what: 'tpe sampler options', prefix: 'sampler' });
    this.base = createRng(this.config.seed);
  }

  static fromConfig(config: TpeSamplerOptions): TpeSampler {
    return new TpeSampler(config);
  }

  toConfig(): TpeSamplerConfig {
    return { ...this.config };
  }

  sample(context: SamplerContext, name: string, distribution: Distribution): ParamValue {
    const rng = paramRng(this.base, context.trialNumber, name);
    const sign = context.direction === 'minimize' ? 1 : -1;
    const scored: { trial: TrialRecord; score: Score }[] = [];
    for (const trial of context.trials) {
      const score = scoreOf(trial, sign);
      if (score !== undefined) scored.push({ trial, score });
    }
    if (scored.length < this.config.nStartupTrials || isSingleValued(distribution)) {
      return sampleUniform(rng, distribution);
    }
    const nBelow = Math.min(Math.ceil(this.config.gamma * scored.length), 25);
    const ranked = scored
      .slice()
      .sort((a, b) => a.score[0] - b.score[0] || a.score[1] - b.score[1] || a.trial.number - b.trial.number);
    const byNumber = (a: TrialRecord, b: TrialRecord): number => a.number - b.number;
    const below = ranked
      .slice(0, nBelow)
      .map((s) => s.trial)
      .sort(byNumber);
    const above = ranked
      .slice(nBelow)
      .map((s) => s.trial)
      .sort(byNumber);
    const observe = (trials: readonly TrialRecord[]): ParamValue[] =>
      trials
        .map((t) => t.params[name])
        .filter((v): v is ParamValue => v !== undefined && distributionContains(distribution, v));
    const good = observe(below);
    const bad = observe(above);
    const { nEiCandidates, priorWeight } = this.config;

    if (distribution.type === 'categorical') {
      const index = (v: ParamValue): number => distribution.choices.indexOf(v);
      const l = new CategoricalParzen(good.map(index), distribution.choices.length, priorWeight);
      const g = new CategoricalParzen(bad.map(index), distribution.choices.length, priorWeight);
      let best = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < nEiCandidates; i++) {
        const c = l.sample(rng);
        const s = l.logPdf(c) - g.logPdf(c);
        if (best < 0 || s > bestScore) {
          best = c;
          bestScore = s;
        }
      }
      return distribution.choices[best] as ParamValue;
    }

    const scale = numericScale(distribution);
    const l = new NumericParzen((good as number[]).map(scale.toInternal), scale.low, scale.high, scale.q, priorWeight);
    const g = new NumericParzen((bad as number[]).map(scale.toInternal), scale.low, scale.high, scale.q, priorWeight);
    let best: number | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < nEiCandidates; i++) {
      const value = scale.toExternal(l.sample(rng));
      const x = scale.toInternal(value);
      const s = l.logPdf(x) - g.logPdf(x);
      if (best === undefined || s > bestScore) {
        best = value;
        bestScore = s;
      }
    }
    return best as number;
  }
}

function isSingleValued(d: Distribution): boolean {
  return d.type === 'categorical' ? d.choices.length === 1 : d.low === d.high;
}

/** The estimator's scale for a numeric parameter: log for `log`, bins of width `step` widened by half a step. */
function numericScale(d: Exclude<Distribution, { type: 'categorical' }>): {
  low: number;
  high: number;
  q: number | undefined;
  toInternal: (v: number) => number;
  toExternal: (x: number) => number;
} {
  const clip = (v: number): number => Math.min(d.high, Math.max(d.low, v));
  if (d.log) {
    const intOffset = d.type === 'int' ? 0.5 : 0;
    return {
      low: Math.log(d.low - intOffset),
      high: Math.log(d.high + intOffset),
      q: undefined,
      toInternal: Math.log,
      toExternal: (x) => clip(d.type === 'int' ? Math.round(Math.exp(x)) : Math.exp(x)),
    };
  }
  const step = d.step;
  if (step === undefined) {
    return { low: d.low, high: d.high, q: undefined, toInternal: (v) => v, toExternal: clip };
  }
  const last = latticeIndex(d.low, step, d.high) ?? 0;
  return {
    low: d.low - step / 2,
    high: d.high + step / 2,
    q: step,
    toInternal: (v) => v,
    toExternal: (x) => {
      const k = Math.min(last, Math.max(0, Math.round((x - d.low) / step)));
      return d.type === 'int' ? d.low + k * step : latticeValue(d.low, step, k);
    },
  };
}
