import type { BoxXyxy } from '@optik/core';
import { boxArea, OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { DatasetRecord, FileDataset } from './records.js';

export const LocalizationOptionsSchema = z
  .object({
    /** An image without any box: `skip` it (listed with the reason) or stop with an `error`. */
    noBox: z.enum(['error', 'skip']).default('skip'),
    /**
     * An image with several boxes: stop with an `error` (the default: localization data should have one object
     * per image, so several boxes usually mean the wrong dataset), `skip` it, or keep the `largest` box (by area;
     * the first one on a tie) and its class.
     */
    multipleBoxes: z.enum(['error', 'skip', 'largest']).default('error'),
  })
  .strict();
export type LocalizationOptions = z.input<typeof LocalizationOptionsSchema>;

/** What {@link toLocalization} returns: the one-box-per-image dataset and the images it skipped. */
export interface LocalizationResult {
  /** `task: 'localization'`; each record has `label` plus `boxes`/`labels` holding that one box and class. */
  readonly dataset: FileDataset;
  /** Images left out by `noBox: 'skip'` or `multipleBoxes: 'skip'`, with the reason (also in `dataset.issues`). */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

function formatBox(box: BoxXyxy): string {
  return `[${box.map((v) => Number(v.toFixed(3))).join(', ')}]`;
}

function notBoxes(dataset: FileDataset): OptikError {
  if (dataset.task === 'classification') {
    const what =
      dataset.format === 'folder'
        ? 'a class-per-folder (classification) tree: its folders name classes, and it has no boxes at all'
        : `a classification ${dataset.format} source: it has one label per image and no boxes`;
    return new OptikError('DATA_FORMAT', `Localization needs a box per image, but ${dataset.root} is ${what}.`, {
      file: dataset.root,
      received: dataset.task,
      hint: 'Point the source at box annotations: a Pascal VOC folder, a COCO JSON, a YOLO data.yaml, or a CSV with path,label,xmin,ymin,xmax,ymax columns; or train a classification task on this folder.',
    });
  }
  return new OptikError('DATA_FORMAT', `Localization needs boxes, but ${dataset.root} is a ${dataset.task} source.`, {
    file: dataset.root,
    received: dataset.task,
    hint: 'Use a detection source (VOC, COCO, YOLO, or a CSV with box columns).',
  });
}

/**
 * Turns a detection-style source (VOC, COCO, YOLO, CSV with box columns; instance masks are dropped) into a
 * single-object localization source: one class and one box per image. Images with no box or several boxes are
 * handled per `options`; a box with zero width or height is an error, as is a class id outside the class list.
 * Boxes partly outside their image were already clipped (and counted) by the reader; one entirely outside is an
 * error there.
 */
export function toLocalization(dataset: FileDataset, options: LocalizationOptions = {}): LocalizationResult {
  const o = parseOrThrow(LocalizationOptionsSchema, options, { what: 'localization options' });
  if (dataset.task !== 'detection' && dataset.task !== 'instance-segmentation' && dataset.task !== 'localization') {
    throw notBoxes(dataset);
  }
  const skipped: { file: string; reason: string }[] = [];
  const records: DatasetRecord[] = [];
  const classCount = dataset.classNames.length;
  for (const record of dataset.records) {
    const boxes = record.boxes ?? [];
    const labels = record.labels ?? (record.label === undefined ? [] : [record.label]);
    if (labels.length !== boxes.length) {
      throw new OptikError(
        'DATA_MISMATCH',
        `The record has ${boxes.length} box(es) but ${labels.length} class label(s).`,
        {
          file: record.file,
          hint: 'Each box needs exactly one class id.',
        },
      );
    }
    let pick = 0;
    if (boxes.length === 0) {
      if (o.noBox === 'error') {
        throw new OptikError('DATA_FORMAT', 'The image has no box; localization needs exactly one per image.', {
          file: record.file,
          hint: 'Annotate its object, remove the image, or pass noBox: "skip" to leave such images out (they are listed).',
        });
      }
      skipped.push({ file: record.file, reason: 'no box: localization needs exactly one object per image' });
      continue;
    }
    if (boxes.length > 1) {
      if (o.multipleBoxes === 'error') {
        throw new OptikError(
          'DATA_FORMAT',
          `The image has ${boxes.length} boxes; localization needs exactly one object per image.`,
          {
            file: record.file,
            received: boxes.map(formatBox).join(' '),
            hint: 'For several objects per image train a detection task; or pass multipleBoxes: "largest" to keep the largest box, or "skip" to leave such images out (they are listed).',
          },
        );
      }
      if (o.multipleBoxes === 'skip') {
        skipped.push({
          file: record.file,
          reason: `${boxes.length} boxes: localization needs exactly one object per image`,
        });
        continue;
      }
      boxes.forEach((box, i) => {
        if (boxArea(box) > boxArea(boxes[pick] as BoxXyxy)) pick = i;
      });
    }
    const box = boxes[pick] as BoxXyxy;
    const label = labels[pick] as number;
    if (!(box[2] > box[0] && box[3] > box[1])) {
      throw new OptikError(
        'DATA_FORMAT',
        `The box ${formatBox(box)} is degenerate (width ${Number((box[2] - box[0]).toFixed(3))} px, height ${Number((box[3] - box[1]).toFixed(3))} px).`,
        {
          file: record.file,
          received: box,
          hint: 'A box needs xMax > xMin and yMax > yMin (absolute pixels); fix or remove the annotation.',
        },
      );
    }
    if (!(Number.isInteger(label) && label >= 0 && label < classCount)) {
      throw new OptikError('DATA_UNKNOWN_CLASS', `Class id ${label} is not in the class list.`, {
        file: record.file,
        received: label,
        hint: `Class ids run 0..${classCount - 1}: ${dataset.classNames.join(', ')}.`,
      });
    }
    const { segments: _segments, difficult: _difficult, ...rest } = record;
    records.push({ ...rest, label, boxes: [box], labels: [label] });
  }
  if (records.length === 0) {
    throw new OptikError('DATA_NOT_FOUND', `No image of ${dataset.root} has exactly one usable box.`, {
      file: dataset.root,
      received: `${skipped.length} skipped`,
      hint: 'Check that the source has box annotations, or use multipleBoxes: "largest".',
    });
  }
  return {
    dataset: {
      ...dataset,
      task: 'localization',
      records,
      issues: { ...dataset.issues, skipped: [...dataset.issues.skipped, ...skipped] },
    },
    skipped,
  };
}
