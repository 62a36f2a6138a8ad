import {
  type BoxXyxy,
  type Mask,
  OptikError,
  parseOrThrow,
  type Rle,
  rleArea,
  rleEncode,
  xyxyToCoco,
} from '@optik/core';
import { z } from 'zod';
import type { Metric } from '../metric.js';
import { type CocoDetection, type CocoEvalResult, type CocoGroundTruth, evaluateCoco } from './coco.js';
import { evaluateVoc } from './voc.js';

export const DetectionSchema = z
  .strictObject({
    /** Number of object classes; labels are 0 … numClasses − 1. */
    numClasses: z.int().min(1).max(1_000_000),
    /** One name per class, in label order; `class<i>` when left out. */
    classNames: z.array(z.string().min(1)).optional(),
    /** `'bbox'` (box IoU, default) or `'segm'` (mask IoU; every object then needs a mask). */
    iouType: z.enum(['bbox', 'segm']).default('bbox'),
    /** COCO's three detection limits per image. */
    maxDets: z.array(z.int().min(1)).length(3).default([1, 10, 100]),
  })
  .refine((o) => o.classNames === undefined || o.classNames.length === o.numClasses, {
    message: 'classNames must have one name per class (numClasses names)',
    path: ['classNames'],
  })
  .refine(
    (o) => (o.maxDets[0] as number) < (o.maxDets[1] as number) && (o.maxDets[1] as number) < (o.maxDets[2] as number),
    {
      message: "maxDets must be three increasing limits, like COCO's [1, 10, 100]",
      path: ['maxDets'],
    },
  );

/**
 * Options of `DetectionMetrics`: `numClasses`, optional `classNames`, `iouType` (`'bbox'` or `'segm'`) and
 * `maxDets` (default `[1, 10, 100]`).
 *
 * @example
 * ```ts
 * const options: DetectionMetricsOptions = { numClasses: 8, iouType: 'bbox' };
 * ```
 */
export type DetectionMetricsOptions = z.input<typeof DetectionSchema>;
export type DetectionConfig = z.output<typeof DetectionSchema>;

/**
 * An instance mask: a `Mask` from `@optik/core` (row-major, image-sized) or an already run-length encoded `Rle`.
 *
 * @example
 * ```ts
 * const mask: InstanceMask = { width: 64, height: 48, data: new Uint8Array(64 * 48) };
 * ```
 */
export type InstanceMask = Mask | Rle;

/**
 * The true objects of one image: absolute-pixel xyxy boxes, class labels, optional crowd flags (crowd regions are
 * never missed and swallow the detections inside them, as in COCO) and optional instance masks (needed for
 * `'segm'`; with `'bbox'` they only give the object's area for the small/medium/large split, as COCO's `area`).
 *
 * @example
 * ```ts
 * const truth: DetectionTruth = { boxes: [[10, 10, 50, 40]], labels: [2], crowd: [false] };
 * ```
 */
export interface DetectionTruth {
  readonly boxes: readonly BoxXyxy[];
  readonly labels: readonly number[];
  readonly crowd?: readonly boolean[];
  readonly masks?: readonly InstanceMask[];
}

/**
 * The detections of one image: absolute-pixel xyxy boxes, class labels, confidence scores and optional masks.
 *
 * @example
 * ```ts
 * const prediction: DetectionPrediction = { boxes: [[12, 9, 49, 41]], labels: [2], scores: [0.87] };
 * ```
 */
export interface DetectionPrediction {
  readonly boxes: readonly BoxXyxy[];
  readonly labels: readonly number[];
  readonly scores: readonly number[];
  readonly masks?: readonly InstanceMask[];
}

/**
 * What `DetectionMetrics` reports: the COCO evaluation (category ids are the class labels) plus VOC-style AP50
 * (`vocAp50`, all-point interpolation; −1 when no class has ground truth), the class names and the image count.
 *
 * @example
 * ```ts
 * const { ap, ap50, vocAp50, perCategory } = metrics.result();
 * ```
 */
export interface DetectionReport extends CocoEvalResult {
  readonly vocAp50: number;
  readonly numImages: number;
  readonly classNames: string[];
}

/**
 * COCO detection metrics (mAP@[.5:.95], AP50, AP75, AP/AR by size, per class) over a stream of images, with the
 * `update / result / reset` contract: each `update` takes a batch of images (one truth and one prediction per
 * image); `result()` runs the pycocotools-equal evaluation over everything seen (`evaluateCoco`) and adds VOC AP50.
 *
 * @example
 * ```ts
 * const metrics = new DetectionMetrics({ numClasses: 2, classNames: ['cat', 'dog'] });
 * metrics.update(
 *   [{ boxes: [[10, 10, 50, 50]], labels: [0] }],
 *   [{ boxes: [[12, 10, 50, 48]], labels: [0], scores: [0.9] }],
 * );
 * const report = metrics.result();
 * report.ap50; // 1
 * ```
 */
export class DetectionMetrics
  implements Metric<DetectionReport, readonly DetectionTruth[], readonly DetectionPrediction[]>
{
  readonly name = 'detection';
  private readonly config: DetectionConfig;
  private groundTruths: CocoGroundTruth[] = [];
  private detections: CocoDetection[] = [];
  private numImages = 0;

  constructor(options: DetectionMetricsOptions) {
    this.config = parseOrThrow(DetectionSchema, options, { what: 'DetectionMetrics options' });
  }

  static fromConfig(config: DetectionMetricsOptions): DetectionMetrics {
    return new DetectionMetrics(config);
  }

  update(yTrue: readonly DetectionTruth[], yPred: readonly DetectionPrediction[]): void {
    const what = 'DetectionMetrics.update';
    if (!Array.isArray(yTrue) || !Array.isArray(yPred) || yTrue.length !== yPred.length) {
      throw new OptikError('DATA_MISMATCH', `${what}: yTrue and yPred must be arrays with one entry per image.`, {
        received: { yTrue: lengthOf(yTrue), yPred: lengthOf(yPred) },
        hint: 'Pass [truthOfImage0, …] and [predictionOfImage0, …] in the same order.',
      });
    }
    const gts: CocoGroundTruth[] = [];
    const dts: CocoDetection[] = [];
    yTrue.forEach((truth, i) => {
      const imageId = this.numImages + i + 1;
      const where = `${what}: yTrue[${i}]`;
      const n = this.checkObjects(truth, where);
      if (truth.crowd !== undefined && (!Array.isArray(truth.crowd) || truth.crowd.length !== n)) {
        throw new OptikError('DATA_MISMATCH', `${where}.crowd needs one flag per box.`, {
          received: lengthOf(truth.crowd),
        });
      }
      for (let j = 0; j < n; j++) {
        // As in COCO's files, a ground truth's area is its mask area when there is a mask (also for 'bbox').
        const mask = truth.masks === undefined ? undefined : toRle(truth.masks[j], `${where}.masks[${j}]`);
        gts.push({
          imageId,
          categoryId: truth.labels[j] as number,
          bbox: xyxyToCoco(truth.boxes[j] as BoxXyxy),
          iscrowd: truth.crowd?.[j] === true,
          ...(mask === undefined ? {} : { area: rleArea(mask) }),
          ...(mask === undefined || this.config.iouType !== 'segm' ? {} : { segmentation: mask }),
        });
      }
    });
    yPred.forEach((prediction, i) => {
      const imageId = this.numImages + i + 1;
      const where = `${what}: yPred[${i}]`;
      const n = this.checkObjects(prediction, where);
      if (!Array.isArray(prediction.scores) || prediction.scores.length !== n) {
        throw new OptikError('DATA_MISMATCH', `${where}.scores needs one score per box.`, {
          received: lengthOf(prediction.scores),
        });
      }
      for (let j = 0; j < n; j++) {
        const score = prediction.scores[j];
        if (typeof score !== 'number' || !Number.isFinite(score)) {
          throw new OptikError('ARGUMENT_INVALID', `${where}.scores[${j}] must be a finite number.`, {
            received: score,
          });
        }
        const mask = this.config.iouType === 'segm' ? toRle(prediction.masks?.[j], `${where}.masks[${j}]`) : undefined;
        dts.push({
          imageId,
          categoryId: prediction.labels[j] as number,
          bbox: xyxyToCoco(prediction.boxes[j] as BoxXyxy),
          score,
          ...(mask === undefined ? {} : { segmentation: mask }),
        });
      }
    });
    this.groundTruths.push(...gts);
    this.detections.push(...dts);
    this.numImages += yTrue.length;
  }

  /** Checks boxes and labels of one image; returns the number of objects. */
  private checkObjects(objects: DetectionTruth | DetectionPrediction, where: string): number {
    if (objects === null || typeof objects !== 'object' || !Array.isArray(objects.boxes)) {
      throw new OptikError('ARGUMENT_INVALID', `${where} must be { boxes, labels, … }.`, { received: objects });
    }
    const n = objects.boxes.length;
    if (!Array.isArray(objects.labels) || objects.labels.length !== n) {
      throw new OptikError('DATA_MISMATCH', `${where}.labels needs one label per box (${n} boxes).`, {
        received: lengthOf(objects.labels),
      });
    }
    objects.boxes.forEach((box, j) => {
      const valid =
        Array.isArray(box) && box.length === 4 && box.every((v) => typeof v === 'number' && Number.isFinite(v));
      if (!valid) {
        throw new OptikError('ARGUMENT_INVALID', `${where}.boxes[${j}] is not 4 finite numbers [x1, y1, x2, y2].`, {
          received: box,
          hint: 'Pass absolute-pixel xyxy boxes (BoxXyxy from @optik/core).',
        });
      }
      if (box[2] < box[0] || box[3] < box[1]) {
        throw new OptikError('ARGUMENT_INVALID', `${where}.boxes[${j}] has x2 < x1 or y2 < y1.`, {
          received: box,
          hint: 'Boxes are [xMin, yMin, xMax, yMax]; check the format (COCO xywh? YOLO cxcywh?).',
        });
      }
      const label = objects.labels[j];
      if (!(Number.isInteger(label) && (label as number) >= 0 && (label as number) < this.config.numClasses)) {
        throw new OptikError('DATA_UNKNOWN_CLASS', `${where}.labels[${j}] is not a class index.`, {
          received: label,
          hint: `Labels are integers 0 … ${this.config.numClasses - 1} (numClasses is ${this.config.numClasses}).`,
        });
      }
    });
    const segm = this.config.iouType === 'segm';
    if ((segm || objects.masks !== undefined) && (!Array.isArray(objects.masks) || objects.masks.length !== n)) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `${where}.masks needs one mask per box${segm ? " (iouType 'segm')" : ''}.`,
        {
          received: lengthOf(objects.masks),
          hint: "Pass instance masks (Mask or Rle), or use iouType 'bbox'.",
        },
      );
    }
    return n;
  }

  result(): DetectionReport {
    const categoryIds = Array.from({ length: this.config.numClasses }, (_, k) => k);
    const input = { groundTruths: this.groundTruths, detections: this.detections, categoryIds };
    const coco = evaluateCoco({
      ...input,
      imageIds: Array.from({ length: this.numImages }, (_, i) => i + 1),
      iouType: this.config.iouType,
      maxDets: this.config.maxDets,
    });
    return {
      ...coco,
      prCurve: coco.prCurve,
      vocAp50: evaluateVoc({ ...input, iouThreshold: 0.5, iouType: this.config.iouType }).map,
      numImages: this.numImages,
      classNames: this.config.classNames ?? categoryIds.map((k) => `class${k}`),
    };
  }

  reset(): void {
    this.groundTruths = [];
    this.detections = [];
    this.numImages = 0;
  }

  toConfig(): DetectionConfig {
    return {
      numClasses: this.config.numClasses,
      ...(this.config.classNames === undefined ? {} : { classNames: [...this.config.classNames] }),
      iouType: this.config.iouType,
      maxDets: [...this.config.maxDets],
    };
  }
}

/** An instance mask as an RLE. */
function toRle(mask: InstanceMask | undefined, where: string): Rle {
  if (mask !== null && typeof mask === 'object' && 'counts' in mask) return mask;
  if (mask !== null && typeof mask === 'object' && 'data' in mask && mask.data instanceof Uint8Array) {
    return rleEncode(mask.data, mask.height, mask.width);
  }
  throw new OptikError('ARGUMENT_INVALID', `${where} is neither a Mask { width, height, data } nor an Rle.`, {
    received: mask,
  });
}

function lengthOf(value: unknown): string {
  return Array.isArray(value) ? `${value.length} entries` : `no array (${typeof value})`;
}
