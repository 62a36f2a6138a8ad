import { OptikError } from '@optik/core';
import { InMemoryDataset, stratifiedSplit } from '@optik/data';
import type { TaskData } from '../types.js';

// What every task does to its splits after loading them: subsets for quick runs, the retrain's merge of
// validation into train, and a clear error for an empty split.

/** A stratified, seeded subset of at most `limit` images (all of them when the set is smaller). */
export function limitDataset(dataset: InMemoryDataset, limit: number | undefined, seed: number): InMemoryDataset {
  if (limit === undefined || limit >= dataset.length) return dataset;
  return dataset.subset(stratifiedSplit(dataset.labels, { test: limit / dataset.length, seed }).test);
}

/** One dataset holding the images of `a` then those of `b` (same image size and classes). */
export function concatDatasets(a: InMemoryDataset, b: InMemoryDataset): InMemoryDataset {
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new OptikError('DATA_MISMATCH', 'Cannot merge splits with different image sizes.', {
      received: { a: [a.height, a.width, a.channels], b: [b.height, b.width, b.channels] },
    });
  }
  const images = new Uint8Array(a.images.length + b.images.length);
  images.set(a.images, 0);
  images.set(b.images, a.images.length);
  const labels = new Int32Array(a.length + b.length);
  labels.set(a.labels, 0);
  labels.set(b.labels, a.length);
  const sources = a.sources !== undefined && b.sources !== undefined ? [...a.sources, ...b.sources] : undefined;
  const targets = a.targets !== undefined && b.targets !== undefined ? [...a.targets, ...b.targets] : undefined;
  return new InMemoryDataset({
    images,
    height: a.height,
    width: a.width,
    channels: a.channels,
    labels,
    classNames: a.classNames,
    labelMode: a.labelMode,
    ...(sources === undefined ? {} : { sources }),
    ...(targets === undefined ? {} : { targets }),
  });
}

/** The split settings every task's data section has. */
export interface SplitSettings {
  readonly skipped?: 'allow' | 'error' | undefined;
  readonly limit?:
    | {
        readonly train?: number | undefined;
        readonly validation?: number | undefined;
        readonly test?: number | undefined;
      }
    | undefined;
  readonly mergeValidation?: boolean | undefined;
}

/**
 * Applies `limit` to each split, merges validation into train for a retrain, refuses an empty split, and returns
 * the {@link TaskData} of the splits.
 */
export function finishSplits(
  splits: { train: InMemoryDataset; validation: InMemoryDataset; test: InMemoryDataset },
  data: SplitSettings,
  seed: number,
  source: { origin: string; skipped: TaskData['skipped'] },
): TaskData {
  if (data.skipped === 'error' && source.skipped.length > 0) {
    const first = source.skipped.slice(0, 3).map((s) => `${s.file} (${s.reason})`);
    throw new OptikError(
      'DATA_CORRUPT',
      `${source.skipped.length} images could not be used: ${first.join('; ')}${source.skipped.length > 3 ? '; …' : ''}.`,
      {
        path: 'data.skipped',
        received: source.skipped.length,
        hint: 'Fix or remove those files, or set data.skipped: allow to train without them (they are listed in skipped.csv).',
      },
    );
  }
  let train = limitDataset(splits.train, data.limit?.train, seed);
  const validation = limitDataset(splits.validation, data.limit?.validation, seed + 1);
  const test = limitDataset(splits.test, data.limit?.test, seed + 2);
  if (data.mergeValidation === true) train = concatDatasets(train, validation);
  for (const [name, split] of [
    ['train', train],
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (split.length === 0) {
      throw new OptikError('DATA_NOT_FOUND', `The ${name} split is empty.`, {
        path: name === 'train' ? 'data' : name === 'validation' ? 'data.validationSplit' : 'data.testSplit',
        hint: 'Add images, or raise the split fraction so every split gets at least one image per class.',
      });
    }
  }
  return {
    train,
    validation,
    test,
    classNames: train.classNames,
    inputShape: [train.height, train.width, train.channels],
    ...source,
  };
}

/** The element-wise mean of the same typed array of several predictions (an ensemble's mean probabilities, boxes). */
export function meanOf<P>(all: readonly P[], pick: (p: P) => Float32Array): Float32Array {
  const out = new Float32Array(pick(all[0] as P).length);
  for (const p of all) {
    const values = pick(p);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (values[i] as number) / all.length;
  }
  return out;
}
