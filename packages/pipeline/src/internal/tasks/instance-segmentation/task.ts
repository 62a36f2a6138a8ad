import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fromConfig as augmentFromConfig, type Compose } from '@optik/augment';
import {
  type BoxXyxy,
  type DetectionGrid,
  type ImageData,
  type Mask,
  OptikError,
  rleEncode,
  rleToString,
  type SampleTarget,
} from '@optik/core';
import { detectionGrid, encodeInstanceTargets, type InMemoryDataset, imageDimensions } from '@optik/data';
import { DetectionMetrics, type DetectionReport, type DetectionTruth } from '@optik/metrics';
import { instanceSegmentationLoss } from '@optik/train';
import { classColors, drawBoxes, imageGrid, overlayMask } from '@optik/viz';
import { type DecodeInstancesOptions, decodeInstances, type InstanceDetections, InstanceSegmenter } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { fmt } from '../../run/report.js';
import {
  detectionAugment,
  detectionTables,
  prCurvePlot,
  reportOf,
  reportSection,
  SHOW_SCORE,
  trainingGrid,
} from '../detection/task.js';
import { resizeIds } from '../segmentation/task.js';
import { boxInFile, imagesTensor } from '../shared/images.js';
import type { Task, TaskArtifacts } from '../types.js';
import {
  type InstanceSegmentationConfig,
  InstanceSegmentationConfigSchema,
  resolveInstanceSegmentation,
} from './config.js';
import { loadInstanceData } from './data.js';
import { instanceMapMetrics } from './metrics.js';

/** An instance segmenter's three raw outputs on a dataset, with what decoding and evaluation need. */
export interface InstancePredictions {
  /** `[images, points, numClasses + 5]`, `[images, points, k]` and `[images, hp, wp, k]`, row-major. */
  readonly outputs: readonly [Float32Array, Float32Array, Float32Array];
  readonly shapes: readonly [readonly number[], readonly number[], readonly number[]];
  /** `[height, width]` of the model's input (boxes and masks are in these pixels). */
  readonly imageSize: readonly [number, number];
  readonly strides: readonly number[];
  readonly postprocess: DecodeInstancesOptions;
  readonly truths: readonly (DetectionTruth & { masks: Mask[] })[];
}

const EVAL_BATCH = 32;

function gridOf(p: InstancePredictions): DetectionGrid {
  return detectionGrid({ imageSize: [p.imageSize[0], p.imageSize[1]], strides: [...p.strides] });
}

function truthOf(target: SampleTarget | undefined): DetectionTruth & { masks: Mask[] } {
  if (target?.kind === 'instance-segmentation') {
    return { boxes: target.boxes, labels: target.labels, masks: [...target.masks] };
  }
  return { boxes: [], labels: [], masks: [] };
}

async function predictSegmenter(
  model: tf.LayersModel,
  dataset: InMemoryDataset,
  config: InstanceSegmentationConfig,
): Promise<InstancePredictions> {
  const n = dataset.length;
  const sizes = model.outputs.map((o) => (o.shape.slice(1) as number[]).reduce((a, b) => a * b, 1));
  if (sizes.length !== 3) {
    throw new OptikError('DATA_MISMATCH', `The model has ${sizes.length} outputs, an instance segmenter 3.`, {
      received: sizes.length,
      hint: 'Evaluate an instance-segmentation run with its own weights (detections, coefficients, prototypes).',
    });
  }
  const outputs = sizes.map((size) => new Float32Array(n * size)) as [Float32Array, Float32Array, Float32Array];
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const indices = Array.from({ length: Math.min(EVAL_BATCH, n - start) }, (_, i) => start + i);
    const xs = imagesTensor(dataset.subset(indices));
    const out = model.predict(xs) as tf.Tensor[];
    for (let k = 0; k < 3; k++) {
      (outputs[k] as Float32Array).set(await (out[k] as tf.Tensor).data(), start * (sizes[k] as number));
    }
    tf.dispose([xs, ...out]);
  }
  const shapes = model.outputs.map((o) => [n, ...(o.shape.slice(1) as number[])]);
  return {
    outputs,
    shapes: shapes as unknown as InstancePredictions['shapes'],
    imageSize: [dataset.height, dataset.width],
    strides: config.model.strides,
    postprocess: config.postprocess,
    truths: Array.from({ length: n }, (_, i) => truthOf(dataset.targets?.[i])),
  };
}

// Decoding masks is the slow part of evaluation: evaluate and writeArtifacts share one decoding per predictions.
const decodedCache = new WeakMap<InstancePredictions, InstanceDetections[]>();

function decodeAll(p: InstancePredictions, scoreThreshold?: number): InstanceDetections[] {
  const cached = scoreThreshold === undefined ? decodedCache.get(p) : undefined;
  if (cached !== undefined) return cached;
  const decoded = decodeInstances(
    p.outputs.map((data, k) => ({ data, shape: p.shapes[k] as number[] })),
    gridOf(p),
    { ...p.postprocess, ...(scoreThreshold === undefined ? {} : { scoreThreshold }) },
  );
  if (scoreThreshold === undefined) decodedCache.set(p, decoded);
  return decoded;
}

type Evaluated = { instances: InstanceDetections[]; segm: DetectionReport; bbox: DetectionReport };
const evaluatedCache = new WeakMap<InstancePredictions, { classNames: string; evaluated: Evaluated }>();

/** The COCO `segm` and `bbox` evaluations of the predictions (computed once for evaluate and writeArtifacts). */
function evaluateAll(p: InstancePredictions, classNames: readonly string[]): Evaluated {
  const key = JSON.stringify(classNames);
  const cached = evaluatedCache.get(p);
  if (cached?.classNames === key) return cached.evaluated;
  const instances = decodeAll(p);
  const options = { numClasses: classNames.length, classNames: [...classNames] };
  const masks = new DetectionMetrics({ ...options, iouType: 'segm' });
  const boxes = new DetectionMetrics(options);
  masks.update(p.truths, instances);
  boxes.update(p.truths, instances);
  const evaluated = { instances, segm: masks.result(), bbox: boxes.result() };
  evaluatedCache.set(p, { classNames: key, evaluated });
  return evaluated;
}

/** Instances painted into one id map (1-based, best score on top) and coloured by class over the image. */
function overlayInstances(image: ImageData, found: InstanceDetections, keep: readonly number[], numClasses: number) {
  const ids = new Uint8Array(image.width * image.height);
  const palette = classColors(numClasses + 1);
  const colors: number[][] = [[0, 0, 0]];
  [...keep].reverse().forEach((k) => {
    const mask = found.masks[k] as Mask;
    colors.push(palette[(found.labels[k] as number) + 1] as number[]);
    const id = colors.length - 1;
    for (let p = 0; p < ids.length; p++) if (mask.data[p] === 1) ids[p] = id;
  });
  return overlayMask(image, { width: image.width, height: image.height, data: ids }, { alpha: 0.55, colors });
}

/** The indices of an image's instances with at least `score` (best first, as decoded). */
function shown(found: InstanceDetections, score: number): number[] {
  return found.scores.flatMap((s, k) => (s >= score ? [k] : []));
}

function prefixed(section: TaskArtifacts['report'], prefix: string): TaskArtifacts['report'] {
  return {
    metricsRows: section.metricsRows.map(([label, value]) => [`${prefix} ${label}`, value] as [string, string]),
    sections: section.sections.map((s) => ({ ...s, title: `${s.title} (${prefix.toLowerCase()})` })),
  };
}

/**
 * Instance segmentation: each object's class, box and mask. A zoo InstanceSegmenter (the FCOS detector plus
 * YOLACT prototypes and per-point mask coefficients), targets assigned on the host (`encodeInstanceTargets`), the
 * FCOS loss plus the box-cropped mask BCE, masks and boxes moved with the pixels by the augmentation, validation
 * mask and box mAP per epoch, and the COCO evaluation (`segm` and `bbox`) on the test split.
 */
export const instanceSegmentationTask: Task<InstanceSegmentationConfig, InstancePredictions> = {
  kind: 'instance-segmentation',
  title: 'Instance segmentation',
  schema: InstanceSegmentationConfigSchema,
  resolve: resolveInstanceSegmentation,
  defaultObjective: 'val_mask_map50',
  curveMetrics: ['loss', 'mask_map50', 'map50'],
  loadData: loadInstanceData,
  buildModel(config, data) {
    return new InstanceSegmenter(
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
    const { maskWeight, maxMaskPositives, centerSamplingRadius, fcos, minBoxArea } = config.train;
    return {
      labelMode: 'int',
      encodeTargets: encodeInstanceTargets(grid, numClasses, {
        centerSamplingRadius,
        prototypeStride: config.model.protoStride,
        maxMaskPositives,
      }),
      loss: instanceSegmentationLoss({ ...fcos, maskWeight }),
      metrics: [],
      valMetrics: instanceMapMetrics(grid, numClasses, config.postprocess),
      // Validation decodes masks on the host and holds the true masks of a whole batch: modest batches.
      validationBatchSize: 64,
      ...(pipeline === undefined ? {} : { augment: detectionAugment(pipeline, minBoxArea) }),
    };
  },
  predict: predictSegmenter,
  combine() {
    throw new OptikError('CONFIG_INVALID', 'Instance segmentation runs cannot be combined into an ensemble.', {
      hint: "Each model's prototypes are its own basis, so their coefficients cannot be averaged; evaluate the best trial's run instead.",
    });
  },
  evaluate(predictions, _dataset, classNames) {
    const { instances, segm, bbox } = evaluateAll(predictions, classNames);
    const mask = reportOf(segm, predictions, instances);
    const box = reportOf(bbox, predictions, instances);
    return {
      report: { classNames: [...classNames], numImages: mask.numImages, mask, box } as unknown as Record<
        string,
        unknown
      >,
      headline: {
        maskMap50: mask.map50,
        maskMap: mask.map,
        map50: box.map50,
        map: box.map,
        numSamples: mask.numImages,
        numDetections: mask.numDetections,
      },
    };
  },
  async writeArtifacts({ dir, plotsDir, predictions, evaluation, dataset, classNames }) {
    const { instances, segm } = evaluateAll(predictions, classNames);
    const report = evaluation.report as unknown as Record<'mask' | 'box', ReturnType<typeof reportOf>>;
    // predictions.csv as detection's; segmentations.json: its COCO results plus each mask as a compressed RLE
    // (`segmentation: { size: [h, w], counts }`), in the model's input pixels.
    const { csv, results } = detectionTables(instances, predictions.truths, dataset.sources, classNames);
    const [height, width] = predictions.imageSize;
    const masks = instances.flatMap((d) => d.masks);
    const segmentations = results.map((result, j) => ({
      ...result,
      segmentation: { size: [height, width], counts: rleToString(rleEncode((masks[j] as Mask).data, height, width)) },
    }));
    writeFileSync(join(dir, 'predictions.csv'), csv);
    writeFileSync(join(dir, 'segmentations.json'), `${JSON.stringify(segmentations)}\n`);
    const plots: TaskArtifacts['plots'][number][] = [];
    const curve = await prCurvePlot(segm, classNames, plotsDir, {
      title: `Mask precision–recall at IoU 0.5 (test set; mask mAP@0.5 ${fmt(Math.max(0, report.mask.map50))})`,
      caption: 'Mask precision against recall at IoU 0.5, one line per class.',
    });
    if (curve !== undefined) plots.push(curve);
    const picked = Array.from({ length: Math.min(24, dataset.length) }, (_, i) => i);
    writeFileSync(
      join(plotsDir, 'test-predictions.png'),
      await imageGrid(
        picked.map((i) => {
          const truth = predictions.truths[i] as DetectionTruth;
          const found = instances[i] as InstanceDetections;
          const keep = shown(found, SHOW_SCORE);
          return {
            image: overlayInstances(dataset.sample(i).image, found, keep, classNames.length),
            trueLabel: `${truth.boxes.length} true`,
            predictedLabel: `${keep.length} found`,
            correct: keep.length === truth.boxes.length,
            boxes: [
              ...truth.boxes.map((box) => ({ box, kind: 'true' as const })),
              ...keep.map((k) => ({ box: found.boxes[k] as BoxXyxy, kind: 'predicted' as const })),
            ],
          };
        }),
        {
          columns: 6,
          title: `Test images: true boxes (green), instances with score ≥ ${SHOW_SCORE} (mask, orange box)`,
        },
      ),
    );
    plots.push({
      file: 'test-predictions.png',
      caption: `Test images with the predicted masks (coloured by class) and boxes scoring ≥ ${SHOW_SCORE} (orange), and the true boxes (green).`,
    });
    const mask = prefixed(reportSection(report.mask), 'Mask');
    const box = prefixed(reportSection(report.box), 'Box');
    return {
      plots,
      report: {
        metricsRows: [...mask.metricsRows, ...box.metricsRows.slice(0, 3)],
        sections: [...mask.sections, ...box.sections],
      },
    };
  },
  async predictImages(model, images, files, config, { outDir, conf }) {
    const predictions = await predictSegmenter(model, images, config);
    const instances = decodeAll(predictions, conf ?? SHOW_SCORE);
    if (outDir !== undefined) mkdirSync(outDir, { recursive: true });
    const out = [];
    for (let i = 0; i < images.length; i++) {
      const file = files[i] as string;
      const d = instances[i] as InstanceDetections;
      // Boxes and masks in the file's own pixels (the model saw it stretched to its input size).
      const original = await imageDimensions(file);
      const found: {
        label: string;
        classId: number;
        score: number;
        box: BoxXyxy;
        mask: { size: [number, number]; counts: string };
      }[] = [];
      for (const [k, box] of d.boxes.entries()) {
        const mask = resizeIds(d.masks[k] as Mask, original.width, original.height);
        found.push({
          label: images.classNames[d.labels[k] as number] ?? String(d.labels[k]),
          classId: d.labels[k] as number,
          score: d.scores[k] as number,
          box: await boxInFile(box, file, images),
          mask: {
            size: [original.height, original.width],
            counts: rleToString(rleEncode(mask.data, original.height, original.width)),
          },
        });
      }
      const entry = { file, detections: found };
      if (outDir === undefined) {
        out.push(entry);
        continue;
      }
      const overlay = overlayInstances(
        images.sample(i).image,
        d,
        d.boxes.map((_, k) => k),
        images.classNames.length,
      );
      const png = await drawBoxes(
        overlay,
        d.boxes.map((box, k) => ({
          box,
          kind: 'predicted' as const,
          caption: `${found[k]?.label} ${(d.scores[k] as number).toFixed(2)}`,
        })),
      );
      const target = join(outDir, `${basename(file, extname(file))}.png`);
      writeFileSync(target, png);
      out.push({ ...entry, output: target });
    }
    return out;
  },
};
