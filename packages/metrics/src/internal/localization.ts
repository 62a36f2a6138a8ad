import { type BoxXyxy, iou, OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { GrowableFloat64 } from './buffer.js';
import { scoresFromConfusion } from './confusion.js';
import { argmaxRow, type Labels, type Probabilities, readLabels, readProbabilities } from './inputs.js';
import type { Metric } from './metric.js';
import { type ClassificationReport, headline } from './report.js';

export const LocalizationSchema = z
  .strictObject({
    /** Number of object classes; 1 for a box-only localizer (then `probabilities` may be left out). */
    numClasses: z.int().min(1).max(1_000_000),
    /** One name per class, in label order; `class<i>` when left out. */
    classNames: z.array(z.string().min(1)).optional(),
    /** IoU thresholds of the localization accuracy (right class and IoU ≥ t). */
    iouThresholds: z.array(z.number().gt(0).max(1)).min(1).default([0.5, 0.75]),
  })
  .refine((o) => o.classNames === undefined || o.classNames.length === o.numClasses, {
    message: 'classNames must have one name per class (numClasses names)',
    path: ['classNames'],
  })
  .refine((o) => new Set(o.iouThresholds).size === o.iouThresholds.length, {
    message: 'iouThresholds must not repeat a value',
    path: ['iouThresholds'],
  });

/**
 * Options of `LocalizationMetrics`: `numClasses`, optional `classNames`, `iouThresholds` (default `[0.5, 0.75]`).
 *
 * @example
 * ```ts
 * const options: LocalizationMetricsOptions = { numClasses: 3, classNames: ['cat', 'dog', 'fox'], iouThresholds: [0.5] };
 * ```
 */
export type LocalizationMetricsOptions = z.input<typeof LocalizationSchema>;
export type LocalizationConfig = z.output<typeof LocalizationSchema>;

/**
 * The true targets of a batch of localization samples (one object per image): class indices (array, or a tensor
 * `[n]`, `[n, 1]` or one-hot `[n, numClasses]`) and one absolute-pixel xyxy box per sample.
 *
 * @example
 * ```ts
 * const yTrue: LocalizationTruth = { labels: [0, 2], boxes: [[4, 4, 40, 30], [10, 12, 60, 64]] };
 * ```
 */
export interface LocalizationTruth {
  readonly labels: Labels;
  readonly boxes: readonly BoxXyxy[];
}

/**
 * The predictions for the same batch: class probabilities (`n × numClasses`, flat, rows or a tensor; optional when
 * `numClasses` is 1) and one absolute-pixel xyxy box per sample (decode the model's normalised boxes with the
 * image size first). Predicted boxes may be empty or inverted (IoU 0).
 *
 * @example
 * ```ts
 * const yPred: LocalizationPrediction = { probabilities: [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], boxes: [[5, 3, 41, 28], [0, 0, 20, 20]] };
 * ```
 */
export interface LocalizationPrediction {
  readonly probabilities?: Probabilities;
  readonly boxes: readonly BoxXyxy[];
}

/**
 * Localization accuracy at one IoU threshold: `accuracy` counts a sample when the class is right and the box IoU is
 * at least `threshold`; `boxAccuracy` counts the box alone (IoU ≥ threshold, any class).
 *
 * @example
 * ```ts
 * const at50: LocalizationAtThreshold | undefined = report.locAccuracy.find((a) => a.threshold === 0.5);
 * ```
 */
export interface LocalizationAtThreshold {
  readonly threshold: number;
  readonly accuracy: number;
  readonly boxAccuracy: number;
}

/**
 * One class's line of a `LocalizationReport`, over the samples whose true class it is. `meanIou` and the
 * `locAccuracy` values are `null` when the class has no samples.
 *
 * @example
 * ```ts
 * const worst = [...report.perClass].sort((a, b) => (a.meanIou ?? 1) - (b.meanIou ?? 1))[0];
 * ```
 */
export interface LocalizationClass {
  readonly name: string;
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly meanIou: number | null;
  readonly locAccuracy: readonly { readonly threshold: number; readonly accuracy: number | null }[];
}

/**
 * What `LocalizationMetrics` measures, JSON-ready (no NaN): classification scores (argmax, first on ties), box IoU
 * and localization accuracy at each threshold, per class, and every sample's IoU (in update order) for a histogram.
 *
 * @example
 * ```ts
 * const report: LocalizationReport = metrics.result();
 * console.log(report.accuracy, report.meanIou, report.locAccuracy.map((a) => `${a.threshold}: ${a.accuracy}`));
 * ```
 */
export interface LocalizationReport
  extends Pick<
    ClassificationReport,
    | 'numSamples'
    | 'classNames'
    | 'accuracy'
    | 'precision'
    | 'recall'
    | 'f1'
    | 'macro'
    | 'micro'
    | 'weighted'
    | 'confusionMatrix'
  > {
  /** Mean IoU of predicted and true boxes over all samples, whatever the predicted class. */
  readonly meanIou: number;
  /** One entry per IoU threshold, in the order of the options. */
  readonly locAccuracy: readonly LocalizationAtThreshold[];
  readonly perClass: readonly LocalizationClass[];
  /** Every sample's box IoU, in the order the samples were given. */
  readonly ious: readonly number[];
}

function checkBox(box: BoxXyxy | undefined, what: string, where: string, strict: boolean): BoxXyxy {
  const valid = Array.isArray(box) && box.length === 4 && box.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!valid) {
    throw new OptikError('ARGUMENT_INVALID', `${what}: ${where} is not a box of 4 finite numbers [x1, y1, x2, y2].`, {
      received: box,
      hint: 'Pass absolute-pixel xyxy boxes (BoxXyxy from @optik/core); convert normalised cxcywh with the image size.',
    });
  }
  if (strict && (box[2] < box[0] || box[3] < box[1])) {
    throw new OptikError('DATA_CORRUPT', `${what}: ${where} has x2 < x1 or y2 < y1.`, {
      received: box,
      hint: 'True boxes must be [xMin, yMin, xMax, yMax]; check the annotation format (COCO xywh? YOLO cxcywh?).',
    });
  }
  return box;
}

/**
 * Intersection over union of two absolute-pixel xyxy boxes, in [0, 1]; 0 when the union is empty. An inverted box
 * (x2 < x1 or y2 < y1) has area 0. Throws on a box that is not 4 finite numbers.
 *
 * @example
 * ```ts
 * boxIou([0, 0, 10, 10], [5, 0, 15, 10]); // 1/3
 * boxIou([0, 0, 10, 10], [20, 20, 30, 30]); // 0
 * ```
 */
export function boxIou(a: BoxXyxy, b: BoxXyxy): number {
  return iou(checkBox(a, 'boxIou', 'a', false), checkBox(b, 'boxIou', 'b', false));
}

/**
 * Metrics of a localization task (one object per image: its class and its box), with the `update / result /
 * reset` contract; streaming in chunks gives the one-shot result. The class part reuses the multiclass scores
 * (argmax, scikit-learn's definitions); the box part is the IoU of each predicted box with the true one, and the
 * localization accuracy at each threshold counts a sample when its class is right and its IoU is ≥ the threshold.
 *
 * @example
 * ```ts
 * const metrics = new LocalizationMetrics({ numClasses: 2, classNames: ['cat', 'dog'] });
 * metrics.update(
 *   { labels: [0, 1], boxes: [[10, 10, 50, 50], [0, 0, 32, 32]] },
 *   { probabilities: [[0.8, 0.2], [0.3, 0.7]], boxes: [[12, 10, 50, 48], [16, 16, 48, 48]] },
 * );
 * const report = metrics.result();
 * report.locAccuracy; // [{ threshold: 0.5, accuracy: 0.5, boxAccuracy: 0.5 }, { threshold: 0.75, … }]
 * ```
 */
export class LocalizationMetrics implements Metric<LocalizationReport, LocalizationTruth, LocalizationPrediction> {
  readonly name = 'localization';
  private readonly config: LocalizationConfig;
  private readonly confusion: Float64Array;
  private readonly trueClasses = new GrowableFloat64();
  private readonly predictedClasses = new GrowableFloat64();
  private readonly ious = new GrowableFloat64();

  constructor(options: LocalizationMetricsOptions) {
    this.config = parseOrThrow(LocalizationSchema, options, { what: 'LocalizationMetrics options' });
    this.confusion = new Float64Array(this.config.numClasses * this.config.numClasses);
  }

  static fromConfig(config: LocalizationMetricsOptions): LocalizationMetrics {
    return new LocalizationMetrics(config);
  }

  update(yTrue: LocalizationTruth, yPred: LocalizationPrediction): void {
    const what = 'LocalizationMetrics.update';
    const c = this.config.numClasses;
    const labels = readLabels(yTrue.labels, c, what);
    const n = labels.length;
    for (const [side, boxes] of [
      ['yTrue', yTrue.boxes],
      ['yPred', yPred.boxes],
    ] as const) {
      if (!Array.isArray(boxes) || boxes.length !== n) {
        throw new OptikError('DATA_MISMATCH', `${what}: ${side}.boxes has ${describeLength(boxes)}, expected ${n}.`, {
          hint: 'Pass one box per sample on both sides, in the same order as the labels.',
        });
      }
    }
    let predicted: Int32Array;
    if (yPred.probabilities === undefined) {
      if (c !== 1) {
        throw new OptikError('ARGUMENT_INVALID', `${what}: yPred.probabilities is missing (numClasses is ${c}).`, {
          hint: 'Pass the class probabilities [n, numClasses]; only a one-class localizer may leave them out.',
        });
      }
      predicted = new Int32Array(n);
    } else {
      const probs = readProbabilities(yPred.probabilities, n, c, what);
      predicted = Int32Array.from({ length: n }, (_, i) => argmaxRow(probs, i, c));
    }
    const ious = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = checkBox(yTrue.boxes[i], what, `yTrue.boxes[${i}]`, true);
      const p = checkBox(yPred.boxes[i], what, `yPred.boxes[${i}]`, false);
      ious[i] = iou(t, p);
    }
    for (let i = 0; i < n; i++) {
      const index = (labels[i] as number) * c + (predicted[i] as number);
      this.confusion[index] = (this.confusion[index] as number) + 1;
    }
    this.trueClasses.push(Float64Array.from(labels));
    this.predictedClasses.push(Float64Array.from(predicted));
    this.ious.push(ious);
  }

  result(): LocalizationReport {
    const { numClasses: c, iouThresholds } = this.config;
    const n = this.ious.length;
    if (n === 0) {
      throw new OptikError('DATA_MISMATCH', 'LocalizationMetrics.result: no samples were given.', {
        hint: 'Call update with at least one sample first (an empty evaluation set has no metrics).',
      });
    }
    const labels = this.trueClasses.view();
    const predicted = this.predictedClasses.view();
    const ious = this.ious.view();
    const classNames = this.config.classNames ?? Array.from({ length: c }, (_, k) => `class${k}`);
    const scores = scoresFromConfusion(this.confusion, c);

    const iouSum = new Float64Array(c);
    // hits[t * c + k]: samples of true class k with the right class and IoU ≥ threshold t
    const hits = new Float64Array(iouThresholds.length * c);
    const boxHits = new Float64Array(iouThresholds.length);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const k = labels[i] as number;
      const value = ious[i] as number;
      iouSum[k] = (iouSum[k] as number) + value;
      total += value;
      iouThresholds.forEach((threshold, t) => {
        if (value >= threshold) {
          boxHits[t] = (boxHits[t] as number) + 1;
          if (predicted[i] === k) hits[t * c + k] = (hits[t * c + k] as number) + 1;
        }
      });
    }
    const sumOver = (t: number): number => {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += hits[t * c + k] as number;
      return sum;
    };
    const matrix = Array.from({ length: c }, (_, r) => Array.from(this.confusion.subarray(r * c, (r + 1) * c)));
    return {
      ...headline(scores, n, classNames),
      meanIou: total / n,
      locAccuracy: iouThresholds.map((threshold, t) => ({
        threshold,
        accuracy: sumOver(t) / n,
        boxAccuracy: (boxHits[t] as number) / n,
      })),
      perClass: scores.perClass.map((s, k) => ({
        name: classNames[k] as string,
        support: s.support,
        precision: s.precision,
        recall: s.recall,
        f1: s.f1,
        meanIou: s.support === 0 ? null : (iouSum[k] as number) / s.support,
        locAccuracy: iouThresholds.map((threshold, t) => ({
          threshold,
          accuracy: s.support === 0 ? null : (hits[t * c + k] as number) / s.support,
        })),
      })),
      confusionMatrix: matrix,
      ious: Array.from(ious),
    };
  }

  reset(): void {
    this.confusion.fill(0);
    this.trueClasses.clear();
    this.predictedClasses.clear();
    this.ious.clear();
  }

  toConfig(): LocalizationConfig {
    return {
      numClasses: this.config.numClasses,
      ...(this.config.classNames === undefined ? {} : { classNames: [...this.config.classNames] }),
      iouThresholds: [...this.config.iouThresholds],
    };
  }
}

function describeLength(value: unknown): string {
  return Array.isArray(value) ? `${value.length} boxes` : `no box array (${typeof value})`;
}
