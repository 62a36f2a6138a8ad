import { OptikError } from '@optik/core';
import {
  type InMemoryDataset,
  loadBuiltinDataset,
  loadImages,
  openSource,
  splitDataset,
  toLocalization,
} from '@optik/data';
import { finishSplits } from '../shared/splits.js';
import type { TaskData } from '../types.js';
import type { LocalizationConfig } from './config.js';

/** Loads the data section of a localization config: the built-in set, or annotated images with one box each. */
export async function loadLocalizationData(config: LocalizationConfig): Promise<TaskData> {
  const { data, seed } = config;
  let splits: { train: InMemoryDataset; validation: InMemoryDataset; test: InMemoryDataset };
  let origin: string;
  let skipped: TaskData['skipped'] = [];
  if (data.dataset !== undefined) {
    // The built-in set has its own validation split (distinct items and backgrounds), so no validationSplit.
    const loaded = await loadBuiltinDataset(data.dataset, {
      seed,
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
    });
    splits = { train: loaded.train, validation: loaded.validation, test: loaded.test };
    origin = `${data.dataset} (${loaded.origin.kind}: ${loaded.origin.location})`;
  } else {
    const source = data.source as NonNullable<typeof data.source>;
    const opened = await openSource(source);
    if (opened.kind !== 'files') {
      throw new OptikError('DATA_FORMAT', `data.source: a ${source.format} source has no boxes.`, {
        path: 'data.source',
        hint: 'Localization reads VOC, COCO, YOLO or a CSV with xmin, ymin, xmax, ymax columns.',
      });
    }
    const single = toLocalization(opened.dataset, { noBox: data.noBox, multipleBoxes: data.multipleBoxes });
    const loaded = await loadImages(single.dataset, {
      imageSize: data.imageSize ?? [64, 64],
      colorMode: data.colorMode ?? 'rgb',
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
    });
    // loadImages lists the source's own skips (toLocalization's no-box images) before its unreadable images.
    skipped = [...loaded.skipped];
    splits = splitDataset(loaded.dataset, { validation: data.validationSplit, test: data.testSplit, seed });
    origin = `${opened.label}`;
  }
  return finishSplits(splits, data, seed, { origin, skipped });
}
