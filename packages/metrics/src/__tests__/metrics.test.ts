import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
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
  normalizeConfusionMatrix,
  Precision,
  PrecisionRecallF1,
  Recall,
  RocAuc,
  TopKAccuracy,
} from '../index.js';

const TOL = 1e-9;
const fixtureDir = join(import.meta.dirname, 'fixtures');

interface Curves {
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
}
interface PerClass {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}
type Avg = { precision: number; recall: number; f1: number };
interface MulticlassFixture {
  name: string;
  kind: 'multiclass';
  numClasses: number;
  yTrue: number[];
  probs: number[][];
  expected: {
    yPred: number[];
    accuracy: number;
    topK: Record<string, number>;
    confusionMatrix: number[][];
    perClass: PerClass;
    macro: Avg;
    micro: Avg;
    weighted: Avg;
    rocAuc: { perClass: number[]; macro: number };
    averagePrecision: { perClass: number[]; macro: number };
    logLoss: number;
    class0Curves: Curves;
  };
}
interface BinaryFixture {
  name: string;
  kind: 'binary';
  threshold: number;
  yTrue: number[];
  probs: number[];
  expected: {
    accuracy: number;
    precision: number;
    recall: number;
    f1: number;
    confusionMatrix: number[][];
    perClass: PerClass;
    macro: Avg;
    weighted: Avg;
    rocAuc: number;
    averagePrecision: number;
    logLoss: number;
    curves: Curves;
  };
}

const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as MulticlassFixture | BinaryFixture);
const multiclass = fixtures.filter((f): f is MulticlassFixture => f.kind === 'multiclass');
const binary = fixtures.filter((f): f is BinaryFixture => f.kind === 'binary');

function close(actual: number, expected: number, tol = TOL): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}
function closeAll(actual: readonly number[], expected: readonly number[], tol = TOL): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    close(v, expected[i] as number, tol);
  });
}

/** Uneven chunk boundaries, including an empty chunk. */
function chunks<T>(items: readonly T[]): T[][] {
  const n = items.length;
  const cuts = [0, Math.floor(n * 0.13), Math.floor(n * 0.13), Math.floor(n * 0.5), Math.floor(n * 0.77), n];
  return cuts.slice(1).map((end, i) => items.slice(cuts[i], end));
}

/** Feeds a metric in one shot and, after reset, in chunks; both results must be identical. */
function oneShotAndChunked<R>(metric: Metric<R>, yTrue: readonly number[], probs: readonly (number[] | number)[]): R {
  metric.reset();
  metric.update(yTrue, probs as number[][]);
  const once = metric.result();
  metric.reset();
  const yChunks = chunks(yTrue);
  const pChunks = chunks(probs);
  yChunks.forEach((y, i) => {
    metric.update(y, pChunks[i] as number[][]);
  });
  expect(metric.result()).toEqual(once);
  return once;
}

describe('fixtures', () => {
  it('cover binary and 3–10 classes, a never-predicted class and ties', () => {
    expect(binary.length).toBeGreaterThanOrEqual(2);
    expect(multiclass.map((f) => f.numClasses).sort((a, b) => a - b)).toEqual([3, 4, 5, 10]);
    const neverPredicted = multiclass.find((f) => f.name.includes('never-predicted'))!;
    expect(neverPredicted.expected.yPred).not.toContain(neverPredicted.numClasses - 1);
    const ties = multiclass.find((f) => f.name.includes('ties'))!;
    expect(new Set(ties.probs.map((r) => r[0])).size).toBeLessThan(ties.probs.length / 2);
    expect(binary.some((b) => b.probs.includes(0) && b.probs.includes(1))).toBe(true);
  });
});

describe.each(multiclass.map((f) => [f.name, f] as const))('multiclass %s matches scikit-learn', (_, f) => {
  const numClasses = f.numClasses;
  const e = f.expected;

  it('accuracy and top-k', () => {
    close(oneShotAndChunked(new Accuracy({ numClasses }), f.yTrue, f.probs), e.accuracy);
    for (const [k, value] of Object.entries(e.topK)) {
      close(oneShotAndChunked(new TopKAccuracy({ numClasses, k: Number(k) }), f.yTrue, f.probs), value);
    }
  });

  it('confusion matrix', () => {
    expect(oneShotAndChunked(new ConfusionMatrix({ numClasses }), f.yTrue, f.probs)).toEqual(e.confusionMatrix);
  });

  it('precision, recall, F1 per class and averaged', () => {
    const result = oneShotAndChunked(new PrecisionRecallF1({ numClasses }), f.yTrue, f.probs);
    closeAll(
      result.perClass.map((s) => s.precision),
      e.perClass.precision,
    );
    closeAll(
      result.perClass.map((s) => s.recall),
      e.perClass.recall,
    );
    closeAll(
      result.perClass.map((s) => s.f1),
      e.perClass.f1,
    );
    expect(result.perClass.map((s) => s.support)).toEqual(e.perClass.support);
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      close(result[average].precision, e[average].precision);
      close(result[average].recall, e[average].recall);
      close(result[average].f1, e[average].f1);
      close(oneShotAndChunked(new Precision({ numClasses, average }), f.yTrue, f.probs), e[average].precision);
      close(oneShotAndChunked(new Recall({ numClasses, average }), f.yTrue, f.probs), e[average].recall);
      close(oneShotAndChunked(new F1Score({ numClasses, average }), f.yTrue, f.probs), e[average].f1);
    }
  });

  it('ROC-AUC and average precision one-vs-rest, with curves', () => {
    const roc = new RocAuc({ numClasses });
    const rocResult = oneShotAndChunked(roc, f.yTrue, f.probs);
    closeAll(rocResult.perClass, e.rocAuc.perClass);
    close(rocResult.macro, e.rocAuc.macro);
    const ap = new AveragePrecision({ numClasses });
    const apResult = oneShotAndChunked(ap, f.yTrue, f.probs);
    closeAll(apResult.perClass, e.averagePrecision.perClass);
    close(apResult.macro, e.averagePrecision.macro);

    const pr = ap.curves()[0]!;
    closeAll(pr.precision, e.class0Curves.pr.precision);
    closeAll(pr.recall, e.class0Curves.pr.recall);
    closeAll(pr.thresholds, e.class0Curves.pr.thresholds);
    close(pr.averagePrecision, e.averagePrecision.perClass[0]!);
    const rocCurve = roc.curves()[0]!;
    closeAll(rocCurve.fpr, e.class0Curves.roc.fpr);
    closeAll(rocCurve.tpr, e.class0Curves.roc.tpr);
    expect(rocCurve.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
    closeAll(rocCurve.thresholds.slice(1), e.class0Curves.roc.thresholds.slice(1));
  });

  it('log loss', () => {
    close(oneShotAndChunked(new LogLoss({ numClasses }), f.yTrue, f.probs), e.logLoss);
  });

  it('accepts row-major flat probabilities (as tensor.dataSync() gives them)', () => {
    const metric = new AveragePrecision({ numClasses });
    metric.update(Int32Array.from(f.yTrue), Float64Array.from(f.probs.flat()));
    close(metric.result().macro, e.averagePrecision.macro);
  });

  it('classificationReport equals the individual metrics, JSON-ready', () => {
    const names = Array.from({ length: numClasses }, (_, i) => `class-${i}`);
    const report = classificationReport(f.yTrue, f.probs, names, { topK: [2, 3, 99] });
    expect(report.task).toBe('multiclass');
    expect(report.numSamples).toBe(f.yTrue.length);
    close(report.accuracy, e.accuracy);
    close(report.precision, e.macro.precision);
    close(report.recall, e.macro.recall);
    close(report.f1, e.macro.f1);
    close(report.weighted.f1, e.weighted.f1);
    close(report.micro.recall, e.micro.recall);
    expect(report.confusionMatrix).toEqual(e.confusionMatrix);
    closeAll(
      report.perClass.map((c) => c.f1),
      e.perClass.f1,
    );
    closeAll(
      report.perClass.map((c) => c.rocAuc ?? Number.NaN),
      e.rocAuc.perClass,
    );
    close(report.rocAuc!, e.rocAuc.macro);
    close(report.averagePrecision!, e.averagePrecision.macro);
    close(report.logLoss, e.logLoss);
    expect(report.topK.map((t) => t.k)).toEqual([2, 3].filter((k) => k < numClasses));
    report.topK.forEach((t) => {
      close(t.accuracy, e.topK[String(t.k)]!);
    });
    expect(report.binary).toBeNull();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe.each(binary.map((f) => [f.name, f] as const))('binary %s matches scikit-learn', (_, f) => {
  const e = f.expected;
  const threshold = f.threshold;

  it('thresholded accuracy, precision, recall, F1', () => {
    close(oneShotAndChunked(new BinaryAccuracy({ threshold }), f.yTrue, f.probs), e.accuracy);
    close(oneShotAndChunked(new BinaryPrecision({ threshold }), f.yTrue, f.probs), e.precision);
    close(oneShotAndChunked(new BinaryRecall({ threshold }), f.yTrue, f.probs), e.recall);
    close(oneShotAndChunked(new BinaryF1Score({ threshold }), f.yTrue, f.probs), e.f1);
  });

  it('ROC-AUC, average precision, curves and log loss', () => {
    const roc = new BinaryRocAuc();
    close(oneShotAndChunked(roc, f.yTrue, f.probs), e.rocAuc);
    closeAll(roc.curve().fpr, e.curves.roc.fpr);
    closeAll(roc.curve().tpr, e.curves.roc.tpr);
    const ap = new BinaryAveragePrecision();
    close(oneShotAndChunked(ap, f.yTrue, f.probs), e.averagePrecision);
    closeAll(ap.curve().precision, e.curves.pr.precision);
    closeAll(ap.curve().recall, e.curves.pr.recall);
    closeAll(ap.curve().thresholds, e.curves.pr.thresholds);
    close(oneShotAndChunked(new BinaryLogLoss(), f.yTrue, f.probs), e.logLoss);
  });

  it('accepts one-column rows', () => {
    const metric = new BinaryRocAuc();
    metric.update(
      f.yTrue,
      f.probs.map((p) => [p]),
    );
    close(metric.result(), e.rocAuc);
  });

  it('classificationReport in binary mode', () => {
    const report = classificationReport(f.yTrue, f.probs, ['negative', 'positive'], { threshold });
    expect(report.task).toBe('binary');
    close(report.accuracy, e.accuracy);
    expect(report.confusionMatrix).toEqual(e.confusionMatrix);
    closeAll(
      report.perClass.map((c) => c.precision),
      e.perClass.precision,
    );
    closeAll(
      report.perClass.map((c) => c.recall),
      e.perClass.recall,
    );
    close(report.f1, e.macro.f1);
    close(report.weighted.precision, e.weighted.precision);
    close(report.binary!.precision, e.precision);
    close(report.binary!.recall, e.recall);
    close(report.binary!.f1, e.f1);
    expect(report.binary!.positiveClass).toBe('positive');
    close(report.rocAuc!, e.rocAuc);
    close(report.perClass[0]!.rocAuc!, e.rocAuc);
    close(report.averagePrecision!, e.averagePrecision);
    close(report.logLoss, e.logLoss);
  });
});

describe('edge cases', () => {
  it('a class absent from yTrue has NaN AUC, left out of the macro mean; the report says null', () => {
    const yTrue = [0, 1, 0, 1];
    const probs = [
      [0.6, 0.3, 0.1],
      [0.2, 0.7, 0.1],
      [0.3, 0.6, 0.1],
      [0.5, 0.4, 0.1],
    ];
    const roc = new RocAuc({ numClasses: 3 });
    roc.update(yTrue, probs);
    const result = roc.result();
    expect(result.perClass[2]).toBeNaN();
    close(result.macro, ((result.perClass[0] as number) + (result.perClass[1] as number)) / 2);
    const report = classificationReport(yTrue, probs, ['a', 'b', 'c']);
    expect(report.perClass[2]!.rocAuc).toBeNull();
    expect(report.perClass[2]!.averagePrecision).toBeNull();
    expect(report.perClass[2]!.precision).toBe(0);
  });

  it('top-k breaks ties like scikit-learn (higher class index first)', () => {
    const metric = new TopKAccuracy({ numClasses: 3, k: 1 });
    metric.update([0], [[0.4, 0.4, 0.2]]);
    expect(metric.result()).toBe(0);
    metric.reset();
    metric.update([1], [[0.4, 0.4, 0.2]]);
    expect(metric.result()).toBe(1);
  });

  it('reset forgets everything', () => {
    const metric = new ConfusionMatrix({ numClasses: 2 });
    metric.update([0, 1], [0.9, 0.1, 0.2, 0.8]);
    metric.reset();
    expect(metric.result()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const logLoss = new LogLoss({ numClasses: 2 });
    expect(logLoss.result()).toBeNaN();
  });

  it('normalizeConfusionMatrix by row, column and total', () => {
    const m = [
      [3, 1],
      [0, 0],
    ];
    expect(normalizeConfusionMatrix(m, 'true')).toEqual([
      [0.75, 0.25],
      [0, 0],
    ]);
    expect(normalizeConfusionMatrix(m, 'pred')).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(normalizeConfusionMatrix(m, 'all')).toEqual([
      [0.75, 0.25],
      [0, 0],
    ]);
  });
});

describe('validation and config', () => {
  function code(fn: () => unknown): string | undefined {
    try {
      fn();
    } catch (error) {
      return isOptikError(error) ? error.code : 'not-an-OptikError';
    }
    return undefined;
  }

  it('rejects bad inputs with coded errors', () => {
    const metric = new Accuracy({ numClasses: 3 });
    expect(code(() => metric.update([3], [[0.2, 0.3, 0.5]]))).toBe('DATA_UNKNOWN_CLASS');
    expect(code(() => metric.update([0.5], [[0.2, 0.3, 0.5]]))).toBe('DATA_UNKNOWN_CLASS');
    expect(code(() => metric.update([0, 1], [[0.2, 0.3, 0.5]]))).toBe('DATA_MISMATCH');
    expect(code(() => metric.update([0], [[0.2, 0.8]]))).toBe('DATA_MISMATCH');
    expect(code(() => metric.update([0], [0.2, 0.3]))).toBe('DATA_MISMATCH');
    expect(code(() => metric.update([0], [[Number.NaN, 0.3, 0.5]]))).toBe('ARGUMENT_INVALID');
    expect(code(() => new BinaryAccuracy().update([0, 1], [[0.2, 0.8]]))).toBe('DATA_MISMATCH');
    expect(code(() => classificationReport([], [], ['a', 'b']))).toBe('DATA_MISMATCH');
    expect(code(() => classificationReport([0], [1], ['a']))).toBe('ARGUMENT_INVALID');
  });

  it('rejects bad options with config errors naming the key', () => {
    expect(code(() => new Accuracy({ numClasses: 1 }))).toBe('CONFIG_INVALID');
    expect(code(() => new TopKAccuracy({ numClasses: 3, k: 4 }))).toBe('CONFIG_INVALID');
    expect(code(() => new BinaryPrecision({ threshold: 1.5 }))).toBe('CONFIG_INVALID');
    expect(code(() => new Precision({ numClasses: 3, average: 'binary' as 'macro' }))).toBe('CONFIG_INVALID');
    expect(code(() => new Recall({ numClasses: 3, averge: 'micro' } as never))).toBe('CONFIG_UNKNOWN_KEY');
    try {
      new TopKAccuracy({ numClasses: 3, k: 4 });
    } catch (error) {
      expect(String(error)).toContain('k');
      expect(String(error)).toContain('Received: k=4');
    }
  });

  it('toConfig/fromConfig round-trip exactly for every metric', () => {
    const metrics = [
      [Accuracy, new Accuracy({ numClasses: 4 })],
      [TopKAccuracy, new TopKAccuracy({ numClasses: 10, k: 3 })],
      [ConfusionMatrix, new ConfusionMatrix({ numClasses: 4 })],
      [PrecisionRecallF1, new PrecisionRecallF1({ numClasses: 4 })],
      [Precision, new Precision({ numClasses: 4, average: 'weighted' })],
      [Recall, new Recall({ numClasses: 4 })],
      [F1Score, new F1Score({ numClasses: 4, average: 'micro' })],
      [RocAuc, new RocAuc({ numClasses: 4 })],
      [AveragePrecision, new AveragePrecision({ numClasses: 4 })],
      [LogLoss, new LogLoss({ numClasses: 4, eps: 1e-7 })],
      [BinaryAccuracy, new BinaryAccuracy({ threshold: 0.3 })],
      [BinaryPrecision, new BinaryPrecision()],
      [BinaryRecall, new BinaryRecall()],
      [BinaryF1Score, new BinaryF1Score({ threshold: 0.7 })],
      [BinaryRocAuc, new BinaryRocAuc()],
      [BinaryAveragePrecision, new BinaryAveragePrecision()],
      [BinaryLogLoss, new BinaryLogLoss()],
    ] as const;
    for (const [Class, metric] of metrics) {
      const config = metric.toConfig();
      const rebuilt = (Class as unknown as { fromConfig(c: object): Metric<unknown> }).fromConfig(config);
      expect(rebuilt.toConfig()).toEqual(config);
      expect(rebuilt.name).toBe(metric.name);
    }
    expect(new Recall({ numClasses: 4 }).toConfig()).toEqual({ numClasses: 4, average: 'macro' });
    expect(new TopKAccuracy({ numClasses: 10, k: 3 }).name).toBe('top3Accuracy');
  });
});
