import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ImageData, Mask } from '@optik/core';
import { encodeMaskTargets, IGNORE_INDEX, type InMemoryDataset, imageDimensions } from '@optik/data';
import { SegmentationMetrics, type SegmentationReport } from '@optik/metrics';
import { csvLine } from '@optik/track';
import { type StreamingMetric, segmentationLoss, type Tensors } from '@optik/train';
import {
  classColors,
  confusionMatrixChart,
  imageGrid,
  imageToPng,
  maskToPng,
  overlayMask,
  renderPng,
} from '@optik/viz';
import { Segmenter } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { escapeHtml, fmt, pct, table } from '../../run/report.js';
import { targetAugmentHook } from '../shared/augment.js';
import { imagesTensor } from '../shared/images.js';
import { meanOf } from '../shared/splits.js';
import type { Task, TaskArtifacts } from '../types.js';
import { resolveSegmentation, type SegmentationConfig, SegmentationConfigSchema } from './config.js';
import { loadSegmentationData } from './data.js';

/** A segmenter's predictions on a dataset: per-pixel class probabilities and the true masks. */
export interface SegmentationPredictions {
  /** `n × h × w` true class ids (255: ignored). */
  readonly trueMasks: Uint8Array;
  /** `n × h × w × numClasses` probabilities (softmax; a one-channel model's sigmoid as background, foreground). */
  readonly probabilities: Float32Array;
  readonly numClasses: number;
  readonly size: { readonly height: number; readonly width: number };
}

const PREDICT_BATCH = 16;

/** Per-pixel probabilities `[b, h, w, K]` of a segmenter's logits (K ≥ 2). */
function probabilitiesOf(logits: tf.Tensor4D): tf.Tensor4D {
  if (logits.shape[3] !== 1) return tf.softmax(logits) as tf.Tensor4D;
  const fg = tf.sigmoid(logits);
  return tf.concat([tf.sub(1, fg), fg], -1) as tf.Tensor4D;
}

/** The class of each pixel (argmax of its probability row). */
function argmaxIds(probabilities: Float32Array, k: number): Uint8Array {
  const ids = new Uint8Array(probabilities.length / k);
  for (let p = 0; p < ids.length; p++) {
    let best = 0;
    for (let c = 1; c < k; c++)
      if ((probabilities[p * k + c] as number) > (probabilities[p * k + best] as number)) best = c;
    ids[p] = best;
  }
  return ids;
}

async function predictSegmenter(model: tf.LayersModel, dataset: InMemoryDataset): Promise<SegmentationPredictions> {
  const { height, width } = dataset;
  const pixels = height * width;
  const channels = (model.outputs[0]?.shape.at(-1) as number | undefined) ?? 1;
  const numClasses = Math.max(channels, 2);
  const probabilities = new Float32Array(dataset.length * pixels * numClasses);
  for (let start = 0; start < dataset.length; start += PREDICT_BATCH) {
    const indices = Array.from({ length: Math.min(PREDICT_BATCH, dataset.length - start) }, (_, i) => start + i);
    const probs = tf.tidy(() => probabilitiesOf(model.predict(imagesTensor(dataset.subset(indices))) as tf.Tensor4D));
    probabilities.set(await probs.data(), start * pixels * numClasses);
    probs.dispose();
  }
  const trueMasks = new Uint8Array(dataset.length * pixels).fill(IGNORE_INDEX);
  (dataset.targets ?? []).forEach((target, i) => {
    if (target.kind === 'semantic-segmentation') trueMasks.set(target.mask.data, i * pixels);
  });
  return { trueMasks, probabilities, numClasses, size: { height, width } };
}

/**
 * The pixel confusion matrix of the batches seen since the last reset: targets one-hot `[b, h, w, K]` (ignored
 * pixels all zero), outputs logits; the class maps are taken on the device (argmax of the logits: the softmax keeps
 * their order), the matrix accumulated on the host. Shared by the metrics read from it, so a batch counts once
 * however many of them the trainer updates with it.
 */
class PixelConfusion {
  readonly metric: SegmentationMetrics;
  #last: tf.Tensor | undefined;
  constructor(numClasses: number) {
    this.metric = new SegmentationMetrics({ numClasses: Math.max(numClasses, 2) });
  }
  reset(): void {
    this.metric.reset();
    this.#last = undefined;
  }
  async update(yTrue: Tensors, yPred: Tensors): Promise<void> {
    const logits = (Array.isArray(yPred) ? yPred[0] : yPred) as tf.Tensor4D;
    if (logits === this.#last) return;
    this.#last = logits;
    const [t, p] = tf.tidy(() => {
      const oneHot = (Array.isArray(yTrue) ? yTrue[0] : yTrue) as tf.Tensor4D;
      const valid = tf.greater(tf.sum(oneHot, -1), 0);
      const trueIds = tf.where(valid, tf.argMax(oneHot, -1), tf.fill(valid.shape, IGNORE_INDEX, 'int32'));
      return [trueIds, tf.argMax(logits.shape[3] === 1 ? probabilitiesOf(logits) : logits, -1)];
    });
    const [a, b] = await Promise.all([t.data(), p.data()]);
    tf.dispose([t, p]);
    this.metric.update(a, b);
  }
}

/** A training/validation metric read from a {@link PixelConfusion} (mean IoU, pixel accuracy). */
class PixelMetric implements StreamingMetric {
  constructor(
    readonly name: string,
    private readonly confusion: PixelConfusion,
    private readonly pick: (report: SegmentationReport) => number | null,
  ) {}
  reset(): void {
    this.confusion.reset();
  }
  update(yTrue: Tensors, yPred: Tensors): Promise<void> {
    return this.confusion.update(yTrue, yPred);
  }
  result(): number {
    return this.pick(this.confusion.metric.result()) ?? 0;
  }
}

/** Per-class fractions of a class map's pixels (what `optik predict --json` reports per image). */
function classFractions(ids: Uint8Array, classNames: readonly string[]): Record<string, number> {
  const counts = new Array<number>(classNames.length).fill(0);
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return Object.fromEntries(classNames.map((name, c) => [name, (counts[c] as number) / ids.length]));
}

/** Nearest-neighbour resize of a class map (pixel centres), so a predicted mask fits its original image. */
export function resizeIds(mask: Mask, width: number, height: number): Mask {
  if (mask.width === width && mask.height === height) return mask;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
      data[y * width + x] = mask.data[sy * mask.width + sx] as number;
    }
  }
  return { width, height, data };
}

/** Two RGB images of the same height side by side with a white gap. */
function sideBySide(a: ImageData & { data: Uint8Array }, b: ImageData & { data: Uint8Array }, gap = 2) {
  const width = a.width + gap + b.width;
  const data = new Uint8Array(width * a.height * 3).fill(255);
  for (let y = 0; y < a.height; y++) {
    data.set(a.data.subarray(y * a.width * 3, (y + 1) * a.width * 3), y * width * 3);
    data.set(b.data.subarray(y * b.width * 3, (y + 1) * b.width * 3), (y * width + a.width + gap) * 3);
  }
  return { width, height: a.height, channels: 3 as const, data };
}

function evaluateMasks(predictions: SegmentationPredictions, classNames: readonly string[], from = 0, count?: number) {
  const pixels = predictions.size.height * predictions.size.width;
  const n = count ?? predictions.trueMasks.length / pixels - from;
  const k = predictions.numClasses;
  const metric = new SegmentationMetrics({
    numClasses: k,
    ...(classNames.length === k ? { classNames: [...classNames] } : {}),
  });
  metric.update(
    predictions.trueMasks.subarray(from * pixels, (from + n) * pixels),
    argmaxIds(predictions.probabilities.subarray(from * pixels * k, (from + n) * pixels * k), k),
  );
  return metric.result();
}

function reportSection(report: SegmentationReport): TaskArtifacts['report'] {
  const metricsRows: [string, string][] = [
    ['Mean IoU (classes present)', fmt(report.meanIou ?? Number.NaN)],
    ['Pixel accuracy', pct(report.pixelAccuracy)],
    ['Mean Dice', fmt(report.meanDice ?? Number.NaN)],
    ['Frequency-weighted IoU', fmt(report.frequencyWeightedIou ?? Number.NaN)],
    ['Scored pixels (ignored)', `${report.pixels.toLocaleString('en')} (${report.ignoredPixels.toLocaleString('en')})`],
  ];
  const rows = report.perClass.map((c) => [
    escapeHtml(c.name),
    c.iou === null ? '–' : fmt(c.iou),
    c.dice === null ? '–' : fmt(c.dice),
    report.pixels === 0 ? '–' : pct(c.truePixels / report.pixels),
    report.pixels === 0 ? '–' : pct(c.predictedPixels / report.pixels),
  ]);
  return {
    metricsRows,
    sections: [
      {
        title: 'Per class',
        html: table(['Class', 'IoU', 'Dice', 'True pixels', 'Predicted pixels'], rows),
      },
    ],
  };
}

/**
 * Semantic segmentation: a class per pixel. A zoo Segmenter (U-Net), pixel cross-entropy + soft Dice with an ignore
 * index, masks moved with the pixels by the batch augmentation (nearest neighbour), and the segmentation report
 * (mean IoU over the classes present, pixel accuracy, Dice, frequency-weighted IoU, per class, confusion matrix).
 */
export const segmentationTask: Task<SegmentationConfig, SegmentationPredictions> = {
  kind: 'semantic-segmentation',
  title: 'Semantic segmentation',
  schema: SegmentationConfigSchema,
  resolve: resolveSegmentation,
  defaultObjective: 'val_miou',
  curveMetrics: ['loss', 'miou', 'pixel_accuracy'],
  loadData: loadSegmentationData,
  buildModel(config, data) {
    return new Segmenter(
      { ...config.model, inputShape: data.inputShape, numClasses: data.classNames.length },
      { path: 'model' },
    );
  },
  training(config, data) {
    const numClasses = data.classNames.length;
    const augment = targetAugmentHook(config.augment);
    const confusion = new PixelConfusion(numClasses);
    return {
      labelMode: 'int',
      encodeTargets: encodeMaskTargets(numClasses),
      // Per-pixel logits and one-hot masks of 256 images would dwarf a training step; validate at its size.
      validationBatchSize: Math.max(config.data.batchSize, PREDICT_BATCH),
      loss: segmentationLoss(config.train.segmentationLoss, { path: 'train.segmentationLoss' }),
      metrics: [
        new PixelMetric('miou', confusion, (r) => r.meanIou),
        new PixelMetric('pixel_accuracy', confusion, (r) => r.pixelAccuracy),
      ],
      ...(augment === undefined ? {} : { augment }),
    };
  },
  predict: (model, dataset) => predictSegmenter(model, dataset),
  combine(all) {
    const first = all[0] as SegmentationPredictions;
    return { ...first, probabilities: meanOf(all, (p) => p.probabilities) };
  },
  evaluate(predictions, _dataset, classNames) {
    const report = evaluateMasks(predictions, classNames);
    return {
      report: report as unknown as Record<string, unknown>,
      headline: {
        miou: report.meanIou,
        pixelAccuracy: report.pixelAccuracy,
        meanDice: report.meanDice,
        frequencyWeightedIou: report.frequencyWeightedIou,
        numSamples: predictions.trueMasks.length / (predictions.size.height * predictions.size.width),
      },
    };
  },
  async writeArtifacts({ dir, plotsDir, predictions, evaluation, dataset, classNames }) {
    const report = evaluation.report as unknown as SegmentationReport;
    const n = dataset.length;
    const pixels = predictions.size.height * predictions.size.width;
    const k = predictions.numClasses;
    const name = (id: number) => classNames[id] ?? String(id);
    const present = (ids: Uint8Array) =>
      [...new Set(ids)]
        .filter((id) => id !== IGNORE_INDEX)
        .sort((a, b) => a - b)
        .map(name)
        .join(' ');
    const lines = [csvLine(['id', 'pixel_accuracy', 'miou', 'true_classes', 'predicted_classes'])];
    const perImage: { i: number; miou: number }[] = [];
    for (let i = 0; i < n; i++) {
      const one = evaluateMasks(predictions, classNames, i, 1);
      const predicted = argmaxIds(predictions.probabilities.subarray(i * pixels * k, (i + 1) * pixels * k), k);
      perImage.push({ i, miou: one.meanIou ?? 0 });
      lines.push(
        csvLine([
          dataset.sources?.[i] ?? String(i),
          one.pixelAccuracy.toFixed(6),
          one.meanIou === null ? '' : one.meanIou.toFixed(6),
          present(predictions.trueMasks.subarray(i * pixels, (i + 1) * pixels)),
          present(predicted),
        ]),
      );
    }
    writeFileSync(join(dir, 'predictions.csv'), lines.join(''));
    const classLines = [csvLine(['class', 'iou', 'dice', 'true_pixels', 'predicted_pixels'])];
    for (const c of report.perClass) {
      classLines.push(
        csvLine([
          c.name,
          c.iou === null ? '' : c.iou.toFixed(6),
          c.dice === null ? '' : c.dice.toFixed(6),
          String(c.truePixels),
          String(c.predictedPixels),
        ]),
      );
    }
    writeFileSync(join(dir, 'per-class.csv'), classLines.join(''));
    writeFileSync(
      join(plotsDir, 'confusion-matrix.png'),
      await renderPng(
        confusionMatrixChart(
          report.confusionMatrix,
          report.perClass.map((c) => c.name),
          {
            title: 'Confusion matrix of the test pixels (rows: true class)',
          },
        ),
      ),
    );
    // The grid: the worst images first (lowest mIoU), then the best ones; true mask left, predicted right.
    const sorted = [...perImage].sort((a, b) => a.miou - b.miou || a.i - b.i);
    const picked = sorted.length <= 16 ? sorted : [...sorted.slice(0, 8), ...sorted.slice(-8)];
    const colors = classColors(k);
    writeFileSync(
      join(plotsDir, 'test-predictions.png'),
      await imageGrid(
        picked.map(({ i, miou }) => {
          const image = dataset.sample(i).image;
          const { height, width } = predictions.size;
          const truth = { width, height, data: predictions.trueMasks.subarray(i * pixels, (i + 1) * pixels) };
          const predicted = {
            width,
            height,
            data: argmaxIds(predictions.probabilities.subarray(i * pixels * k, (i + 1) * pixels * k), k),
          };
          return {
            image: sideBySide(overlayMask(image, truth, { colors }), overlayMask(image, predicted, { colors })),
            trueLabel: 'left',
            predictedLabel: `right · mIoU ${miou.toFixed(2)}`,
            correct: miou >= 0.5,
          };
        }),
        { columns: 4, cellSize: 192, title: 'Test images: true mask (left) and prediction (right); worst first' },
      ),
    );
    return {
      plots: [
        {
          file: 'test-predictions.png',
          caption: 'Test images with the true (left) and predicted (right) class colours.',
        },
        { file: 'confusion-matrix.png', caption: 'Which classes the pixels of each true class were given.' },
      ],
      report: reportSection(report),
    };
  },
  async predictImages(model, images, files, _config, { topK, outDir }) {
    const predictions = await predictSegmenter(model, images);
    const { height, width } = predictions.size;
    const pixels = height * width;
    const k = predictions.numClasses;
    const classNames =
      images.classNames.length === k ? images.classNames : Array.from({ length: k }, (_, c) => `class${c}`);
    if (outDir !== undefined) mkdirSync(outDir, { recursive: true });
    const out = [];
    for (let i = 0; i < images.length; i++) {
      const file = files[i] as string;
      const ids = argmaxIds(predictions.probabilities.subarray(i * pixels * k, (i + 1) * pixels * k), k);
      const classes = classFractions(ids, classNames);
      // `top`: the classes covering most of the image (share of its pixels), as the CLI lists them.
      const top = classNames
        .map((label, classId) => ({ label, classId, probability: classes[label] as number }))
        .sort((a, b) => b.probability - a.probability || a.classId - b.classId)
        .slice(0, topK);
      const entry = { file, classes, top, size: { height, width } };
      if (outDir === undefined) {
        out.push(entry);
        continue;
      }
      // The mask at the file's own size (nearest neighbour), the overlay on the image the model saw.
      const original = await imageDimensions(file);
      const stem = basename(file, extname(file));
      const maskFile = join(outDir, `${stem}.mask.png`);
      const overlayFile = join(outDir, `${stem}.overlay.png`);
      writeFileSync(
        maskFile,
        await maskToPng(resizeIds({ width, height, data: ids }, original.width, original.height)),
      );
      writeFileSync(overlayFile, await imageToPng(overlayMask(images.sample(i).image, { width, height, data: ids })));
      out.push({ ...entry, mask: maskFile, output: overlayFile });
    }
    return out;
  },
};
