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
 * Stratified, seeded split: inside each class (labels < 0 form one group of their own) the indices are shuffled
 * with the seed and `round(n × fraction)` go to test, then validation; the rest is train. Same labels and seed ⇒
 * same split on every machine.
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
  const rng = createRng(seed);
  const out = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const shuffled = rng.fork(key).shuffle(groups.get(key) ?? []);
    const nTest = Math.round(shuffled.length * test);
    const nVal = Math.round(shuffled.length * validation);
    if (nTest + nVal > shuffled.length) {
      throw new OptikError('ARGUMENT_INVALID', `Class ${key} has too few images to split.`, {
        received: shuffled.length,
      });
    }
    out.test.push(...shuffled.slice(0, nTest));
    out.validation.push(...shuffled.slice(nTest, nTest + nVal));
    out.train.push(...shuffled.slice(nTest + nVal));
  }
  const sorted = (list: number[]) => Int32Array.from(list).sort();
  return { train: sorted(out.train), validation: sorted(out.validation), test: sorted(out.test) };
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
