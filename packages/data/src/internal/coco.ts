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
        segmentation: z.union([z.array(z.array(z.number()).min(6)), RleSchema]).optional(),
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
 * Reads a COCO detection/instance JSON. Category ids (often 1–90 with gaps) become contiguous class ids in
 * ascending id order; `file_name`s resolve inside `imageRoot` (default: the JSON's folder) and may not escape it.
 * Polygon and RLE (compressed and uncompressed) segmentations are kept for instance masks, and `iscrowd: 1` as the
 * record's `crowd` flags (present when any annotation is a crowd). A box of zero width or height is dropped and
 * listed in `issues.droppedBoxes` (an error with `strict`).
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
    let segment: Segmentation | null = null;
    if (ann.segmentation !== undefined) {
      if (Array.isArray(ann.segmentation)) {
        if (ann.segmentation.length > 0) segment = { type: 'polygon', polygons: ann.segmentation };
      } else {
        const [height, width] = ann.segmentation.size;
        const counts =
          typeof ann.segmentation.counts === 'string'
            ? decodeRleString(ann.segmentation.counts, height, width, `${where}.segmentation`)
            : ann.segmentation.counts;
        segment = { type: 'rle', counts, height, width };
      }
    }
    if (segment !== null && segment.type === 'polygon' && !segment.polygons.every((p) => p.length % 2 === 0)) {
      throw new OptikError('DATA_FORMAT', 'A polygon needs an even number of coordinates.', {
        file,
        path: `annotations[${i}].segmentation`,
      });
    }
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
