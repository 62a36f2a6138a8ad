import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import { isImageFile } from './paths.js';
import type { DatasetRecord, FileDataset } from './records.js';

/**
 * Pairs `imagesDir/x.jpg` with `masksDir/x.png` for semantic segmentation. Each mask pixel is a class id
 * (0 = background); ids are checked against `classNames` when the masks are decoded. An image without a mask is
 * an error naming both paths.
 */
export function readMaskFolder(options: {
  imagesDir: string;
  masksDir: string;
  classNames: readonly string[];
}): FileDataset {
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
    classNames: options.classNames,
    records,
    issues: { clippedBoxes: 0, skipped: [] },
  };
}
