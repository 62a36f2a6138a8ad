import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OptikError, readEnv } from '@optik/core';

/** Image file extensions every source accepts (Keras `image_dataset_from_directory`'s list plus webp/tiff). */
export const IMAGE_EXTENSIONS = ['.bmp', '.gif', '.jpeg', '.jpg', '.png', '.webp', '.tif', '.tiff'] as const;

export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Resolves `relPath` (as written in a manifest) inside `root`, refusing absolute paths and `..` escapes: a
 * manifest must never make Optik read files outside the dataset it describes.
 */
export function resolveInside(root: string, relPath: string, where: string): string {
  if (relPath === '' || isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath) || relPath.startsWith('\\')) {
    throw new OptikError('DATA_PATH_ESCAPE', 'An image path must be relative to the dataset root.', {
      file: where,
      received: relPath,
      hint: `Write the path relative to ${root}.`,
    });
  }
  const absRoot = resolve(root);
  const full = resolve(absRoot, relPath);
  const rel = relative(absRoot, full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new OptikError('DATA_PATH_ESCAPE', 'An image path escapes the dataset root.', {
      file: where,
      received: relPath,
      hint: `Keep every image inside ${absRoot}.`,
    });
  }
  return full;
}

/** The cache directory: `OPTIK_CACHE_DIR`, else `~/.cache/optik`. */
export function defaultCacheDir(): string {
  return readEnv().OPTIK_CACHE_DIR ?? join(homedir(), '.cache', 'optik');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** `file:line` for error details. */
export function at(file: string, line?: number): string {
  return line === undefined ? file : `${file}:${line}`;
}
