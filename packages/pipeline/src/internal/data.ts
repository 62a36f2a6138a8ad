import { OptikError } from '@optik/core';
import {
  InMemoryDataset,
  loadBuiltinDataset,
  loadImages,
  scanImageFolder,
  splitDataset,
  stratifiedSplit,
} from '@optik/data';
import type { PipelineConfig } from './config.js';

/** The three splits of a classification run and what the model needs to know about them. */
export interface ClassificationData {
  readonly train: InMemoryDataset;
  readonly validation: InMemoryDataset;
  readonly test: InMemoryDataset;
  readonly classNames: readonly string[];
  /** `[height, width, channels]`. */
  readonly inputShape: [number, number, number];
  /** Where the images came from (built-in origin or folder). */
  readonly origin: string;
}

const VALIDATION_SPLITS = new Set(['val', 'valid', 'validation']);

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

/** Loads the data section of a config: built-in dataset or class folders, split, limited. */
export async function loadClassificationData(config: PipelineConfig): Promise<ClassificationData> {
  const { data, seed } = config;
  let train: InMemoryDataset;
  let validation: InMemoryDataset;
  let test: InMemoryDataset;
  let origin: string;
  if (data.dataset !== undefined) {
    const loaded = await loadBuiltinDataset(data.dataset, {
      validationSplit: data.validationSplit,
      seed,
      mnistTestSplit: data.testSplit,
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
    });
    ({ train, validation, test } = loaded);
    origin = `${data.dataset} (${loaded.origin.kind}: ${loaded.origin.location})`;
  } else {
    ({ train, validation, test } = await loadFolder(config));
    origin = data.directory ?? '';
  }
  train = limitDataset(train, data.limit?.train, seed);
  validation = limitDataset(validation, data.limit?.validation, seed + 1);
  test = limitDataset(test, data.limit?.test, seed + 2);
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
    origin,
  };
}

async function loadFolder(
  config: PipelineConfig,
): Promise<{ train: InMemoryDataset; validation: InMemoryDataset; test: InMemoryDataset }> {
  const { data, seed } = config;
  const source = scanImageFolder(data.directory as string);
  if (source.records.length === 0) {
    throw new OptikError('DATA_NOT_FOUND', 'data.directory holds no images in class folders.', {
      path: 'data.directory',
      file: source.root,
      hint: 'Put each class in its own sub-folder: <directory>/<class>/<image>.png.',
    });
  }
  if (source.classNames.length < 2) {
    throw new OptikError(
      'DATA_FORMAT',
      `Classification needs at least 2 class folders; found ${source.classNames.length}.`,
      {
        path: 'data.directory',
        file: source.root,
        received: source.classNames,
      },
    );
  }
  const { dataset } = await loadImages(source, {
    imageSize: data.imageSize ?? [64, 64],
    colorMode: data.colorMode ?? 'rgb',
    ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
  });
  const splitOf = new Map(source.records.map((r) => [r.file, r.split]));
  const hasSplits = source.records.some((r) => r.split !== undefined);
  if (!hasSplits) {
    return splitDataset(dataset, { validation: data.validationSplit, test: data.testSplit, seed });
  }
  const indices = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (let i = 0; i < dataset.length; i++) {
    const split = splitOf.get(dataset.sources?.[i] ?? '') ?? 'train';
    if (split === 'test') indices.test.push(i);
    else if (VALIDATION_SPLITS.has(split)) indices.validation.push(i);
    else indices.train.push(i);
  }
  let train = dataset.subset(indices.train);
  let validation = dataset.subset(indices.validation);
  let test = dataset.subset(indices.test);
  // Split folders that lack validation or test: carve them out of train, stratified, like a flat folder.
  if (validation.length === 0 || test.length === 0) {
    const carved = splitDataset(train, {
      validation: validation.length === 0 ? data.validationSplit : 0,
      test: test.length === 0 ? data.testSplit : 0,
      seed,
    });
    train = carved.train;
    if (validation.length === 0) validation = carved.validation;
    if (test.length === 0) test = carved.test;
  }
  return { train, validation, test };
}

/**
 * A loader that remembers the last splits it loaded: a tuning worker trains many trials on the same data, and
 * decoding + splitting it again for each trial is pure overhead. `batchSize` is the only data setting that does not
 * change what is loaded, so trials that search it share the cache too. The datasets are read-only.
 */
export function cachedDataLoader(): (config: PipelineConfig) => Promise<ClassificationData> {
  let last: { key: string; data: Promise<ClassificationData> } | undefined;
  return (config) => {
    const { batchSize: _batchSize, ...loading } = config.data;
    const key = JSON.stringify({ loading, seed: config.seed });
    if (last?.key !== key) {
      const data = loadClassificationData(config);
      last = { key, data };
      // A failed load is not remembered: the next trial tries again (and reports its own error).
      data.catch(() => {
        if (last?.data === data) last = undefined;
      });
    }
    return last.data;
  };
}
