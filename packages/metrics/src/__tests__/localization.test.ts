import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BoxXyxy, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  boxIou,
  classificationReport,
  LocalizationMetrics,
  type LocalizationPrediction,
  type LocalizationReport,
  type LocalizationTruth,
  type Metric,
} from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = 1e-9;

interface Averages {
  precision: number;
  recall: number;
  f1: number;
}
interface LocalizationFixture {
  name: string;
  kind: 'localization';
  numClasses: number;
  iouThresholds: number[];
  yTrue: { labels: number[]; boxes: BoxXyxy[] };
  yPred: { probabilities: number[][]; boxes: BoxXyxy[] };
  expected: {
    yPred: number[];
    accuracy: number;
    macro: Averages;
    weighted: Averages;
    confusionMatrix: number[][];
    meanIou: number;
    ious: number[];
    locAccuracy: { threshold: number; accuracy: number; boxAccuracy: number }[];
    perClass: {
      precision: number[];
      recall: number[];
      f1: number[];
      support: number[];
      meanIou: (number | null)[];
      locAccuracy: (number | null)[][];
    };
  };
}

const fixtureDir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.startsWith('localization-') && f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as LocalizationFixture);

function close(actual: number | null, expected: number | null, tol = TOL): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

function slice(f: LocalizationFixture, start: number, end: number): [LocalizationTruth, LocalizationPrediction] {
  return [
    { labels: f.yTrue.labels.slice(start, end), boxes: f.yTrue.boxes.slice(start, end) },
    { probabilities: f.yPred.probabilities.slice(start, end), boxes: f.yPred.boxes.slice(start, end) },
  ];
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isOptikError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected an OptikError');
}

describe('boxIou', () => {
  it('hand-computed cases', () => {
    expect(boxIou([10, 10, 50, 40], [10, 10, 50, 40])).toBe(1);
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 15);
    expect(boxIou([0, 0, 10, 10], [0, 0, 10, 5])).toBe(0.5);
    expect(boxIou([0, 0, 4, 4], [2, 2, 6, 6])).toBeCloseTo(4 / 28, 15);
    expect(boxIou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(boxIou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching
    expect(boxIou([0, 0, 10, 10], [2, 2, 8, 8])).toBeCloseTo(36 / 100, 15); // contained
  });

  it('is 0 for an empty union and for empty or inverted boxes; symmetric', () => {
    expect(boxIou([5, 5, 5, 5], [5, 5, 5, 5])).toBe(0);
    expect(boxIou([0, 0, 10, 10], [3, 3, 3, 9])).toBe(0);
    expect(boxIou([0, 0, 10, 10], [8, 8, 2, 2])).toBe(0);
    expect(boxIou([1, 2, 9, 7], [3, 0, 12, 5])).toBe(boxIou([3, 0, 12, 5], [1, 2, 9, 7]));
  });

  it('rejects a box that is not 4 finite numbers', () => {
    expect(errorOf(() => boxIou([0, 0, Number.NaN, 1], [0, 0, 1, 1])).code).toBe('ARGUMENT_INVALID');
    expect(errorOf(() => boxIou([0, 0, 1] as unknown as BoxXyxy, [0, 0, 1, 1])).message).toContain('boxIou: a');
  });
});

describe.each(fixtures.map((f) => [f.name, f] as const))(
  'LocalizationMetrics matches numpy + scikit-learn (%s)',
  (_, f) => {
    const metric = new LocalizationMetrics({ numClasses: f.numClasses, iouThresholds: f.iouThresholds });
    const e = f.expected;

    it('fixtures hold the hard cases', () => {
      expect(e.ious.slice(0, 7)).toEqual([1, 0.5, 0.75, 0, 0, 0, 0]);
      expect(e.ious[7]).toBeCloseTo(1 / 3, 12);
      expect(e.ious.some((v) => v > 0 && v < 0.3)).toBe(true);
    });

    it('one shot', () => {
      metric.reset();
      metric.update(...slice(f, 0, f.yTrue.labels.length));
      const r = metric.result();
      expect(r.numSamples).toBe(f.yTrue.labels.length);
      close(r.accuracy, e.accuracy);
      for (const key of ['precision', 'recall', 'f1'] as const) {
        close(r[key], e.macro[key]);
        close(r.macro[key], e.macro[key]);
        close(r.weighted[key], e.weighted[key]);
      }
      expect(r.confusionMatrix).toEqual(e.confusionMatrix);
      close(r.meanIou, e.meanIou);
      expect(r.ious.length).toBe(e.ious.length);
      r.ious.forEach((v, i) => {
        close(v, e.ious[i] as number);
      });
      expect(r.locAccuracy.map((a) => a.threshold)).toEqual(f.iouThresholds);
      r.locAccuracy.forEach((a, t) => {
        close(a.accuracy, e.locAccuracy[t]!.accuracy);
        close(a.boxAccuracy, e.locAccuracy[t]!.boxAccuracy);
      });
      r.perClass.forEach((c, k) => {
        expect(c.name).toBe(`class${k}`);
        expect(c.support).toBe(e.perClass.support[k]);
        close(c.precision, e.perClass.precision[k]!);
        close(c.recall, e.perClass.recall[k]!);
        close(c.f1, e.perClass.f1[k]!);
        close(c.meanIou, e.perClass.meanIou[k]!);
        c.locAccuracy.forEach((a, t) => {
          expect(a.threshold).toBe(f.iouThresholds[t]);
          close(a.accuracy, e.perClass.locAccuracy[t]![k]!);
        });
      });
      expect(JSON.parse(JSON.stringify(r))).toEqual(r); // JSON-ready: no NaN
    });

    it('streaming in uneven chunks (one empty) equals one shot; reset forgets', () => {
      metric.reset();
      metric.update(...slice(f, 0, f.yTrue.labels.length));
      const once = metric.result();
      metric.reset();
      const n = f.yTrue.labels.length;
      const cuts = [0, 7, 7, Math.floor(n / 2), n - 3, n];
      for (let i = 1; i < cuts.length; i++) metric.update(...slice(f, cuts[i - 1]!, cuts[i]!));
      expect(metric.result()).toEqual(once);
    });

    it('class scores equal classificationReport on the same labels and probabilities (shared code)', () => {
      metric.reset();
      metric.update(...slice(f, 0, f.yTrue.labels.length));
      const r = metric.result();
      const names = Array.from({ length: f.numClasses }, (_, k) => `class${k}`);
      const report = classificationReport(f.yTrue.labels, f.yPred.probabilities, names);
      expect(r.macro).toEqual(report.macro);
      expect(r.weighted).toEqual(report.weighted);
      expect(r.accuracy).toBe(report.accuracy);
    });

    it('takes tensors for labels (one-hot) and probabilities', () => {
      const before = tf.memory().numTensors;
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(f.yTrue.labels, 'int32'), f.numClasses));
      const probabilities = tf.tensor2d(f.yPred.probabilities, undefined, 'float32');
      const fromTensors = new LocalizationMetrics({ numClasses: f.numClasses, iouThresholds: f.iouThresholds });
      fromTensors.update({ labels, boxes: f.yTrue.boxes }, { probabilities, boxes: f.yPred.boxes });
      const fromArrays = new LocalizationMetrics({ numClasses: f.numClasses, iouThresholds: f.iouThresholds });
      fromArrays.update(
        { labels: f.yTrue.labels, boxes: f.yTrue.boxes },
        { probabilities: f.yPred.probabilities.map((row) => Array.from(Float32Array.from(row))), boxes: f.yPred.boxes },
      );
      expect(fromTensors.result()).toEqual(fromArrays.result());
      tf.dispose([labels, probabilities]);
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);

describe('LocalizationMetrics by hand', () => {
  // sample 0: right class, IoU 1 · sample 1: right class, IoU 0.5 · sample 2: wrong class, IoU 1 ·
  // sample 3: right class, IoU 0 (disjoint)
  const yTrue: LocalizationTruth = {
    labels: [0, 1, 1, 0],
    boxes: [
      [0, 0, 10, 10],
      [0, 0, 10, 10],
      [20, 20, 40, 40],
      [0, 0, 10, 10],
    ],
  };
  const yPred: LocalizationPrediction = {
    probabilities: [
      [0.9, 0.1],
      [0.2, 0.8],
      [0.6, 0.4],
      [0.5, 0.5], // a tie: argmax takes class 0
    ],
    boxes: [
      [0, 0, 10, 10],
      [0, 5, 10, 10],
      [20, 20, 40, 40],
      [50, 50, 60, 60],
    ],
  };

  it('counts class and box together', () => {
    const metric = new LocalizationMetrics({ numClasses: 2, classNames: ['cat', 'dog'], iouThresholds: [0.5, 0.75] });
    metric.update(yTrue, yPred);
    const r: LocalizationReport = metric.result();
    expect(r.numSamples).toBe(4);
    expect(r.accuracy).toBe(0.75);
    expect(r.confusionMatrix).toEqual([
      [2, 0],
      [1, 1],
    ]);
    // cat: precision 2/3, recall 1 · dog: precision 1, recall 1/2
    expect(r.precision).toBeCloseTo((2 / 3 + 1) / 2, 15);
    expect(r.recall).toBeCloseTo(0.75, 15);
    expect(r.meanIou).toBeCloseTo(2.5 / 4, 15);
    expect(r.ious).toEqual([1, 0.5, 1, 0]);
    expect(r.locAccuracy).toEqual([
      { threshold: 0.5, accuracy: 2 / 4, boxAccuracy: 3 / 4 },
      { threshold: 0.75, accuracy: 1 / 4, boxAccuracy: 2 / 4 },
    ]);
    expect(r.perClass[0]).toMatchObject({ name: 'cat', support: 2, meanIou: 0.5 });
    expect(r.perClass[0]?.locAccuracy).toEqual([
      { threshold: 0.5, accuracy: 0.5 },
      { threshold: 0.75, accuracy: 0.5 },
    ]);
    expect(r.perClass[1]).toMatchObject({ name: 'dog', support: 2, meanIou: 0.75 });
    expect(r.perClass[1]?.locAccuracy).toEqual([
      { threshold: 0.5, accuracy: 0.5 },
      { threshold: 0.75, accuracy: 0 },
    ]);
  });

  it('a class without samples has null IoU and localization accuracy', () => {
    const metric = new LocalizationMetrics({ numClasses: 3, iouThresholds: [0.5] });
    metric.update(
      { labels: yTrue.labels, boxes: yTrue.boxes },
      { probabilities: (yPred.probabilities as number[][]).map((row) => [...row, 0]), boxes: yPred.boxes },
    );
    const cls = metric.result().perClass[2];
    expect(cls).toEqual({
      name: 'class2',
      support: 0,
      precision: 0,
      recall: 0,
      f1: 0,
      meanIou: null,
      locAccuracy: [{ threshold: 0.5, accuracy: null }],
    });
  });

  it('a one-class localizer may leave the probabilities out', () => {
    const metric = new LocalizationMetrics({ numClasses: 1 });
    metric.update(
      { labels: [0, 0], boxes: [yTrue.boxes[0]!, yTrue.boxes[1]!] },
      { boxes: [yPred.boxes[0]!, yPred.boxes[1]!] },
    );
    const r = metric.result();
    expect(r.accuracy).toBe(1);
    expect(r.locAccuracy[0]).toEqual({ threshold: 0.5, accuracy: 1, boxAccuracy: 1 });
    expect(r.locAccuracy[1]).toEqual({ threshold: 0.75, accuracy: 0.5, boxAccuracy: 0.5 });
  });

  it('fits the Metric contract and round-trips its config', () => {
    const metric: Metric<LocalizationReport, LocalizationTruth, LocalizationPrediction> = new LocalizationMetrics({
      numClasses: 2,
      classNames: ['cat', 'dog'],
    });
    expect(metric.name).toBe('localization');
    expect(metric.toConfig()).toEqual({ numClasses: 2, classNames: ['cat', 'dog'], iouThresholds: [0.5, 0.75] });
    const again = LocalizationMetrics.fromConfig(metric.toConfig() as { numClasses: number });
    expect(again.toConfig()).toEqual(metric.toConfig());
    expect(new LocalizationMetrics({ numClasses: 4 }).toConfig()).toEqual({
      numClasses: 4,
      iouThresholds: [0.5, 0.75],
    });
  });

  it('rejects bad options and inputs with coded, actionable errors', () => {
    expect(errorOf(() => new LocalizationMetrics({ numClasses: 0 })).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => new LocalizationMetrics({ numClasses: 2, classNames: ['a'] })).message).toContain(
      'classNames',
    );
    expect(errorOf(() => new LocalizationMetrics({ numClasses: 2, iouThresholds: [0.5, 0.5] })).message).toContain(
      'iouThresholds',
    );
    expect(errorOf(() => new LocalizationMetrics({ numClasses: 2, iouThresholds: [1.5] })).code).toBe('CONFIG_INVALID');
    const metric = new LocalizationMetrics({ numClasses: 2 });
    expect(errorOf(() => metric.result()).code).toBe('DATA_MISMATCH');
    const fewer = errorOf(() => metric.update(yTrue, { ...yPred, boxes: yPred.boxes.slice(1) }));
    expect(fewer.code).toBe('DATA_MISMATCH');
    expect(fewer.message).toContain('yPred.boxes has 3 boxes, expected 4');
    const inverted = errorOf(() =>
      metric.update({ labels: [0], boxes: [[10, 0, 0, 10]] }, { probabilities: [[1, 0]], boxes: [[0, 0, 1, 1]] }),
    );
    expect(inverted.code).toBe('DATA_CORRUPT');
    expect(inverted.message).toContain('yTrue.boxes[0]');
    const nan = errorOf(() =>
      metric.update(
        { labels: [0], boxes: [[0, 0, 1, 1]] },
        { probabilities: [[1, 0]], boxes: [[0, Number.NaN, 1, 1]] },
      ),
    );
    expect(nan.code).toBe('ARGUMENT_INVALID');
    expect(errorOf(() => metric.update(yTrue, { boxes: yPred.boxes })).message).toContain('probabilities is missing');
    expect(errorOf(() => metric.update({ ...yTrue, labels: [0, 1, 2, 0] }, yPred)).code).toBe('DATA_UNKNOWN_CLASS');
    // a failed update leaves the state as it was
    expect(errorOf(() => metric.result()).code).toBe('DATA_MISMATCH');
  });
});
