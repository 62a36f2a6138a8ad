import { OptikError, type Rle, rleIou } from '@optik/core';
import { bboxIouMatrix, type CocoDetection, type CocoGroundTruth, checkBbox, checkId } from './coco.js';

/**
 * Average precision with VOC2010+ all-point interpolation (py-faster-rcnn `voc_ap(rec, prec, use_07_metric=False)`):
 * precision is made monotone from the right and summed over every step of recall. `recall` and `precision` are
 * the cumulative values after each detection, best score first.
 *
 * @example
 * ```ts
 * // Two ground truths; detections: hit, miss, hit.
 * vocAp([0.5, 0.5, 1], [1, 0.5, 2 / 3]); // 0.5·1 + 0.5·(2/3) = 0.8333…
 * ```
 */
export function vocAp(recall: readonly number[], precision: readonly number[]): number {
  if (!Array.isArray(recall) || !Array.isArray(precision) || recall.length !== precision.length) {
    throw new OptikError('ARGUMENT_INVALID', 'vocAp: recall and precision must be arrays of the same length.', {
      received: { recall: recall?.length, precision: precision?.length },
    });
  }
  if (![...recall, ...precision].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new OptikError('ARGUMENT_INVALID', 'vocAp: recall and precision must be finite numbers.', {
      hint: 'Compute them as cumulative TP / ground truths and TP / (TP + FP) over score-sorted detections.',
    });
  }
  const mrec = [0, ...recall, 1];
  const mpre = [0, ...precision, 0];
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1] as number, mpre[i] as number);
  let ap = 0;
  for (let i = 0; i + 1 < mrec.length; i++) {
    const step = (mrec[i + 1] as number) - (mrec[i] as number);
    if (step !== 0) ap += step * (mpre[i + 1] as number);
  }
  return ap;
}

/**
 * One category's line of a `VocEvalResult`; `ap` is −1 when the category has no non-crowd ground truth.
 *
 * @example
 * ```ts
 * const line: VocCategoryResult = { categoryId: 1, ap: 0.72, numGroundTruths: 40 };
 * ```
 */
export interface VocCategoryResult {
  readonly categoryId: number;
  readonly ap: number;
  readonly numGroundTruths: number;
}

/**
 * Mean VOC AP over the categories that have ground truths (−1 when none has), and the per-category APs.
 *
 * @example
 * ```ts
 * const { map, perCategory }: VocEvalResult = evaluateVoc({ groundTruths, detections });
 * ```
 */
export interface VocEvalResult {
  readonly map: number;
  readonly perCategory: VocCategoryResult[];
}

/**
 * PASCAL VOC-style mean AP at one IoU threshold (default 0.5), as py-faster-rcnn's `voc_eval` with the VOC2010+
 * metric, on boxes or (`iouType: 'segm'`) on masks: per category, detections in score order (ties in input order)
 * take the ground truth of their image with the highest IoU; a hit needs IoU **>** the threshold and a ground truth
 * not taken yet, else it is a false positive; a crowd ground truth plays VOC's "difficult" (its hits count neither way). AP by all-point
 * interpolation ({@link vocAp}). Unlike the VOC devkit, IoU uses continuous coordinates (no +1 pixel). This is not
 * COCO's AP50 (101-point, `≥` threshold, crowd rules): use `evaluateCoco(...).ap50` for that.
 *
 * @example
 * ```ts
 * const { map, perCategory } = evaluateVoc({ groundTruths, detections });
 * ```
 */
export function evaluateVoc(input: {
  readonly groundTruths: readonly CocoGroundTruth[];
  readonly detections: readonly CocoDetection[];
  readonly categoryIds?: readonly number[];
  readonly iouThreshold?: number;
  /** `'bbox'` (default) or `'segm'`: mask IoU of the `segmentation` RLEs (every annotation needs one). */
  readonly iouType?: 'bbox' | 'segm';
}): VocEvalResult {
  const threshold = input.iouThreshold ?? 0.5;
  const segm = input.iouType === 'segm';
  if (!(threshold >= 0 && threshold < 1)) {
    throw new OptikError('ARGUMENT_INVALID', 'evaluateVoc: iouThreshold must be in [0, 1).', { received: threshold });
  }
  if (!Array.isArray(input?.groundTruths) || !Array.isArray(input.detections)) {
    throw new OptikError('ARGUMENT_INVALID', 'evaluateVoc: groundTruths and detections must be arrays.', {
      hint: 'Pass [] for an empty side.',
    });
  }
  for (const [side, list] of [
    ['groundTruths', input.groundTruths],
    ['detections', input.detections],
  ] as const) {
    list.forEach((a, i) => {
      checkId(a.imageId, `evaluateVoc: ${side}[${i}]`, 'imageId');
      checkId(a.categoryId, `evaluateVoc: ${side}[${i}]`, 'categoryId');
      checkBbox(a.bbox, `evaluateVoc: ${side}[${i}]`);
      if (segm && a.segmentation === undefined) {
        throw new OptikError(
          'ARGUMENT_INVALID',
          `evaluateVoc: ${side}[${i}].segmentation is missing (iouType 'segm').`,
          {
            hint: "Give every ground truth and detection its mask as an RLE, or use iouType 'bbox'.",
          },
        );
      }
    });
  }
  input.detections.forEach((d, i) => {
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) {
      throw new OptikError('ARGUMENT_INVALID', `evaluateVoc: detections[${i}].score must be a finite number.`, {
        received: d.score,
      });
    }
  });
  const categories = [
    ...new Set([
      ...(input.categoryIds ?? []),
      ...input.groundTruths.map((g) => g.categoryId),
      ...input.detections.map((d) => d.categoryId),
    ]),
  ].sort((a, b) => a - b);
  const perCategory = categories.map((categoryId) => {
    const byImage = new Map<number, { gts: CocoGroundTruth[]; taken: Uint8Array }>();
    let positives = 0;
    for (const g of input.groundTruths) {
      if (g.categoryId !== categoryId) continue;
      const entry = byImage.get(g.imageId) ?? { gts: [], taken: new Uint8Array(0) };
      entry.gts.push(g);
      byImage.set(g.imageId, entry);
      if (g.iscrowd !== true) positives++;
    }
    for (const entry of byImage.values()) entry.taken = new Uint8Array(entry.gts.length);
    if (positives === 0) return { categoryId, ap: -1, numGroundTruths: 0 };
    const dets = input.detections
      .filter((d) => d.categoryId === categoryId)
      .map((d, i) => ({ d, i }))
      .sort((a, b) => b.d.score - a.d.score || a.i - b.i);
    let tp = 0;
    let fp = 0;
    const recall: number[] = [];
    const precision: number[] = [];
    for (const { d } of dets) {
      const entry = byImage.get(d.imageId);
      let best = Number.NEGATIVE_INFINITY;
      let m = -1;
      if (entry !== undefined) {
        const ious = segm
          ? rleIou(
              [d.segmentation as Rle],
              entry.gts.map((g) => g.segmentation as Rle),
              entry.gts.map(() => false),
            )
          : bboxIouMatrix(
              [d.bbox],
              entry.gts.map((g) => g.bbox),
              [],
            );
        ious.forEach((v, j) => {
          if (v > best) {
            best = v;
            m = j;
          }
        });
      }
      if (entry === undefined || m < 0 || !(best > threshold)) fp++;
      else if (entry.gts[m]?.iscrowd !== true) {
        // A hit on a crowd ("difficult") ground truth counts neither way; a second hit on a taken one is a miss.
        if (entry.taken[m] === 0) {
          entry.taken[m] = 1;
          tp++;
        } else fp++;
      }
      recall.push(tp / positives);
      precision.push(tp / Math.max(tp + fp, Number.EPSILON));
    }
    return { categoryId, ap: vocAp(recall, precision), numGroundTruths: positives };
  });
  const scored = perCategory.filter((c) => c.ap > -1);
  const map = scored.length === 0 ? -1 : scored.reduce((sum, c) => sum + c.ap, 0) / scored.length;
  return { map, perCategory };
}
