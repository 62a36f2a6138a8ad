import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InMemoryDataset, makeBatches } from '@optik/data';
import { AveragePrecision, type ClassificationReport, classificationReport } from '@optik/metrics';
import type { PredictionRow } from '@optik/track';
import { confusionMatrixChart, imageGrid, type LabeledImage, prCurvesChart, renderPng } from '@optik/viz';
import * as tf from '@tensorflow/tfjs';

/** Class probabilities of a whole dataset: `n × numClasses`, row-major (a sigmoid head gives `[1 − p, p]`). */
export interface DatasetPredictions {
  readonly yTrue: Int32Array;
  readonly probabilities: Float32Array;
  readonly numClasses: number;
  /** The sigmoid head's positive-class probability per sample (binary models only). */
  readonly positive?: Float32Array;
}

const EVAL_BATCH = 256;

/** A mirrored view for test-time augmentation (the pipeline config's `test.tta`). */
export type TtaView = 'hflip' | 'vflip';

/** Options of {@link predictDataset}. */
export interface PredictOptions {
  /** Also predict these mirrored views of every image and average the probabilities of all views. */
  readonly tta?: readonly TtaView[] | undefined;
}

/** The model's output on a batch: the mean over the image and its `tta` views (NHWC: `hflip` reverses W). */
export function predictViews(model: tf.LayersModel, xs: tf.Tensor4D, tta: readonly TtaView[]): tf.Tensor {
  return tf.tidy(() => {
    let sum = model.predict(xs) as tf.Tensor;
    for (const view of tta) {
      sum = sum.add(model.predict(tf.reverse(xs, view === 'hflip' ? 2 : 1)) as tf.Tensor);
    }
    return tta.length === 0 ? sum : sum.div(tta.length + 1);
  });
}

/** Runs the model over a dataset in inference mode, batch by batch; no tensor outlives a batch. */
export async function predictDataset(
  model: tf.LayersModel,
  dataset: InMemoryDataset,
  options: PredictOptions = {},
): Promise<DatasetPredictions> {
  const tta = options.tta ?? [];
  const units = model.outputs[0]?.shape.at(-1) ?? 0;
  const numClasses = units === 1 ? 2 : units;
  const probabilities = new Float32Array(dataset.length * numClasses);
  const positive = units === 1 ? new Float32Array(dataset.length) : undefined;
  let offset = 0;
  for await (const { xs, ys } of makeBatches(dataset, { batchSize: EVAL_BATCH, shuffle: false, labelMode: 'int' })) {
    try {
      const out = predictViews(model, xs as tf.Tensor4D, tta);
      const values = await out.data();
      out.dispose();
      const n = xs.shape[0];
      if (positive !== undefined) {
        for (let i = 0; i < n; i++) {
          const p = values[i] as number;
          positive[offset + i] = p;
          probabilities[(offset + i) * 2] = 1 - p;
          probabilities[(offset + i) * 2 + 1] = p;
        }
      } else probabilities.set(values, offset * numClasses);
      offset += n;
    } finally {
      tf.dispose([xs, ys]);
    }
  }
  return {
    yTrue: Int32Array.from(dataset.labels),
    probabilities,
    numClasses,
    ...(positive === undefined ? {} : { positive }),
  };
}

/** Predicted class per sample: argmax (first index on ties, like the metrics package). */
export function argmaxRows(probabilities: Float32Array, numClasses: number): Int32Array {
  const n = probabilities.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      if ((probabilities[i * numClasses + c] as number) > (probabilities[i * numClasses + best] as number)) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** The classification report of a set of predictions (binary mode for a sigmoid head). */
export function reportOf(predictions: DatasetPredictions, classNames: readonly string[]): ClassificationReport {
  const { yTrue, probabilities, positive } = predictions;
  return classificationReport(yTrue, positive ?? probabilities, classNames);
}

/** One `predictions.csv` row per sample: id, true and predicted class names, class probabilities. */
export function predictionRows(
  predictions: DatasetPredictions,
  dataset: InMemoryDataset,
  classNames: readonly string[],
): PredictionRow[] {
  const { yTrue, probabilities, numClasses } = predictions;
  const predicted = argmaxRows(probabilities, numClasses);
  return Array.from(yTrue, (label, i) => ({
    id: dataset.sources?.[i] ?? i,
    trueLabel: classNames[label] ?? label,
    predictedLabel: classNames[predicted[i] as number] ?? (predicted[i] as number),
    probabilities: probabilities.subarray(i * numClasses, (i + 1) * numClasses),
  }));
}

/** The headline metrics of a report (what the CLI prints and `--json` returns). */
export interface HeadlineMetrics {
  readonly accuracy: number;
  /** Macro averages. */
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly macro: ClassificationReport['macro'];
  readonly micro: ClassificationReport['micro'];
  readonly weighted: ClassificationReport['weighted'];
  readonly logLoss: number;
  readonly rocAuc: number | null;
  readonly averagePrecision: number | null;
  readonly topK: ClassificationReport['topK'];
  readonly numSamples: number;
  /** Two classes only: the positive class (label 1) and its precision, recall and F1. */
  readonly positiveClass?: string;
  readonly positivePrecision?: number;
  readonly positiveRecall?: number;
  readonly positiveF1?: number;
}

/**
 * The positive class's scores of a two-class report: the binary report's (a sigmoid at its threshold) or, for a
 * two-class softmax, the second class's line (argmax is the 0.5 threshold on its probability). Null otherwise.
 */
export function positiveScores(
  report: ClassificationReport,
): { className: string; precision: number; recall: number; f1: number } | null {
  if (report.binary !== null) {
    const { positiveClass: className, precision, recall, f1 } = report.binary;
    return { className, precision, recall, f1 };
  }
  const positive = report.perClass[1];
  if (report.classNames.length !== 2 || positive === undefined) return null;
  return { className: positive.name, precision: positive.precision, recall: positive.recall, f1: positive.f1 };
}

/** Picks the headline numbers out of a full report. */
export function headline(report: ClassificationReport): HeadlineMetrics {
  return {
    accuracy: report.accuracy,
    precision: report.precision,
    recall: report.recall,
    f1: report.f1,
    macro: report.macro,
    micro: report.micro,
    weighted: report.weighted,
    logLoss: report.logLoss,
    rocAuc: report.rocAuc,
    averagePrecision: report.averagePrecision,
    topK: report.topK,
    numSamples: report.numSamples,
    ...positiveHeadline(report),
  };
}

function positiveHeadline(report: ClassificationReport) {
  const positive = positiveScores(report);
  return positive === null
    ? {}
    : {
        positiveClass: positive.className,
        positivePrecision: positive.precision,
        positiveRecall: positive.recall,
        positiveF1: positive.f1,
      };
}

/** Writes the evaluation plots as PNG into `dir`; returns their file names, in report order. */
export async function writeEvaluationPlots(
  dir: string,
  predictions: DatasetPredictions,
  report: ClassificationReport,
  dataset: InMemoryDataset,
  classNames: readonly string[],
): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const save = (name: string, png: Buffer) => {
    writeFileSync(join(dir, name), png);
    return name;
  };
  files.confusionMatrix = save(
    'confusion-matrix.png',
    await renderPng(confusionMatrixChart(report.confusionMatrix, classNames, { title: 'Confusion matrix (test set)' })),
  );
  const ap = new AveragePrecision({ numClasses: predictions.numClasses });
  ap.update(predictions.yTrue, predictions.probabilities);
  files.prCurves = save(
    'pr-curves.png',
    await renderPng(prCurvesChart(ap.curves(), classNames, { title: 'Precision–recall curves (test set)' })),
  );
  files.testPredictions = save(
    'test-predictions.png',
    await imageGrid(gridItems(predictions, dataset, classNames), {
      columns: 8,
      title: 'Test images with true and predicted labels (mistakes framed in red)',
    }),
  );
  return files;
}

/** Up to 32 test images: the first 16 mistakes, then correct ones, in dataset order. */
function gridItems(
  predictions: DatasetPredictions,
  dataset: InMemoryDataset,
  classNames: readonly string[],
): LabeledImage[] {
  const predicted = argmaxRows(predictions.probabilities, predictions.numClasses);
  const wrong: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i] !== predictions.yTrue[i]) {
      if (wrong.length < 16) wrong.push(i);
    } else if (right.length < 32) right.push(i);
  }
  const picked = [...wrong, ...right].slice(0, 32);
  return picked.map((i) => ({
    image: dataset.sample(i).image,
    trueLabel: classNames[predictions.yTrue[i] as number] ?? '?',
    predictedLabel: classNames[predicted[i] as number] ?? '?',
  }));
}
