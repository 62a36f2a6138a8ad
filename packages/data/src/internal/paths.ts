import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
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
 * manifest must never make Optik read files outside the dataset it describes. An existing path is also resolved
 * through its symbolic links and must stay inside the real root (a link to `/etc/passwd` or `/dev/zero` is an
 * escape too); a missing one is left for the reader to report.
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
  if (!isInside(absRoot, full)) {
    throw new OptikError('DATA_PATH_ESCAPE', 'An image path escapes the dataset root.', {
      file: where,
      received: relPath,
      hint: `Keep every image inside ${absRoot}.`,
    });
  }
  const real = realPath(full);
  if (real !== undefined) {
    const realRoot = realPath(absRoot) ?? absRoot;
    if (!isInside(realRoot, real)) {
      throw new OptikError(
        'DATA_PATH_ESCAPE',
        `An image path leads out of the dataset root through a symbolic link, to ${real}.`,
        {
          file: where,
          received: relPath,
          hint: `Copy the file into ${absRoot} instead of linking to it, or point the dataset root at a folder that holds it.`,
        },
      );
    }
  }
  return full;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return !(rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
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
