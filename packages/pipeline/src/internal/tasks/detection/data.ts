import { OptikError } from '@optik/core';
import {
  ensureSynthDataset,
  type FileDataset,
  type InMemoryDataset,
  loadImages,
  openSource,
  type SourceConfig,
  splitDataset,
} from '@optik/data';
import { finishSplits } from '../shared/splits.js';
import type { SkippedSample, TaskData } from '../types.js';
import type { DetectionConfig } from './config.js';

/**
 * Opens a COCO, VOC or YOLO source as files with boxes (COCO without masks unless `masks`: detection needs the boxes
 * only, instance segmentation their masks too).
 */
async function openBoxes(source: SourceConfig, masks: boolean): Promise<{ dataset: FileDataset; label: string }> {
  const opened = await openSource(source.format === 'coco' ? { ...source, masks } : source);
  if (opened.kind !== 'files') {
    throw new OptikError('DATA_FORMAT', `data.source: a ${source.format} source has no boxes.`, {
      path: 'data.source',
      hint: 'Detection reads COCO, VOC or YOLO annotations.',
    });
  }
  return { dataset: opened.dataset, label: opened.label };
}

/**
 * Loads the data section of a detection config: the synthetic set (its own three splits) or COCO/VOC/YOLO
 * annotations split by `validationSplit`/`testSplit`; images resized to `imageSize`, boxes moved with them.
 * With `masks`, COCO instance masks are read too (and resized with the images): instance segmentation's data.
 */
export async function loadDetectionData(config: DetectionConfig, options: { masks?: boolean } = {}): Promise<TaskData> {
  const masks = options.masks ?? false;
  const { data, seed } = config;
  const load = (dataset: FileDataset) =>
    loadImages(dataset, {
      imageSize: data.imageSize,
      colorMode: data.colorMode,
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
    });
  let splits: { train: InMemoryDataset; validation: InMemoryDataset; test: InMemoryDataset };
  let origin: string;
  const skipped: SkippedSample[] = [];
  if (data.synth !== undefined) {
    const set = await ensureSynthDataset({
      ...data.synth,
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
    });
    const read = async (split: 'train' | 'val' | 'test') => {
      const { dataset } = await openBoxes(
        { format: 'coco', path: set.splits[split].annotations, imageRoot: set.splits[split].images } as SourceConfig,
        masks,
      );
      const loaded = await load(dataset);
      skipped.push(...loaded.skipped);
      return loaded.dataset;
    };
    splits = { train: await read('train'), validation: await read('val'), test: await read('test') };
    origin = `synth (${set.root})`;
  } else {
    const { dataset, label } = await openBoxes(data.source as SourceConfig, masks);
    const loaded = await load(dataset);
    skipped.push(...loaded.skipped);
    splits = splitDataset(loaded.dataset, { validation: data.validationSplit, test: data.testSplit, seed });
    origin = label;
  }
  return finishSplits(splits, data, seed, { origin, skipped });
}
