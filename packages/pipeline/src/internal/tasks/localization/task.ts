import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { BoxXyxy } from '@optik/core';
import { cxcywhToBox, encodeBoxTargets, type InMemoryDataset } from '@optik/data';
import { LocalizationMetrics, type LocalizationReport } from '@optik/metrics';
import { csvLine } from '@optik/track';
import {
  boxIouTensor,
  boxL1Loss,
  giouLoss,
  type LossFunction,
  perSampleLoss,
  type StreamingMetric,
  type Tensors,
} from '@optik/train';
import { barChart, drawBoxes, imageGrid, renderPng } from '@optik/viz';
import { Localizer } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { escapeHtml, fmt, pct, table } from '../../run/report.js';
import { targetAugmentHook } from '../shared/augment.js';
import { boxInFile, imagesTensor } from '../shared/images.js';
import { meanOf } from '../shared/splits.js';
import type { Task, TaskArtifacts } from '../types.js';
import { type LocalizationConfig, LocalizationConfigSchema, resolveLocalization } from './config.js';
import { loadLocalizationData } from './data.js';

/** A localizer's predictions on a dataset: class probabilities and boxes (normalised cx, cy, w, h). */
export interface LocalizationPredictions {
  readonly yTrue: Int32Array;
  readonly trueBoxes: readonly BoxXyxy[];
  readonly probabilities: Float32Array;
  readonly boxes: Float32Array;
  readonly numClasses: number;
  readonly size: { readonly height: number; readonly width: number };
}

const EVAL_BATCH = 256;

function pair(value: Tensors): [tf.Tensor, tf.Tensor] {
  const [a, b] = value as readonly tf.Tensor[];
  return [a as tf.Tensor, b as tf.Tensor];
}

/** Cross-entropy on the class plus weighted L1 and GIoU on the box (outputs and targets: `[class, box]`). */
function localizationLoss(config: LocalizationConfig): LossFunction {
  const w = config.train.lossWeights;
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const [classTrue, boxTrue] = pair(yTrue);
      const [classPred, boxPred] = pair(yPred);
      const classLoss = perSampleLoss('categoricalCrossentropy', classTrue, classPred, config.train.labelSmoothing);
      const total = tf.addN([
        tf.mul(classLoss, w.class),
        tf.mul(boxL1Loss(boxTrue as tf.Tensor2D, boxPred as tf.Tensor2D), w.l1),
        tf.mul(giouLoss(boxTrue as tf.Tensor2D, boxPred as tf.Tensor2D), w.giou),
      ]);
      return tf.mean(total) as tf.Scalar;
    });
}

/** A streaming mean over a batch quantity computed on the device (class accuracy, box IoU). */
class MeanMetric implements StreamingMetric {
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    private readonly perSample: (yTrue: Tensors, yPred: Tensors) => tf.Tensor1D,
  ) {}
  reset(): void {
    this.#sum = 0;
    this.#count = 0;
  }
  async update(yTrue: Tensors, yPred: Tensors): Promise<void> {
    const values = tf.tidy(() => this.perSample(yTrue, yPred));
    const sum = tf.sum(values);
    this.#sum += (await sum.data())[0] ?? 0;
    this.#count += values.shape[0];
    tf.dispose([values, sum]);
  }
  result(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }
}

/** Training/validation metrics: class accuracy and the mean IoU of the boxes (`val_iou` is the tuning objective). */
function localizationMetrics(): StreamingMetric[] {
  return [
    new MeanMetric('accuracy', (yTrue, yPred) => {
      const [t] = pair(yTrue);
      const [p] = pair(yPred);
      return tf.cast(tf.equal(tf.argMax(t, -1), tf.argMax(p, -1)), 'float32') as tf.Tensor1D;
    }),
    new MeanMetric('iou', (yTrue, yPred) => boxIouTensor(pair(yTrue)[1] as tf.Tensor2D, pair(yPred)[1] as tf.Tensor2D)),
  ];
}

async function predictLocalizer(model: tf.LayersModel, dataset: InMemoryDataset): Promise<LocalizationPredictions> {
  const n = dataset.length;
  const numClasses = (model.outputs[0]?.shape.at(-1) as number | undefined) ?? 0;
  const probabilities = new Float32Array(n * numClasses);
  const boxes = new Float32Array(n * 4);
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH, n - start) }, (_, i) => start + i);
    const xs = imagesTensor(dataset.subset(indices));
    const [p, b] = model.predict(xs) as tf.Tensor[];
    probabilities.set(await (p as tf.Tensor).data(), start * numClasses);
    boxes.set(await (b as tf.Tensor).data(), start * 4);
    tf.dispose([xs, p as tf.Tensor, b as tf.Tensor]);
  }
  const trueBoxes = (dataset.targets ?? []).map((t) => (t.kind === 'localization' ? t.box : ([0, 0, 0, 0] as BoxXyxy)));
  return {
    yTrue: Int32Array.from(dataset.labels),
    trueBoxes,
    probabilities,
    boxes,
    numClasses,
    size: { height: dataset.height, width: dataset.width },
  };
}

function rowOf(values: Float32Array, i: number, width: number): Float32Array {
  return values.subarray(i * width, (i + 1) * width);
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if ((row[c] as number) > (row[best] as number)) best = c;
  return best;
}

function predictedBoxes(predictions: LocalizationPredictions): BoxXyxy[] {
  return Array.from({ length: predictions.yTrue.length }, (_, i) =>
    cxcywhToBox(rowOf(predictions.boxes, i, 4), predictions.size),
  );
}

function reportSection(report: LocalizationReport, classNames: readonly string[]): TaskArtifacts['report'] {
  const thresholds = report.locAccuracy.map((a) => a.threshold);
  const metricsRows: [string, string][] = [
    ...report.locAccuracy.map((a): [string, string] => [
      `Localization accuracy (right class, IoU ≥ ${a.threshold})`,
      pct(a.accuracy),
    ]),
    ['Mean IoU', fmt(report.meanIou)],
    ['Class accuracy', pct(report.accuracy)],
    ['Precision / recall / F1 (macro)', `${fmt(report.precision)} / ${fmt(report.recall)} / ${fmt(report.f1)}`],
    ['Test images', String(report.numSamples)],
  ];
  const rows = report.perClass.map((c, i) => [
    escapeHtml(classNames[i] ?? c.name),
    fmt(c.precision),
    fmt(c.recall),
    fmt(c.f1),
    fmt(c.meanIou),
    ...c.locAccuracy.map((a) => fmt(a.accuracy)),
    String(c.support),
  ]);
  return {
    metricsRows,
    sections: [
      {
        title: 'Per class',
        html: table(
          ['Class', 'Precision', 'Recall', 'F1', 'Mean IoU', ...thresholds.map((t) => `Loc. acc. @${t}`), 'Support'],
          rows,
        ),
      },
    ],
  };
}

/**
 * Localization: one object per image, its class and its box. A zoo Localizer (backbone + class and box heads),
 * cross-entropy + L1 + GIoU, boxes moved with the pixels by the batch augmentation, and the localization report
 * (localization accuracy at IoU 0.5 and 0.75, mean IoU, class P/R/F1, per class).
 */
export const localizationTask: Task<LocalizationConfig, LocalizationPredictions> = {
  kind: 'localization',
  title: 'Localization',
  schema: LocalizationConfigSchema,
  resolve: resolveLocalization,
  defaultObjective: 'val_iou',
  curveMetrics: ['loss', 'accuracy', 'iou'],
  loadData: loadLocalizationData,
  buildModel(config, data) {
    return new Localizer(
      { ...config.model, inputShape: data.inputShape, numClasses: data.classNames.length },
      { path: 'model' },
    );
  },
  training(config, data) {
    const augment = targetAugmentHook(config.augment);
    return {
      labelMode: 'int',
      encodeTargets: encodeBoxTargets(data.classNames.length),
      loss: localizationLoss(config),
      metrics: localizationMetrics(),
      ...(augment === undefined ? {} : { augment }),
    };
  },
  predict: (model, dataset) => predictLocalizer(model, dataset),
  combine(all) {
    const first = all[0] as LocalizationPredictions;
    return { ...first, probabilities: meanOf(all, (p) => p.probabilities), boxes: meanOf(all, (p) => p.boxes) };
  },
  evaluate(predictions, _dataset, classNames) {
    const metric = new LocalizationMetrics({ numClasses: predictions.numClasses, classNames: [...classNames] });
    const probabilities = Array.from({ length: predictions.yTrue.length }, (_, i) =>
      rowOf(predictions.probabilities, i, predictions.numClasses),
    );
    metric.update(
      { labels: predictions.yTrue, boxes: predictions.trueBoxes },
      { probabilities, boxes: predictedBoxes(predictions) },
    );
    const report = metric.result();
    const at = (t: number) => report.locAccuracy.find((a) => a.threshold === t)?.accuracy ?? null;
    return {
      report: report as unknown as Record<string, unknown>,
      headline: {
        locAccuracy50: at(0.5),
        locAccuracy75: at(0.75),
        meanIou: report.meanIou,
        accuracy: report.accuracy,
        precision: report.precision,
        recall: report.recall,
        f1: report.f1,
        numSamples: report.numSamples,
      },
    };
  },
  async writeArtifacts({ dir, plotsDir, predictions, evaluation, dataset, classNames }) {
    const report = evaluation.report as unknown as LocalizationReport;
    const boxes = predictedBoxes(predictions);
    const name = (id: number) => classNames[id] ?? String(id);
    const lines = [csvLine(['id', 'true_label', 'predicted_label', 'probability', 'true_box', 'predicted_box', 'iou'])];
    for (let i = 0; i < predictions.yTrue.length; i++) {
      const probs = rowOf(predictions.probabilities, i, predictions.numClasses);
      const predicted = argmax(probs);
      const fmtBox = (b: BoxXyxy) => b.map((v) => v.toFixed(1)).join(' ');
      lines.push(
        csvLine([
          dataset.sources?.[i] ?? String(i),
          name(predictions.yTrue[i] as number),
          name(predicted),
          (probs[predicted] as number).toFixed(6),
          fmtBox(predictions.trueBoxes[i] as BoxXyxy),
          fmtBox(boxes[i] as BoxXyxy),
          (report.ious[i] as number).toFixed(6),
        ]),
      );
    }
    writeFileSync(join(dir, 'predictions.csv'), lines.join(''));
    // The grid: the first mistakes (wrong class or IoU < 0.5), then right ones.
    const wrong: number[] = [];
    const right: number[] = [];
    for (let i = 0; i < predictions.yTrue.length; i++) {
      const ok =
        argmax(rowOf(predictions.probabilities, i, predictions.numClasses)) === predictions.yTrue[i] &&
        (report.ious[i] as number) >= 0.5;
      if (!ok && wrong.length < 12) wrong.push(i);
      else if (ok && right.length < 32) right.push(i);
    }
    const picked = [...wrong, ...right].slice(0, 32);
    writeFileSync(
      join(plotsDir, 'test-predictions.png'),
      await imageGrid(
        picked.map((i) => ({
          image: dataset.sample(i).image,
          trueLabel: name(predictions.yTrue[i] as number),
          predictedLabel: `${name(argmax(rowOf(predictions.probabilities, i, predictions.numClasses)))} · IoU ${(report.ious[i] as number).toFixed(2)}`,
          correct: picked.indexOf(i) >= wrong.length,
          boxes: [
            { box: predictions.trueBoxes[i] as BoxXyxy, kind: 'true' as const },
            { box: boxes[i] as BoxXyxy, kind: 'predicted' as const },
          ],
        })),
        { columns: 8, title: 'Test images: true box (green), predicted box (orange, dashed); mistakes first' },
      ),
    );
    const bins = Array.from({ length: 10 }, (_, k) => ({
      iou: `${(k / 10).toFixed(1)}–${((k + 1) / 10).toFixed(1)}`,
      images: 0,
    }));
    for (const iou of report.ious) (bins[Math.min(9, Math.floor(iou * 10))] as { images: number }).images += 1;
    writeFileSync(
      join(plotsDir, 'iou-histogram.png'),
      await renderPng(
        barChart(bins, { category: 'iou', value: 'images', title: 'IoU of predicted vs true box (test set)' }),
      ),
    );
    return {
      plots: [
        { file: 'test-predictions.png', caption: 'Test images with the true (green) and predicted (orange) boxes.' },
        { file: 'iou-histogram.png', caption: "How well the boxes fit: IoU of each test image's predicted box." },
      ],
      report: reportSection(report, classNames),
    };
  },
  async predictImages(model, images, files, _config, { topK, outDir }) {
    const predictions = await predictLocalizer(model, images);
    const boxes = predictedBoxes(predictions);
    const out = [];
    if (outDir !== undefined) mkdirSync(outDir, { recursive: true });
    for (let i = 0; i < images.length; i++) {
      const probs = Array.from(rowOf(predictions.probabilities, i, predictions.numClasses));
      const top = probs
        .map((probability, classId) => ({ label: images.classNames[classId] ?? String(classId), classId, probability }))
        .sort((a, b) => b.probability - a.probability || a.classId - b.classId)
        .slice(0, topK);
      const best = top[0] as (typeof top)[number];
      const file = files[i] as string;
      const inInput = boxes[i] as BoxXyxy;
      const box = await boxInFile(inInput, file, images);
      const entry = { file, label: best.label, classId: best.classId, probability: best.probability, box, top };
      if (outDir !== undefined) {
        const png = await drawBoxes(images.sample(i).image, [
          { box: inInput, kind: 'predicted', caption: `${best.label} ${best.probability.toFixed(2)}` },
        ]);
        const target = join(outDir, `${basename(file, extname(file))}.png`);
        writeFileSync(target, png);
        out.push({ ...entry, output: target });
      } else out.push(entry);
    }
    return out;
  },
};
