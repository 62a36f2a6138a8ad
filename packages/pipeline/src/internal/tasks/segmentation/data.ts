import { OptikError } from '@optik/core';
import {
  ensureSynthDataset,
  type FileDataset,
  type InMemoryDataset,
  loadImages,
  openSource,
  readMaskFolder,
  splitDataset,
  toSemanticSegmentation,
} from '@optik/data';
import { finishSplits } from '../shared/splits.js';
import type { SkippedSample, TaskData } from '../types.js';
import type { SegmentationConfig } from './config.js';

/** Decodes a semantic source at the config's size: masks resized with their images by nearest neighbour. */
async function decode(source: FileDataset, config: SegmentationConfig) {
  const { data } = config;
  return loadImages(source, {
    imageSize: data.imageSize,
    colorMode: data.colorMode,
    ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
  });
}

/**
 * Loads the data section of a segmentation config: the synthetic set (its own splits, masks per split), a masks
 * folder or a COCO JSON (polygons/RLE painted into class masks; split here, seeded).
 */
export async function loadSegmentationData(config: SegmentationConfig): Promise<TaskData> {
  const { data, seed } = config;
  let splits: { train: InMemoryDataset; validation: InMemoryDataset; test: InMemoryDataset };
  let origin: string;
  const skipped: SkippedSample[] = [];
  if (data.dataset === 'synth') {
    const set = await ensureSynthDataset({
      ...(data.synth ?? {}),
      ...(data.cacheDir === undefined ? {} : { cacheDir: data.cacheDir }),
    });
    const classNames = ['background', ...set.classNames];
    const load = async (split: 'train' | 'val' | 'test') => {
      const paths = set.splits[split];
      const loaded = await decode(
        readMaskFolder({ imagesDir: paths.images, masksDir: paths.masks, classNames }),
        config,
      );
      skipped.push(...loaded.skipped);
      return loaded.dataset;
    };
    splits = { train: await load('train'), validation: await load('val'), test: await load('test') };
    origin = `synth (${set.root})`;
  } else {
    const source = data.source as NonNullable<typeof data.source>;
    const opened = await openSource(source);
    if (opened.kind !== 'files') {
      throw new OptikError('DATA_FORMAT', `data.source: a ${source.format} source has no masks.`, {
        path: 'data.source',
        hint: 'Semantic segmentation reads a masks folder (images + class-id or colour PNGs) or a COCO JSON with masks.',
      });
    }
    const semantic =
      opened.dataset.task === 'semantic-segmentation' ? opened.dataset : toSemanticSegmentation(opened.dataset).dataset;
    const loaded = await decode(semantic, config);
    // loadImages lists the source's own skips (images with an empty polygon) before its unreadable images.
    skipped.push(...loaded.skipped);
    splits = splitDataset(loaded.dataset, { validation: data.validationSplit, test: data.testSplit, seed });
    origin = opened.label;
  }
  return finishSplits(splits, data, seed, { origin, skipped });
}
