import { OptikError } from '@optik/core';
import { type BuiltinDataset, type BuiltinOptions, loadFashionMnist, loadMnist } from './builtin.js';
import {
  FASHION_MNIST_LOCALIZATION,
  type LocalizationBuiltinOptions,
  loadFashionMnistLocalization,
  MNIST_LOCALIZATION,
} from './fashion-localization.js';

/** Names accepted by `loadBuiltinDataset`. */
export const BUILTIN_DATASETS = ['fashion-mnist', 'mnist', FASHION_MNIST_LOCALIZATION, MNIST_LOCALIZATION] as const;
export type BuiltinDatasetName = (typeof BUILTIN_DATASETS)[number];

/**
 * Loads a built-in dataset by name. `fashion-mnist-localization` and `mnist-localization` also take {@link LocalizationBuiltinOptions}
 * (`canvasSize`, `itemSize`, split sizes, `backgroundDirs`); the other names reject those keys.
 */
export async function loadBuiltinDataset(
  name: string,
  options: BuiltinOptions | LocalizationBuiltinOptions = {},
): Promise<BuiltinDataset> {
  if (name === 'fashion-mnist') return loadFashionMnist(options as BuiltinOptions);
  if (name === 'mnist') return loadMnist(options as BuiltinOptions);
  if (name === FASHION_MNIST_LOCALIZATION || name === MNIST_LOCALIZATION) {
    return loadFashionMnistLocalization(options, name);
  }
  throw new OptikError('DATA_NOT_FOUND', `Unknown built-in dataset "${name}".`, {
    received: name,
    hint: `Use one of: ${BUILTIN_DATASETS.join(', ')}.`,
  });
}
