import type { Rng } from '@optik/core';
import { logNormalMass, logNormalPdf, logSumExp } from '../math.js';

/**
 * Optuna's default observation weights: 1 for the 25 most recent observations, a linear ramp from 1/n up to 1
 * for older ones (observations are in trial order).
 */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (m - 1)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

function mixtureWeights(n: number, priorWeight: number): number[] {
  const w = [...defaultWeights(n), priorWeight];
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / total);
}

function pickComponent(rng: Rng, weights: readonly number[]): number {
  const u = rng.next();
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i] as number;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

/**
 * A univariate Parzen estimator on `[low, high]` (already in the internal, possibly log-transformed, scale): one
 * truncated Gaussian per observation plus a wide prior component, with Optuna's bandwidths (distance to the
 * farther neighbour, endpoints not considered, "magic clip" to [range/min(100, 1+n), range]). With `q` set the
 * parameter is discrete and a value's likelihood is the mass of its bin `[x − q/2, x + q/2]`.
 */
export class NumericParzen {
  private readonly weights: number[];
  private readonly mus: number[];
  private readonly sigmas: number[];
  private readonly logAccept: number[];

  constructor(
    observations: readonly number[],
    private readonly low: number,
    private readonly high: number,
    private readonly q: number | undefined,
    priorWeight: number,
  ) {
    const n = observations.length;
    const range = high - low;
    const mus = [...observations, 0.5 * (low + high)];
    const order = mus.map((_, i) => i).sort((a, b) => (mus[a] as number) - (mus[b] as number));
    const sorted = [low, ...order.map((i) => mus[i] as number), high];
    const sortedSigmas = order.map((_, j) =>
      Math.max(
        (sorted[j + 1] as number) - (sorted[j] as number),
        (sorted[j + 2] as number) - (sorted[j + 1] as number),
      ),
    );
    if (sorted.length >= 4) {
      sortedSigmas[0] = (sorted[2] as number) - (sorted[1] as number);
      sortedSigmas[sortedSigmas.length - 1] =
        (sorted[sorted.length - 2] as number) - (sorted[sorted.length - 3] as number);
    }
    const sigmas = new Array<number>(mus.length);
    order.forEach((i, j) => {
      sigmas[i] = sortedSigmas[j] as number;
    });
    const minSigma = range / Math.min(100, 1 + mus.length);
    for (let i = 0; i < sigmas.length; i++) sigmas[i] = Math.min(range, Math.max(minSigma, sigmas[i] as number));
    sigmas[n] = range;
    this.mus = mus;
    this.sigmas = sigmas;
    this.weights = mixtureWeights(n, priorWeight);
    this.logAccept = mus.map((mu, i) => {
      const s = sigmas[i] as number;
      return logNormalMass((low - mu) / s, (high - mu) / s);
    });
  }

  /** A draw from the mixture, in the internal scale (not yet rounded). */
  sample(rng: Rng): number {
    const k = pickComponent(rng, this.weights);
    const mu = this.mus[k] as number;
    const sigma = this.sigmas[k] as number;
    // mu lies inside [low, high] and sigma ≤ high − low, so at least ~1/3 of the draws are accepted.
    for (let tries = 0; tries < 1000; tries++) {
      const x = rng.normal(mu, sigma);
      if (x >= this.low && x <= this.high) return x;
    }
    return Math.min(this.high, Math.max(this.low, mu));
  }

  /** log-likelihood of `x` (internal scale; for discrete parameters a value on the lattice). */
  logPdf(x: number): number {
    const terms = this.mus.map((mu, i) => {
      const s = this.sigmas[i] as number;
      const logW = Math.log(this.weights[i] as number);
      if (this.q === undefined) return logW + logNormalPdf(x, mu, s) - (this.logAccept[i] as number);
      const lower = Math.max(x - this.q / 2, this.low);
      const upper = Math.min(x + this.q / 2, this.high);
      return logW + logNormalMass((lower - mu) / s, (upper - mu) / s) - (this.logAccept[i] as number);
    });
    return logSumExp(terms);
  }
}

/**
 * A categorical Parzen estimator: each observation is a kernel putting weight 1 + prior/(n+1) on its choice and
 * prior/(n+1) on every choice (then normalised), plus a uniform prior kernel — Optuna's construction.
 */
export class CategoricalParzen {
  private readonly probabilities: number[];

  constructor(observations: readonly number[], nChoices: number, priorWeight: number) {
    const n = observations.length;
    const weights = mixtureWeights(n, priorWeight);
    const base = priorWeight / (n + 1);
    const probabilities = new Array<number>(nChoices).fill(0);
    for (let k = 0; k <= n; k++) {
      const observed = k < n ? (observations[k] as number) : -1;
      const rowTotal = base * nChoices + (observed >= 0 ? 1 : 0);
      for (let c = 0; c < nChoices; c++) {
        const row = (base + (c === observed ? 1 : 0)) / rowTotal;
        probabilities[c] = (probabilities[c] as number) + (weights[k] as number) * row;
      }
    }
    this.probabilities = probabilities;
  }

  sample(rng: Rng): number {
    return pickComponent(rng, this.probabilities);
  }

  logPdf(index: number): number {
    return Math.log(this.probabilities[index] as number);
  }
}
