import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import { isImageFile } from './paths.js';
import type { DatasetRecord, FileDataset } from './records.js';
import { emptySegmentation } from './rle.js';

/**
 * Pairs `imagesDir/x.jpg` with `masksDir/x.png` for semantic segmentation. Each mask pixel is a class id
 * (0 = background); ids are checked against `classNames` when the masks are decoded. With a `palette` (one colour
 * per class) each pixel's colour is looked up instead, and a colour in neither `palette` nor `ignoreColors` is an
 * error naming the pixel. An image without a mask is an error naming both paths; a mask whose size differs from
 * its image is an error when it is decoded.
 */
export function readMaskFolder(options: {
  imagesDir: string;
  masksDir: string;
  classNames: readonly string[];
  /** Colour masks: the `[r, g, b]` of each class (see {@link MaskPalette}); without it, values are class ids. */
  palette?: readonly (readonly [number, number, number])[] | undefined;
  ignoreColors?: readonly (readonly [number, number, number])[] | undefined;
}): FileDataset {
  const { palette, ignoreColors, classNames } = options;
  if (palette !== undefined && palette.length !== classNames.length) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `readMaskFolder: the palette has ${palette.length} colours for ${classNames.length} classes, so ${palette.length > classNames.length ? `colour ${classNames.length} would be a class id above the class count` : `class ${palette.length} would have no colour`}.`,
      {
        received: { palette: palette.length, classNames: classNames.length },
        hint: 'Give one colour per class, in class order (class i = palette[i]); colours of pixels to ignore go in ignoreColors.',
      },
    );
  }
  if (ignoreColors !== undefined && ignoreColors.length > 0 && palette === undefined) {
    throw new OptikError('ARGUMENT_INVALID', 'readMaskFolder: ignoreColors needs a palette.', {
      received: ignoreColors,
      hint: 'Greyscale id masks mark ignored pixels with 255; give a palette for colour masks.',
    });
  }
  const imagesDir = resolve(options.imagesDir);
  const masksDir = resolve(options.masksDir);
  for (const dir of [imagesDir, masksDir]) {
    if (!existsSync(dir)) throw new OptikError('DATA_NOT_FOUND', 'The folder does not exist.', { file: dir });
  }
  const masks = new Map<string, string>();
  for (const name of readdirSync(masksDir).sort()) {
    if (name.toLowerCase().endsWith('.png')) masks.set(basename(name, extname(name)), join(masksDir, name));
  }
  const records: DatasetRecord[] = [];
  for (const name of readdirSync(imagesDir).sort()) {
    if (!isImageFile(name)) continue;
    const stem = basename(name, extname(name));
    const maskFile = masks.get(stem);
    if (maskFile === undefined) {
      throw new OptikError('DATA_NOT_FOUND', `No mask for image ${name}.`, {
        file: join(imagesDir, name),
        hint: `Expected ${join(masksDir, `${stem}.png`)}.`,
      });
    }
    records.push({ file: join(imagesDir, name), maskFile });
  }
  if (records.length === 0) throw new OptikError('DATA_NOT_FOUND', 'No images found.', { file: imagesDir });
  return {
    format: 'masks',
    root: imagesDir,
    task: 'semantic-segmentation',
    classNames,
    records,
    issues: { clippedBoxes: 0, skipped: [] },
    ...(palette === undefined ? {} : { maskPalette: { colors: palette, ignore: ignoreColors ?? [] } }),
  };
}

/** What {@link toSemanticSegmentation} returns: the semantic source and the images it left out. */
export interface SemanticResult {
  /** `task: 'semantic-segmentation'`, class 0 `background`, then the source's classes (ids shifted by one). */
  readonly dataset: FileDataset;
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

/**
 * Turns an instance-mask source (COCO polygons or RLE, YOLO polygons) into a semantic one: each image's mask is
 * rasterised when it is decoded, every object painted with its class (larger objects first, so small ones stay
 * visible), the rest background (class 0; the source's classes follow, ids shifted by one). An image with an
 * object whose mask covers nothing (an empty polygon list, polygons of fewer than 3 points or no area, an RLE with
 * no foreground pixel) is skipped and listed in `issues.skipped` with the object and why, as detectron2 filters
 * "instances without valid segmentation": painting it as background would teach the model that the object is
 * background.
 */
export function toSemanticSegmentation(dataset: FileDataset): SemanticResult {
  if (dataset.task !== 'instance-segmentation') {
    throw new OptikError(
      'DATA_FORMAT',
      `Semantic segmentation from ${dataset.root} needs instance masks, but it is a ${dataset.task} source.`,
      {
        file: dataset.root,
        received: dataset.task,
        hint: 'Use a COCO JSON with polygon or RLE segmentations (and masks: true), or a masks source (images + class-id PNGs).',
      },
    );
  }
  const skipped = [...dataset.issues.skipped];
  const records: DatasetRecord[] = [];
  for (const record of dataset.records) {
    const segments = record.segments ?? [];
    const empty = segments.map(emptySegmentation).findIndex((why) => why !== undefined);
    if (empty >= 0) {
      const name = dataset.classNames[record.labels?.[empty] ?? -1] ?? '?';
      const box = record.boxes?.[empty];
      skipped.push({
        file: record.file,
        reason: `object ${empty} (${name}${box === undefined ? '' : `, box ${box.map((v) => Math.round(v)).join(', ')}`}) has ${emptySegmentation(segments[empty] ?? null)}: painted as background, its pixels would teach the wrong class, so the image is left out. Draw its mask or remove the annotation to use the image.`,
      });
      continue;
    }
    records.push({ ...record, labels: (record.labels ?? []).map((l) => l + 1) });
  }
  return {
    dataset: {
      ...dataset,
      task: 'semantic-segmentation',
      classNames: ['background', ...dataset.classNames],
      records,
      issues: { clippedBoxes: dataset.issues.clippedBoxes, skipped },
    },
    skipped: skipped.slice(dataset.issues.skipped.length),
  };
}
