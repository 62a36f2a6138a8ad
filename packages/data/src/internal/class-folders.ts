import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import sharp from 'sharp';
import type { InMemoryDataset } from './memory.js';

/** Options of {@link writeClassFolders}. */
export interface ClassFoldersOptions {
  /** The classes to write, by name, in this order (default: every class). */
  readonly classes?: readonly string[];
  /** At most this many images per class and split (the first ones, in dataset order). */
  readonly limit?: number;
}

/** A class name as a folder name: path separators and characters Windows refuses become `-`. */
export function classFolderName(name: string): string {
  return name.replace(/[\\/:*?"<>|]/g, '-');
}

/**
 * Writes in-memory splits as a class-per-folder tree, `<outDir>/<split>/<class>/<index>.png` (lossless PNG), the
 * layout `optik train` reads with `data.directory` (split folders `train`, `val`, `test`; an empty split is left
 * out). Returns the images written per split and class.
 */
export async function writeClassFolders(
  splits: Readonly<Record<string, InMemoryDataset>>,
  outDir: string,
  options: ClassFoldersOptions = {},
): Promise<Record<string, Record<string, number>>> {
  const root = resolve(outDir);
  const first = Object.values(splits)[0];
  if (first === undefined) {
    throw new OptikError('ARGUMENT_INVALID', 'No splits to write.', { hint: 'Pass e.g. { train, val, test }.' });
  }
  const classes = options.classes ?? first.classNames;
  const ids = classes.map((name) => {
    const id = first.classNames.indexOf(name);
    if (id < 0) {
      throw new OptikError('DATA_UNKNOWN_CLASS', `The dataset has no class "${name}".`, {
        received: name,
        hint: `Classes: ${first.classNames.join(', ')}.`,
      });
    }
    return id;
  });
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 1)) {
    throw new OptikError('ARGUMENT_INVALID', 'limit must be at least 1.', { received: options.limit });
  }
  const counts: Record<string, Record<string, number>> = {};
  for (const [split, dataset] of Object.entries(splits)) {
    if (dataset.length === 0) continue; // no empty split folder: the pipeline carves validation out of train
    const perClass: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
    for (const c of classes) mkdirSync(join(root, split, classFolderName(c)), { recursive: true });
    for (let i = 0; i < dataset.length; i++) {
      const k = ids.indexOf(dataset.labels[i] as number);
      const name = classes[k];
      if (name === undefined || (perClass[name] as number) >= limit) continue;
      const { image } = dataset.sample(i);
      await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
        .png()
        .toFile(join(root, split, classFolderName(name), `${String(i).padStart(5, '0')}.png`));
      perClass[name] = (perClass[name] as number) + 1;
    }
    counts[split] = perClass;
  }
  return counts;
}
