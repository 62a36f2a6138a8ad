import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptikError } from '@optik/core';
import { disposeModel } from '@optik/zoo';
import type { PipelineConfig } from '../config.js';
import { loadRunModel } from '../runs.js';
import { taskOf } from '../tasks/registry.js';

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
  readonly metrics: Record<string, unknown>;
  /** Files written in the ensemble folder. */
  readonly files: readonly string[];
}

/**
 * Tests the ensemble of retrained models on their (shared) test split, through their task: every member's
 * predictions (its best weights, its own test-time views) are combined by the task (classification: mean class
 * probabilities; localization: mean probabilities and boxes). Writes `metrics.json` (the full report and the
 * members), `predictions.csv` and the evaluation plots into `dir`.
 */
export async function evaluateEnsemble(dir: string, members: readonly EnsembleMember[]): Promise<EnsembleEvaluation> {
  const first = members[0];
  if (first === undefined) throw new OptikError('INTERNAL', 'An ensemble needs at least one member.');
  const task = taskOf(first.config.task);
  const data = await task.loadData(first.config);
  const all: unknown[] = [];
  for (const member of members) {
    const { model } = await loadRunModel(member.runDir);
    try {
      all.push(await task.predict(model, data.test, member.config));
    } finally {
      disposeModel(model);
    }
  }
  const mean = task.combine(all);
  const evaluation = task.evaluate(mean, data.test, data.classNames);
  mkdirSync(join(dir, 'plots'), { recursive: true });
  writeFileSync(
    join(dir, 'metrics.json'),
    `${JSON.stringify(
      {
        ...evaluation.report,
        split: 'test',
        ensemble: members.map((m) => ({ runId: m.runId, runName: m.runName, trial: m.trial })),
      },
      null,
      2,
    )}\n`,
  );
  const artifacts = await task.writeArtifacts({
    dir,
    plotsDir: join(dir, 'plots'),
    predictions: mean,
    evaluation,
    dataset: data.test,
    classNames: data.classNames,
  });
  return {
    metrics: evaluation.headline,
    files: ['metrics.json', 'predictions.csv', ...artifacts.plots.map(({ file }) => join('plots', file))],
  };
}
