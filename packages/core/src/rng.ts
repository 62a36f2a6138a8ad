import { OptikError } from './errors.js';

/** The serialisable state of an {@link Rng}: four 32-bit words. */
export type RngState = readonly [number, number, number, number];

/**
 * A seeded random number generator: sfc32 (Chris Doty-Humphrey's Small Fast Counter, PractRand-clean, period
 * ≥ 2^32) seeded through splitmix32. It is the only source of randomness in Optik: the owner of a seed owns the
 * generator, and `fork()` hands independent streams to children so that adding a consumer never shifts another's
 * numbers.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.uniform(0, 1); // same value for seed 42 on every machine
 * const child = rng.fork('augment');
 * ```
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** A float in [min, max). */
  uniform(min: number, max: number): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  bool(p?: number): boolean;
  /** A normal sample (Box–Muller). */
  normal(mean?: number, std?: number): number;
  /** One element of a non-empty array. */
  choice<T>(items: readonly T[]): T;
  /** Fisher–Yates shuffle into a new array. */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent generator derived from this one's seed and a label. */
  fork(label?: string | number): Rng;
  /** The state, to save and later `restore`. */
  state(): RngState;
  /** A 32-bit unsigned integer. */
  uint32(): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(label: string | number): number {
  const text = String(label);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Creates a seeded {@link Rng}. Seeds are integers (any 32-bit value); equal seeds give equal streams.
 *
 * @example
 * ```ts
 * const rng = createRng(7);
 * const order = rng.shuffle([0, 1, 2, 3]);
 * ```
 */
export function createRng(seed: number | RngState): Rng {
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  let forks = 0;
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) {
      throw new OptikError('ARGUMENT_INVALID', 'A seed must be a finite integer.', {
        received: seed,
        hint: 'Pass e.g. seed: 42.',
      });
    }
    const sm = splitmix32(Math.trunc(seed) >>> 0);
    a = sm();
    b = sm();
    c = sm();
    d = sm();
  } else {
    [a, b, c, d] = seed;
  }
  const baseSeed = (a ^ Math.imul(b, 31) ^ Math.imul(c, 131) ^ d) >>> 0;

  const uint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  // Warm up a freshly seeded state; a restored state continues exactly where it was saved.
  if (typeof seed === 'number') for (let i = 0; i < 12; i++) uint32();

  const next = (): number => uint32() / 4294967296;
  const rng: Rng = {
    next,
    uint32,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
        throw new OptikError('ARGUMENT_INVALID', 'rng.int needs integers min ≤ max.', { received: [min, max] });
      }
      return min + Math.floor(next() * (max - min + 1));
    },
    bool: (p = 0.5) => next() < p,
    normal: (mean = 0, std = 1) => {
      let u = next();
      while (u <= Number.EPSILON) u = next();
      const v = next();
      return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    choice: (items) => {
      if (items.length === 0) throw new OptikError('ARGUMENT_INVALID', 'rng.choice needs a non-empty array.');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = tmp;
      }
      return out;
    },
    fork: (label) => {
      forks += 1;
      const salt = label === undefined ? forks : hashLabel(label);
      return createRng((baseSeed ^ Math.imul(salt, 0x9e3779b1) ^ (label === undefined ? uint32() : 0)) >>> 0);
    },
    state: () => [a, b, c, d] as const,
  };
  return rng;
}
