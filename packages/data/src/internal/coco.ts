import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BoxXyxy } from '@optik/core';
import { cocoToXyxy, fromZodError, OptikError } from '@optik/core';
import { z } from 'zod';
import { resolveInside } from './paths.js';
import { BoxChecker, type DatasetRecord, type FileDataset, type Segmentation } from './records.js';
import { decodeRleString } from './rle.js';

const RleSchema = z.object({
  counts: z.union([z.string(), z.array(z.number().int().min(0))]),
  size: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
});
const CocoSchema = z.object({
  images: z.array(
    z.object({
      id: z.number().int(),
      file_name: z.string().min(1),
      width: z.number().int().min(1),
      height: z.number().int().min(1),
    }),
  ),
  annotations: z
    .array(
      z.object({
        image_id: z.number().int(),
        category_id: z.number().int(),
        bbox: z.tuple([z.number(), z.number(), z.number().min(0), z.number().min(0)]),
        // Polygons of fewer than 3 points are kept here and read as empty (see toSemanticSegmentation).
        segmentation: z.union([z.array(z.array(z.number())), RleSchema]).optional(),
        iscrowd: z.union([z.literal(0), z.literal(1)]).optional(),
      }),
    )
    .default([]),
  categories: z.array(z.object({ id: z.number().int(), name: z.string().min(1) })).min(1),
});

/** Validates parsed JSON/YAML data against a schema, as a `DATA_FORMAT` error naming the file and JSON path. */
export function parseDataFile<S extends z.ZodType>(schema: S, input: unknown, file: string, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const error = fromZodError(result.error, { input, what, file });
    throw new OptikError('DATA_FORMAT', error.message, { file }, { cause: error });
  }
  return result.data;
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new OptikError('DATA_NOT_FOUND', 'Cannot read the annotation file.', { file }, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new OptikError('DATA_FORMAT', `Invalid JSON: ${(cause as Error).message}.`, { file }, { cause });
  }
}

/**
 * One annotation's `segmentation`, checked against its image: polygons need an even number of coordinates; an RLE's
 * `size` must be the image's `[height, width]` and its runs must cover exactly height × width pixels (checked here,
 * compressed or not, so the error names the annotation rather than surfacing when the image is decoded). An empty
 * polygon list is `null` (no mask).
 */
function readSegmentation(
  segmentation: number[][] | z.output<typeof RleSchema>,
  image: { width?: number | undefined; height?: number | undefined },
  file: string,
  index: number,
): Segmentation | null {
  const path = `annotations[${index}].segmentation`;
  if (Array.isArray(segmentation)) {
    if (segmentation.length === 0) return null;
    const odd = segmentation.findIndex((p) => p.length % 2 !== 0);
    if (odd >= 0) {
      throw new OptikError(
        'DATA_FORMAT',
        `Polygon ${odd} has ${segmentation[odd]?.length} coordinates; a polygon is a flat [x0, y0, x1, y1, …] list, so it needs an even number.`,
        {
          file,
          path: `${path}[${odd}]`,
          hint: 'Fix the exporter so each polygon lists x, y pairs, or remove the annotation.',
        },
      );
    }
    return { type: 'polygon', polygons: segmentation };
  }
  const [height, width] = segmentation.size;
  if (image.height !== undefined && image.width !== undefined && (height !== image.height || width !== image.width)) {
    throw new OptikError(
      'DATA_MISMATCH',
      `The RLE mask is ${height}×${width} (height×width) but its image is ${image.height}×${image.width}.`,
      {
        file,
        path: `${path}.size`,
        received: segmentation.size,
        hint: `An RLE's size is its image's [height, width] = [${image.height}, ${image.width}] (COCO order); re-encode the mask at the image's size (pycocotools mask.encode) or fix size if it is [width, height].`,
      },
    );
  }
  if (typeof segmentation.counts === 'string') {
    return {
      type: 'rle',
      counts: decodeRleString(segmentation.counts, height, width, { file, path: `${path}.counts` }),
      height,
      width,
    };
  }
  const total = segmentation.counts.reduce((sum, run) => sum + run, 0);
  if (total !== height * width) {
    throw new OptikError(
      'DATA_FORMAT',
      `The RLE runs cover ${total} pixels, but its ${height}×${width} (height×width) mask has ${height * width}.`,
      {
        file,
        path: `${path}.counts`,
        received: { size: segmentation.size, sumOfCounts: total },
        hint: 'Uncompressed COCO counts alternate 0-runs and 1-runs over every pixel, column by column, so they sum to height × width: re-encode the mask (pycocotools mask.encode) or remove the annotation.',
      },
    );
  }
  return { type: 'rle', counts: segmentation.counts, height, width };
}

/**
 * Reads a COCO detection/instance JSON. Category ids (often 1–90 with gaps) become contiguous class ids in
 * ascending id order; `file_name`s resolve inside `imageRoot` (default: the JSON's folder) and may not escape it.
 * Polygon and RLE (compressed and uncompressed) segmentations are kept for instance masks, and `iscrowd: 1` as the
 * record's `crowd` flags (present when any annotation is a crowd). A box of zero width or height is dropped and
 * listed in `issues.droppedBoxes` (an error with `strict`). An RLE whose size is not its image's, or whose runs do
 * not cover it, and a polygon with an odd number of coordinates are coded errors naming the annotation.
 */
export function readCoco(
  annotationFile: string,
  options: { imageRoot?: string; strict?: boolean; masks?: boolean } = {},
): FileDataset & { readonly categoryIds: readonly number[] } {
  const file = resolve(annotationFile);
  const data = parseDataFile(CocoSchema, readJsonFile(file), file, 'COCO annotation file');
  const root = resolve(options.imageRoot ?? dirname(file));
  const categories = [...data.categories].sort((a, b) => a.id - b.id);
  const categoryIndex = new Map<number, number>();
  categories.forEach((c, i) => {
    if (categoryIndex.has(c.id)) {
      throw new OptikError('DATA_FORMAT', `Category id ${c.id} appears twice.`, { file, path: 'categories' });
    }
    categoryIndex.set(c.id, i);
  });
  const checker = new BoxChecker(options.strict ?? false);
  const byImage = new Map<
    number,
    {
      record: DatasetRecord;
      boxes: BoxXyxy[];
      labels: number[];
      crowd: boolean[];
      segments: (Segmentation | null)[];
    }
  >();
  data.images.forEach((image, i) => {
    if (byImage.has(image.id)) {
      throw new OptikError('DATA_FORMAT', `Image id ${image.id} appears twice.`, {
        file,
        path: `images[${i}].id`,
        hint: 'COCO image ids must be unique: renumber the duplicate (and its annotations) or remove it.',
      });
    }
    const path = resolveInside(root, image.file_name, `${file} images[${i}].file_name`);
    byImage.set(image.id, {
      record: { file: path, width: image.width, height: image.height },
      boxes: [],
      labels: [],
      crowd: [],
      segments: [],
    });
  });
  let anyMask = false;
  data.annotations.forEach((ann, i) => {
    const entry = byImage.get(ann.image_id);
    if (entry === undefined) {
      throw new OptikError('DATA_MISMATCH', `Annotation refers to image id ${ann.image_id}, which is not listed.`, {
        file,
        path: `annotations[${i}].image_id`,
        hint: 'Each annotation needs the id of an entry in images: add the image or remove the annotation.',
      });
    }
    const label = categoryIndex.get(ann.category_id);
    if (label === undefined) {
      throw new OptikError('DATA_UNKNOWN_CLASS', `Unknown category id ${ann.category_id}.`, {
        file,
        path: `annotations[${i}].category_id`,
        received: ann.category_id,
        hint: `Categories: ${categories.map((c) => `${c.id}=${c.name}`).join(', ')}.`,
      });
    }
    const where = `${file} annotations[${i}]`;
    const box = checker.check(cocoToXyxy(ann.bbox), entry.record.width, entry.record.height, where);
    if (box === undefined) return;
    // Without masks the segmentation is not read, so a detection run is not stopped by a mask it does not use.
    const segment =
      ann.segmentation === undefined || options.masks === false
        ? null
        : readSegmentation(ann.segmentation, entry.record, file, i);
    if (segment !== null) anyMask = true;
    entry.boxes.push(box);
    entry.labels.push(label);
    entry.crowd.push(ann.iscrowd === 1);
    entry.segments.push(segment);
  });
  const withMasks = (options.masks ?? true) && anyMask;
  const anyCrowd = data.annotations.some((ann) => ann.iscrowd === 1);
  const records: DatasetRecord[] = [...byImage.values()].map(({ record, boxes, labels, crowd, segments }) => ({
    ...record,
    boxes,
    labels,
    ...(anyCrowd ? { crowd } : {}),
    ...(withMasks ? { segments } : {}),
  }));
  return {
    format: 'coco',
    root,
    task: withMasks ? 'instance-segmentation' : 'detection',
    classNames: categories.map((c) => c.name),
    categoryIds: categories.map((c) => c.id),
    records,
    issues: { clippedBoxes: checker.clipped, skipped: [], droppedBoxes: checker.dropped },
  };
}
