import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromConfig as augmentFromConfig, type Compose } from '@optik/augment';
import type { BatchHook, LabelMode } from '@optik/data';
import type { ClassificationReport } from '@optik/metrics';
import { predictionsCsv } from '@optik/track';
import { Classifier } from '@optik/zoo';
import type * as tf from '@tensorflow/tfjs';
import { escapeHtml, fmt, pct, table } from '../../run/report.js';
import { imagesTensor } from '../shared/images.js';
import { meanOf } from '../shared/splits.js';
import type { Task, TaskArtifacts } from '../types.js';
import { type ClassificationConfig, ClassificationConfigSchema, resolveClassification } from './config.js';
import { loadClassificationData } from './data.js';
import {
  type DatasetPredictions,
  headline,
  positiveScores,
  predictDataset,
  predictionRows,
  predictViews,
  reportOf,
  writeEvaluationPlots,
} from './evaluate.js';

/** Label mode that fits a loss. */
function labelModeOf(loss: ClassificationConfig['train']['loss']): LabelMode {
  if (loss === 'sparseCategoricalCrossentropy') return 'int';
  return loss === 'binaryCrossentropy' ? 'binary' : 'categorical';
}

/** The on-the-fly augmentation of training batches (labels mixed too when the pipeline has MixUp/CutMix). */
function augmentHook(config: ClassificationConfig, labelMode: LabelMode): BatchHook | undefined {
  if (config.augment === undefined) return undefined;
  const pipeline = augmentFromConfig(config.augment, 'augment') as Compose;
  if (labelMode === 'categorical') {
    return (batch, rng) => pipeline.augmentBatchWithLabels(batch.xs, batch.ys as tf.Tensor2D, rng);
  }
  return (batch, rng) => ({ xs: pipeline.augmentBatch(batch.xs, rng), ys: batch.ys });
}

function reportSection(report: ClassificationReport): TaskArtifacts['report'] {
  const positive = positiveScores(report);
  // A two-class task is judged by its positive class first (the course's "precision of the sick class").
  const positiveRows: [string, string][] =
    positive === null
      ? []
      : [
          [`Precision (positive class "${positive.className}")`, fmt(positive.precision)],
          [`Recall (positive class "${positive.className}")`, fmt(positive.recall)],
          [`F1 (positive class "${positive.className}")`, fmt(positive.f1)],
        ];
  const metricsRows: [string, string][] = [
    ...positiveRows,
    ['Accuracy', pct(report.accuracy)],
    ['Precision (macro)', fmt(report.precision)],
    ['Recall (macro)', fmt(report.recall)],
    ['F1 (macro)', fmt(report.f1)],
    [
      'Precision / recall / F1 (weighted)',
      `${fmt(report.weighted.precision)} / ${fmt(report.weighted.recall)} / ${fmt(report.weighted.f1)}`,
    ],
    ['Log loss', fmt(report.logLoss)],
    [report.binary === null ? 'ROC-AUC (macro, one-vs-rest)' : 'ROC-AUC (positive class)', fmt(report.rocAuc)],
    [
      report.binary === null ? 'Average precision (macro)' : 'Average precision (positive class)',
      fmt(report.averagePrecision),
    ],
    ...report.topK.map((t): [string, string] => [`Top-${t.k} accuracy`, pct(t.accuracy)]),
    ['Test images', String(report.numSamples)],
  ];
  const perClassRows = report.perClass.map((c) => [
    escapeHtml(c.name),
    fmt(c.precision),
    fmt(c.recall),
    fmt(c.f1),
    String(c.support),
    fmt(c.rocAuc),
    fmt(c.averagePrecision),
  ]);
  return {
    metricsRows,
    sections: [
      {
        title: 'Per class',
        html: table(['Class', 'Precision', 'Recall', 'F1', 'Support', 'ROC-AUC', 'Avg. precision'], perClassRows),
      },
    ],
  };
}

/**
 * Classification: one class per image. A softmax (or binary sigmoid) classifier from the zoo, the trainer's named
 * cross-entropy and accuracy, the classification report (accuracy, P/R/F1, ROC/PR, confusion matrix), top-k
 * predictions, test-time flips and ensembles of class probabilities.
 */
export const classificationTask: Task<ClassificationConfig, DatasetPredictions> = {
  kind: 'classification',
  title: 'Classification',
  schema: ClassificationConfigSchema,
  resolve: resolveClassification,
  defaultObjective: 'val_accuracy',
  curveMetrics: ['loss', 'accuracy'],
  loadData: loadClassificationData,
  buildModel(config, data) {
    return new Classifier(
      { ...config.model, inputShape: data.inputShape, numClasses: data.classNames.length },
      { path: 'model' },
    );
  },
  training(config) {
    const labelMode = labelModeOf(config.train.loss);
    return { labelMode, augment: augmentHook(config, labelMode) };
  },
  predict: (model, dataset, config) => predictDataset(model, dataset, { tta: config.test.tta }),
  combine(all) {
    const first = all[0] as DatasetPredictions;
    return {
      ...first,
      probabilities: meanOf(all, (p) => p.probabilities),
      ...(first.positive === undefined ? {} : { positive: meanOf(all, (p) => p.positive as Float32Array) }),
    };
  },
  evaluate(predictions, _dataset, classNames) {
    const report = reportOf(predictions, classNames);
    return { report: report as unknown as Record<string, unknown>, headline: { ...headline(report) } };
  },
  async writeArtifacts({ dir, plotsDir, predictions, evaluation, dataset, classNames }) {
    const report = evaluation.report as unknown as ClassificationReport;
    writeFileSync(
      join(dir, 'predictions.csv'),
      predictionsCsv(predictionRows(predictions, dataset, classNames), { classNames }),
    );
    const files = await writeEvaluationPlots(plotsDir, predictions, report, dataset, classNames);
    return {
      plots: [
        { file: files.confusionMatrix as string, caption: 'Confusion matrix on the test set (rows: true class).' },
        { file: files.prCurves as string, caption: 'Precision–recall curve per class on the test set.' },
        {
          file: files.testPredictions as string,
          caption: 'Test images with true and predicted labels; mistakes in red.',
        },
      ],
      report: reportSection(report),
    };
  },
  async predictImages(model, images, files, config, { topK }) {
    const classNames = images.classNames;
    const predictions = [];
    const xs = imagesTensor(images);
    try {
      const out = predictViews(model, xs, config.test.tta);
      const values = await out.data();
      out.dispose();
      const units = values.length / images.length;
      for (let i = 0; i < images.length; i++) {
        const row =
          units === 1
            ? [1 - (values[i] as number), values[i] as number]
            : Array.from(values.subarray(i * units, (i + 1) * units));
        const top = row
          .map((probability, classId) => ({ label: classNames[classId] ?? String(classId), classId, probability }))
          .sort((a, b) => b.probability - a.probability || a.classId - b.classId)
          .slice(0, topK);
        predictions.push({ file: files[i] as string, top });
      }
    } finally {
      xs.dispose();
    }
    return predictions;
  },
};
