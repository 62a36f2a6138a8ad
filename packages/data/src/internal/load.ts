import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { BoxXyxy, ImageSample, Mask, SampleTarget } from '@optik/core';
import { clipBox, createRng, isOptikError, OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { readBlobFile, writeBlobFile } from './blob.js';
import {
  channelsOf,
  DecodeOptionsSchema,
  decodeImage,
  decodeMask,
  type ResolvedDecodeOptions,
  resizeMask,
} from './decode.js';
import { scanImageFolder } from './folder.js';
import { InMemoryDataset } from './memory.js';
import { defaultCacheDir, sha256Hex } from './paths.js';
import type { DatasetRecord, FileDataset } from './records.js';
import { segmentationToMask } from './rle.js';
import { IGNORE_INDEX } from './targets/masks.js';

const CACHE_VERSION = 1;

/** Maps original pixel coordinates to the resized image: `x' = x·sx + ox`, `y' = y·sy + oy`. */
function geometry(width: number, height: number, options: ResolvedDecodeOptions) {
  if (options.imageSize === undefined) return { sx: 1, sy: 1, ox: 0, oy: 0, width, height };
  const [H, W] = options.imageSize;
  if (options.fit === 'fill') return { sx: W / width, sy: H / height, ox: 0, oy: 0, width: W, height: H };
  const s = options.fit === 'cover' ? Math.max(W / width, H / height) : Math.min(W / width, H / height);
  const w = Math.round(width * s);
  const h = Math.round(height * s);
  return { sx: s, sy: s, ox: Math.floor((W - w) / 2), oy: Math.floor((H - h) / 2), width: W, height: H };
}

/** Refuses a mask pixel whose class id is not a class of the source (nor 255, ignore), naming the first one. */
function checkMaskClasses(mask: Mask, classNames: readonly string[], file: string): void {
  const classCount = classNames.length;
  let first = -1;
  let count = 0;
  const ids = new Set<number>();
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i] as number;
    if (v >= classCount && v !== IGNORE_INDEX) {
      if (first < 0) first = i;
      count++;
      ids.add(v);
    }
  }
  if (first < 0) return;
  const v = mask.data[first] as number;
  const shown = [...ids].sort((a, b) => a - b).slice(0, 8);
  throw new OptikError(
    'DATA_UNKNOWN_CLASS',
    `Mask pixel (${first % mask.width}, ${Math.floor(first / mask.width)}) holds class id ${v}, but the source has ${classCount} classes (ids 0..${classCount - 1}, 255 = ignore); ${count} pixels hold ids outside that range (${shown.join(', ')}${ids.size > shown.length ? ', …' : ''}).`,
    {
      file,
      received: v,
      hint: `List one class name per id in classNames (now ${classNames.slice(0, 6).join(', ')}${classCount > 6 ? ', …' : ''}), or repaint those pixels (255 to ignore them); a colour mask needs the source's palette.`,
    },
  );
}

/** A semantic mask painted from a record's instance masks: larger objects first, each pixel its object's class. */
function paintSegments(record: DatasetRecord, width: number, height: number): Mask {
  const objects = (record.segments ?? []).map((segment, i) => {
    const mask = segment === null ? undefined : segmentationToMask(segment, height, width, record.file);
    let area = 0;
    if (mask !== undefined) for (const v of mask.data) area += v;
    return { mask, area, label: record.labels?.[i] ?? 0 };
  });
  objects.sort((a, b) => b.area - a.area);
  const data = new Uint8Array(width * height);
  for (const { mask, label } of objects) {
    if (mask === undefined) continue;
    for (let p = 0; p < data.length; p++) if (mask.data[p] === 1) data[p] = label;
  }
  return { width, height, data };
}

/**
 * The localization target of a record: its one box checked against the decoded image (sources that state no image
 * size, such as CSV, are checked only here), then moved to the output pixels and clipped.
 */
function localizationTarget(
  record: DatasetRecord,
  width: number,
  height: number,
  move: (box: BoxXyxy) => BoxXyxy,
): SampleTarget {
  const box = record.boxes?.[0];
  const label = record.label ?? record.labels?.[0];
  if (box === undefined || label === undefined || (record.boxes?.length ?? 0) !== 1) {
    throw new OptikError('DATA_FORMAT', 'A localization record needs exactly one box and one class.', {
      file: record.file,
      received: `${record.boxes?.length ?? 0} boxes`,
      hint: 'Convert detection sources with toLocalization(), which handles images with no or several boxes.',
    });
  }
  if (box[0] >= width || box[1] >= height || box[2] <= 0 || box[3] <= 0) {
    throw new OptikError('DATA_FORMAT', `The box lies entirely outside the ${width}×${height} image.`, {
      file: record.file,
      received: box,
      hint: 'Check that the coordinates are absolute pixels of this image (not normalised, not of another image).',
    });
  }
  const moved = move(box);
  if (!(moved[2] > moved[0] && moved[3] > moved[1])) {
    throw new OptikError('DATA_FORMAT', 'The box has no area inside the image.', {
      file: record.file,
      received: box,
      hint: 'A box needs xMax > xMin and yMax > yMin inside the image; fix or remove the annotation.',
    });
  }
  return { kind: 'localization', label, box: moved };
}

/**
 * Decodes record `index` of a file source into an {@link ImageSample}: pixels resized per `decode`, and boxes and
 * masks moved with them (boxes clipped to the new image). A localization source gives
 * `{ kind: 'localization', label, box }`.
 */
export async function readSample(
  dataset: FileDataset,
  index: number,
  decode: z.input<typeof DecodeOptionsSchema> = {},
): Promise<ImageSample> {
  const options = parseOrThrow(DecodeOptionsSchema, decode, { what: 'decode options' });
  const record = dataset.records[index];
  if (record === undefined) throw new OptikError('ARGUMENT_INVALID', `No record ${index}.`, { received: index });
  const image = await decodeImage(record.file, options);
  const { originalWidth: w0, originalHeight: h0 } = image;
  if (record.width !== undefined && record.height !== undefined && (record.width !== w0 || record.height !== h0)) {
    throw new OptikError(
      'DATA_MISMATCH',
      `The annotation says ${record.width}×${record.height} but the image is ${w0}×${h0} (width×height).`,
      {
        file: record.file,
        received: { annotation: [record.width, record.height], image: [w0, h0] },
        hint: "Boxes and masks are drawn on the annotated size: fix the annotation's width and height (or pair the right image file).",
      },
    );
  }
  const g = geometry(w0, h0, options);
  const move = (b: BoxXyxy): BoxXyxy =>
    clipBox([b[0] * g.sx + g.ox, b[1] * g.sy + g.oy, b[2] * g.sx + g.ox, b[3] * g.sy + g.oy], g.width, g.height).box;
  let target: SampleTarget;
  switch (dataset.task) {
    case 'classification':
      target = { kind: 'classification', label: record.label ?? -1 };
      break;
    case 'localization':
      target = localizationTarget(record, w0, h0, move);
      break;
    case 'semantic-segmentation': {
      const maskFile = record.maskFile;
      let mask: Mask;
      if (maskFile === undefined) mask = paintSegments(record, w0, h0);
      else {
        mask = await decodeMask(maskFile, dataset.maskPalette);
        if (mask.width !== w0 || mask.height !== h0) {
          throw new OptikError('DATA_MISMATCH', `The mask is ${mask.width}×${mask.height}, the image ${w0}×${h0}.`, {
            file: maskFile,
            received: { mask: [mask.width, mask.height], image: [w0, h0] },
            hint: "A mask must have its image's pixel size; re-export it at that size (or pair the right files).",
          });
        }
      }
      checkMaskClasses(mask, dataset.classNames, maskFile ?? record.file);
      target = { kind: 'semantic-segmentation', mask: await resizeMask(mask, options) };
      break;
    }
    case 'instance-segmentation': {
      const masks: Mask[] = [];
      for (const segment of record.segments ?? []) {
        const full =
          segment === null
            ? { width: w0, height: h0, data: new Uint8Array(w0 * h0) }
            : segmentationToMask(segment, h0, w0, record.file);
        masks.push(await resizeMask(full, options));
      }
      target = {
        kind: 'instance-segmentation',
        labels: record.labels ?? [],
        boxes: (record.boxes ?? []).map(move),
        masks,
      };
      break;
    }
    default:
      target = {
        kind: 'detection',
        labels: record.labels ?? [],
        boxes: (record.boxes ?? []).map(move),
        ...(record.crowd === undefined ? {} : { crowd: record.crowd }),
      };
  }
  const { originalWidth: _w, originalHeight: _h, ...pixels } = image;
  return { image: pixels, target, source: record.file };
}

export const LoadOptionsSchema = DecodeOptionsSchema.extend({
  imageSize: z.tuple([z.number().int().min(1).max(16384), z.number().int().min(1).max(16384)]).default([256, 256]),
  /** Keep decoded pixels on disk keyed by each file's path, size and mtime; a second load skips decoding. */
  cache: z.boolean().default(true),
  cacheDir: z.string().min(1).optional(),
  /** Unreadable or missing images: `skip` (listed in `skipped`) or `throw` the coded error. */
  onError: z.enum(['skip', 'throw']).default('skip'),
  labelMode: z.enum(['int', 'categorical', 'binary']).default('int'),
  /** Images decoded at once (sharp runs them on libuv's thread pool). */
  concurrency: z.number().int().min(1).max(64).default(4),
}).strict();
export type LoadOptions = z.input<typeof LoadOptionsSchema>;

/** What {@link loadImages} returns: the dataset plus how it was obtained. */
export interface LoadResult {
  readonly dataset: InMemoryDataset;
  /** True when the pixels came from the on-disk cache (nothing was decoded). */
  readonly fromCache: boolean;
  readonly decoded: number;
  readonly skipped: readonly { file: string; reason: string }[];
  /** Boxes the source clipped to their image. */
  readonly clippedBoxes: number;
  /** Boxes the source dropped (zero width or height), each with its place and reason. */
  readonly droppedBoxes: readonly { file: string; reason: string }[];
}

async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Decodes every image of a file source to one size into an {@link InMemoryDataset}. Classification results are
 * cached on disk under `<cacheDir>/decoded/<key>.bin`, the key hashing each file's path, size and mtime with the
 * decode options.
 */
export async function loadImages(source: FileDataset, options: LoadOptions = {}): Promise<LoadResult> {
  const o = parseOrThrow(LoadOptionsSchema, options, { what: 'load options' });
  const decode: ResolvedDecodeOptions = { colorMode: o.colorMode, imageSize: o.imageSize, fit: o.fit };
  const [height, width] = o.imageSize;
  const channels = channelsOf(o.colorMode);
  const size = height * width * channels;
  const cacheable = o.cache && source.task === 'classification';
  let cacheFile: string | undefined;
  if (cacheable) {
    const stats = source.records.map((r) => {
      try {
        const s = statSync(r.file);
        return [r.file, s.size, s.mtimeMs, r.label ?? -1];
      } catch {
        return [r.file, -1, -1, r.label ?? -1];
      }
    });
    const key = sha256Hex(JSON.stringify({ v: CACHE_VERSION, decode, classNames: source.classNames, stats }));
    cacheFile = join(o.cacheDir ?? defaultCacheDir(), 'decoded', `${key}.bin`);
    const hit = await readCache(cacheFile, size);
    if (hit !== undefined) {
      const dataset = new InMemoryDataset({
        images: hit.images,
        height,
        width,
        channels,
        labels: Int32Array.from(hit.header.labels),
        classNames: source.classNames,
        sources: hit.header.sources,
        labelMode: o.labelMode,
      });
      return {
        dataset,
        fromCache: true,
        decoded: 0,
        skipped: hit.header.skipped,
        clippedBoxes: source.issues.clippedBoxes,
        droppedBoxes: source.issues.droppedBoxes ?? [],
      };
    }
  }
  const skipped: { file: string; reason: string }[] = [...source.issues.skipped];
  const samples = await mapPool(source.records, o.concurrency, async (_, i) => {
    try {
      return await readSample(source, i, decode);
    } catch (error) {
      if (o.onError === 'skip' && (isOptikError(error, 'DATA_CORRUPT') || isOptikError(error, 'DATA_NOT_FOUND'))) {
        skipped.push({ file: source.records[i]?.file ?? '?', reason: error.message });
        return undefined;
      }
      throw error;
    }
  });
  const kept = samples.filter((s): s is ImageSample => s !== undefined);
  const images = new Uint8Array(kept.length * size);
  const labels = new Int32Array(kept.length);
  kept.forEach((s, k) => {
    images.set(s.image.data as Uint8Array, k * size);
    labels[k] = s.target.kind === 'classification' || s.target.kind === 'localization' ? s.target.label : -1;
  });
  const sources = kept.map((s) => s.source ?? '');
  const dataset = new InMemoryDataset({
    images,
    height,
    width,
    channels,
    labels,
    classNames: source.classNames,
    sources,
    labelMode: o.labelMode,
    ...(source.task === 'classification' ? {} : { targets: kept.map((s) => s.target) }),
  });
  if (cacheFile !== undefined) writeBlobFile(cacheFile, { labels: Array.from(labels), sources, skipped }, images);
  return {
    dataset,
    fromCache: false,
    decoded: kept.length,
    skipped,
    clippedBoxes: source.issues.clippedBoxes,
    droppedBoxes: source.issues.droppedBoxes ?? [],
  };
}

interface CacheHeader {
  labels: number[];
  sources: string[];
  skipped: { file: string; reason: string }[];
}

async function readCache(file: string, size: number): Promise<{ header: CacheHeader; images: Uint8Array } | undefined> {
  const blob = await readBlobFile(file);
  if (blob === undefined) return undefined;
  const header = blob.header as CacheHeader;
  const images = blob.bytes;
  if (
    !Array.isArray(header?.labels) ||
    !Array.isArray(header.sources) ||
    images.length !== header.labels.length * size ||
    header.sources.length !== header.labels.length
  )
    return undefined;
  return { header, images };
}

export const ImageFolderOptionsSchema = z
  .object({
    directory: z.string().min(1),
    labelMode: z.enum(['int', 'categorical', 'binary']).default('int'),
    classNames: z.array(z.string().min(1)).min(1).optional(),
    colorMode: z.enum(['grayscale', 'rgb', 'rgba']).default('rgb'),
    imageSize: z.tuple([z.number().int().min(1).max(16384), z.number().int().min(1).max(16384)]).default([256, 256]),
    /** Resize without distortion by centre-cropping to the target aspect ratio (Keras `crop_to_aspect_ratio`). */
    cropToAspectRatio: z.boolean().default(false),
    /** Fraction held out for validation (Keras `validation_split`); needs `subset` and `seed`. */
    validationSplit: z.number().gt(0).lt(1).optional(),
    subset: z.enum(['training', 'validation', 'both']).optional(),
    seed: z.number().int().optional(),
    followLinks: z.boolean().default(false),
    cache: z.boolean().default(true),
    cacheDir: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.validationSplit === undefined) !== (o.subset === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['subset'], message: 'validationSplit and subset go together' });
    }
    if (o.validationSplit !== undefined && o.seed === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['seed'],
        message: 'a seed is required with validationSplit, so the split is reproducible',
      });
    }
  });
export type ImageFolderOptions = z.input<typeof ImageFolderOptionsSchema>;

/** What {@link imageDatasetFromDirectory} returns: the split(s) `subset` asked for, and the whole load result. */
export interface ImageFolderResult {
  readonly training?: InMemoryDataset;
  readonly validation?: InMemoryDataset;
  readonly all: LoadResult;
}

/**
 * Keras `image_dataset_from_directory`: class-per-folder images decoded to `imageSize`, optionally split into
 * training and validation by shuffling the file list with `seed` and holding out the last `validationSplit`. The
 * result type follows `subset`: `'both'` gives `training` and `validation`, `'training'` or no split `training`,
 * `'validation'` `validation` — no `!` needed.
 */
export function imageDatasetFromDirectory(
  options: ImageFolderOptions & { subset: 'both' },
): Promise<{ training: InMemoryDataset; validation: InMemoryDataset; all: LoadResult }>;
export function imageDatasetFromDirectory(
  options: ImageFolderOptions & { subset: 'validation' },
): Promise<{ validation: InMemoryDataset; all: LoadResult }>;
export function imageDatasetFromDirectory(
  options: ImageFolderOptions & { subset?: 'training' | undefined },
): Promise<{ training: InMemoryDataset; all: LoadResult }>;
export function imageDatasetFromDirectory(options: ImageFolderOptions): Promise<ImageFolderResult>;
export async function imageDatasetFromDirectory(options: ImageFolderOptions): Promise<ImageFolderResult> {
  const o = parseOrThrow(ImageFolderOptionsSchema, options, { what: 'image folder options' });
  const source = scanImageFolder(o.directory, {
    followLinks: o.followLinks,
    detectSplits: false,
    ...(o.classNames === undefined ? {} : { classNames: o.classNames }),
  });
  if (o.labelMode === 'binary' && source.classNames.length !== 2) {
    throw new OptikError(
      'CONFIG_INVALID',
      `labelMode "binary" needs exactly 2 class folders, found ${source.classNames.length}.`,
      {
        path: 'labelMode',
        file: source.root,
      },
    );
  }
  const all = await loadImages(source, {
    colorMode: o.colorMode,
    imageSize: o.imageSize,
    fit: o.cropToAspectRatio ? 'cover' : 'fill',
    labelMode: o.labelMode,
    cache: o.cache,
    ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
  });
  if (o.validationSplit === undefined) return { training: all.dataset, all };
  const order = createRng(o.seed ?? 0).shuffle(Array.from({ length: all.dataset.length }, (_, i) => i));
  const nVal = Math.floor(order.length * o.validationSplit);
  const training = all.dataset.subset(order.slice(0, order.length - nVal));
  const validation = all.dataset.subset(order.slice(order.length - nVal));
  if (o.subset === 'training') return { training, all };
  if (o.subset === 'validation') return { validation, all };
  return { training, validation, all };
}
