import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Accuracy,
  AveragePrecision,
  BinaryAccuracy,
  BinaryAveragePrecision,
  BinaryF1Score,
  BinaryLogLoss,
  BinaryPrecision,
  BinaryRecall,
  BinaryRocAuc,
  ConfusionMatrix,
  classificationReport,
  F1Score,
  LogLoss,
  type Metric,
  Precision,
  PrecisionRecallF1,
  Recall,
  RocAuc,
  type TensorLike,
  TopKAccuracy,
} from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * The shape of `ValidationMetric` in @optik/train (what `Trainer.fit({ valMetrics })` takes), written out here so
 * this test proves, at type-check time, that metrics fit it without a dependency on the trainer.
 */
interface TrainerValidationMetric {
  readonly name: string;
  reset(): void;
  update(yTrue: tf.Tensor, yPred: tf.Tensor): void | Promise<void>;
  result(): number | Record<string, number>;
}

interface Fixture {
  name: string;
  kind: 'multiclass' | 'binary';
  numClasses?: number;
  yTrue: number[];
  probs: number[][] | number[];
}

const fixtureDir = join(import.meta.dirname, 'fixtures');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as Fixture)
  .filter((f) => f.kind === 'multiclass' || f.kind === 'binary');
const multiclass = fixtures.filter((f) => f.kind === 'multiclass');
const binary = fixtures.filter((f) => f.kind === 'binary');

/** Runs `update` on a fresh state and returns the result. */
function resultOf<R, T, P>(metric: Metric<R, T, P>, yTrue: T, yPred: P): R {
  metric.reset();
  metric.update(yTrue, yPred);
  return metric.result();
}

/** Rows of float32-rounded values: what a tensor holds, as plain arrays. */
function float32Rows(rows: number[][]): number[][] {
  return rows.map((row) => Array.from(Float32Array.from(row)));
}

describe.each(multiclass.map((f) => [f.name, f] as const))('multiclass metrics take tensors (%s)', (_, f) => {
  const numClasses = f.numClasses as number;
  const probs = f.probs as number[][];
  const metrics = (): Metric<unknown>[] => [
    new Accuracy({ numClasses }),
    new TopKAccuracy({ numClasses, k: 2 }),
    new ConfusionMatrix({ numClasses }),
    new PrecisionRecallF1({ numClasses }),
    new Precision({ numClasses }),
    new Recall({ numClasses, average: 'weighted' }),
    new F1Score({ numClasses, average: 'micro' }),
    new RocAuc({ numClasses }),
    new AveragePrecision({ numClasses }),
    new LogLoss({ numClasses }),
  ];

  it('integer labels [n] and [n, 1], one-hot labels [n, K] and probabilities [n, K] give the array results', () => {
    const before = tf.memory().numTensors;
    const reference = metrics().map((m) => resultOf(m, f.yTrue, float32Rows(probs)));
    const yPred = tf.tensor2d(probs);
    const labelTensors = [
      tf.tensor1d(f.yTrue, 'int32'),
      tf.tensor2d(f.yTrue, [f.yTrue.length, 1], 'int32'),
      tf.tensor1d(f.yTrue, 'float32'),
      tf.tidy(() => tf.oneHot(tf.tensor1d(f.yTrue, 'int32'), numClasses).toFloat()),
    ];
    for (const yTrue of labelTensors) {
      expect(metrics().map((m) => resultOf(m, yTrue, yPred))).toEqual(reference);
    }
    // a mix: tensor labels with array probabilities, array labels with tensor probabilities
    expect(metrics().map((m) => resultOf(m, labelTensors[0] as tf.Tensor, float32Rows(probs)))).toEqual(reference);
    expect(metrics().map((m) => resultOf(m, f.yTrue, yPred))).toEqual(reference);
    tf.dispose([yPred, ...labelTensors]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('label-smoothed one-hot rows give the same class as the one-hot rows', () => {
    const smoothing = 0.1;
    const yTrue = tf.tidy(() =>
      tf
        .oneHot(tf.tensor1d(f.yTrue, 'int32'), numClasses)
        .toFloat()
        .mul(1 - smoothing)
        .add(smoothing / numClasses),
    );
    const yPred = tf.tensor2d(probs);
    expect(resultOf(new ConfusionMatrix({ numClasses }), yTrue, yPred)).toEqual(
      resultOf(new ConfusionMatrix({ numClasses }), f.yTrue, float32Rows(probs)),
    );
    tf.dispose([yTrue, yPred]);
  });

  it('classificationReport takes tensors', () => {
    const classNames = Array.from({ length: numClasses }, (_, c) => `c${c}`);
    const yTrue = tf.tidy(() => tf.oneHot(tf.tensor1d(f.yTrue, 'int32'), numClasses));
    const yPred = tf.tensor2d(probs);
    expect(classificationReport(yTrue, yPred, classNames)).toEqual(
      classificationReport(f.yTrue, float32Rows(probs), classNames),
    );
    tf.dispose([yTrue, yPred]);
  });
});

describe.each(binary.map((f) => [f.name, f] as const))('binary metrics take tensors (%s)', (_, f) => {
  const probs = f.probs as number[];
  const n = probs.length;
  const metrics = (): Metric<unknown>[] => [
    new BinaryAccuracy({ threshold: 0.3 }),
    new BinaryPrecision(),
    new BinaryRecall(),
    new BinaryF1Score(),
    new BinaryRocAuc(),
    new BinaryAveragePrecision(),
    new BinaryLogLoss(),
  ];

  it('a sigmoid output [n, 1] or [n], a softmax [n, 2], labels [n], [n, 1] (float, as the trainer makes them) or one-hot', () => {
    const before = tf.memory().numTensors;
    const rounded = Array.from(Float32Array.from(probs));
    const reference = metrics().map((m) => resultOf(m, f.yTrue, rounded));
    const predictions = [
      tf.tensor2d(probs, [n, 1]),
      tf.tensor1d(probs),
      // column 1 of a two-class softmax is the positive-class probability
      tf.tensor2d(
        probs.flatMap((p) => [1 - p, p]),
        [n, 2],
      ),
    ];
    const labels = [
      tf.tensor1d(f.yTrue, 'int32'),
      tf.tensor2d(f.yTrue, [n, 1]),
      tf.tidy(() => tf.oneHot(tf.tensor1d(f.yTrue, 'int32'), 2).toFloat()),
    ];
    for (const yPred of predictions) {
      for (const yTrue of labels) expect(metrics().map((m) => resultOf(m, yTrue, yPred))).toEqual(reference);
    }
    tf.dispose([...predictions, ...labels]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('two-class metrics (Accuracy, Precision, F1Score, ConfusionMatrix…) read a sigmoid [n, 1] or [n] as [1 − p, p]', () => {
    const before = tf.memory().numTensors;
    const twoClass = (): Metric<unknown>[] => [
      new Accuracy({ numClasses: 2 }),
      new Precision({ numClasses: 2 }),
      new Recall({ numClasses: 2, average: 'micro' }),
      new F1Score({ numClasses: 2 }),
      new ConfusionMatrix({ numClasses: 2 }),
      new LogLoss({ numClasses: 2 }),
      new RocAuc({ numClasses: 2 }),
    ];
    const softmax = tf.tensor2d(
      probs.flatMap((p) => [1 - p, p]),
      [n, 2],
    );
    const yTrue = tf.tensor2d(f.yTrue, [n, 1]);
    // 1 − p in float32 (the softmax tensor) and in float64 differ in the 8th digit
    const rounded = (value: unknown): string =>
      JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(6)) : v));
    const reference = rounded(twoClass().map((m) => resultOf(m, yTrue, softmax)));
    const sigmoids = [tf.tensor2d(probs, [n, 1]), tf.tensor1d(probs)];
    for (const yPred of sigmoids) expect(rounded(twoClass().map((m) => resultOf(m, yTrue, yPred)))).toBe(reference);
    expect(
      twoClass().map((m) =>
        resultOf(
          m,
          f.yTrue,
          probs.map((p) => [p]),
        ),
      ),
    ).toEqual(
      twoClass().map((m) =>
        resultOf(
          m,
          f.yTrue,
          probs.map((p) => [1 - p, p]),
        ),
      ),
    );
    // three classes still need three columns
    expect(() => resultOf(new Accuracy({ numClasses: 3 }), [0, 1, 2], [[0.2], [0.5], [0.9]])).toThrow();
    tf.dispose([softmax, yTrue, ...sigmoids]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('classificationReport reads a sigmoid tensor [n, 1] as binary', () => {
    const yTrue = tf.tensor2d(f.yTrue, [n, 1]);
    const yPred = tf.tensor2d(probs, [n, 1]);
    const report = classificationReport(yTrue, yPred, ['neg', 'pos']);
    expect(report.task).toBe('binary');
    expect(report).toEqual(classificationReport(f.yTrue, Array.from(Float32Array.from(probs)), ['neg', 'pos']));
    tf.dispose([yTrue, yPred]);
  });
});

describe('the trainer contract', () => {
  it('scalar metrics are ValidationMetrics and stream tensor batches as the trainer hands them', async () => {
    // `valMetrics: [new BinaryPrecision()]` type-checks: this array has the trainer's element type.
    const valMetrics: TrainerValidationMetric[] = [
      new BinaryPrecision(),
      new BinaryRocAuc(),
      new Accuracy({ numClasses: 2 }),
      new F1Score({ numClasses: 2 }),
    ];
    const binaryLabels = [1, 0, 1, 1, 0, 0, 1, 0];
    const positive = [0.9, 0.6, 0.2, 0.7, 0.1, 0.4, 0.8, 0.55];
    const batches = [
      [0, 3],
      [3, 8],
    ] as const;
    const before = tf.memory().numTensors;
    for (const metric of valMetrics) metric.reset();
    for (const [start, end] of batches) {
      const labels = binaryLabels.slice(start, end);
      for (const metric of valMetrics) {
        const twoClass = metric.name === 'accuracy' || metric.name === 'f1';
        // what evaluateBatches passes: binaryCrossentropy labels [n, 1] + sigmoid, or one-hot + softmax
        const ys = twoClass
          ? tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 2).toFloat())
          : tf.tensor2d(labels, [labels.length, 1]);
        const p = positive.slice(start, end);
        const pred = twoClass
          ? tf.tensor2d(
              p.flatMap((q) => [1 - q, q]),
              [p.length, 2],
            )
          : tf.tensor2d(p, [p.length, 1]);
        await metric.update(ys, pred);
        tf.dispose([ys, pred]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    // 3 of the 5 predicted positives (0.9, 0.7, 0.8 true; 0.6, 0.55 false) are right
    expect(valMetrics[0]?.result()).toBeCloseTo(3 / 5, 12);
    const expectedAuc = (() => {
      const pos = positive.filter((_, i) => binaryLabels[i] === 1);
      const neg = positive.filter((_, i) => binaryLabels[i] === 0);
      let wins = 0;
      for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
      return wins / (pos.length * neg.length);
    })();
    expect(valMetrics[1]?.result()).toBeCloseTo(expectedAuc, 6);
    // argmax of [1 − q, q] = positive when q > 0.5: right on 0.9, 0.7, 0.8 (pos) and 0.1, 0.4 (neg)
    expect(valMetrics[2]?.result()).toBeCloseTo(5 / 8, 12);
  });

  it('a plain object with shape and dataSync is enough', () => {
    const yTrue: TensorLike = { shape: [3], dataSync: () => new Int32Array([0, 2, 1]) };
    const yPred: TensorLike = {
      shape: [3, 3],
      dataSync: () => new Float32Array([0.8, 0.1, 0.1, 0.2, 0.3, 0.5, 0.6, 0.3, 0.1]),
    };
    expect(resultOf(new Accuracy({ numClasses: 3 }), yTrue, yPred)).toBeCloseTo(2 / 3, 12);
  });

  it('rejects tensors of the wrong shape with coded, actionable errors', () => {
    const error = (fn: () => unknown): { code: string; message: string; hint: string } => {
      try {
        fn();
      } catch (e) {
        if (isOptikError(e)) return { code: e.code, message: e.message, hint: String(e.details.hint ?? '') };
        throw e;
      }
      throw new Error('expected an error');
    };
    const labels3 = tf.tensor1d([0, 1, 2], 'int32');
    const probs3x4 = tf.ones([3, 4]);
    const probs2x3 = tf.ones([2, 3]);
    const oneHot3x5 = tf.zeros([3, 5]);
    const zeroRows = tf.zeros([3, 3]);
    const probs3x3 = tf.ones([3, 3]);
    const e1 = error(() => new Accuracy({ numClasses: 3 }).update(labels3, probs3x4));
    expect(e1.code).toBe('DATA_MISMATCH');
    expect(e1.message).toContain('shape [3, 4], expected [3, 3]');
    expect(error(() => new Accuracy({ numClasses: 3 }).update(labels3, probs2x3)).code).toBe('DATA_MISMATCH');
    const e2 = error(() => new Accuracy({ numClasses: 3 }).update(oneHot3x5, probs3x3));
    expect(e2.message).toContain('neither class indices nor one-hot rows');
    expect(e2.hint).toContain('[n, 3]');
    expect(error(() => new Accuracy({ numClasses: 3 }).update(zeroRows, probs3x3)).message).toContain('sums to 0');
    const binaryLabels = tf.tensor1d([0, 1, 1]);
    const e3 = error(() => new BinaryPrecision().update(binaryLabels, probs3x3));
    expect(e3.hint).toContain('sigmoid output [n, 1]');
    const unknownClass = tf.tensor1d([0, 1, 3], 'int32');
    expect(error(() => new Accuracy({ numClasses: 3 }).update(unknownClass, probs3x3)).code).toBe('DATA_UNKNOWN_CLASS');
    tf.dispose([labels3, probs3x4, probs2x3, oneHot3x5, zeroRows, probs3x3, binaryLabels, unknownClass]);
  });
});
