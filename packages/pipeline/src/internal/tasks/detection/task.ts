import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fromConfig as augmentFromConfig, type Compose } from '@optik/augment';
import { type BoxXyxy, type ImageSample, OptikError, type Rng, type SampleTarget } from '@optik/core';
import {
  type Batch,
  type DetectionGrid,
  detectionGrid,
  encodeDetectionTargets,
  type InMemoryDataset,
} from '@optik/data';
import { DetectionMetrics, type DetectionReport, type DetectionTruth } from '@optik/metrics';
import { csvLine } from '@optik/track';
import { fcosLoss } from '@optik/train';
import { drawBoxes, imageGrid, lineChart, renderPng } from '@optik/viz';
import {
  type DecodeDetectionsOptions,
  type Detections,
  Detector,
  decodeDetections,
  mirrorDetectionOutput,
} from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { escapeHtml, fmt, table } from '../../run/report.js';
import { boxInFile, imagesTensor } from '../shared/images.js';
import { meanOf } from '../shared/splits.js';
import type { Task, TaskArtifacts } from '../types.js';
import { type DetectionConfig, DetectionConfigSchema, resolveDetection } from './config.js';
import { loadDetectionData } from './data.js';
import { mapMetrics } from './metrics.js';

/** A detector's raw outputs on a dataset, with what decoding and evaluation need. */
export interface DetectionPredictions {
  /** `[images, points, numClasses + 5]` raw outputs (class logits, ltrb, centre-ness), row-major. */
  readonly outputs: Float32Array;
  readonly shape: readonly [number, number, number];
  /** `[height, width]` of the model's input (boxes are in these pixels). */
  readonly imageSize: readonly [number, number];
  readonly strides: readonly number[];
  readonly postprocess: DecodeDetectionsOptions;
  readonly truths: readonly DetectionTruth[];
}

const EVAL_BATCH = 64;
/** Detections drawn in the test grid and returned by `optik predict` need at least this score (by default). */
export const SHOW_SCORE = 0.25;

function gridOf(p: DetectionPredictions): DetectionGrid {
  return detectionGrid({ imageSize: [p.imageSize[0], p.imageSize[1]], strides: [...p.strides] });
}

function truthOf(target: SampleTarget | undefined): DetectionTruth {
  if (target?.kind === 'detection') {
    return {
      boxes: target.boxes,
      labels: target.labels,
      ...(target.crowd === undefined ? {} : { crowd: target.crowd }),
    };
  }
  if (target?.kind === 'instance-segmentation') return { boxes: target.boxes, labels: target.labels };
  return { boxes: [], labels: [] };
}

async function predictDetector(
  model: tf.LayersModel,
  dataset: InMemoryDataset,
  config: DetectionConfig,
): Promise<DetectionPredictions> {
  const n = dataset.length;
  const [, points, width] = (model.outputs[0] as tf.SymbolicTensor).shape as [null, number, number];
  const outputs = new Float32Array(n * points * width);
  // Test-time augmentation: each mirrored view's output mapped back onto the original points, then the mean.
  const views = config.test.tta;
  const grid = detectionGrid({ imageSize: [dataset.height, dataset.width], strides: config.model.strides });
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH, n - start) }, (_, i) => start + i);
    const xs = imagesTensor(dataset.subset(indices));
    const out = model.predict(xs) as tf.Tensor;
    const raw = (await out.data()) as Float32Array;
    // A copy when views are added in (the cpu backend's data() is the tensor's own array).
    const sum = views.length === 0 ? raw : Float32Array.from(raw);
    for (const view of views) {
      const mirrored = tf.tidy(() => model.predict(tf.reverse(xs, view === 'hflip' ? 2 : 1)) as tf.Tensor);
      const back = mirrorDetectionOutput(await mirrored.data(), mirrored.shape, grid, view);
      mirrored.dispose();
      for (let k = 0; k < sum.length; k++) sum[k] = (sum[k] as number) + (back[k] as number);
    }
    if (views.length > 0) for (let k = 0; k < sum.length; k++) sum[k] = (sum[k] as number) / (views.length + 1);
    outputs.set(sum, start * points * width);
    tf.dispose([xs, out]);
  }
  return {
    outputs,
    shape: [n, points, width],
    imageSize: [dataset.height, dataset.width],
    strides: config.model.strides,
    postprocess: config.postprocess,
    truths: Array.from({ length: n }, (_, i) => truthOf(dataset.targets?.[i])),
  };
}

function decodeAll(p: DetectionPredictions, scoreThreshold?: number): Detections[] {
  return decodeDetections({ data: p.outputs, shape: p.shape }, gridOf(p), {
    ...p.postprocess,
    ...(scoreThreshold === undefined ? {} : { scoreThreshold }),
  });
}

type Evaluated = { detections: Detections[]; report: DetectionReport };
const evaluatedCache = new WeakMap<DetectionPredictions, { classNames: string; evaluated: Evaluated }>();

/** The COCO `bbox` evaluation of the predictions (computed once for evaluate and writeArtifacts). */
function evaluateAll(p: DetectionPredictions, classNames: readonly string[]): Evaluated {
  const key = JSON.stringify(classNames);
  const cached = evaluatedCache.get(p);
  if (cached?.classNames === key) return cached.evaluated;
  const detections = decodeAll(p);
  const metrics = new DetectionMetrics({ numClasses: classNames.length, classNames: [...classNames] });
  metrics.update(p.truths, detections);
  const evaluated = { detections, report: metrics.result() };
  evaluatedCache.set(p, { classNames: key, evaluated });
  return evaluated;
}

/**
 * Boxes clipped to the image; boxes left with fewer than `minArea` pixels (or no width/height) dropped, with
 * their labels, masks and crowd flags.
 */
function clipTarget(target: SampleTarget, size: { height: number; width: number }, minArea: number): SampleTarget {
  if (target.kind !== 'detection' && target.kind !== 'instance-segmentation') return target;
  const keep: number[] = [];
  const boxes = target.boxes.map((box): BoxXyxy => {
    const [x0, y0, x1, y1] = box;
    return [
      Math.min(Math.max(x0, 0), size.width),
      Math.min(Math.max(y0, 0), size.height),
      Math.min(Math.max(x1, 0), size.width),
      Math.min(Math.max(y1, 0), size.height),
    ];
  });
  boxes.forEach(([x0, y0, x1, y1], k) => {
    if (x1 > x0 && y1 > y0 && (x1 - x0) * (y1 - y0) >= minArea) keep.push(k);
  });
  const pick = <T>(values: readonly T[]) => keep.map((k) => values[k] as T);
  if (target.kind === 'detection') {
    const { crowd } = target;
    return {
      kind: 'detection',
      boxes: pick(boxes),
      labels: pick(target.labels),
      ...(crowd === undefined ? {} : { crowd: keep.map((k) => crowd[k] === true) }),
    };
  }
  return { ...target, boxes: pick(boxes), labels: pick(target.labels), masks: pick(target.masks) };
}

/** Whether a pipeline holds Mosaic/CopyPaste (multi-sample transforms, which run per sample with a pool). */
function hasMultiSample(t: unknown): boolean {
  const node = t as { level?: string; transforms?: readonly unknown[] };
  return node.level === 'multi' || (node.transforms ?? []).some(hasMultiSample);
}

/** The grid targets are assigned on in training: the model's strides, the config's `train.sizeBounds`. */
export function trainingGrid(
  config: Pick<DetectionConfig, 'model' | 'train'>,
  height: number,
  width: number,
): DetectionGrid {
  const { sizeBounds } = config.train;
  return detectionGrid({
    imageSize: [height, width],
    strides: config.model.strides,
    ...(sizeBounds === undefined ? {} : { sizeBounds }),
  });
}

/**
 * The training-batch augmentation: batchable pipelines move the boxes with `augmentBatchWithTargets`; pipelines
 * with Mosaic/CopyPaste run per image with the batch as the pool of partner images. Either way the boxes are then
 * clipped to the image and those below `minBoxArea` visible pixels are dropped.
 */
export function detectionAugment(pipeline: Compose, minBoxArea: number): (batch: Batch, rng: Rng) => Batch {
  const multi = hasMultiSample(pipeline);
  return (batch, rng) => {
    const [n, height, width, channels] = batch.xs.shape;
    const targets = batch.targets ?? [];
    let xs: tf.Tensor4D;
    let moved: readonly SampleTarget[];
    if (!multi) {
      ({ xs, targets: moved } = pipeline.augmentBatchWithTargets(batch.xs, targets, rng));
    } else {
      const pixels = batch.xs.dataSync() as Float32Array;
      const size = height * width * channels;
      const samples: ImageSample[] = targets.map((target, i) => ({
        image: { width, height, channels: channels as 1 | 3 | 4, data: pixels.subarray(i * size, (i + 1) * size) },
        target,
      }));
      const out = samples.map((sample) => pipeline.run(sample, { rng, pool: samples }).sample);
      const stacked = new Float32Array(n * size);
      out.forEach((sample, i) => {
        if (sample.image.width !== width || sample.image.height !== height) {
          throw new OptikError(
            'CONFIG_INVALID',
            `augment: the pipeline makes ${sample.image.height}×${sample.image.width} images from ${height}×${width} inputs.`,
            {
              path: 'augment',
              hint: `Give Mosaic height: ${height} and width: ${width} (data.imageSize), so batches keep their size.`,
            },
          );
        }
        stacked.set(sample.image.data, i * size);
      });
      xs = tf.tensor4d(stacked, [n, height, width, channels]);
      moved = out.map((s) => s.target);
    }
    return { xs, ys: batch.ys, targets: moved.map((t) => clipTarget(t, { height, width }, minBoxArea)) };
  };
}

export function fmtBox(box: readonly number[]): string {
  return box.map((v) => v.toFixed(1)).join(' ');
}

export function reportOf(
  report: DetectionReport,
  p: Pick<DetectionPredictions, 'truths' | 'postprocess'>,
  detections: readonly Detections[],
) {
  return {
    map: report.ap,
    map50: report.ap50,
    map75: report.ap75,
    mapSmall: report.apSmall,
    mapMedium: report.apMedium,
    mapLarge: report.apLarge,
    ar1: report.ar1,
    ar10: report.ar10,
    ar100: report.ar100,
    vocAp50: report.vocAp50,
    perClass: report.perCategory.map((c) => ({
      name: report.classNames[c.categoryId] ?? String(c.categoryId),
      ap: c.ap,
      ap50: c.ap50,
      ap75: c.ap75,
      numGroundTruths: c.numGroundTruths,
    })),
    classNames: report.classNames,
    numImages: report.numImages,
    // As COCO counts them: crowd regions are not objects to find.
    numGroundTruths: p.truths.reduce((sum, t) => sum + t.boxes.filter((_, k) => t.crowd?.[k] !== true).length, 0),
    numDetections: detections.reduce((sum, d) => sum + d.boxes.length, 0),
    postprocess: p.postprocess,
  };
}

export function reportSection(report: ReturnType<typeof reportOf>): TaskArtifacts['report'] {
  const value = (v: number) => (v < 0 ? '–' : fmt(v));
  return {
    metricsRows: [
      ['mAP@0.5', value(report.map50)],
      ['mAP@[.5:.95]', value(report.map)],
      ['mAP@0.75', value(report.map75)],
      [
        'mAP small / medium / large',
        `${value(report.mapSmall)} / ${value(report.mapMedium)} / ${value(report.mapLarge)}`,
      ],
      ['AR@1 / AR@10 / AR@100', `${value(report.ar1)} / ${value(report.ar10)} / ${value(report.ar100)}`],
      ['VOC AP50 (all-point)', value(report.vocAp50)],
      [
        'Test images / true boxes / detections',
        `${report.numImages} / ${report.numGroundTruths} / ${report.numDetections}`,
      ],
    ],
    sections: [
      {
        title: 'Average precision per class',
        html: table(
          ['Class', 'AP@[.5:.95]', 'AP@0.5', 'AP@0.75', 'True boxes'],
          report.perClass.map((c) => [
            escapeHtml(c.name),
            value(c.ap),
            value(c.ap50),
            value(c.ap75),
            String(c.numGroundTruths),
          ]),
        ),
      },
    ],
  };
}

/** One COCO result (`image_id` = row + 1, `category_id` = class index + 1, `bbox` `[x, y, w, h]`). */
export interface CocoResult {
  readonly image_id: number;
  readonly category_id: number;
  readonly bbox: number[];
  readonly score: number;
}

/**
 * predictions.csv (one row per image: true boxes and detections with class, score and box) and the COCO results
 * of every detection, in image then score order, in the model's input pixels.
 */
export function detectionTables(
  detections: readonly Detections[],
  truths: readonly DetectionTruth[],
  sources: readonly string[] | undefined,
  classNames: readonly string[],
): { csv: string; results: CocoResult[] } {
  const name = (id: number) => classNames[id] ?? String(id);
  const lines = [csvLine(['id', 'true_boxes', 'detections', 'true', 'predicted'])];
  const results: CocoResult[] = [];
  const round = (v: number) => Math.round(v * 100) / 100;
  detections.forEach((d, i) => {
    const truth = truths[i] as DetectionTruth;
    lines.push(
      csvLine([
        sources?.[i] ?? String(i),
        String(truth.boxes.length),
        String(d.boxes.length),
        truth.boxes.map((b, k) => `${name(truth.labels[k] as number)} ${fmtBox(b)}`).join('; '),
        d.boxes
          .map((b, k) => `${name(d.labels[k] as number)} ${(d.scores[k] as number).toFixed(3)} ${fmtBox(b)}`)
          .join('; '),
      ]),
    );
    d.boxes.forEach((b, k) => {
      results.push({
        image_id: i + 1,
        category_id: (d.labels[k] as number) + 1,
        bbox: [round(b[0]), round(b[1]), round(b[2] - b[0]), round(b[3] - b[1])],
        score: Math.round((d.scores[k] as number) * 1e5) / 1e5,
      });
    });
  });
  return { csv: lines.join(''), results };
}

/**
 * Writes `pr-curve.png` into `plotsDir`: precision against recall at IoU 0.5 per class (COCO's 101 recall points,
 * area all, 100 detections) of a COCO report (box or mask); nothing when no class has ground truth.
 */
export async function prCurvePlot(
  coco: DetectionReport,
  classNames: readonly string[],
  plotsDir: string,
  text: { readonly title: string; readonly caption: string },
): Promise<TaskArtifacts['plots'][number] | undefined> {
  const curve = coco.perCategory
    .filter((c) => c.numGroundTruths > 0)
    .flatMap((c) => {
      const pr = coco.prCurve(c.categoryId, 0.5);
      return pr.recall.map((recall, k) => ({
        class: classNames[c.categoryId] ?? String(c.categoryId),
        recall,
        precision: Math.max(0, pr.precision[k] as number),
      }));
    });
  if (curve.length === 0) return undefined;
  writeFileSync(
    join(plotsDir, 'pr-curve.png'),
    await renderPng(
      lineChart(curve, { x: 'recall', y: 'precision', series: 'class', points: false, title: text.title }),
    ),
  );
  return { file: 'pr-curve.png', caption: text.caption };
}

/**
 * Detection: any number of labelled boxes per image. A zoo Detector (FCOS: backbone, feature pyramid, shared
 * head), targets assigned on the host (`encodeDetectionTargets`), the FCOS loss, boxes moved with the pixels by the
 * augmentation (Mosaic/CopyPaste included), validation mAP per epoch, and the COCO evaluation (mAP@0.5,
 * mAP@[.5:.95], per class, PR curves) on the test split.
 */
export const detectionTask: Task<DetectionConfig, DetectionPredictions> = {
  kind: 'detection',
  title: 'Detection',
  schema: DetectionConfigSchema,
  resolve: resolveDetection,
  defaultObjective: 'val_map50',
  curveMetrics: ['loss', 'map50', 'map'],
  loadData: loadDetectionData,
  buildModel(config, data) {
    return new Detector(
      { ...config.model, inputShape: data.inputShape, numClasses: data.classNames.length },
      { path: 'model' },
    );
  },
  training(config, data) {
    const [height, width] = data.inputShape;
    const grid = trainingGrid(config, height, width);
    const numClasses = data.classNames.length;
    const pipeline =
      config.augment === undefined ? undefined : (augmentFromConfig(config.augment, 'augment') as Compose);
    return {
      labelMode: 'int',
      encodeTargets: encodeDetectionTargets(grid, numClasses, {
        centerSamplingRadius: config.train.centerSamplingRadius,
      }),
      loss: fcosLoss(config.train.fcos),
      metrics: [],
      valMetrics: mapMetrics(grid, numClasses, config.postprocess),
      ...(pipeline === undefined ? {} : { augment: detectionAugment(pipeline, config.train.minBoxArea) }),
    };
  },
  predict: predictDetector,
  combine(all) {
    const first = all[0] as DetectionPredictions;
    return { ...first, outputs: meanOf(all, (p) => p.outputs) };
  },
  evaluate(predictions, _dataset, classNames) {
    const { detections, report } = evaluateAll(predictions, classNames);
    const full = reportOf(report, predictions, detections);
    return {
      report: full as unknown as Record<string, unknown>,
      headline: {
        map50: full.map50,
        map: full.map,
        map75: full.map75,
        ar100: full.ar100,
        numSamples: full.numImages,
        numDetections: full.numDetections,
      },
    };
  },
  async writeArtifacts({ dir, plotsDir, predictions, evaluation, dataset, classNames }) {
    const { detections, report: coco } = evaluateAll(predictions, classNames);
    const report = evaluation.report as unknown as ReturnType<typeof reportOf>;
    const { csv, results } = detectionTables(detections, predictions.truths, dataset.sources, classNames);
    writeFileSync(join(dir, 'predictions.csv'), csv);
    writeFileSync(join(dir, 'detections.json'), `${JSON.stringify(results)}\n`);
    const plots: TaskArtifacts['plots'][number][] = [];
    const curve = await prCurvePlot(coco, classNames, plotsDir, {
      title: `Precision–recall at IoU 0.5 (test set; mAP@0.5 ${fmt(Math.max(0, report.map50))})`,
      caption: 'Precision against recall at IoU 0.5, one line per class.',
    });
    if (curve !== undefined) plots.push(curve);
    const shown = Array.from({ length: Math.min(24, dataset.length) }, (_, i) => i);
    writeFileSync(
      join(plotsDir, 'test-predictions.png'),
      await imageGrid(
        shown.map((i) => {
          const truth = predictions.truths[i] as DetectionTruth;
          const d = detections[i] as Detections;
          const kept = d.boxes.filter((_, k) => (d.scores[k] as number) >= SHOW_SCORE);
          return {
            image: dataset.sample(i).image,
            trueLabel: `${truth.boxes.length} true`,
            predictedLabel: `${kept.length} found`,
            correct: kept.length === truth.boxes.length,
            boxes: [
              ...truth.boxes.map((box) => ({ box, kind: 'true' as const })),
              ...kept.map((box) => ({ box, kind: 'predicted' as const })),
            ],
          };
        }),
        {
          columns: 6,
          title: `Test images: true boxes (green), detections with score ≥ ${SHOW_SCORE} (orange, dashed)`,
        },
      ),
    );
    plots.push({
      file: 'test-predictions.png',
      caption: `Test images with their true boxes (green) and the detections scoring ≥ ${SHOW_SCORE} (orange).`,
    });
    return { plots, report: reportSection(report) };
  },
  async predictImages(model, images, files, config, { outDir, conf }) {
    const predictions = await predictDetector(model, images, config);
    const detections = decodeAll(predictions, conf ?? SHOW_SCORE);
    if (outDir !== undefined) mkdirSync(outDir, { recursive: true });
    const out = [];
    for (let i = 0; i < images.length; i++) {
      const file = files[i] as string;
      const d = detections[i] as Detections;
      const found: { label: string; classId: number; score: number; box: BoxXyxy }[] = [];
      for (const [k, box] of d.boxes.entries()) {
        found.push({
          label: images.classNames[d.labels[k] as number] ?? String(d.labels[k]),
          classId: d.labels[k] as number,
          score: d.scores[k] as number,
          box: await boxInFile(box, file, images),
        });
      }
      const entry = { file, detections: found };
      if (outDir !== undefined) {
        const png = await drawBoxes(
          images.sample(i).image,
          d.boxes.map((box, k) => ({
            box,
            kind: 'predicted' as const,
            caption: `${found[k]?.label} ${(d.scores[k] as number).toFixed(2)}`,
          })),
        );
        const target = join(outDir, `${basename(file, extname(file))}.png`);
        writeFileSync(target, png);
        out.push({ ...entry, output: target });
      } else out.push(entry);
    }
    return out;
  },
};
