import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Metric, SegmentationMetrics, type SegmentationReport } from '../index.js';

// SegmentationMetrics against scikit-learn (scripts/make-segmentation-fixtures.py): confusion_matrix,
// jaccard_score(average=None) and f1_score(average=None) on the flattened maps, streamed in several batches.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface SegmentationFixture {
  name: string;
  numClasses: number;
  shape: [number, number, number];
  batches: number;
  yTrue: number[];
  yPred: number[];
  expected: {
    pixels: number;
    ignoredPixels: number;
    pixelAccuracy: number;
    confusionMatrix: number[][];
    iou: (number | null)[];
    dice: (number | null)[];
    meanIou: number;
    meanDice: number;
    frequencyWeightedIou: number;
  };
}

const DIR = join(import.meta.dirname, 'fixtures');
const FIXTURES: SegmentationFixture[] = readdirSync(DIR)
  .filter((f) => f.startsWith('segmentation-'))
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as SegmentationFixture);

const close = (actual: number | null, expected: number | null) => {
  if (expected === null) expect(actual).toBeNull();
  else expect(Math.abs((actual as number) - expected)).toBeLessThan(1e-6);
};

function check(report: SegmentationReport, f: SegmentationFixture): void {
  expect(report.confusionMatrix).toEqual(f.expected.confusionMatrix);
  expect(report.pixels).toBe(f.expected.pixels);
  expect(report.ignoredPixels).toBe(f.expected.ignoredPixels);
  close(report.pixelAccuracy, f.expected.pixelAccuracy);
  report.perClass.forEach((c, i) => {
    close(c.iou, f.expected.iou[i] as number | null);
    close(c.dice, f.expected.dice[i] as number | null);
  });
  close(report.meanIou, f.expected.meanIou);
  close(report.meanDice, f.expected.meanDice);
  close(report.frequencyWeightedIou, f.expected.frequencyWeightedIou);
}

describe('SegmentationMetrics matches scikit-learn', () => {
  it('has the fixtures', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(4);
    expect(FIXTURES.some((f) => f.expected.iou.includes(null))).toBe(true);
  });

  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s: one shot, streamed in batches, and from tensors', (_n, f) => {
    const metric: Metric<SegmentationReport, ArrayLike<number>, ArrayLike<number>> = new SegmentationMetrics({
      numClasses: f.numClasses,
    });
    metric.update(Uint8Array.from(f.yTrue), Int32Array.from(f.yPred));
    check(metric.result(), f);
    // Streamed: the images split over several updates give exactly the same report.
    metric.reset();
    const [n, h, w] = f.shape;
    const per = Math.ceil(n / f.batches);
    for (let start = 0; start < n; start += per) {
      const from = start * h * w;
      const to = Math.min(n, start + per) * h * w;
      metric.update(f.yTrue.slice(from, to), f.yPred.slice(from, to));
    }
    check(metric.result(), f);
    // Tensors of ids [n, h, w].
    const tensors = new SegmentationMetrics({ numClasses: f.numClasses });
    const before = tf.memory().numTensors;
    tf.tidy(() => tensors.update(tf.tensor3d(f.yTrue, f.shape, 'int32'), tf.tensor3d(f.yPred, f.shape, 'int32')));
    expect(tf.memory().numTensors).toBe(before);
    check(tensors.result(), f);
  });
});

describe('SegmentationMetrics behaviour', () => {
  it('names classes, round-trips its config, and reports an empty state', () => {
    const metric = new SegmentationMetrics({ numClasses: 3, classNames: ['bg', 'road', 'car'], ignoreIndex: 0 });
    expect(SegmentationMetrics.fromConfig(metric.toConfig()).toConfig()).toEqual(metric.toConfig());
    const empty = metric.result();
    expect(empty.meanIou).toBeNull();
    expect(empty.pixelAccuracy).toBe(0);
    // ignoreIndex 0: background pixels are not scored.
    metric.update([0, 0, 1, 2], [1, 2, 1, 1]);
    const report = metric.result();
    expect(report.perClass.map((c) => c.name)).toEqual(['bg', 'road', 'car']);
    expect(report.classNames).toEqual(['bg', 'road', 'car']);
    expect(report.pixels).toBe(2);
    expect(report.ignoredPixels).toBe(2);
    expect(report.perClass[1]?.iou).toBe(0.5);
    expect(report.perClass[2]?.iou).toBe(0);
    expect(report.perClass[0]?.iou).toBeNull();
  });

  it('refuses maps of different sizes and ids out of range, leaving its state untouched', () => {
    const metric = new SegmentationMetrics({ numClasses: 2 });
    metric.update([0, 1], [0, 1]);
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        return isOptikError(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(code(() => metric.update([0, 1, 1], [0, 1]))).toBe('DATA_MISMATCH');
    expect(code(() => metric.update([0, 2], [0, 1]))).toBe('DATA_UNKNOWN_CLASS');
    expect(code(() => metric.update([0, 1], [0, 3]))).toBe('DATA_UNKNOWN_CLASS');
    expect(code(() => metric.update([0, 1], [0, 0.5]))).toBe('DATA_UNKNOWN_CLASS');
    expect(metric.result().pixels).toBe(2);
    expect(code(() => new SegmentationMetrics({ numClasses: 1 }))).toBe('CONFIG_INVALID');
    expect(code(() => new SegmentationMetrics({ numClasses: 2, classNames: ['a'] }))).toBe('CONFIG_INVALID');
  });
});
