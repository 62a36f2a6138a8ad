import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import { parseCsv, tempDir } from '@optik/testing';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { flattenParams, openStore, runPaths, type Store } from '../index.js';

const stores: Store[] = [];
function freshStore(root = tempDir()): Store {
  const store = openStore({ root, gitCwd: root });
  stores.push(store);
  return store;
}
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

const CONFIG = {
  task: 'classification',
  model: {
    preset: 'seed-cnn',
    layers: [
      { filters: 32, kernelSize: 3 },
      { filters: 64, kernelSize: 3 },
    ],
  },
  train: { epochs: 3, learningRate: 0.001, optimizer: 'adam', earlyStopping: true },
};

describe('createRun / logEpoch / finish', () => {
  it('round-trips config, params, epochs, final metrics and timings through the store', () => {
    const store = freshStore();
    const run = store.createRun({
      task: 'classification',
      config: CONFIG,
      seed: 42,
      backend: 'cpu',
      tags: ['baseline'],
    });
    expect(run.name).toBe('exp');
    expect(run.status).toBe('running');
    run.logEpoch(0, { loss: 0.9, accuracy: 0.61, val_loss: 1.0, val_accuracy: 0.58 });
    run.logEpoch(1, { loss: 0.5, accuracy: 0.8, val_loss: 0.7, val_accuracy: 0.74 });
    const info = run.finish({ metrics: { accuracy: 0.75, f1: 0.74, perClass: [{ precision: 0.7 }] } });
    expect(info.status).toBe('completed');

    const record = store.getRun(run.id);
    expect(record.config).toEqual(CONFIG);
    expect(record.params['train.learningRate']).toBe(0.001);
    expect(record.params['model.layers[1].filters']).toBe(64);
    expect(record.seed).toBe(42);
    expect(record.backend).toBe('cpu');
    expect(record.tags).toEqual(['baseline']);
    expect(record.pid).toBe(process.pid);
    expect(record.metrics).toEqual({ accuracy: 0.75, f1: 0.74, perClass: [{ precision: 0.7 }] });
    expect(record.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    expect(record.epochs[1]?.metrics).toEqual({ loss: 0.5, accuracy: 0.8, val_loss: 0.7, val_accuracy: 0.74 });
    expect(record.epochCount).toBe(2);
    expect(record.lastEpoch).toBe(1);
    expect(record.finishedAt).not.toBeNull();
    expect(record.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(record.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(record.createdAt));
    // the folder holds the same final metrics
    expect(JSON.parse(readFileSync(run.paths.metrics, 'utf8'))).toEqual(record.metrics);
  });

  it('lays out the run folder as the CLI contract says', () => {
    const store = freshStore();
    const run = store.createRun({ task: 'classification', config: CONFIG });
    expect(run.dir).toBe(join(store.root, 'classification', 'exp'));
    expect(run.paths).toEqual(runPaths(run.dir));
    for (const dir of [run.paths.plots, run.paths.weightsBest, run.paths.weightsLast]) {
      expect(statSync(dir).isDirectory()).toBe(true);
    }
    expect(run.paths.weightsBest).toBe(join(run.dir, 'weights', 'best'));
    expect(parseYaml(readFileSync(run.paths.config, 'utf8'))).toEqual(CONFIG);
    expect(JSON.parse(readFileSync(run.paths.runJson, 'utf8'))).toMatchObject({ id: run.id, status: 'running' });
    expect(existsSync(run.paths.metrics)).toBe(false);
    run.finish({ metrics: { accuracy: 0.9 } });
    expect(JSON.parse(readFileSync(run.paths.runJson, 'utf8'))).toMatchObject({ status: 'completed' });
    expect(existsSync(join(store.root, 'optik.db'))).toBe(true);
  });

  it('keeps results.csv equal to the epochs in the store, row by row, after every epoch', () => {
    const store = freshStore();
    const run = store.createRun({ task: 'classification', config: CONFIG });
    const logged: Array<Record<string, number>> = [
      { loss: 0.9, accuracy: 0.5 },
      { loss: 0.6, accuracy: 0.7 },
      { loss: 0.4, accuracy: 0.8, lr: 0.0005 }, // a new column appears (ReduceLROnPlateau)
      { loss: Number.NaN, accuracy: 0.8, lr: 0.0005 }, // NaN survives both ways
    ];
    logged.forEach((metrics, epoch) => {
      run.logEpoch(epoch, metrics);
      const [header, ...rows] = parseCsv(readFileSync(run.paths.results, 'utf8'));
      const epochs = store.getRun(run.id).epochs;
      expect(rows).toHaveLength(epochs.length);
      rows.forEach((row, i) => {
        const db = epochs[i];
        expect(Number(row[0])).toBe(db?.epoch);
        header?.slice(1).forEach((key, c) => {
          const value = db?.metrics[key];
          expect(row[c + 1]).toBe(value === undefined ? '' : String(value));
        });
      });
    });
    const [header] = parseCsv(readFileSync(run.paths.results, 'utf8'));
    expect(header).toEqual(['epoch', 'loss', 'accuracy', 'lr']);
    expect(store.getRun(run.id).epochs[3]?.metrics.loss).toBeNaN();
  });

  it('names runs exp, exp2, exp3 per task, increments taken names, and trial-style names with a dash', () => {
    const store = freshStore();
    const names = [1, 2, 3].map(() => store.createRun({ task: 'classification' }).name);
    expect(names).toEqual(['exp', 'exp2', 'exp3']);
    expect(store.createRun({ task: 'detection' }).name).toBe('exp');
    expect(store.createRun({ task: 'classification', name: 'baseline' }).name).toBe('baseline');
    expect(store.createRun({ task: 'classification', name: 'baseline' }).name).toBe('baseline2');
    expect(store.createRun({ task: 'classification', name: 'lr3' }).name).toBe('lr3');
    expect(store.createRun({ task: 'classification', name: 'lr3' }).name).toBe('lr3-2');
  });

  it('finds runs by id, numeric string, name and task/name, and explains ambiguous or missing ones', () => {
    const store = freshStore();
    const a = store.createRun({ task: 'classification', name: 'solo' });
    store.createRun({ task: 'classification' });
    store.createRun({ task: 'detection' });
    expect(store.getRun(a.id).name).toBe('solo');
    expect(store.getRun(String(a.id)).name).toBe('solo');
    expect(store.getRun('solo').id).toBe(a.id);
    expect(store.getRun('detection/exp').task).toBe('detection');
    expect(() => store.getRun('exp')).toThrow(/ambiguous: classification\/exp \(id \d+\), detection\/exp/);
    try {
      store.getRun('nope');
      expect.unreachable();
    } catch (error) {
      expect(isOptikError(error, 'RUN_NOT_FOUND')).toBe(true);
    }
  });

  it('validates its inputs with coded errors', () => {
    const store = freshStore();
    expect(() => store.createRun({ task: '../escape' })).toThrow(/task must start with a letter or digit/);
    expect(() => store.createRun({ task: 'classification', extra: 1 } as never)).toThrow(/unknown key extra/);
    const run = store.createRun({ task: 'classification' });
    expect(() => run.logEpoch(-1, { loss: 1 })).toThrow(/integer ≥ 0/);
    expect(() => run.logEpoch(0, { loss: 'high' } as never)).toThrow(/"loss" must be a number/);
    run.finish();
    try {
      run.logEpoch(0, { loss: 1 });
      expect.unreachable();
    } catch (error) {
      expect(isOptikError(error, 'STORE_ERROR')).toBe(true);
      expect(String(error)).toMatch(/completed; it takes no more epochs/);
    }
    expect(() => run.finish()).toThrow(/not running/);
    expect(run.markInterrupted()).toBe(false);
  });

  it('records the git commit of a repository, and null outside one', () => {
    const store = freshStore();
    expect(store.createRun({ task: 'classification' }).info().gitCommit).toBeNull();
    const repoStore = openStore({ root: tempDir(), gitCwd: process.cwd() });
    stores.push(repoStore);
    expect(repoStore.createRun({ task: 'classification' }).info().gitCommit).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('resume', () => {
  it('reopens an interrupted run with its epochs, and a resume from an earlier checkpoint drops later epochs', () => {
    const root = tempDir();
    const store = freshStore(root);
    const run = store.createRun({ task: 'classification', config: CONFIG });
    for (let epoch = 0; epoch < 4; epoch++) run.logEpoch(epoch, { loss: 1 / (epoch + 1) });
    expect(run.markInterrupted('test')).toBe(true);
    expect(store.getRun(run.id)).toMatchObject({ status: 'interrupted', error: 'test' });

    // another process would do this: open the store, read the epochs, reopen, continue
    const again = freshStore(root);
    const record = again.getRun(run.id);
    expect(record.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    const resumed = again.openRun(record.id);
    expect(resumed.reopen().status).toBe('running');
    // the last checkpoint was after epoch 2: epoch 3 is trained again
    resumed.logEpoch(3, { loss: 0.2 });
    resumed.logEpoch(4, { loss: 0.1 });
    resumed.finish({ metrics: { loss: 0.1 } });
    const final = again.getRun(run.id);
    expect(final.status).toBe('completed');
    expect(final.epochs.map((e) => [e.epoch, e.metrics.loss])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
      [3, 0.2],
      [4, 0.1],
    ]);
    const rows = parseCsv(readFileSync(resumed.paths.results, 'utf8')).slice(1);
    expect(rows.map((r) => Number(r[0]))).toEqual([0, 1, 2, 3, 4]);
    expect(rows[3]?.[1]).toBe('0.2');
  });

  it('rolls back to an earlier epoch: logging epoch 1 again drops epochs 1 and 2', () => {
    const store = freshStore();
    const run = store.createRun({ task: 'classification' });
    for (let epoch = 0; epoch < 3; epoch++) run.logEpoch(epoch, { loss: epoch });
    run.logEpoch(1, { loss: 10 });
    expect(run.epochs().map((e) => [e.epoch, e.metrics.loss])).toEqual([
      [0, 0],
      [1, 10],
    ]);
    expect(parseCsv(readFileSync(run.paths.results, 'utf8')).slice(1)).toEqual([
      ['0', '0'],
      ['1', '10'],
    ]);
  });
});

describe('listRuns, compareRuns, exportCsv', () => {
  function populated(): Store {
    const store = freshStore();
    const specs = [
      { lr: 0.01, dropout: 0.2, accuracy: 0.81, loss: 0.52, tags: ['grid'] },
      { lr: 0.001, dropout: 0.2, accuracy: 0.88, loss: 0.35, tags: ['grid', 'best'] },
      { lr: 0.001, dropout: 0.5, accuracy: 0.85, loss: 0.41, tags: ['grid'] },
    ];
    for (const spec of specs) {
      const run = store.createRun({
        task: 'classification',
        config: { train: { learningRate: spec.lr }, model: { dropout: spec.dropout } },
        seed: 1,
        tags: spec.tags,
      });
      run.logEpoch(0, { loss: spec.loss + 0.1 });
      run.logEpoch(1, { loss: spec.loss });
      run.finish({ metrics: { accuracy: spec.accuracy, loss: spec.loss } });
    }
    const failed = store.createRun({ task: 'detection', config: {} });
    failed.markFailed(new Error('out of memory'));
    return store;
  }

  it('filters by task, status, tags and name glob, and sorts by a metric', () => {
    const store = populated();
    expect(store.listRuns().map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(store.listRuns({ task: 'detection' }).map((r) => r.status)).toEqual(['failed']);
    expect(store.listRuns({ status: ['failed'] })[0]?.error).toBe('Error: out of memory');
    expect(store.listRuns({ tags: ['grid', 'best'] }).map((r) => r.name)).toEqual(['exp2']);
    expect(store.listRuns({ name: 'exp*', task: 'classification' })).toHaveLength(3);
    expect(store.listRuns({ sortBy: 'metrics.accuracy', order: 'desc' }).map((r) => r.id)).toEqual([2, 3, 1, 4]);
    expect(store.listRuns({ sortBy: 'params.train.learningRate', limit: 1 }).map((r) => r.id)).toEqual([2]);
    expect(() => store.listRuns({ sortBy: 'colour' })).toThrow(/Cannot sort runs by "colour"/);
    expect(() => store.listRuns({ sortBy: 'metrics.a"b' })).toThrow(/Cannot sort runs by "metrics.a"b"/);
  });

  it('pages, counts and searches in SQL: offset/limit slices the ordered list, countRuns the whole match', () => {
    const store = populated();
    const tagged = store.createRun({
      task: 'classification',
      name: 'grid_1',
      config: {},
      tags: ['Night-Batch', '50%'],
    });
    tagged.logEpoch(1, { loss: 1 });
    const all = store.listRuns({ sortBy: 'metrics.accuracy', order: 'desc' }).map((r) => r.id);
    expect(store.listRuns({ sortBy: 'metrics.accuracy', order: 'desc', limit: 2 }).map((r) => r.id)).toEqual(
      all.slice(0, 2),
    );
    expect(store.listRuns({ sortBy: 'metrics.accuracy', order: 'desc', limit: 2, offset: 2 }).map((r) => r.id)).toEqual(
      all.slice(2, 4),
    );
    expect(store.listRuns({ order: 'desc', offset: 3 }).map((r) => r.id)).toEqual([2, 1]);
    expect(store.listRuns({ offset: 10 })).toEqual([]);
    expect(store.countRuns()).toBe(5);
    expect(store.countRuns({ task: 'classification', status: 'completed' })).toBe(3);
    // search: name, task or a tag contains the text, whatever its case; % and _ are plain characters
    expect(store.listRuns({ search: 'night' }).map((r) => r.id)).toEqual([tagged.id]);
    expect(store.listRuns({ search: 'DETECT' }).map((r) => r.task)).toEqual(['detection']);
    expect(store.countRuns({ search: 'exp' })).toBe(4);
    expect(store.countRuns({ search: 'BEST' })).toBe(1);
    expect(store.listRuns({ search: 'D_1' }).map((r) => r.name)).toEqual(['grid_1']);
    expect(store.countRuns({ search: 'p_' })).toBe(0);
    expect(store.countRuns({ search: '%' })).toBe(1);
    expect(store.countRuns({ search: 'grid', status: 'running' })).toBe(1);
    // epochCount sorts by the number of epochs logged (ties by id)
    expect(store.listRuns({ sortBy: 'epochCount', order: 'desc' }).map((r) => r.epochCount)).toEqual([2, 2, 2, 1, 0]);
    expect(() => store.listRuns({ offset: -1 })).toThrow(/offset/);
  });

  it('compares parameters and metrics, flags differences and picks the best run per metric', () => {
    const store = populated();
    const comparison = store.compareRuns([1, 2, 'exp3', 'detection/exp']);
    expect(comparison.runs.map((r) => r.metricsSource)).toEqual(['final', 'final', 'final', 'none']);
    const lr = comparison.params.find((p) => p.key === 'train.learningRate');
    expect(lr).toEqual({ key: 'train.learningRate', values: [0.01, 0.001, 0.001, null], differs: true });
    const accuracy = comparison.metrics.find((m) => m.key === 'accuracy');
    expect(accuracy).toEqual({ key: 'accuracy', values: [0.81, 0.88, 0.85, null], goal: 'max', best: 1 });
    const loss = comparison.metrics.find((m) => m.key === 'loss');
    expect(loss?.goal).toBe('min');
    expect(loss?.best).toBe(1);
  });

  it('exports runs as CSV with fixed columns, then params and numeric metrics', () => {
    const store = populated();
    const [header, ...rows] = parseCsv(store.exportCsv({ task: 'classification' }));
    expect(header).toEqual([
      'id',
      'name',
      'task',
      'status',
      'study_id',
      'trial_number',
      'epochs',
      'seconds',
      'seed',
      'backend',
      'git_commit',
      'created_at',
      'finished_at',
      'tags',
      'params.train.learningRate',
      'params.model.dropout',
      'metrics.accuracy',
      'metrics.loss',
    ]);
    expect(rows).toHaveLength(3);
    const second = rows[1] ?? [];
    expect(second.slice(0, 8)).toEqual(['2', 'exp2', 'classification', 'completed', '', '', '2', second[7]]);
    expect(Number(second[7])).toBeGreaterThanOrEqual(0);
    expect(second[13]).toBe('grid;best');
    expect(second.slice(14)).toEqual(['0.001', '0.2', '0.88', '0.35']);
  });
});

describe('studies', () => {
  it('creates a study, numbers its trials, counts them and resumes it by name', () => {
    const root = tempDir();
    const store = freshStore(root);
    const study = store.createStudy({
      name: 'lr-dropout',
      task: 'classification',
      direction: 'maximize',
      objective: 'accuracy',
      sampler: { type: 'grid' },
      space: { learningRate: { type: 'float', range: [0.0001, 0.1], log: true } },
    });
    expect(study).toMatchObject({ name: 'lr-dropout', status: 'running', direction: 'maximize' });
    const t0 = store.createRun({ task: 'classification', studyId: study.id, params: { learningRate: 0.01 } });
    const t1 = store.createRun({ task: 'classification', studyId: study.id, params: { learningRate: 0.001 } });
    expect([t0.name, t1.name]).toEqual(['lr-dropout-trial0', 'lr-dropout-trial1']);
    t0.finish({ status: 'pruned', metrics: { accuracy: 0.5 } });
    t1.finish({ metrics: { accuracy: 0.9 } });
    const trials = store.listRuns({ studyId: study.id, sortBy: 'trialNumber' });
    expect(trials.map((t) => [t.trialNumber, t.status, t.params.learningRate])).toEqual([
      [0, 'pruned', 0.01],
      [1, 'completed', 0.001],
    ]);
    expect(() => store.createRun({ task: 'classification', studyId: study.id, trialNumber: 1 })).toThrow(
      /Trial 1 already exists/,
    );
    expect(store.updateStudy(study.id, { status: 'interrupted', bestRunId: t1.id })).toMatchObject({
      status: 'interrupted',
      bestRunId: t1.id,
    });

    const again = freshStore(root);
    expect(() =>
      again.createStudy({ name: 'lr-dropout', direction: 'maximize', objective: 'accuracy', sampler: {} }),
    ).toThrow(/already exists/);
    const resumed = again.createStudy({
      name: 'lr-dropout',
      direction: 'maximize',
      objective: 'accuracy',
      sampler: { type: 'grid' },
      loadIfExists: true,
    });
    expect(resumed).toMatchObject({ id: study.id, status: 'running', finishedAt: null });
    expect(resumed.trials).toMatchObject({ total: 2, pruned: 1, completed: 1 });
    expect(again.createRun({ task: 'classification', studyId: study.id }).info().trialNumber).toBe(2);
    expect(again.createStudy({ direction: 'minimize', objective: 'loss', sampler: {} }).name).toBe('study');
    expect(again.listStudies().map((s) => s.name)).toEqual(['lr-dropout', 'study']);
  });
});

describe('predictions and params', () => {
  it('writes predictions.csv with true label, predicted label and class probabilities', () => {
    const store = freshStore();
    const run = store.createRun({ task: 'classification' });
    const path = run.writePredictions(
      [
        { trueLabel: 0, predictedLabel: 0, probabilities: new Float32Array([0.75, 0.25]) },
        { trueLabel: 1, predictedLabel: 0, probabilities: [0.6, 0.4] },
      ],
      { classNames: ['t-shirt', 'trouser'] },
    );
    expect(path).toBe(run.paths.predictions);
    expect(parseCsv(readFileSync(path, 'utf8'))).toEqual([
      ['true', 'predicted', 'prob_t-shirt', 'prob_trouser'],
      ['0', '0', '0.75', '0.25'],
      ['1', '0', '0.6', '0.4'],
    ]);
    expect(() =>
      run.writePredictions([{ trueLabel: 0, predictedLabel: 1, probabilities: [1] }], { classNames: ['a', 'b'] }),
    ).toThrow(/needs 2 class probabilities/);
  });

  it('flattens nested configs into dotted params', () => {
    expect(flattenParams({ a: { b: 1, c: [true, { d: 'x' }] }, e: null, f: [], g: {} })).toEqual({
      'a.b': 1,
      'a.c[0]': true,
      'a.c[1].d': 'x',
      e: null,
      f: '[]',
      g: '{}',
    });
  });

  it('merges params and replaces tags on a live run', () => {
    const store = freshStore();
    const run = store.createRun({ task: 'classification', params: { a: 1 } });
    run.updateParams({ b: 'relu' });
    run.setTags(['x', 'x', 'y']);
    expect(run.info()).toMatchObject({ params: { a: 1, b: 'relu' }, tags: ['x', 'y'] });
  });

  it('round-trips its options through toConfig', () => {
    const store = freshStore();
    const config = store.toConfig();
    const copy = openStore(config);
    stores.push(copy);
    expect(copy.toConfig()).toEqual(config);
    expect(copy.dbPath).toBe(store.dbPath);
  });
});

describe('changeStamp', () => {
  it('changes with every new run, logged epoch, status and study change, and not otherwise', async () => {
    const store = freshStore();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
    const stamps = [store.changeStamp()];
    const run = store.createRun({ task: 'classification', config: CONFIG });
    stamps.push(store.changeStamp());
    await tick();
    run.logEpoch(0, { loss: 0.5 });
    stamps.push(store.changeStamp());
    await tick();
    run.finish({ metrics: { accuracy: 0.9 } });
    stamps.push(store.changeStamp());
    await tick();
    store.createStudy({ name: 's', direction: 'maximize', objective: 'accuracy', sampler: { type: 'random' } });
    stamps.push(store.changeStamp());
    expect(new Set(stamps).size).toBe(stamps.length);
    expect(store.changeStamp()).toBe(stamps.at(-1));
    // Another handle sees every commit, even several within one millisecond.
    const reader = openStore({ root: store.root, readOnly: true });
    const seen = new Set([reader.changeStamp()]);
    const other = store.createRun({ task: 'classification', config: CONFIG });
    for (let epoch = 0; epoch < 5; epoch++) {
      other.logEpoch(epoch, { loss: 1 });
      seen.add(reader.changeStamp());
    }
    other.finish();
    seen.add(reader.changeStamp());
    expect(seen.size).toBe(7);
    expect(reader.changeStamp()).toBe(reader.changeStamp());
    reader.close();
  });

  it('finds the last update in an index (not every run row); a store made before it gains it when opened writable', () => {
    const store = freshStore();
    store.createRun({ task: 'classification', config: CONFIG });
    const stamp = store.changeStamp();
    store.close();
    const indexes = () => {
      const db = new Database(store.dbPath, { readonly: true });
      try {
        const plan = db
          .prepare<[], { detail: string }>('EXPLAIN QUERY PLAN SELECT MAX(updated_at) FROM runs')
          .all()
          .map((p) => p.detail);
        return { names: (db.pragma('index_list(runs)') as { name: string }[]).map((i) => i.name), plan };
      } finally {
        db.close();
      }
    };
    expect(indexes().names).toContain('runs_updated');
    expect(indexes().plan.join(' ')).toContain('runs_updated');
    const db = new Database(store.dbPath);
    db.exec('DROP INDEX runs_updated');
    db.close();
    // Read only changes nothing (and still answers); the next writable open adds the index back.
    const reader = openStore({ root: store.root, readOnly: true });
    expect(reader.changeStamp().split('.').slice(1)).toEqual(stamp.split('.').slice(1));
    reader.close();
    expect(indexes().names).not.toContain('runs_updated');
    freshStore(store.root);
    expect(indexes().names).toContain('runs_updated');
  });
});

describe('listRuns({ metrics: "numbers" })', () => {
  it('gives each run only its top-level numbers, exactly as stored, in the same order and filter', () => {
    const store = freshStore();
    const metrics = {
      accuracy: 0.5714285714285714,
      f1: 1 / 3,
      numSamples: 7,
      classNames: ['a', 'b'],
      confusionMatrix: [
        [1, 2],
        [3, 1],
      ],
      diagnosis: { verdict: 'good-fit' },
    };
    for (let i = 0; i < 3; i++) {
      const run = store.createRun({ task: 'classification', config: CONFIG });
      if (i < 2) run.finish({ metrics: { ...metrics, accuracy: metrics.accuracy + i } });
    }
    const full = store.listRuns({ sortBy: 'metrics.accuracy', order: 'desc' });
    const light = store.listRuns({ sortBy: 'metrics.accuracy', order: 'desc', metrics: 'numbers' });
    expect(light.map((r) => r.id)).toEqual(full.map((r) => r.id));
    expect(light[0]?.metrics).toEqual({ accuracy: metrics.accuracy + 1, f1: 1 / 3, numSamples: 7 });
    expect(light[2]?.metrics).toEqual({});
    const { metrics: _full, ...rest } = full[0] as (typeof full)[number];
    const { metrics: _light, ...restLight } = light[0] as (typeof light)[number];
    expect(restLight).toEqual(rest);
    expect(store.listRuns({ status: 'running', metrics: 'numbers' }).map((r) => r.id)).toEqual([full[2]?.id]);
  });
});
