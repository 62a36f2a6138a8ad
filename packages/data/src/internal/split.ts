import { createRng, OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { InMemoryDataset } from './memory.js';

export const SplitOptionsSchema = z
  .object({
    /** Fraction of each class that goes to validation. */
    validation: z.number().min(0).max(1).default(0),
    /** Fraction of each class that goes to test. */
    test: z.number().min(0).max(1).default(0),
    seed: z.number().int().default(0),
  })
  .strict()
  .refine((o) => o.validation + o.test < 1, { message: 'validation + test must be below 1' });
export type SplitOptions = z.input<typeof SplitOptionsSchema>;

/** Indices of a train/validation/test split, each sorted ascending. */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/**
 * Stratified, seeded split: `round(N × test)` images go to test and `round(N × validation)` to validation,
 * exactly, shared among the classes (labels < 0 form one group of their own) in proportion to their sizes by the
 * largest-remainder method; inside each class the indices are shuffled with the seed. The rest is train. So
 * `test: limit / N` takes exactly `limit` images, and the same labels and seed give the same split everywhere.
 */
export function stratifiedSplit(labels: ArrayLike<number>, options: SplitOptions = {}): SplitIndices {
  const { validation, test, seed } = parseOrThrow(SplitOptionsSchema, options, { what: 'split options' });
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] ?? -1;
    const key = label < 0 ? -1 : label;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const sizes = keys.map((key) => groups.get(key)?.length ?? 0);
  const nTest = apportion(sizes, test, sizes);
  const nVal = apportion(
    sizes,
    validation,
    sizes.map((n, i) => n - (nTest[i] ?? 0)),
  );
  const rng = createRng(seed);
  const out = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  keys.forEach((key, i) => {
    const shuffled = rng.fork(key).shuffle(groups.get(key) ?? []);
    const t = nTest[i] ?? 0;
    const v = nVal[i] ?? 0;
    out.test.push(...shuffled.slice(0, t));
    out.validation.push(...shuffled.slice(t, t + v));
    out.train.push(...shuffled.slice(t + v));
  });
  const sorted = (list: number[]) => Int32Array.from(list).sort();
  return { train: sorted(out.train), validation: sorted(out.validation), test: sorted(out.test) };
}

/**
 * Shares `round(total × fraction)` among groups of `sizes` in proportion (largest remainder, ties to the earlier
 * group), never giving a group more than its `capacity`.
 */
function apportion(sizes: readonly number[], fraction: number, capacity: readonly number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const quotas = sizes.map((n) => n * fraction);
  const counts = quotas.map((q, i) => Math.min(Math.floor(q), capacity[i] ?? 0));
  let left = Math.round(total * fraction) - counts.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, remainder: q - Math.floor(q) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  // Largest remainders first; what a full group cannot take goes to the next with room.
  for (const { i } of order) {
    if (left === 0) break;
    if ((counts[i] ?? 0) < (capacity[i] ?? 0)) {
      counts[i] = (counts[i] ?? 0) + 1;
      left -= 1;
    }
  }
  for (let i = 0; left > 0 && i < counts.length; i++) {
    const add = Math.min((capacity[i] ?? 0) - (counts[i] ?? 0), left);
    counts[i] = (counts[i] ?? 0) + add;
    left -= add;
  }
  if (left > 0) {
    throw new OptikError('ARGUMENT_INVALID', 'There are too few images to split.', {
      received: { images: total, validation: fraction },
    });
  }
  return counts;
}

/** {@link stratifiedSplit} applied to a dataset. */
export function splitDataset(
  dataset: InMemoryDataset,
  options: SplitOptions = {},
): { train: InMemoryDataset; validation: InMemoryDataset; test: InMemoryDataset } {
  const indices = stratifiedSplit(dataset.labels, options);
  return {
    train: dataset.subset(indices.train),
    validation: dataset.subset(indices.validation),
    test: dataset.subset(indices.test),
  };
}
