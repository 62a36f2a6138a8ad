import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptikError } from '@optik/core';
import { predictionsCsv } from '@optik/track';
import type { PipelineConfig } from '../config.js';
import { loadClassificationData } from '../data.js';
import {
  type DatasetPredictions,
  type HeadlineMetrics,
  headline,
  predictDataset,
  predictionRows,
  reportOf,
  writeEvaluationPlots,
} from '../evaluate.js';
import { loadRunModel } from '../runs.js';

/** A retrained model that takes part in an ensemble. */
export interface EnsembleMember {
  readonly runId: number;
  readonly runName: string;
  readonly runDir: string;
  /** The trial whose parameters it was trained with. */
  readonly trial: number;
  readonly config: PipelineConfig;
}

/** What {@link evaluateEnsemble} returns. */
export interface EnsembleEvaluation {
  readonly metrics: HeadlineMetrics;
  /** Files written in the ensemble folder. */
  readonly files: readonly string[];
}

/**
 * Tests the ensemble of retrained models on their (shared) test split: every member's class probabilities (its
 * best weights, its own `test.tta` views) are averaged. Writes `metrics.json` (the full report and the members),
 * `predictions.csv` and the evaluation plots into `dir`.
 */
export async function evaluateEnsemble(dir: string, members: readonly EnsembleMember[]): Promise<EnsembleEvaluation> {
  const first = members[0];
  if (first === undefined) throw new OptikError('INTERNAL', 'An ensemble needs at least one member.');
  const data = await loadClassificationData(first.config);
  // Each member's share of the mean, added in place.
  const add = (into: Float32Array, from: Float32Array) => {
    for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (from[i] as number) / members.length;
  };
  let mean: DatasetPredictions | undefined;
  for (const member of members) {
    const { model } = await loadRunModel(member.runDir);
    let predictions: DatasetPredictions;
    try {
      predictions = await predictDataset(model, data.test, { tta: member.config.test.tta });
    } finally {
      model.dispose();
    }
    if (mean === undefined) {
      mean = {
        ...predictions,
        probabilities: new Float32Array(predictions.probabilities.length),
        ...(predictions.positive === undefined ? {} : { positive: new Float32Array(predictions.positive.length) }),
      };
    } else if (
      predictions.numClasses !== mean.numClasses ||
      predictions.yTrue.some((label, i) => label !== mean?.yTrue[i])
    ) {
      throw new OptikError('INTERNAL', `Run ${member.runName} was not tested on the same images as ${first.runName}.`);
    }
    add(mean.probabilities, predictions.probabilities);
    if (mean.positive !== undefined && predictions.positive !== undefined) add(mean.positive, predictions.positive);
  }
  if (mean === undefined) throw new OptikError('INTERNAL', 'An ensemble needs at least one member.');
  const report = reportOf(mean, data.classNames);
  mkdirSync(join(dir, 'plots'), { recursive: true });
  writeFileSync(
    join(dir, 'metrics.json'),
    `${JSON.stringify(
      {
        ...report,
        split: 'test',
        ensemble: members.map((m) => ({ runId: m.runId, runName: m.runName, trial: m.trial, tta: m.config.test.tta })),
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(dir, 'predictions.csv'),
    predictionsCsv(predictionRows(mean, data.test, data.classNames), { classNames: data.classNames }),
  );
  const plots = await writeEvaluationPlots(join(dir, 'plots'), mean, report, data.test, data.classNames);
  return {
    metrics: headline(report),
    files: ['metrics.json', 'predictions.csv', ...Object.values(plots).map((file) => join('plots', file))],
  };
}
