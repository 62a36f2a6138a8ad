// A port of the COCO detection evaluation (cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py, BSD-2), written
// from its documented algorithm: evaluateImg (greedy matching per IoU threshold), accumulate (101-point
// interpolated precision) and summarize (the 12 stats). Comments name the pycocotools step each part mirrors.
import { type BoxCocoXywh, OptikError, parseOrThrow, type Rle, rleArea, rleIou } from '@optik/core';
import { z } from 'zod';

/** One annotated object: COCO's annotation fields in camelCase. */
export interface CocoGroundTruth {
  readonly imageId: number;
  readonly categoryId: number;
  /** `[x, y, width, height]` in pixels. */
  readonly bbox: BoxCocoXywh;
  /** COCO's `area` (the mask area in COCO's files); defaults to the mask area, else width × height. */
  readonly area?: number;
  /** A crowd region: never a false negative, and any number of detections inside it are ignored. */
  readonly iscrowd?: boolean;
  /** The object's mask, needed for `iouType: 'segm'`. */
  readonly segmentation?: Rle;
}

/** One detection in COCO's results format (camelCase). */
export interface CocoDetection {
  readonly imageId: number;
  readonly categoryId: number;
  readonly bbox: BoxCocoXywh;
  readonly score: number;
  /** The predicted mask, needed for `iouType: 'segm'`. */
  readonly segmentation?: Rle;
}

const EvaluateOptionsSchema = z
  .strictObject({
    iouType: z.enum(['bbox', 'segm']).default('bbox'),
    imageIds: z.array(z.int()).optional(),
    categoryIds: z.array(z.int()).optional(),
    maxDets: z.array(z.int().min(1)).length(3).default([1, 10, 100]),
  })
  .refine(
    (o) => (o.maxDets[0] as number) < (o.maxDets[1] as number) && (o.maxDets[1] as number) < (o.maxDets[2] as number),
    {
      message: "maxDets must be three increasing limits, like COCO's [1, 10, 100]",
      path: ['maxDets'],
    },
  );

/**
 * What `evaluateCoco` takes: ground truths and detections (COCO's annotation and result fields in camelCase), and
 * optionally the image and category lists of the dataset, the IoU type and the three detection limits.
 */
export interface CocoEvaluateInput {
  readonly groundTruths: readonly CocoGroundTruth[];
  readonly detections: readonly CocoDetection[];
  /** `'bbox'` (default) or `'segm'` (mask IoU; every annotation needs a `segmentation`). */
  readonly iouType?: 'bbox' | 'segm';
  /** The images of the dataset (images without annotations count); default: every image id seen. */
  readonly imageIds?: readonly number[];
  /** The categories of the dataset; default: every category id seen. */
  readonly categoryIds?: readonly number[];
  /** Detection limits `[1, 10, 100]` (three increasing numbers; AR is reported at each). */
  readonly maxDets?: readonly number[];
}

/** One category's line of a `CocoEvalResult`; the APs are −1 when it has no non-crowd ground truth (COCO). */
export interface CocoCategoryResult {
  readonly categoryId: number;
  /** AP@[.5:.95], area all, at the largest maxDets. */
  readonly ap: number;
  readonly ap50: number;
  readonly ap75: number;
  /** Non-crowd ground truths of the category. */
  readonly numGroundTruths: number;
}

/** COCO's interpolated precision at the 101 recall thresholds (−1 throughout for a category without ground truth). */
export interface CocoPrCurve {
  readonly recall: number[];
  readonly precision: number[];
}

/** The result of a COCO evaluation: the 12 stats by name and as COCO's `stats` array, per category, and PR curves. */
export interface CocoEvalResult {
  readonly iouType: 'bbox' | 'segm';
  /** COCOeval's 12 numbers: AP, AP50, AP75, AP small/medium/large, AR@maxDets[0..2], AR small/medium/large. */
  readonly stats: number[];
  readonly ap: number;
  readonly ap50: number;
  readonly ap75: number;
  readonly apSmall: number;
  readonly apMedium: number;
  readonly apLarge: number;
  readonly ar1: number;
  readonly ar10: number;
  readonly ar100: number;
  readonly arSmall: number;
  readonly arMedium: number;
  readonly arLarge: number;
  readonly perCategory: CocoCategoryResult[];
  readonly imageIds: number[];
  readonly categoryIds: number[];
  readonly iouThresholds: number[];
  readonly recallThresholds: number[];
  readonly maxDets: number[];
  /** Precision at the 101 recall thresholds for one category at one of `iouThresholds`, area all, largest maxDets. */
  prCurve(categoryId: number, iouThreshold: number): CocoPrCurve;
}

/** numpy's `linspace`: `start + i·step` with the last value set to `stop` (not `start + i·0.05`). */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

export const IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
export const RECALL_THRESHOLDS = linspace(0, 1, 101);
/** all, small, medium, large — inclusive at both ends. */
const AREA_RANGES: readonly (readonly [number, number])[] = [
  [0, 1e10],
  [0, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e10],
];

export function checkBbox(bbox: unknown, where: string): asserts bbox is BoxCocoXywh {
  const valid =
    Array.isArray(bbox) && bbox.length === 4 && bbox.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!valid) {
    throw new OptikError('ARGUMENT_INVALID', `${where}.bbox is not 4 finite numbers [x, y, width, height].`, {
      received: bbox,
      hint: 'Pass COCO boxes [x, y, width, height] in pixels; convert xyxy boxes with xyxyToCoco from @optik/core.',
    });
  }
  if ((bbox[2] as number) < 0 || (bbox[3] as number) < 0) {
    throw new OptikError('ARGUMENT_INVALID', `${where}.bbox has a negative width or height.`, {
      received: bbox,
      hint: 'COCO boxes are [x, y, width, height], not [x1, y1, x2, y2]; convert with xyxyToCoco from @optik/core.',
    });
  }
}

export function checkId(value: unknown, where: string, key: string): asserts value is number {
  if (!Number.isSafeInteger(value)) {
    throw new OptikError('ARGUMENT_INVALID', `${where}.${key} must be an integer id.`, { received: value });
  }
}

/** Boxes IoU as maskApi.c `bbIou`: `[x, y, w, h]` in float64; a crowd ground truth divides by the detection area. */
export function bboxIouMatrix(
  detections: readonly BoxCocoXywh[],
  groundTruths: readonly BoxCocoXywh[],
  iscrowd: readonly boolean[],
): Float64Array {
  const numGt = groundTruths.length;
  const out = new Float64Array(detections.length * numGt);
  detections.forEach(([dx, dy, dw, dh], d) => {
    const detArea = dw * dh;
    groundTruths.forEach(([gx, gy, gw, gh], g) => {
      const w = Math.min(dx + dw, gx + gw) - Math.max(dx, gx);
      if (w <= 0) return;
      const h = Math.min(dy + dh, gy + gh) - Math.max(dy, gy);
      if (h <= 0) return;
      const inter = w * h;
      const union = iscrowd[g] === true ? detArea : detArea + gw * gh - inter;
      out[d * numGt + g] = inter / union;
    });
  });
  return out;
}

/**
 * Box IoU of every detection with every ground truth, as pycocotools `mask.iou` on boxes (maskApi `bbIou`): COCO
 * `[x, y, width, height]` boxes in pixels, a row-major `detections.length × groundTruths.length` matrix (entry
 * `d * groundTruths.length + g`); for a crowd ground truth (`iscrowd[g]`, optional) intersection / detection area.
 * The box counterpart of `rleIou` from `@optik/core`.
 *
 * @example
 * ```ts
 * cocoBoxIou([[0, 0, 10, 10]], [[5, 0, 10, 10], [0, 0, 20, 20]], [false, true]); // Float64Array [1/3, 1]
 * ```
 */
export function cocoBoxIou(
  detections: readonly BoxCocoXywh[],
  groundTruths: readonly BoxCocoXywh[],
  iscrowd: readonly boolean[] = [],
): Float64Array {
  if (!Array.isArray(detections) || !Array.isArray(groundTruths) || !Array.isArray(iscrowd)) {
    throw new OptikError('ARGUMENT_INVALID', 'cocoBoxIou: detections, groundTruths and iscrowd must be arrays.');
  }
  if (iscrowd.length !== 0 && iscrowd.length !== groundTruths.length) {
    throw new OptikError('ARGUMENT_INVALID', 'cocoBoxIou: iscrowd needs one flag per ground truth (or none).', {
      received: { groundTruths: groundTruths.length, iscrowd: iscrowd.length },
    });
  }
  detections.forEach((box, i) => {
    checkBbox(box, `cocoBoxIou: detections[${i}]`);
  });
  groundTruths.forEach((box, i) => {
    checkBbox(box, `cocoBoxIou: groundTruths[${i}]`);
  });
  return bboxIouMatrix(detections, groundTruths, iscrowd);
}

interface Gt {
  readonly area: number;
  readonly crowd: boolean;
  readonly source: CocoGroundTruth;
}

interface Dt {
  readonly area: number;
  readonly score: number;
  readonly source: CocoDetection;
}

/** evaluateImg's output for one (category, area range, image): everything accumulate needs. */
interface ImageEval {
  /** Scores of the image's top detections, best first. */
  readonly scores: Float64Array;
  /** `[t * D + d]`: detection d matched a ground truth at threshold t. */
  readonly matched: Uint8Array;
  /** `[t * D + d]`: detection d is ignored at threshold t (matched a crowd/out-of-range GT, or unmatched and out of range). */
  readonly ignored: Uint8Array;
  /** Ground truths that are neither crowd nor out of the area range. */
  readonly regular: number;
}

/** Indices sorted by score, best first, ties in their original order (numpy's stable `mergesort`). */
function byScore(scores: ArrayLike<number>, length: number): number[] {
  return Array.from({ length }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
}

/** pycocotools computeIoU + evaluateImg for one image and category, over every area range. */
function evaluateImage(
  gts: readonly Gt[],
  dtsIn: readonly Dt[],
  iouType: 'bbox' | 'segm',
  maxDet: number,
): ImageEval[] {
  const dts = byScore(
    dtsIn.map((d) => d.score),
    dtsIn.length,
  )
    .slice(0, maxDet)
    .map((i) => dtsIn[i] as Dt);
  const numGt = gts.length;
  const numDt = dts.length;
  const crowd = gts.map((g) => g.crowd);
  let ious: Float64Array = new Float64Array(0);
  if (numGt > 0 && numDt > 0) {
    ious =
      iouType === 'segm'
        ? rleIou(
            dts.map((d) => d.source.segmentation as Rle),
            gts.map((g) => g.source.segmentation as Rle),
            crowd,
          )
        : bboxIouMatrix(
            dts.map((d) => d.source.bbox),
            gts.map((g) => g.source.bbox),
            crowd,
          );
  }
  const scores = Float64Array.from(dts, (d) => d.score);
  const numThresholds = IOU_THRESHOLDS.length;
  return AREA_RANGES.map(([lo, hi]) => {
    const ignore = gts.map((g) => g.crowd || g.area < lo || g.area > hi);
    // Ground truths with ignored ones last, stably.
    const order = [...gts.keys()].sort((a, b) => Number(ignore[a]) - Number(ignore[b]));
    const gtIgnored = order.map((g) => ignore[g] as boolean);
    const gtCrowd = order.map((g) => crowd[g] as boolean);
    const matched = new Uint8Array(numThresholds * numDt);
    const ignored = new Uint8Array(numThresholds * numDt);
    if (ious.length > 0) {
      IOU_THRESHOLDS.forEach((threshold, t) => {
        const gtTaken = new Uint8Array(numGt);
        for (let d = 0; d < numDt; d++) {
          let best = Math.min(threshold, 1 - 1e-10);
          let m = -1;
          for (let j = 0; j < numGt; j++) {
            if (gtTaken[j] === 1 && !gtCrowd[j]) continue;
            // Once a regular ground truth is matched, ignored ones (sorted last) cannot replace it.
            if (m > -1 && !gtIgnored[m] && gtIgnored[j]) break;
            const value = ious[d * numGt + (order[j] as number)] as number;
            if (value < best) continue;
            best = value;
            m = j;
          }
          if (m === -1) continue;
          ignored[t * numDt + d] = gtIgnored[m] ? 1 : 0;
          matched[t * numDt + d] = 1;
          gtTaken[m] = 1;
        }
      });
    }
    // Unmatched detections outside the area range are ignored.
    for (let d = 0; d < numDt; d++) {
      const area = (dts[d] as Dt).area;
      if (area < lo || area > hi) {
        for (let t = 0; t < numThresholds; t++) if (matched[t * numDt + d] === 0) ignored[t * numDt + d] = 1;
      }
    }
    return { scores, matched, ignored, regular: gtIgnored.filter((v) => !v).length };
  });
}

/** Per-category, per-image groups of annotations, in the order they were given. */
interface Group {
  readonly gts: Gt[];
  readonly dts: Dt[];
}

/**
 * Evaluates detections against ground truths exactly as pycocotools' `COCOeval` (evaluate, accumulate, summarize)
 * with `useCats=1`: IoU thresholds .50:.05:.95, 101 recall points, area ranges all/small/medium/large and maxDets
 * `[1, 10, 100]`. Returns COCO's 12 stats (−1 where undefined, as COCO), per-category APs and PR curves.
 * As in pycocotools, `stats[0]` (AP) reads the column of maxDets = 100, so it is −1 when `maxDets` has no 100.
 *
 * @example
 * ```ts
 * const result = evaluateCoco({
 *   groundTruths: [{ imageId: 1, categoryId: 3, bbox: [10, 10, 40, 30] }],
 *   detections: [{ imageId: 1, categoryId: 3, bbox: [12, 10, 40, 30], score: 0.9 }],
 * });
 * result.ap50; // 1 (IoU 0.9); result.stats has the 12 numbers of COCOeval.summarize()
 * ```
 */
export function evaluateCoco(input: CocoEvaluateInput): CocoEvalResult {
  if (input === null || typeof input !== 'object') {
    throw new OptikError('ARGUMENT_INVALID', 'evaluateCoco takes { groundTruths, detections, … }.', {
      received: input,
    });
  }
  const { groundTruths, detections } = input;
  if (!Array.isArray(groundTruths) || !Array.isArray(detections)) {
    throw new OptikError('ARGUMENT_INVALID', 'evaluateCoco: groundTruths and detections must be arrays.', {
      received: { groundTruths: typeof groundTruths, detections: typeof detections },
      hint: 'Pass [] for an empty side.',
    });
  }
  const options = parseOrThrow(
    EvaluateOptionsSchema,
    {
      ...(input.iouType === undefined ? {} : { iouType: input.iouType }),
      ...(input.imageIds === undefined ? {} : { imageIds: input.imageIds }),
      ...(input.categoryIds === undefined ? {} : { categoryIds: input.categoryIds }),
      ...(input.maxDets === undefined ? {} : { maxDets: input.maxDets }),
    },
    { what: 'evaluateCoco options' },
  );
  const { iouType, maxDets } = options;

  const givenImages = options.imageIds === undefined ? undefined : new Set(options.imageIds);
  const givenCategories = options.categoryIds === undefined ? undefined : new Set(options.categoryIds);
  const imageSet = new Set(options.imageIds ?? []);
  const categorySet = new Set(options.categoryIds ?? []);
  const maskSizes = new Map<number, readonly [number, number]>();
  const checkCommon = (a: CocoGroundTruth | CocoDetection, where: string): void => {
    if (a === null || typeof a !== 'object') {
      throw new OptikError('ARGUMENT_INVALID', `evaluateCoco: ${where} is not an annotation object.`, { received: a });
    }
    checkId(a.imageId, `evaluateCoco: ${where}`, 'imageId');
    checkId(a.categoryId, `evaluateCoco: ${where}`, 'categoryId');
    checkBbox(a.bbox, `evaluateCoco: ${where}`);
    if (givenCategories !== undefined && !givenCategories.has(a.categoryId)) {
      throw new OptikError('DATA_UNKNOWN_CLASS', `evaluateCoco: ${where}.categoryId is not one of categoryIds.`, {
        received: a.categoryId,
        hint: `categoryIds: ${[...givenCategories].slice(0, 20).join(', ')}; add the category or drop the annotation.`,
      });
    }
    if (givenImages !== undefined && !givenImages.has(a.imageId)) {
      throw new OptikError('DATA_MISMATCH', `evaluateCoco: ${where}.imageId is not one of imageIds.`, {
        received: a.imageId,
        hint: 'Results must belong to the evaluated images; add the image id or drop the annotation.',
      });
    }
    imageSet.add(a.imageId);
    categorySet.add(a.categoryId);
    if (iouType === 'segm') {
      const seg = a.segmentation;
      if (seg === undefined) {
        throw new OptikError('ARGUMENT_INVALID', `evaluateCoco: ${where}.segmentation is missing (iouType 'segm').`, {
          hint: 'Give every ground truth and detection an RLE mask (rleEncode from @optik/core), or use iouType bbox.',
        });
      }
      const size = maskSizes.get(a.imageId);
      if (size === undefined) maskSizes.set(a.imageId, [seg.size?.[0] as number, seg.size?.[1] as number]);
      else if (seg.size?.[0] !== size[0] || seg.size?.[1] !== size[1]) {
        throw new OptikError(
          'DATA_MISMATCH',
          `evaluateCoco: ${where}.segmentation's size differs from image ${a.imageId}'s other masks.`,
          {
            received: { size: seg.size, expected: size },
            hint: "Encode every mask of an image at that image's [height, width].",
          },
        );
      }
    }
  };
  const gts: Gt[] = groundTruths.map((g, i) => {
    const where = `groundTruths[${i}]`;
    checkCommon(g, where);
    if (g.area !== undefined && !(Number.isFinite(g.area) && g.area >= 0)) {
      throw new OptikError('ARGUMENT_INVALID', `evaluateCoco: ${where}.area must be a finite number ≥ 0.`, {
        received: g.area,
      });
    }
    const area = g.area ?? (g.segmentation === undefined ? g.bbox[2] * g.bbox[3] : rleArea(g.segmentation));
    return { area, crowd: g.iscrowd === true, source: g };
  });
  const dts: Dt[] = detections.map((d, i) => {
    const where = `detections[${i}]`;
    checkCommon(d, where);
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) {
      throw new OptikError('ARGUMENT_INVALID', `evaluateCoco: ${where}.score must be a finite number.`, {
        received: d.score,
      });
    }
    const area = iouType === 'segm' ? rleArea(d.segmentation as Rle) : d.bbox[2] * d.bbox[3];
    return { area, score: d.score, source: d };
  });

  const imageIds = [...imageSet].sort((a, b) => a - b);
  const categoryIds = [...categorySet].sort((a, b) => a - b);
  const imageIndex = new Map(imageIds.map((id, i) => [id, i]));
  const categoryIndex = new Map(categoryIds.map((id, k) => [id, k]));
  // groups[k] maps an image index to that image's annotations of category k.
  const groups = categoryIds.map(() => new Map<number, Group>());
  const groupOf = (imageId: number, categoryId: number): Group => {
    const byImage = groups[categoryIndex.get(categoryId) as number] as Map<number, Group>;
    const i = imageIndex.get(imageId) as number;
    let group = byImage.get(i);
    if (group === undefined) {
      group = { gts: [], dts: [] };
      byImage.set(i, group);
    }
    return group;
  };
  for (const g of gts) groupOf(g.source.imageId, g.source.categoryId).gts.push(g);
  for (const d of dts) groupOf(d.source.imageId, d.source.categoryId).dts.push(d);

  const numT = IOU_THRESHOLDS.length;
  const numR = RECALL_THRESHOLDS.length;
  const numK = categoryIds.length;
  const numA = AREA_RANGES.length;
  const numM = maxDets.length;
  const maxDetLast = maxDets[numM - 1] as number;
  // precision[t][r][k][a][m] and recall[t][k][a][m], −1 where a category has no regular ground truth.
  const precision = new Float64Array(numT * numR * numK * numA * numM).fill(-1);
  const recall = new Float64Array(numT * numK * numA * numM).fill(-1);
  const numGroundTruths = new Array<number>(numK).fill(0);

  groups.forEach((byImage, k) => {
    // Images in ascending id order: ties in score across images keep this order, as in pycocotools.
    const images = [...byImage.keys()].sort((a, b) => a - b);
    const evals = images.map((i) => {
      const group = byImage.get(i) as Group;
      return evaluateImage(group.gts, group.dts, iouType, maxDetLast);
    });
    for (let a = 0; a < numA; a++) {
      const perImage = evals.map((e) => e[a] as ImageEval);
      const regular = perImage.reduce((sum, e) => sum + e.regular, 0);
      if (a === 0) numGroundTruths[k] = regular;
      if (regular === 0) continue;
      maxDets.forEach((maxDet, m) => {
        accumulateCell(perImage, maxDet, regular, (t, q, rc) => {
          recall[((t * numK + k) * numA + a) * numM + m] = rc;
          for (let r = 0; r < numR; r++)
            precision[(((t * numR + r) * numK + k) * numA + a) * numM + m] = q[r] as number;
        });
      });
    }
  });

  // summarize: the mean over entries > −1 of the selected slice, −1 if none.
  const summarize = (ap: boolean, iouThr: number | undefined, a: number, maxDet: number, k?: number): number => {
    const ts = [...IOU_THRESHOLDS.keys()].filter((t) => iouThr === undefined || IOU_THRESHOLDS[t] === iouThr);
    const ms = [...maxDets.keys()].filter((m) => maxDets[m] === maxDet);
    const ks = k === undefined ? [...categoryIds.keys()] : [k];
    let sum = 0;
    let count = 0;
    const add = (v: number) => {
      if (v > -1) {
        sum += v;
        count++;
      }
    };
    for (const t of ts)
      for (const kk of ks)
        for (const m of ms) {
          if (ap)
            for (let r = 0; r < numR; r++)
              add(precision[(((t * numR + r) * numK + kk) * numA + a) * numM + m] as number);
          else add(recall[((t * numK + kk) * numA + a) * numM + m] as number);
        }
    return count === 0 ? -1 : sum / count;
  };
  const [m0, m1, m2] = maxDets as [number, number, number];
  const stats = [
    summarize(true, undefined, 0, 100),
    summarize(true, 0.5, 0, m2),
    summarize(true, 0.75, 0, m2),
    summarize(true, undefined, 1, m2),
    summarize(true, undefined, 2, m2),
    summarize(true, undefined, 3, m2),
    summarize(false, undefined, 0, m0),
    summarize(false, undefined, 0, m1),
    summarize(false, undefined, 0, m2),
    summarize(false, undefined, 1, m2),
    summarize(false, undefined, 2, m2),
    summarize(false, undefined, 3, m2),
  ];
  const perCategory = categoryIds.map((categoryId, k) => ({
    categoryId,
    ap: summarize(true, undefined, 0, m2, k),
    ap50: summarize(true, 0.5, 0, m2, k),
    ap75: summarize(true, 0.75, 0, m2, k),
    numGroundTruths: numGroundTruths[k] as number,
  }));
  const at = (i: number) => stats[i] as number;
  return {
    iouType,
    stats,
    ap: at(0),
    ap50: at(1),
    ap75: at(2),
    apSmall: at(3),
    apMedium: at(4),
    apLarge: at(5),
    ar1: at(6),
    ar10: at(7),
    ar100: at(8),
    arSmall: at(9),
    arMedium: at(10),
    arLarge: at(11),
    perCategory,
    imageIds,
    categoryIds,
    iouThresholds: [...IOU_THRESHOLDS],
    recallThresholds: [...RECALL_THRESHOLDS],
    maxDets: [...maxDets],
    prCurve(categoryId: number, iouThreshold: number): CocoPrCurve {
      const k = categoryIndex.get(categoryId);
      if (k === undefined) {
        throw new OptikError('DATA_UNKNOWN_CLASS', 'prCurve: the category was not evaluated.', {
          received: categoryId,
          hint: `Evaluated categories: ${categoryIds.slice(0, 20).join(', ')}.`,
        });
      }
      const t = IOU_THRESHOLDS.findIndex((v) => Math.abs(v - iouThreshold) < 1e-9);
      if (t < 0) {
        throw new OptikError('ARGUMENT_INVALID', "prCurve: the IoU threshold is not one of COCO's .50:.05:.95.", {
          received: iouThreshold,
          hint: 'Use 0.5, 0.55, …, 0.95.',
        });
      }
      return {
        recall: [...RECALL_THRESHOLDS],
        precision: RECALL_THRESHOLDS.map(
          (_, r) => precision[(((t * numR + r) * numK + k) * numA + 0) * numM + (numM - 1)] as number,
        ),
      };
    },
  };
}

/**
 * pycocotools accumulate for one (category, area range, maxDet): the images' top-`maxDet` detections, merged and
 * stably sorted by score; cumulative TP/FP per threshold; precision made monotone from the right and read at the
 * 101 recall thresholds (`searchsorted(..., 'left')`, 0 past the last recall).
 */
function accumulateCell(
  perImage: readonly ImageEval[],
  maxDet: number,
  regular: number,
  emit: (t: number, q: Float64Array, recall: number) => void,
): void {
  const numT = IOU_THRESHOLDS.length;
  const numR = RECALL_THRESHOLDS.length;
  const pieces = perImage.map((e) => ({ e, n: Math.min(maxDet, e.scores.length) }));
  const total = pieces.reduce((sum, p) => sum + p.n, 0);
  const scores = new Float64Array(total);
  const source: [ImageEval, number][] = [];
  for (const { e, n } of pieces) {
    for (let d = 0; d < n; d++) {
      scores[source.length] = e.scores[d] as number;
      source.push([e, d]);
    }
  }
  const order = byScore(scores, total);
  const rc = new Float64Array(total);
  const pr = new Float64Array(total);
  for (let t = 0; t < numT; t++) {
    let tp = 0;
    let fp = 0;
    order.forEach((index, j) => {
      const [e, d] = source[index] as [ImageEval, number];
      const D = e.scores.length;
      if (e.ignored[t * D + d] === 0) {
        if (e.matched[t * D + d] === 1) tp++;
        else fp++;
      }
      rc[j] = tp / regular;
      pr[j] = tp / (fp + tp + Number.EPSILON);
    });
    for (let j = total - 1; j > 0; j--) if ((pr[j] as number) > (pr[j - 1] as number)) pr[j - 1] = pr[j] as number;
    const q = new Float64Array(numR);
    let j = 0;
    for (let r = 0; r < numR; r++) {
      const threshold = RECALL_THRESHOLDS[r] as number;
      while (j < total && (rc[j] as number) < threshold) j++;
      if (j >= total) break;
      q[r] = pr[j] as number;
    }
    emit(t, q, total > 0 ? (rc[total - 1] as number) : 0);
  }
}
