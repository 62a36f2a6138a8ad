import { OptikError } from '@optik/core';
import {
  type FileDataset,
  type InMemoryDataset,
  loadBuiltinDataset,
  loadImages,
  scanImageFolder,
  splitDataset,
} from '@optik/data';
import { finishSplits } from '../shared/splits.js';
import type { TaskData } from '../types.js';
import type { ClassificationConfig } from './config.js';

/** The splits of a classification run (the shared {@link TaskData}). */
export type ClassificationData = TaskData;

const VALIDATION_SPLITS = new Set(['val', 'valid', 'validation']);

/** Loads the data section of a config: built-in dataset or class folders, split, limited. */
export async function loadClassificationData(config: ClassificationConfig): Promise<ClassificationData> {
  const { data, seed } = config;
  let train: InMemoryDataset;
  let validation: InMemoryDataset;
  let test: InMemoryDataset;
  let origin: string;
  let skipped: TaskData['skipped'] = [];
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
    ({ train, validation, test, skipped } = await loadFolder(config));
    origin = data.directory ?? '';
  }
  return finishSplits({ train, validation, test }, data, seed, { origin, skipped });
}

/** The folder's classes with `positiveClass` second (label 1), as a sigmoid head and the binary report read it. */
function orderClasses(source: FileDataset, positiveClass: string | undefined): FileDataset {
  if (positiveClass === undefined) return source;
  const found = source.classNames;
  if (found.length !== 2 || !found.includes(positiveClass)) {
    throw new OptikError(
      'CONFIG_INVALID',
      found.length !== 2
        ? `data.positiveClass needs exactly two class folders; ${source.root} has ${found.length}.`
        : `data.positiveClass: "${positiveClass}" is not a class folder of ${source.root}.`,
      {
        path: 'data.positiveClass',
        received: positiveClass,
        hint:
          found.length !== 2
            ? 'Leave data.positiveClass out for more than two classes (every class counts alike in macro averages).'
            : `Name one of the class folders: ${found.join(', ')}.`,
      },
    );
  }
  if (found[1] === positiveClass) return source;
  return scanImageFolder(source.root, {
    classNames: [found[0] === positiveClass ? (found[1] as string) : (found[0] as string), positiveClass],
  });
}

async function loadFolder(config: ClassificationConfig): Promise<{
  train: InMemoryDataset;
  validation: InMemoryDataset;
  test: InMemoryDataset;
  skipped: TaskData['skipped'];
}> {
  const { data, seed } = config;
  const source = orderClasses(scanImageFolder(data.directory as string), data.positiveClass);
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
  const { dataset, skipped } = await loadImages(source, {
    imageSize: data.imageSize ?? [64, 64],
    colorMode: data.colorMode ?? 'rgb',
    ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
  });
  const splitOf = new Map(source.records.map((r) => [r.file, r.split]));
  const hasSplits = source.records.some((r) => r.split !== undefined);
  if (!hasSplits) {
    return { ...splitDataset(dataset, { validation: data.validationSplit, test: data.testSplit, seed }), skipped };
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
  return { train, validation, test, skipped };
}
