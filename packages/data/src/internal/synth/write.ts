import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createRng, OptikError, parseOrThrow, xyxyToYolo } from '@optik/core';
import sharp, { type OutputInfo } from 'sharp';
import { stringify } from 'yaml';
import { HELD_OUT_PHOTOS, resolveBackgrounds, TRAIN_PHOTOS } from '../backgrounds.js';
import { defaultCacheDir, sha256Hex } from '../paths.js';
import { composeScene, type Photo, type Scene, type Sprite, toPhoto, toSprite } from './compose.js';
import { type Cutout, loadCutout, type ResolvedSource, resolveSource } from './cutouts.js';
import { type ResolvedSynthOptions, SYNTH_VERSION, type SynthOptions, SynthOptionsSchema } from './options.js';

export const SPLITS = ['train', 'val', 'test'] as const;
export type SynthSplit = (typeof SPLITS)[number];

/** Where one split's files are. */
export interface SynthSplitPaths {
  /** The COCO JSON; its `file_name`s are relative to `images` (pass it as `imageRoot` to `readCoco`). */
  readonly annotations: string;
  /** The folder of images. */
  readonly images: string;
  /** The folder of class-index PNG masks (0 background, k = category id), same file stems as the images. */
  readonly masks: string;
  /** The folder of YOLO label files (format `yolo` only). */
  readonly labels?: string;
}

/** A generated set: its folder, class names (category id k is `classNames[k - 1]`) and per-split paths. */
export interface SynthDataset {
  readonly root: string;
  readonly classNames: readonly string[];
  readonly splits: { readonly train: SynthSplitPaths; readonly val: SynthSplitPaths; readonly test: SynthSplitPaths };
  /** `synth.json`: the options, the generator version and per-split counts. Written last. */
  readonly synthFile: string;
  /** `classes.txt`: one class name per line, category id order. */
  readonly classesFile: string;
  /** YOLO `data.yaml` (format `yolo` only). */
  readonly dataYaml?: string;
  /** Images and objects per split. */
  readonly counts: { readonly [S in SynthSplit]: { readonly images: number; readonly objects: number } };
}

/** Options plus where cut-out renders and fetched photos are cached (not part of the dataset's identity). */
export type SynthRunOptions = SynthOptions & { cacheDir?: string };

/** Progress of a generation: called after each image is written. */
export type SynthProgress = (progress: { split: SynthSplit; done: number; total: number }) => void;

const LICENCES: Readonly<Record<ResolvedSource['source'], string>> = {
  openclipart: 'cut-outs: openclipart-svg, Creative Commons Public Domain Dedication',
  emoji: 'cut-outs: emoji-datasource-google (Noto Emoji images, Apache-2.0)',
  tuxpaint: 'cut-outs: tuxpaint-stamps-default (GPL-2): do not publish this folder',
};
const BACKGROUND_LICENCE = 'backgrounds: opencv-doc samples/data (Apache-2.0 AND BSD-3-Clause)';

function resolveOptions(options: SynthRunOptions): { o: ResolvedSynthOptions; cacheDir: string } {
  const { cacheDir, ...rest } = options;
  const o = parseOrThrow(SynthOptionsSchema, rest, { what: 'synth options' });
  if (options.classes !== undefined && o.classNames !== undefined && options.classes !== o.classNames.length) {
    throw new OptikError('ARGUMENT_INVALID', 'classes and classNames disagree.', {
      received: { classes: options.classes, classNames: o.classNames },
      hint: 'Give either a class count (classes) or the class names (classNames), not both.',
    });
  }
  return { o, cacheDir: cacheDir ?? defaultCacheDir() };
}

function classNamesOf(o: ResolvedSynthOptions, source: ResolvedSource): string[] {
  if (o.classNames !== undefined) {
    const seen = new Set<string>();
    for (const name of o.classNames) {
      if (seen.has(name)) {
        throw new OptikError('ARGUMENT_INVALID', `Class "${name}" is listed twice.`, { received: o.classNames });
      }
      seen.add(name);
    }
    return [...o.classNames];
  }
  if (o.classes > source.catalogue.length) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `The ${source.source} source has ${source.catalogue.length} classes, fewer than the ${o.classes} asked for.`,
      { received: o.classes, hint: `Use classes ≤ ${source.catalogue.length}: ${source.catalogue.join(', ')}.` },
    );
  }
  return source.catalogue.slice(0, o.classes);
}

/**
 * Each class's usable cut-outs, shuffled by the seed: all of them in every split (`cutouts: shared`), or split
 * 70/15/15 so that no cut-out appears in two splits (`cutouts: disjoint`).
 */
async function loadPools(
  o: ResolvedSynthOptions,
  source: ResolvedSource,
  classNames: readonly string[],
  cacheDir: string,
): Promise<Record<SynthSplit, Sprite[][]>> {
  const pools: Record<SynthSplit, Sprite[][]> = { train: [], val: [], test: [] };
  const workers = Math.max(2, availableParallelism());
  for (const name of classNames) {
    const files = source.files(name);
    const loaded: (Cutout | undefined)[] = new Array(files.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < files.length) {
          const i = next++;
          loaded[i] = await loadCutout(source, files[i] as string, cacheDir);
        }
      }),
    );
    const usable = loaded.filter((c): c is Cutout => c !== undefined);
    const disjoint = o.cutouts === 'disjoint';
    if (usable.length < (disjoint ? 3 : 1)) {
      throw new OptikError(
        'DATA_NOT_FOUND',
        `Class "${name}" of the ${source.source} source has ${usable.length} usable cut-outs (of ${files.length} files)${disjoint ? '; with `cutouts: disjoint` each split needs its own' : ''}.`,
        {
          file: source.root,
          received: name,
          hint: `Choose another class, or add images (5–97 % opaque after trimming) to its folder${disjoint ? ', or use `cutouts: shared` (CLI: --cutouts shared)' : ''}.`,
        },
      );
    }
    const shuffled = createRng(o.seed).fork(`cutouts/${name}`).shuffle(usable).map(toSprite);
    if (!disjoint) {
      pools.val.push(shuffled);
      pools.test.push(shuffled);
      pools.train.push(shuffled);
      continue;
    }
    const held = Math.max(1, Math.round(usable.length * 0.15));
    pools.val.push(shuffled.slice(0, held));
    pools.test.push(shuffled.slice(held, 2 * held));
    pools.train.push(shuffled.slice(2 * held));
  }
  return pools;
}

/** Decodes the photos as RGB planes, their shorter side capped at twice the largest image side. */
async function loadPhotos(dir: string, names: readonly string[], maxShort: number): Promise<Photo[]> {
  return Promise.all(
    names.map(async (name) => {
      const file = join(dir, name);
      let raw: { data: Buffer; info: OutputInfo };
      try {
        raw = await sharp(file, { failOn: 'warning' })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer({ resolveWithObject: true });
      } catch (cause) {
        throw new OptikError(
          'DATA_CORRUPT',
          'Cannot decode a background photo.',
          { file, hint: 'Reinstall opencv-doc, or delete the cached copy so it is fetched again.' },
          { cause },
        );
      }
      const { width, height, channels } = raw.info;
      const planes = [0, 1, 2].map((c) => {
        const data = new Uint8Array(width * height);
        for (let p = 0; p < data.length; p++) data[p] = raw.data[p * channels + Math.min(c, channels - 1)] as number;
        return data;
      }) as [Uint8Array, Uint8Array, Uint8Array];
      return toPhoto(name, planes, width, height, maxShort);
    }),
  );
}

function writeFailure(file: string, cause: unknown): OptikError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return new OptikError(
    code === 'ENOSPC' ? 'DISK_FULL' : 'ARGUMENT_INVALID',
    `Cannot write ${file}: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}.`,
    { file, hint: code === 'ENOSPC' ? 'Free disk space and run again.' : 'Choose a writable output folder.' },
    { cause },
  );
}

/** Present while a folder is being written; with `synth.json`, it marks a folder as this generator's. */
const PARTIAL = '.synth-partial';
const OWNED = ['images', 'annotations', 'masks', 'labels', 'classes.txt', 'data.yaml', 'synth.json.tmp'];

/**
 * Makes `dir` ready: created, or a previous (complete or killed) synth output, emptied with its `synth.json`
 * removed first; any other non-empty folder or a file is refused.
 */
function prepareOutDir(dir: string): void {
  if (existsSync(dir)) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (cause) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        'The output path is not a folder.',
        { file: dir, hint: 'Give --out / outDir a new or empty folder.' },
        { cause },
      );
    }
    const previous = entries.includes('synth.json') || entries.includes(PARTIAL);
    if (!previous && entries.length > 0) {
      throw new OptikError('ARGUMENT_INVALID', 'The output folder is not empty and was not made by optik data synth.', {
        file: dir,
        hint: 'Choose a new or empty folder; a folder made by optik data synth is replaced.',
      });
    }
    // The marker goes first: a run killed while replacing the old files leaves a folder that is visibly incomplete.
    if (entries.includes('synth.json')) unlinkSync(join(dir, 'synth.json'));
    for (const name of entries) if (OWNED.includes(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, PARTIAL), '');
    for (const sub of ['images', 'masks', 'annotations']) {
      for (const split of SPLITS) mkdirSync(join(dir, sub, split), { recursive: true });
    }
  } catch (cause) {
    throw writeFailure(dir, cause);
  }
}

function pathsOf(root: string, classNames: readonly string[], format: ResolvedSynthOptions['format']) {
  const split = (s: SynthSplit): SynthSplitPaths => ({
    annotations: join(root, 'annotations', `${s}.json`),
    images: join(root, 'images', s),
    masks: join(root, 'masks', s),
    ...(format === 'yolo' ? { labels: join(root, 'labels', s) } : {}),
  });
  return {
    root,
    classNames,
    splits: { train: split('train'), val: split('val'), test: split('test') },
    synthFile: join(root, 'synth.json'),
    classesFile: join(root, 'classes.txt'),
    ...(format === 'yolo' ? { dataYaml: join(root, 'data.yaml') } : {}),
  };
}

async function encodeScene(scene: Scene, imageFile: string, maskFile: string, format: 'jpg' | 'png'): Promise<void> {
  const image = sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } });
  const mask = sharp(scene.classMap, { raw: { width: scene.width, height: scene.height, channels: 1 } });
  await Promise.all([
    (format === 'jpg' ? image.jpeg({ quality: 90 }) : image.png()).toFile(imageFile).catch((cause: unknown) => {
      throw writeFailure(imageFile, cause);
    }),
    // A one-channel (grey) PNG: sharp would otherwise write the class ids into three equal RGB channels.
    mask
      .toColourspace('b-w')
      .png({ compressionLevel: 9 })
      .toFile(maskFile)
      .catch((cause: unknown) => {
        throw writeFailure(maskFile, cause);
      }),
  ]);
}

/**
 * Generates a synthetic detection / segmentation set into `outDir` (created, or replacing an earlier synth
 * output): real cut-outs with exact alpha masks pasted on random crops of real photos, deterministic from the seed.
 */
export async function writeSynthDataset(
  outDir: string,
  options: SynthRunOptions = {},
  onProgress?: SynthProgress,
): Promise<SynthDataset> {
  const { o, cacheDir } = resolveOptions(options);
  const source = resolveSource(o.source, o.sourceDir);
  const classNames = classNamesOf(o, source);
  const pools = await loadPools(o, source, classNames, cacheDir);
  const backgrounds = await resolveBackgrounds(
    { cacheDir, backgroundDirs: o.backgroundDirs, apt: o.apt },
    'optik data synth',
  );
  const trainPhotos = await loadPhotos(backgrounds.dir, TRAIN_PHOTOS, 2 * o.imageSize[1]);
  const heldOutPhotos = await loadPhotos(backgrounds.dir, HELD_OUT_PHOTOS, 2 * o.imageSize[1]);
  const root = resolve(outDir);
  prepareOutDir(root);
  const paths = pathsOf(root, classNames, o.format);
  const categories = classNames.map((name, i) => ({ id: i + 1, name, supercategory: 'object' }));
  const rng = createRng(o.seed);
  const counts = {} as Record<SynthSplit, { images: number; objects: number }>;
  const window = Math.max(4, availableParallelism() * 2);
  for (const [s, split] of SPLITS.entries()) {
    const total = o.count[s] as number;
    const images: unknown[] = [];
    const annotations: unknown[] = [];
    const yolo: [string, string][] = [];
    const inflight: Promise<void>[] = [];
    let failure: unknown;
    let done = 0;
    for (let i = 0; i < total; i++) {
      const scene = composeScene(
        o,
        pools[split],
        split === 'train' ? trainPhotos : heldOutPhotos,
        rng.fork(`${split}/${i}`),
      );
      const stem = String(i + 1).padStart(6, '0');
      const fileName = `${stem}.${o.imageFormat}`;
      images.push({
        id: i + 1,
        file_name: fileName,
        width: scene.width,
        height: scene.height,
        background: scene.background,
      });
      const lines: string[] = [];
      for (const object of scene.objects) {
        const [x, y, w, h] = object.bbox;
        annotations.push({
          id: annotations.length + 1,
          image_id: i + 1,
          category_id: object.classIndex + 1,
          bbox: object.bbox,
          area: object.area,
          segmentation: { size: [scene.height, scene.width], counts: object.counts },
          iscrowd: 0,
          cutout: object.cutout,
          occluded: Number((1 - object.area / object.fullArea).toFixed(4)),
        });
        const yoloBox = xyxyToYolo([x, y, x + w, y + h], scene.width, scene.height);
        lines.push([object.classIndex, ...yoloBox.map((v) => Number(v.toFixed(6)))].join(' '));
      }
      if (o.format === 'yolo') yolo.push([`${stem}.txt`, lines.length > 0 ? `${lines.join('\n')}\n` : '']);
      const encoding = encodeScene(
        scene,
        join(paths.splits[split].images, fileName),
        join(paths.splits[split].masks, `${stem}.png`),
        o.imageFormat,
      ).then(
        () => {
          done++;
          onProgress?.({ split, done, total });
        },
        (cause: unknown) => {
          failure ??= cause;
        },
      );
      inflight.push(encoding);
      if (inflight.length >= window) await inflight.shift();
      if (failure !== undefined) break;
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw failure;
    const coco = {
      info: { description: `optik data synth (${split})`, version: String(SYNTH_VERSION) },
      images,
      annotations,
      categories,
    };
    writeChecked(paths.splits[split].annotations, JSON.stringify(coco));
    if (o.format === 'yolo') {
      const dir = join(root, 'labels', split);
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of yolo) writeChecked(join(dir, name), text);
    }
    counts[split] = { images: total, objects: annotations.length };
  }
  writeChecked(paths.classesFile, `${classNames.join('\n')}\n`);
  if (o.format === 'yolo' && paths.dataYaml !== undefined) {
    writeChecked(
      paths.dataYaml,
      stringify({
        path: '.',
        train: 'images/train',
        val: 'images/val',
        test: 'images/test',
        nc: classNames.length,
        names: classNames,
      }),
    );
  }
  const record = {
    generator: 'optik data synth',
    version: SYNTH_VERSION,
    options: o,
    classNames,
    counts,
    /** How many drawings of each class each split draws from (equal under `cutouts: shared`). */
    cutoutsPerClass: Object.fromEntries(
      SPLITS.map((split) => [split, Object.fromEntries(classNames.map((c, k) => [c, pools[split][k]?.length ?? 0]))]),
    ),
    source: { name: source.source, root: source.root },
    backgrounds: backgrounds.origin.location,
    renderer: { sharp: sharp.versions.sharp, vips: sharp.versions.vips, rsvg: sharp.versions.rsvg ?? null },
    licences: [LICENCES[source.source], BACKGROUND_LICENCE],
  };
  // Complete only now: synth.json appears whole (rename), then the partial marker goes.
  writeChecked(`${paths.synthFile}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${paths.synthFile}.tmp`, paths.synthFile);
  rmSync(join(root, PARTIAL), { force: true });
  return { ...paths, counts };
}

function writeChecked(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (cause) {
    throw writeFailure(file, cause);
  }
}

/** The `synth.json` of a complete folder made with these options, else undefined. */
function readComplete(root: string, o: ResolvedSynthOptions): SynthDataset | undefined {
  let record: { version?: unknown; options?: unknown; classNames?: unknown; counts?: unknown };
  try {
    record = JSON.parse(readFileSync(join(root, 'synth.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (record.version !== SYNTH_VERSION || JSON.stringify(record.options) !== JSON.stringify(o)) return undefined;
  if (!Array.isArray(record.classNames)) return undefined;
  return {
    ...pathsOf(root, record.classNames as string[], o.format),
    counts: record.counts as SynthDataset['counts'],
  };
}

/**
 * The synthetic set for these options in the Optik cache (`<cacheDir>/datasets/synth/<hash>`), generated once:
 * into a temporary folder renamed into place when complete, so a killed run never leaves a folder that looks done.
 */
export async function ensureSynthDataset(
  options: SynthRunOptions = {},
  onProgress?: SynthProgress,
): Promise<SynthDataset> {
  const { o, cacheDir } = resolveOptions(options);
  const key = sha256Hex(
    JSON.stringify({ v: SYNTH_VERSION, o, vips: sharp.versions.vips, rsvg: sharp.versions.rsvg ?? null }),
  ).slice(0, 16);
  const root = join(cacheDir, 'datasets', 'synth', key);
  const hit = readComplete(root, o);
  if (hit !== undefined) return hit;
  const partial = `${root}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  try {
    await writeSynthDataset(partial, { ...options, cacheDir }, onProgress);
    const other = readComplete(root, o);
    if (other !== undefined) {
      rmSync(partial, { recursive: true, force: true });
      return other;
    }
    rmSync(root, { recursive: true, force: true });
    renameSync(partial, root);
  } catch (cause) {
    rmSync(partial, { recursive: true, force: true });
    // Another process may have finished the same set first.
    const other = readComplete(root, o);
    if (other !== undefined) return other;
    throw cause;
  }
  const made = readComplete(root, o);
  if (made === undefined) {
    throw new OptikError('INTERNAL', 'The generated synth set is incomplete after renaming it into place.', {
      file: root,
    });
  }
  return made;
}
