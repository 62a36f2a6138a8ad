import { OptikError } from '@optik/core';
import type { Distribution, ParamValue } from './types.js';

/** Relative tolerance for "is this float on the step lattice". */
const LATTICE_TOLERANCE = 1e-8;

/** Number of steps between `low` and `value`, when `value` lies on the lattice `low + k·step`; else undefined. */
export function latticeIndex(low: number, step: number, value: number): number | undefined {
  const k = (value - low) / step;
  const rounded = Math.round(k);
  return Math.abs(k - rounded) <= LATTICE_TOLERANCE * Math.max(1, Math.abs(k)) ? rounded : undefined;
}

/** The value at lattice index `k`, rounded to limit float drift (0.1 + 2·0.1 → 0.3, not 0.30000000000000004). */
export function latticeValue(low: number, step: number, k: number): number {
  return Number((low + k * step).toPrecision(12));
}

/**
 * Checks a distribution's own consistency and returns a message naming the offending key, or undefined when it is
 * fine. Shared by the YAML schema and the define-by-run `trial.suggest…` calls.
 */
export function distributionProblem(d: Distribution): { key: string; message: string } | undefined {
  if (d.type === 'categorical') {
    if (d.choices.length === 0) return { key: 'choices', message: 'needs at least one choice' };
    if (new Set(d.choices).size !== d.choices.length) return { key: 'choices', message: 'has duplicate choices' };
    return undefined;
  }
  if (!Number.isFinite(d.low) || !Number.isFinite(d.high))
    return { key: 'low', message: 'low and high must be finite' };
  if (d.type === 'int' && (!Number.isInteger(d.low) || !Number.isInteger(d.high))) {
    return { key: 'low', message: 'low and high of an int parameter must be integers' };
  }
  if (d.low > d.high) return { key: 'high', message: `high (${d.high}) must be ≥ low (${d.low})` };
  if (d.log && d.low <= 0) return { key: 'low', message: `a log-scale parameter needs low > 0 (got ${d.low})` };
  const step = d.step;
  if (step !== undefined) {
    if (!(step > 0) || !Number.isFinite(step)) return { key: 'step', message: 'step must be a positive number' };
    if (d.type === 'int' && !Number.isInteger(step))
      return { key: 'step', message: 'step of an int must be an integer' };
    if (d.log && (d.type === 'float' || step !== 1))
      return { key: 'step', message: 'step cannot be combined with log: true' };
    if (latticeIndex(d.low, step, d.high) === undefined) {
      return { key: 'step', message: `high - low (${d.high - d.low}) must be a multiple of step (${step})` };
    }
  }
  return undefined;
}

/** Throws ARGUMENT_INVALID when a define-by-run distribution is inconsistent. */
export function assertDistribution(name: string, d: Distribution): void {
  const problem = distributionProblem(d);
  if (problem !== undefined) {
    throw new OptikError('ARGUMENT_INVALID', `Parameter "${name}": ${problem.key} ${problem.message}.`, {
      received: d,
    });
  }
}

/** True when `value` can be drawn from `d`. */
export function distributionContains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'categorical') return d.choices.includes(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (value < d.low || value > d.high) return false;
  if (d.type === 'int' && !Number.isInteger(value)) return false;
  if (d.step !== undefined && latticeIndex(d.low, d.step, value) === undefined) return false;
  return true;
}

/** True when two distributions are the same (a parameter must keep its distribution within one trial). */
export function sameDistribution(a: Distribution, b: Distribution): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'categorical' && b.type === 'categorical') {
    return a.choices.length === b.choices.length && a.choices.every((c, i) => c === b.choices[i]);
  }
  if (a.type === 'categorical' || b.type === 'categorical') return false;
  return a.low === b.low && a.high === b.high && a.log === b.log && a.step === b.step;
}

/** Every value of a discrete distribution, or undefined for a continuous float (no step). */
export function enumerateValues(d: Distribution): ParamValue[] | undefined {
  if (d.type === 'categorical') return [...d.choices];
  if (d.type === 'float' && d.step === undefined) return undefined;
  const step = d.step ?? 1;
  const count = latticeIndex(d.low, step, d.high) ?? Math.floor((d.high - d.low) / step);
  const out: number[] = [];
  for (let k = 0; k <= count; k++) out.push(d.type === 'int' ? d.low + k * step : latticeValue(d.low, step, k));
  return out;
}
