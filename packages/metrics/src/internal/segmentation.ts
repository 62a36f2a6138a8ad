import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { isTensorLike, type TensorLike } from './inputs.js';
import type { Metric } from './metric.js';

export const SegmentationSchema = z
  .strictObject({
    /** Classes per pixel, background included (a binary mask has 2: background, foreground). */
    numClasses: z.int().min(2).max(65_536),
    /** One name per class, in id order; `class<i>` when left out. */
    classNames: z.array(z.string().min(1)).optional(),
    /** True pixels with this value are not scored (VOC's 255 boundary). */
    ignoreIndex: z.int().min(0).default(255),
  })
  .refine((o) => o.classNames === undefined || o.classNames.length === o.numClasses, {
    message: 'classNames must have one name per class (numClasses names)',
    path: ['classNames'],
  });

/**
 * Options of `SegmentationMetrics`: `numClasses` (≥ 2), optional `classNames`, `ignoreIndex` (default 255).
 *
 * @example
 * ```ts
 * const options: SegmentationMetricsOptions = { numClasses: 3, classNames: ['background', 'road', 'car'] };
 * ```
 */
export type SegmentationMetricsOptions = z.input<typeof SegmentationSchema>;
export type SegmentationConfig = z.output<typeof SegmentationSchema>;

/**
 * Class-id maps of a batch, any shape flattened (`[n, h, w]` or one mask): an array (`Uint8Array`, `Int32Array`,
 * `number[]`) or a tensor of ids. Predictions are ids too: take the argmax of the logits (or threshold a sigmoid)
 * first.
 *
 * @example
 * ```ts
 * const truth: ClassMap = new Uint8Array([0, 0, 1, 255]);
 * const predicted: ClassMap = tf.argMax(logits, -1);
 * ```
 */
export type ClassMap = ArrayLike<number> | TensorLike;

/** One class's scores; `null` where undefined (no true and no predicted pixel: an empty union). */
export interface SegmentationClassScores {
  readonly name: string;
  /** TP / (TP + FP + FN). */
  readonly iou: number | null;
  /** 2TP / (2TP + FP + FN), the F1 of the class's pixels. */
  readonly dice: number | null;
  /** Counted true pixels of the class. */
  readonly truePixels: number;
  /** Counted pixels predicted as the class. */
  readonly predictedPixels: number;
}

/**
 * The segmentation report over every pixel seen (ignored pixels left out).
 *
 * @example
 * ```ts
 * const { meanIou, pixelAccuracy, perClass }: SegmentationReport = metric.result();
 * ```
 */
export interface SegmentationReport {
  readonly numClasses: number;
  /** One name per class, in id order. */
  readonly classNames: readonly string[];
  /** Scored pixels (true value ≠ ignoreIndex). */
  readonly pixels: number;
  readonly ignoredPixels: number;
  /** Correct pixels / scored pixels. */
  readonly pixelAccuracy: number;
  /** Mean IoU over the classes with a non-empty union (mmseg's nanmean); `null` when there is none. */
  readonly meanIou: number | null;
  /** Mean Dice over the classes with a non-empty union. */
  readonly meanDice: number | null;
  /** IoU weighted by each class's share of the true pixels. */
  readonly frequencyWeightedIou: number | null;
  readonly perClass: readonly SegmentationClassScores[];
  /** Pixel counts: rows are true classes, columns predicted ones. */
  readonly confusionMatrix: readonly (readonly number[])[];
}

function valuesOf(map: ClassMap): ArrayLike<number> {
  return isTensorLike(map) ? map.dataSync() : map;
}

/**
 * Semantic-segmentation metrics (the Keras `update / result / reset` contract) from a confusion matrix accumulated
 * over pixels: pixel accuracy, per-class IoU and Dice, mean IoU and Dice (classes with an empty union left out),
 * frequency-weighted IoU and the matrix itself. True pixels equal to `ignoreIndex` are skipped; any other value
 * outside `[0, numClasses)` is `DATA_UNKNOWN_CLASS`, as is a predicted id out of range. Streaming in several
 * batches gives exactly the one-shot result; matches scikit-learn's `confusion_matrix`, `jaccard_score` and
 * `f1_score` on the flattened maps.
 *
 * @example
 * ```ts
 * const metric = new SegmentationMetrics({ numClasses: 3 });
 * metric.update(trueMasks, predictedIds);
 * const { meanIou, perClass } = metric.result();
 * ```
 */
export class SegmentationMetrics implements Metric<SegmentationReport, ClassMap, ClassMap> {
  readonly name = 'segmentation';
  readonly #config: SegmentationConfig;
  readonly #matrix: Float64Array;
  #ignored = 0;

  constructor(options: SegmentationMetricsOptions) {
    this.#config = parseOrThrow(SegmentationSchema, options, { what: 'SegmentationMetrics options' });
    this.#matrix = new Float64Array(this.#config.numClasses ** 2);
  }

  update(yTrue: ClassMap, yPred: ClassMap): void {
    const t = valuesOf(yTrue);
    const p = valuesOf(yPred);
    const k = this.#config.numClasses;
    if (t.length !== p.length) {
      throw new OptikError(
        'DATA_MISMATCH',
        `SegmentationMetrics: yTrue has ${t.length} pixels and yPred ${p.length}.`,
        {
          received: { yTrue: t.length, yPred: p.length },
          hint: 'Pass the true and predicted class maps of the same images, at the same size.',
        },
      );
    }
    const ignore = this.#config.ignoreIndex;
    // Check the whole batch before counting any of it, so a bad batch leaves the state untouched.
    for (let i = 0; i < t.length; i++) {
      const a = t[i] as number;
      const b = p[i] as number;
      if (a === ignore) continue;
      for (const [side, v] of [
        ['yTrue', a],
        ['yPred', b],
      ] as const) {
        if (!Number.isInteger(v) || v < 0 || v >= k) {
          throw new OptikError(
            'DATA_UNKNOWN_CLASS',
            `SegmentationMetrics: ${side}[${i}] = ${v} is not a class id in [0, ${k - 1}].`,
            {
              received: v,
              hint: `Class ids run 0..${k - 1}; true pixels may also be ${ignore} (ignored). Take the argmax of the logits for yPred.`,
            },
          );
        }
      }
    }
    for (let i = 0; i < t.length; i++) {
      const a = t[i] as number;
      if (a === ignore) {
        this.#ignored += 1;
        continue;
      }
      const cell = a * k + (p[i] as number);
      this.#matrix[cell] = (this.#matrix[cell] as number) + 1;
    }
  }

  result(): SegmentationReport {
    const k = this.#config.numClasses;
    const m = this.#matrix;
    const names = this.#config.classNames ?? Array.from({ length: k }, (_, c) => `class${c}`);
    let total = 0;
    let correct = 0;
    const perClass: SegmentationClassScores[] = [];
    for (let c = 0; c < k; c++) {
      let truePixels = 0;
      let predictedPixels = 0;
      for (let j = 0; j < k; j++) {
        truePixels += m[c * k + j] as number;
        predictedPixels += m[j * k + c] as number;
      }
      const tp = m[c * k + c] as number;
      const union = truePixels + predictedPixels - tp;
      total += truePixels;
      correct += tp;
      perClass.push({
        name: names[c] as string,
        iou: union === 0 ? null : tp / union,
        dice: union === 0 ? null : (2 * tp) / (truePixels + predictedPixels),
        truePixels,
        predictedPixels,
      });
    }
    const scored = perClass.filter((s) => s.iou !== null);
    const mean = (pick: (s: SegmentationClassScores) => number) =>
      scored.length === 0 ? null : scored.reduce((sum, s) => sum + pick(s), 0) / scored.length;
    return {
      numClasses: k,
      classNames: names,
      pixels: total,
      ignoredPixels: this.#ignored,
      pixelAccuracy: total === 0 ? 0 : correct / total,
      meanIou: mean((s) => s.iou as number),
      meanDice: mean((s) => s.dice as number),
      frequencyWeightedIou:
        total === 0 ? null : scored.reduce((sum, s) => sum + (s.truePixels / total) * (s.iou as number), 0),
      perClass,
      confusionMatrix: Array.from({ length: k }, (_, r) => Array.from(m.subarray(r * k, (r + 1) * k))),
    };
  }

  reset(): void {
    this.#matrix.fill(0);
    this.#ignored = 0;
  }

  toConfig(): SegmentationConfig {
    return structuredClone(this.#config);
  }

  /** Rebuilds the metric (empty) from {@link SegmentationMetrics.toConfig} output. */
  static fromConfig(config: SegmentationMetricsOptions): SegmentationMetrics {
    return new SegmentationMetrics(config);
  }
}
