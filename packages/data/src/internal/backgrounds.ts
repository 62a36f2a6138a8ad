import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OptikError } from '@optik/core';
import { aptExtract, type DatasetOrigin, hasAptTools } from './builtin.js';
import { defaultCacheDir } from './paths.js';

/** The Debian package whose sample photos are the generated sets' backgrounds, and where it installs them. */
export const BACKGROUND_PACKAGE = 'opencv-doc';
const BACKGROUND_INNER_DIR = 'usr/share/doc/opencv-doc/examples/data';
export const BACKGROUND_SYSTEM_DIR = `/${BACKGROUND_INNER_DIR}`;

/**
 * Real photos from OpenCV's `samples/data` (Debian `opencv-doc`, licensed Apache-2.0 AND BSD-3-Clause per
 * `/usr/share/doc/opencv-doc/copyright`): scenes, objects and textures; logos, text, synthetic pictures, paintings
 * and portraits are left out. Train and validation/test canvases use disjoint photos, so the test set measures
 * a model on backgrounds it never saw.
 */
export const TRAIN_PHOTOS = [
  'aero1.jpg',
  'aloeL.jpg',
  'apple.jpg',
  'baboon.jpg',
  'board.jpg',
  'building.jpg',
  'butterfly.jpg',
  'chicky_512.png',
  'fruits.jpg',
  'graf1.png',
  'home.jpg',
  'leuvenA.jpg',
  'orange.jpg',
  'rubberwhale1.png',
  'smarties.png',
  'squirrel_cls.jpg',
] as const;
export const HELD_OUT_PHOTOS = [
  'aero3.jpg',
  'basketball1.png',
  'box_in_scene.png',
  'ela_original.jpg',
  'stuff.jpg',
] as const;
export const ALL_PHOTOS: readonly string[] = [...TRAIN_PHOTOS, ...HELD_OUT_PHOTOS];

/** Where {@link resolveBackgrounds} looks. */
export interface BackgroundSearch {
  /** The Optik cache dir (default `OPTIK_CACHE_DIR` or `~/.cache/optik`); photos fetched by apt go below it. */
  readonly cacheDir?: string | undefined;
  /** Folders searched after the cache (the installed package). */
  readonly backgroundDirs: readonly string[];
  /** Try `apt-get download opencv-doc` + `dpkg-deb -x` (no root needed) when no copy is found. */
  readonly apt: boolean;
}

/**
 * Finds the background photos: cache, the given folders (the installed package), then `apt-get download`. `what`
 * names the dataset that needs them in the error.
 */
export async function resolveBackgrounds(
  o: BackgroundSearch,
  what: string,
): Promise<{ dir: string; origin: DatasetOrigin; attempts: string[] }> {
  const cacheDir = join(o.cacheDir ?? defaultCacheDir(), 'datasets', 'opencv-samples');
  const hasAll = (dir: string) => ALL_PHOTOS.every((name) => existsSync(join(dir, name)));
  const attempts: string[] = [];
  if (hasAll(cacheDir)) return { dir: cacheDir, origin: { kind: 'cache', location: cacheDir }, attempts };
  attempts.push(`cache ${cacheDir}: photos absent`);
  for (const dir of o.backgroundDirs) {
    if (hasAll(dir)) return { dir, origin: { kind: 'system', location: dir }, attempts };
    attempts.push(`${dir}: photos absent`);
  }
  if (!o.apt) attempts.push('apt: disabled (apt: false)');
  else if (!hasAptTools()) attempts.push('apt: apt-get/dpkg-deb not available (not Debian?)');
  else {
    try {
      await aptExtract(BACKGROUND_PACKAGE, BACKGROUND_INNER_DIR, ALL_PHOTOS, cacheDir);
      return {
        dir: cacheDir,
        origin: { kind: 'apt', location: `apt-get download ${BACKGROUND_PACKAGE}` },
        attempts,
      };
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
      attempts.push(`apt-get download ${BACKGROUND_PACKAGE}: ${reason}`);
    }
  }
  throw new OptikError(
    'DATA_NOT_FOUND',
    `The background photos of ${what} come from the Debian package ${BACKGROUND_PACKAGE}, which was not found. Tried: ${attempts.join('; ')}.`,
    {
      hint: `Install it with \`apt-get install ${BACKGROUND_PACKAGE}\` (its samples/data photos are Apache-2.0/BSD-3-Clause), or copy ${ALL_PHOTOS.join(', ')} into ${cacheDir}.`,
    },
  );
}
