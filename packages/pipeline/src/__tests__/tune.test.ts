import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import { readCsv } from '@optik/testing';
import { openStore } from '@optik/track';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  loadTuneConfig,
  resolvePipelineConfig,
  resolveTuneConfig,
  runTraining,
  runTune,
  type TuneConfigInput,
  writeStudyReport,
} from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'optik-tune-'));

/** A tiny mnist pipeline (layer 3 is the dropout the grid varies); each study gets its own store root. */
function base(root: string, extra: Record<string, unknown> = {}) {
  return {
    task: 'classification',
    seed: 3,
    backend: 'cpu',
    data: { dataset: 'mnist', batchSize: 32, limit: { train: 128, validation: 64, test: 64 } },
    model: {
      layers: [
        { type: 'conv', filters: 4, kernelSize: 3 },
        { type: 'pool', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dropout', rate: 0.2 },
        { type: 'dense', units: 16 },
      ],
    },
    train: { epochs: 2, optimizer: { type: 'adam', learningRate: 0.005 } },
    callbacks: { checkpoint: { enabled: false } },
    output: { root },
    ...extra,
  };
}

const GRID_SPACE = {
  'train.optimizer.learningRate': { type: 'float', low: 0.001, high: 0.01, grid: [0.001, 0.01] },
  'model.layers.3.rate': { type: 'float', low: 0.1, high: 0.5, grid: [0.1, 0.5] },
};

function tuneInput(root: string, extra: Partial<TuneConfigInput> = {}): TuneConfigInput {
  return {
    name: 'grid',
    base: base(root),
    space: GRID_SPACE,
    sampler: { type: 'grid' },
    parallel: 2,
    retrain: false,
    ...extra,
  };
}

describe('tune config', () => {
  it('reads a YAML tune config with a base path relative to it, and splits key=value overrides', () => {
    const folder = mkdtempSync(join(dir, 'config-'));
    writeFileSync(join(folder, 'train.yaml'), JSON.stringify(base(join(folder, 'runs'))));
    writeFileSync(
      join(folder, 'tune.yaml'),
      [
        'name: yaml-study',
        'base: train.yaml',
        'space:',
        '  model.layers.3.rate: { type: float, low: 0.1, high: 0.5, step: 0.2 }',
        'sampler: { type: random, seed: 1 }',
        'trials: 3',
        'trialOverrides:',
        '  data.limit.train: 64',
      ].join('\n'),
    );
    const tune = loadTuneConfig(join(folder, 'tune.yaml'), { parallel: 1, train: { epochs: 1 } });
    expect(tune).toMatchObject({
      name: 'yaml-study',
      baseFile: join(folder, 'train.yaml'),
      objective: 'val_accuracy',
      direction: 'maximize',
      trials: 3,
      parallel: 1,
      retrain: true,
      trialOverrides: { 'data.limit.train': 64 },
    });
    expect((tune.base.train as { epochs: number }).epochs).toBe(1);
    expect(tune.space).toEqual([
      { name: 'model.layers.3.rate', type: 'float', low: 0.1, high: 0.5, step: 0.2, log: false },
    ]);
    // A loss objective is minimised unless told otherwise.
    expect(resolveTuneConfig({ ...tuneInput(folder), objective: 'val_loss' }).direction).toBe('minimize');
  });

  it('names the key path of a bad tune config, a bad space and a parameter that is no key of the base', () => {
    const bad = (input: unknown) => {
      try {
        resolveTuneConfig(input);
      } catch (error) {
        if (isOptikError(error)) return error;
        throw error;
      }
      throw new Error('expected an error');
    };
    expect(bad({ ...tuneInput(dir), trails: 3 })).toMatchObject({ code: 'CONFIG_UNKNOWN_KEY' });
    expect(bad({ ...tuneInput(dir), sampler: { type: 'tpe' } }).message).toContain('trials');
    expect(bad({ ...tuneInput(dir), space: { 'model.dropout': { type: 'float', low: 1, high: 0 } } }).message).toMatch(
      /space/,
    );
    const typo = bad({
      ...tuneInput(dir),
      space: { 'model.dropot': { type: 'float', low: 0.1, high: 0.2, grid: [0.1] } },
    });
    expect(typo.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(typo.message).toContain('dropot');
    const layerTypo = bad({
      ...tuneInput(dir),
      space: { 'model.layers.drop2.rate': { type: 'float', low: 0.1, high: 0.2, grid: [0.1] } },
    });
    expect(layerTypo.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(layerTypo.message).toContain('no element named "drop2"');
    // An ensemble is tested from the members' saved weights: a retrain without a checkpoint is refused up front.
    const noWeights = bad({ ...tuneInput(dir), retrain: true, retrainTop: 2 });
    expect(noWeights).toMatchObject({ code: 'CONFIG_INVALID', details: { path: 'retrainTop' } });
    expect(noWeights.details.hint).toContain('checkpoint');
    expect(bad({ ...tuneInput(dir), retrainTop: 0 }).message).toContain('retrainTop');
  });

  it('data.mergeValidation trains on train + validation and leaves the test split alone', async () => {
    const root = join(dir, 'merge');
    const config = resolvePipelineConfig({
      ...base(root, { name: 'merged' }),
      data: { dataset: 'mnist', batchSize: 32, mergeValidation: true, limit: { train: 96, validation: 48, test: 48 } },
      train: { epochs: 1 },
    });
    const result = await runTraining(config, { progress: false });
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    // Without the merge train would hold at most 96 images; with it, the 96 plus every validation image.
    const trainOnly = metrics.dataset.train - metrics.dataset.validation;
    expect(metrics.dataset.validation).toBeGreaterThan(40);
    expect(trainOnly).toBeGreaterThan(85);
    expect(trainOnly).toBeLessThanOrEqual(96);
    expect(metrics.dataset.test).toBe(result.metrics.numSamples);
  });
});

describe('runTune', () => {
  it('runs a 2×2 grid in 2 worker processes: 4 rows in trials.csv, 4 runs in the store, plots, 2 retrains and their ensemble', async () => {
    const root = join(dir, 'grid');
    const started: number[] = [];
    const ended: number[] = [];
    const result = await runTune(
      resolveTuneConfig(
        tuneInput(root, {
          retrain: true,
          retrainTop: 2,
          retrainOverrides: { 'callbacks.checkpoint': { enabled: true, monitor: 'loss' } },
          totalTimeLimit: { minutes: 30 },
        }),
      ),
      {
        onTrialStart: (t) => started.push(t.number),
        onTrialEnd: (t) => ended.push(t.number),
      },
    );
    expect(result.ran).toBe(4);
    expect(started.sort()).toEqual([0, 1, 2, 3]);
    expect(ended.sort()).toEqual([0, 1, 2, 3]);

    const csv = readCsv(readFileSync(join(result.studyDir, 'trials.csv'), 'utf8'));
    expect(csv.header).toEqual([
      'trial',
      'status',
      'val_accuracy',
      'train.optimizer.learningRate',
      'model.layers.3.rate',
      'accuracy',
      'precision',
      'recall',
      'f1',
      'loss',
      'epochs',
      'seconds',
      'run_id',
      'run_name',
      'error',
    ]);
    expect(csv.rows).toHaveLength(4);
    const combos = csv.rows.map((r) => `${r[3]}/${r[4]}`).sort();
    expect(combos).toEqual(['0.001/0.1', '0.001/0.5', '0.01/0.1', '0.01/0.5']);
    for (const row of csv.rows) {
      expect(row[1]).toBe('completed');
      for (const col of [2, 5, 6, 7, 8, 9]) expect(Number(row[col])).toBeGreaterThanOrEqual(0);
      expect(Number(row[5])).toBeLessThanOrEqual(1);
      expect(row[10]).toBe('2');
    }

    const store = openStore({ root, sweep: false });
    try {
      const study = store.getStudy('grid');
      expect(study).toMatchObject({ status: 'completed', objective: 'val_accuracy', direction: 'maximize' });
      expect(study.trials.completed).toBe(4);
      const runs = store.listRuns({ studyId: study.id, sortBy: 'trialNumber' });
      expect(runs.map((r) => r.trialNumber)).toEqual([0, 1, 2, 3]);
      for (const run of runs) {
        expect(run.status).toBe('completed');
        expect(run.name).toBe(`grid-trial${run.trialNumber}`);
        expect(Object.keys(run.params).sort()).toEqual(['model.layers.3.rate', 'train.optimizer.learningRate']);
        expect(typeof run.metrics.accuracy).toBe('number');
        expect(typeof run.metrics.val_accuracy).toBe('number');
        expect(run.epochCount).toBe(2);
        const row = csv.rows.find((r) => r[12] === String(run.id));
        expect(Number(row?.[5])).toBeCloseTo(run.metrics.accuracy as number, 10);
        // The trial's run config is the base with its parameters applied.
        const config = parseYaml(readFileSync(join(run.dir, 'config.yaml'), 'utf8'));
        expect(config.train.optimizer.learningRate).toBe(run.params['train.optimizer.learningRate']);
        expect(config.model.layers[3].rate).toBe(run.params['model.layers.3.rate']);
      }
      // The best trial is the completed one with the highest objective; the study records its run.
      const bestRun = runs.reduce((a, b) =>
        (b.metrics.val_accuracy as number) > (a.metrics.val_accuracy as number) ? b : a,
      );
      expect(result.best?.value).toBe(bestRun.metrics.val_accuracy);
      expect(study.bestRunId).toBe(result.best?.runId);
      expect(result.leaderboard[0]?.value).toBe(result.best?.value);

      // The retrain: best parameters, train + validation, tested on the untouched test split.
      expect(result.retrain).not.toBeNull();
      const retrainRun = store.getRun(result.retrain?.runId as number);
      expect(retrainRun.name).toBe('grid-best');
      expect((retrainRun.config.data as { mergeValidation: boolean }).mergeValidation).toBe(true);
      expect((retrainRun.config.train as { optimizer: { learningRate: number } }).optimizer.learningRate).toBe(
        result.best?.params['train.optimizer.learningRate'],
      );
      expect(result.retrain?.metrics.accuracy).toBe(retrainRun.metrics.accuracy);

      // retrainTop 2: the runner-up too, with its own parameters and seed + 1, then the ensemble of both.
      expect(result.retrains.map((r) => r.trial)).toEqual(result.leaderboard.slice(0, 2).map((t) => t.number));
      const second = store.getRun(result.retrains[1]?.runId as number);
      expect(second.name).toBe('grid-best2');
      expect((second.config.model as { seed: number }).seed).toBe(
        (retrainRun.config.model as { seed: number }).seed + 1,
      );
      expect((second.config.train as { optimizer: { learningRate: number } }).optimizer.learningRate).toBe(
        result.leaderboard[1]?.params['train.optimizer.learningRate'],
      );
      expect(result.ensemble?.members.map((m) => m.runId)).toEqual(result.retrains.map((r) => r.runId));
      // totalTimeLimit 30: the first retrain gets half of what is left after the search (less a minute per test),
      // the second all that is left then.
      const limit = (run: { config: Record<string, unknown> }) =>
        (run.config.callbacks as { timeLimit: { minutes: number } }).timeLimit.minutes;
      expect(limit(retrainRun)).toBeGreaterThan(12);
      expect(limit(retrainRun)).toBeLessThan(13.5);
      expect(limit(second)).toBeGreaterThan(26);
      expect(limit(second)).toBeLessThan(28);
      // The ensemble's accuracy is the argmax of the members' mean probabilities, recomputed from their CSVs.
      const probs = (file: string) => {
        const { header, rows } = readCsv(readFileSync(file, 'utf8'));
        const cols = header.flatMap((h, i) => (h.startsWith('prob_') ? [i] : []));
        const truth = header.indexOf('true');
        return rows.map((r) => ({
          truth: r[truth],
          p: cols.map((c) => Number(r[c])),
          names: cols.map((c) => header[c]?.slice(5)),
        }));
      };
      const a = probs(join(retrainRun.dir, 'predictions.csv'));
      const b = probs(join(second.dir, 'predictions.csv'));
      let correct = 0;
      a.forEach((row, i) => {
        const mean = row.p.map((p, c) => p + (b[i]?.p[c] as number));
        const top = mean.indexOf(Math.max(...mean));
        if (row.names[top] === row.truth) correct++;
      });
      expect(result.ensemble?.metrics.accuracy).toBeCloseTo(correct / a.length, 10);
      const ensembleMetrics = JSON.parse(readFileSync(join(result.studyDir, 'ensemble', 'metrics.json'), 'utf8'));
      expect(ensembleMetrics.accuracy).toBe(result.ensemble?.metrics.accuracy);
      expect(ensembleMetrics.ensemble.map((m: { runId: number }) => m.runId)).toEqual(
        result.retrains.map((r) => r.runId),
      );
      expect(probs(join(result.studyDir, 'ensemble', 'predictions.csv'))).toHaveLength(a.length);
    } finally {
      store.close();
    }
    for (const file of [
      'plots/optimization-history.png',
      'plots/parallel-coordinates.png',
      'plots/param-importance.png',
      'plots/slice-model.layers.3.rate.png',
      'ensemble/metrics.json',
      'ensemble/predictions.csv',
      'ensemble/plots/confusion-matrix.png',
      'study.json',
      'tune.yaml',
      'report.html',
    ]) {
      expect(existsSync(join(result.studyDir, file)), file).toBe(true);
      expect(result.files).toContain(file);
    }
  });

  it('addresses a layer by name; plots survive tied trials and a parameter with one value', async () => {
    const root = join(dir, 'ties');
    const named = base(root, {
      data: { dataset: 'mnist', batchSize: 32, limit: { train: 64, validation: 32, test: 32 } },
    });
    (named.model.layers[3] as Record<string, unknown>).name = 'drop1';
    const result = await runTune(
      resolveTuneConfig({
        name: 'ties',
        base: { ...named, train: { epochs: 1, optimizer: { type: 'adam', learningRate: 0.005 } } },
        // A learning rate this small leaves the weights as initialised: every trial scores the same.
        space: {
          'model.layers.drop1.rate': { type: 'float', low: 0.1, high: 0.5, grid: [0.1, 0.3, 0.5] },
          'train.optimizer.learningRate': { type: 'float', low: 1e-12, high: 1e-11, grid: [1e-12] },
        },
        sampler: { type: 'grid' },
        parallel: 1,
        retrain: false,
      }),
    );
    expect(result.trials.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(result.trials.map((t) => t.value)).size).toBe(1); // a tie
    const store = openStore({ root });
    try {
      for (const trial of result.trials) {
        const config = store.getRun(trial.runId as number).config as { model: { layers: { rate?: number }[] } };
        expect(config.model.layers[3]?.rate).toBe(trial.params['model.layers.drop1.rate']);
      }
    } finally {
      store.close();
    }
    // The tied objective explains nothing (no importance chart); the one-valued rate gets no slice or axis.
    expect(result.files.filter((f) => f.startsWith('plots/')).sort()).toEqual([
      'plots/optimization-history.png',
      'plots/parallel-coordinates.png',
      'plots/slice-model.layers.drop1.rate.png',
    ]);
    for (const file of result.files) expect(existsSync(join(result.studyDir, file)), file).toBe(true);
    expect(readFileSync(join(result.studyDir, 'report.html'), 'utf8')).toContain('No parameter-importance plot');

    // The study's report: every trial with its parameter combination, the best trial linked to its run, the plots.
    const html = readFileSync(join(result.studyDir, 'report.html'), 'utf8');
    const trials = html.slice(html.indexOf('<h2>Trials'), html.indexOf('<h2>Plots'));
    const rows = [...trials.matchAll(/<tr><td[^>]*>(?:<strong>)?(\d+)[^<]*(?:<\/strong>)?<\/td>(.*?)<\/tr>/g)];
    expect(rows.map((r) => Number(r[1])).sort()).toEqual([0, 1, 2]);
    for (const trial of result.trials) {
      const row = rows.find((r) => Number(r[1]) === trial.number)?.[2] ?? '';
      for (const value of Object.values(trial.params)) expect(row).toContain(`>${value}<`);
      expect(row).toContain(`>${(trial.accuracy as number).toFixed(4)}<`);
    }
    expect(html).toContain(`<strong>${result.best?.number} ★</strong>`);
    const best = html.slice(html.indexOf('<h2>Best trial'), html.indexOf('<h2>Trials'));
    const href = best.match(/<a href="([^"]+)">/)?.[1] as string;
    expect(existsSync(join(result.studyDir, href)), href).toBe(true);
    expect(href).toMatch(/report\.html$/);
    expect(html.match(/data:image\/png;base64,/g)).toHaveLength(3);
    // on demand it is written again from the study folder and the store, the same page
    const again = writeStudyReport(result.studyName, { root });
    expect(again.file).toBe(join(result.studyDir, 'report.html'));
    const withoutDate = (text: string) => text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d<\/p>/, '');
    expect(withoutDate(readFileSync(again.file, 'utf8'))).toBe(withoutDate(html));
    expect(() => writeStudyReport('no-such-study', { root })).toThrow(
      expect.objectContaining({ code: 'RUN_NOT_FOUND' }),
    );
  });

  it('records a failing trial as failed (in its worker or before it) and goes on', async () => {
    const root = join(dir, 'failing');
    const result = await runTune(
      resolveTuneConfig(
        tuneInput(root, {
          name: 'failing',
          // A 40×40 kernel does not fit a 28×28 image: the model cannot be built in the worker. `nope` is no
          // optimizer: the trial config itself is invalid.
          space: {
            'model.layers.0.kernelSize': { type: 'categorical', choices: [3, 40] },
            'train.optimizer.type': { type: 'categorical', choices: ['adam', 'nope'] },
          },
          parallel: 1,
        }),
      ),
    );
    expect(result.trials).toHaveLength(4);
    const byParams = (kernel: number, optimizer: string) =>
      result.trials.find(
        (t) => t.params['model.layers.0.kernelSize'] === kernel && t.params['train.optimizer.type'] === optimizer,
      );
    expect(byParams(3, 'adam')?.status).toBe('completed');
    for (const [k, o] of [
      [40, 'adam'],
      [3, 'nope'],
      [40, 'nope'],
    ] as const) {
      const trial = byParams(k, o);
      expect(trial?.status, `${k}/${o}`).toBe('failed');
      expect(trial?.error).toBeTruthy();
    }
    expect(byParams(40, 'adam')?.error).toMatch(/kernel/i);
    expect(byParams(3, 'nope')?.error).toMatch(/optimizer/);
    const store = openStore({ root, sweep: false });
    try {
      const runs = store.listRuns({ studyId: result.studyId });
      expect(runs.map((r) => r.status).sort()).toEqual(['completed', 'failed', 'failed', 'failed']);
      for (const run of runs.filter((r) => r.status === 'failed')) expect(run.error).toBeTruthy();
    } finally {
      store.close();
    }
    expect(result.best?.params).toEqual({ 'model.layers.0.kernelSize': 3, 'train.optimizer.type': 'adam' });
  });

  it('skips a retrain that totalTimeLimit leaves no time for', async () => {
    const lines: string[] = [];
    const result = await runTune(
      resolveTuneConfig(
        tuneInput(join(dir, 'no-time'), {
          name: 'no-time',
          sampler: { type: 'random', seed: 2 },
          space: { 'train.optimizer.learningRate': { type: 'float', low: 0.001, high: 0.01, log: true } },
          trials: 1,
          parallel: 1,
          retrain: true,
          totalTimeLimit: { minutes: 0.05 },
        }),
      ),
      { log: (line) => lines.push(line) },
    );
    expect(result.trials.map((t) => t.status)).toEqual(['completed']);
    expect(result.retrain).toBeNull();
    expect(result.retrains).toEqual([]);
    expect(lines.join('\n')).toContain('no time left for retrain 1 of 1');
  });

  it('resumes an interrupted study: numbering continues, the interrupted trial is kept as such', async () => {
    const root = join(dir, 'resume');
    const config = resolveTuneConfig(
      tuneInput(root, {
        name: 'resumable',
        sampler: { type: 'random', seed: 5 },
        space: { 'train.optimizer.learningRate': { type: 'float', low: 0.001, high: 0.01, log: true } },
        trials: 3,
        parallel: 1,
      }),
    );
    const controller = new AbortController();
    const first = await runTune(config, {
      signal: controller.signal,
      // Stop the study while trial 1 trains.
      onTrialEpoch: ({ number }) => {
        if (number === 1) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.trials.map((t) => [t.number, t.status])).toEqual([
      [0, 'completed'],
      [1, 'interrupted'],
    ]);
    const store = openStore({ root, sweep: false });
    try {
      expect(store.getStudy('resumable').status).toBe('interrupted');

      const second = await runTune(config);
      expect(second.interrupted).toBe(false);
      expect(second.ran).toBe(1);
      // The interrupted trial reads as interrupted here too, as in the store (issue #11: one count everywhere).
      expect(second.trials.map((t) => [t.number, t.status])).toEqual([
        [0, 'completed'],
        [1, 'interrupted'],
        [2, 'completed'],
      ]);
      const runs = store.listRuns({ studyId: second.studyId, sortBy: 'trialNumber' });
      expect(runs.map((r) => [r.trialNumber, r.status])).toEqual([
        [0, 'completed'],
        [1, 'interrupted'],
        [2, 'completed'],
      ]);
      expect(store.getStudy('resumable').status).toBe('completed');
      // Trial 0 came from the first session and kept its metrics.
      expect(second.trials[0]?.accuracy).toBe(first.trials[0]?.accuracy);
    } finally {
      store.close();
    }
  });

  it('marks pruned trials pruned: a hopeless learning rate stops at the first report', async () => {
    const root = join(dir, 'pruned');
    const result = await runTune(
      resolveTuneConfig({
        name: 'pruning',
        base: base(root, { train: { epochs: 3, optimizer: { type: 'adam' } } }),
        space: { 'train.optimizer.learningRate': { type: 'categorical', choices: [0.01, 1e-7] } },
        sampler: { type: 'grid' },
        pruner: { type: 'median', nStartupTrials: 1, nWarmupSteps: 0 },
        parallel: 1,
        retrain: false,
      }),
    );
    const [good, hopeless] = result.trials;
    expect(good).toMatchObject({ status: 'completed', epochs: 3 });
    expect(hopeless).toMatchObject({ status: 'pruned', epochs: 1, accuracy: null });
    const store = openStore({ root, sweep: false });
    try {
      const run = store.getRun(hopeless?.runId as number);
      expect(run.status).toBe('pruned');
      expect(run.epochs).toHaveLength(1);
      expect(run.metrics.val_accuracy).toBe(hopeless?.value);
    } finally {
      store.close();
    }
  });
});
