import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import { isImageFile } from './paths.js';
import type { DatasetRecord, FileDataset } from './records.js';

const SPLIT_NAMES = new Set(['train', 'val', 'valid', 'validation', 'test']);

function listImages(dir: string, followLinks: boolean, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory() || (followLinks && entry.isSymbolicLink() && statSync(full).isDirectory())) {
      listImages(full, followLinks, out);
    } else if ((entry.isFile() || (followLinks && entry.isSymbolicLink())) && isImageFile(entry.name)) out.push(full);
  }
}

function subdirs(dir: string, followLinks: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() || (followLinks && e.isSymbolicLink() && statSync(join(dir, e.name)).isDirectory()))
    .map((e) => e.name)
    .sort();
}

/**
 * Lists a class-per-folder tree (Keras `image_dataset_from_directory`): each subdirectory is a class, class names
 * sorted, images found recursively. A root whose subdirectories are all split names (`train`, `val`, `test`, …)
 * is read as splits of class folders. Non-image files are ignored, like Keras does.
 */
export function scanImageFolder(
  directory: string,
  options: { classNames?: readonly string[]; followLinks?: boolean; detectSplits?: boolean } = {},
): FileDataset {
  const root = resolve(directory);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(root);
  } catch (cause) {
    throw new OptikError('DATA_NOT_FOUND', 'The image directory does not exist.', { file: root }, { cause });
  }
  if (!stat.isDirectory())
    throw new OptikError('DATA_FORMAT', 'Expected a directory of class folders.', { file: root });
  const followLinks = options.followLinks ?? false;
  const top = subdirs(root, followLinks);
  const splitLayout =
    (options.detectSplits ?? true) &&
    top.length > 0 &&
    top.every((name) => SPLIT_NAMES.has(name)) &&
    top.every((name) => subdirs(join(root, name), followLinks).length > 0);
  const splitRoots = splitLayout
    ? top.map((name) => ({ split: name, dir: join(root, name) }))
    : [{ split: undefined, dir: root }];

  const found = new Set<string>();
  for (const { dir } of splitRoots) for (const name of subdirs(dir, followLinks)) found.add(name);
  const classNames = options.classNames ?? [...found].sort();
  if (options.classNames !== undefined) {
    for (const name of options.classNames) {
      if (!found.has(name)) {
        throw new OptikError('DATA_UNKNOWN_CLASS', `Class "${name}" has no folder.`, {
          file: root,
          received: name,
          hint: `Folders found: ${[...found].sort().join(', ') || '(none)'}.`,
        });
      }
    }
  }
  const records: DatasetRecord[] = [];
  if (classNames.length === 0) {
    const files: string[] = [];
    listImages(root, followLinks, files);
    for (const file of files) records.push({ file });
  }
  for (const { split, dir } of splitRoots) {
    classNames.forEach((name, label) => {
      const classDir = join(dir, name);
      let files: string[] = [];
      try {
        if (statSync(classDir).isDirectory()) listImages(classDir, followLinks, files);
      } catch {
        files = [];
      }
      for (const file of files) records.push({ file, label, ...(split === undefined ? {} : { split }) });
    });
  }
  if (records.length === 0) {
    throw new OptikError('DATA_NOT_FOUND', 'No images found.', {
      file: root,
      hint: `Expected ${relative(process.cwd(), root) || '.'}/<class>/<image>.png (bmp, gif, jpeg, jpg, png, webp, tiff).`,
    });
  }
  return {
    format: 'folder',
    root,
    task: 'classification',
    classNames,
    records,
    issues: { clippedBoxes: 0, skipped: [] },
  };
}
