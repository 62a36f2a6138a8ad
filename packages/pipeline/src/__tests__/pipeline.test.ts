import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOptikError } from '@optik/core';
import { readCsv, writePng } from '@optik/testing';
import { openStore } from '@optik/track';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type PipelineConfig,
  resolvePipelineConfig,
  runEvaluation,
  runPrediction,
  runTraining,
  type TrainingResult,
} from '../index.js';

const root = mkdtempSync(join(tmpdir(), 'optik-pipeline-'));

const TINY_MODEL = {
  layers: [
    { type: 'conv', filters: 4, kernelSize: 3 },
    { type: 'pool', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 16 },
  ],
};

function mnistConfig(): PipelineConfig {
  return resolvePipelineConfig({
    task: 'classification',
    name: 'tiny',
    seed: 7,
    backend: 'cpu',
    data: { dataset: 'mnist', batchSize: 32, limit: { train: 256, validation: 128, test: 128 } },
    augment: { type: 'RandomTranslate', x: [-0.05, 0.05], y: [-0.05, 0.05], interpolation: 'nearest' },
    model: TINY_MODEL,
    train: { epochs: 2, optimizer: { type: 'adam', learningRate: 0.005 } },
    callbacks: { earlyStopping: { patience: 3 }, reduceLrOnPlateau: { patience: 1, factor: 0.5 } },
    output: { root },
  });
}

/** Macro precision/recall/F1 and accuracy recomputed from predictions.csv rows alone. */
function scoresFromCsv(rows: string[][], trueCol: number, predCol: number, classes: readonly string[]) {
  let correct = 0;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  for (const row of rows) if (row[trueCol] === row[predCol]) correct++;
  for (const c of classes) {
    const tp = rows.filter((r) => r[trueCol] === c && r[predCol] === c).length;
    const predicted = rows.filter((r) => r[predCol] === c).length;
    const actual = rows.filter((r) => r[trueCol] === c).length;
    const p = predicted === 0 ? 0 : tp / predicted;
    const r = actual === 0 ? 0 : tp / actual;
    precision.push(p);
    recall.push(r);
    f1.push(p + r === 0 ? 0 : (2 * p * r) / (p + r));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { accuracy: correct / rows.length, precision: mean(precision), recall: mean(recall), f1: mean(f1) };
}

describe('runTraining on a tiny mnist run', () => {
  let config: PipelineConfig;
  let result: TrainingResult;
  let tensorsBefore: number;
  let tensorsAfter: number;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    config = mnistConfig();
    tensorsBefore = tf.memory().numTensors;
    result = await runTraining(config, { progress: false });
    tensorsAfter = tf.memory().numTensors;
  }, 120_000);

  it('returns the run, the backend, the headline metrics and the diagnosis, leaking no tensor', () => {
    expect(result.runName).toBe('tiny');
    expect(result.runDir).toBe(join(root, 'classification', 'tiny'));
    expect(result.backend).toBe('cpu');
    expect(result.epochs).toBe(2);
    for (const key of ['accuracy', 'precision', 'recall', 'f1'] as const) {
      expect(result.metrics[key]).toBeGreaterThanOrEqual(0);
      expect(result.metrics[key]).toBeLessThanOrEqual(1);
    }
    expect(['underfitting', 'overfitting', 'good-fit']).toContain(result.diagnosis.verdict);
    expect(result.diagnosis.rule.length).toBeGreaterThan(20);
    expect(tensorsAfter).toBe(tensorsBefore);
  });

  it('writes every file of the run folder contract', () => {
    const dir = result.runDir;
    for (const name of ['config.yaml', 'run.json', 'results.csv', 'metrics.json', 'predictions.csv', 'report.html']) {
      expect(existsSync(join(dir, name)), name).toBe(true);
    }
    for (const weights of ['best', 'last']) {
      expect(existsSync(join(dir, 'weights', weights, 'model.json'))).toBe(true);
      expect(existsSync(join(dir, 'weights', weights, 'weights.bin'))).toBe(true);
    }
    const plots = readdirSync(join(dir, 'plots')).sort();
    expect(plots).toEqual(['confusion-matrix.png', 'learning-curves.png', 'pr-curves.png', 'test-predictions.png']);
    for (const plot of plots) {
      expect(
        readFileSync(join(dir, 'plots', plot))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
  });

  it('config.yaml holds the fully resolved config', () => {
    const stored = parseYaml(readFileSync(join(result.runDir, 'config.yaml'), 'utf8'));
    expect(stored).toEqual(JSON.parse(JSON.stringify(config)));
    expect(resolvePipelineConfig(stored)).toEqual(config);
  });

  it('results.csv and the store hold one row per epoch, numbered from 1 as the console prints them', () => {
    const { header, rows } = readCsv(readFileSync(join(result.runDir, 'results.csv'), 'utf8'));
    expect(header).toEqual(
      expect.arrayContaining(['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate']),
    );
    expect(rows.map((r) => r[0])).toEqual(['1', '2']);
    // The best epoch is one of those numbers in the result, metrics.json and report.html alike.
    expect([1, 2]).toContain(result.bestEpoch);
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.timings.bestEpoch).toBe(result.bestEpoch);
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    expect(html).toContain(`<td>Best epoch (checkpoint)</td><td>${result.bestEpoch}</td>`);
    const store = openStore({ root });
    try {
      const run = store.getRun(result.runId);
      expect(run.status).toBe('completed');
      expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      expect(run.backend).toBe('cpu');
      expect(run.metrics.accuracy).toBe(result.metrics.accuracy);
    } finally {
      store.close();
    }
  });

  it('metrics.json equals the metrics recomputed from predictions.csv', () => {
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    const { header, rows } = readCsv(readFileSync(join(result.runDir, 'predictions.csv'), 'utf8'));
    expect(header.slice(0, 3)).toEqual(['id', 'true', 'predicted']);
    expect(header.slice(3)).toEqual(metrics.classNames.map((c: string) => `prob_${c}`));
    expect(rows).toHaveLength(metrics.numSamples);
    // The predicted column is the argmax of the probabilities, which sum to 1.
    for (const row of rows) {
      const probs = row.slice(3).map(Number);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(row[2]).toBe(metrics.classNames[probs.indexOf(Math.max(...probs))]);
    }
    const recomputed = scoresFromCsv(rows, 1, 2, metrics.classNames);
    expect(metrics.accuracy).toBeCloseTo(recomputed.accuracy, 12);
    expect(metrics.precision).toBeCloseTo(recomputed.precision, 12);
    expect(metrics.recall).toBeCloseTo(recomputed.recall, 12);
    expect(metrics.f1).toBeCloseTo(recomputed.f1, 12);
    expect(metrics.diagnosis.verdict).toBe(result.diagnosis.verdict);
    expect(metrics.backend.name).toBe('cpu');
    expect(metrics.timings.epochs).toBe(2);
    expect(metrics.weights).toBe('best');
  });

  it('report.html is self-contained: metrics, per-class table, diagnosis with rule and remedies, embedded plots', () => {
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    expect(html.match(/src="data:image\/png;base64,/g)).toHaveLength(4);
    expect(html).not.toMatch(/src="(?!data:)/);
    expect(html).not.toMatch(/<link|<script/);
    expect(html).toContain('Precision (macro)');
    expect(html).toContain('Per class');
    expect(html).toContain(result.diagnosis.rule.replace(/&/g, '&amp;').slice(0, 40));
    expect(html).toContain('Configuration');
    // The model summary (every layer with its output shape and parameters), an editable title and notes, the
    // date, and the config folded away.
    expect(html).toContain('<h2>Model</h2>');
    expect(html).toMatch(/<td>head<\/td><td>Dense<\/td><td>10<\/td>/);
    expect(html).toContain('<h1 contenteditable="true"');
    expect(html).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(html).toContain('<details><summary><strong>Configuration (fully resolved)</strong></summary>');
  });

  it('runEvaluation of the run (by id or folder) reproduces metrics.json on the test split', async () => {
    const byId = await runEvaluation(result.runId, { root });
    expect(byId.weights).toBe('best');
    expect(byId.metrics.accuracy).toBe(result.metrics.accuracy);
    expect(byId.metrics.f1).toBe(result.metrics.f1);
    const byDir = await runEvaluation(result.runDir);
    expect(byDir.metrics.accuracy).toBe(result.metrics.accuracy);
    expect(byDir.runId).toBe(result.runId);
  });

  it('runPrediction classifies image files as the model did in predictions.csv', async () => {
    const { rows } = readCsv(readFileSync(join(result.runDir, 'predictions.csv'), 'utf8'));
    const { loadBuiltinDataset } = await import('@optik/data');
    const mnist = await loadBuiltinDataset('mnist', { seed: 7 });
    const imagesDir = join(root, 'images');
    mkdirSync(imagesDir, { recursive: true });
    const files: string[] = [];
    const expected: string[] = [];
    for (const row of rows.slice(0, 3)) {
      const index = Number((row[0] as string).split('#')[1]);
      const sample = mnist.test.sources?.indexOf(row[0] as string) ?? -1;
      expect(sample).toBeGreaterThanOrEqual(0);
      const file = join(imagesDir, `digit-${index}.png`);
      writePng(file, 28, 28, 1, mnist.test.sample(sample).image.data as Uint8Array);
      files.push(file);
      expected.push(row[2] as string);
    }
    const before = tf.memory().numTensors;
    const result2 = await runPrediction(result.runId, files, { root, topK: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result2.predictions.map((p) => p.file)).toEqual(files);
    const tops = result2.predictions.map((p) => p.top as { label: string; probability: number }[]);
    expect(tops.map((top) => top[0]?.label)).toEqual(expected);
    for (const top of tops) {
      expect(top).toHaveLength(3);
      const probs = top.map((t) => t.probability);
      expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    }
  });

  it('refuses an unknown run, resuming a completed run, a missing image and a bad top-k with coded errors', async () => {
    await expect(runTraining(config, { resume: result.runId, progress: false })).rejects.toSatisfy((e) =>
      isOptikError(e, 'ARGUMENT_INVALID'),
    );
    await expect(runTraining(config, { resume: 'nope', progress: false })).rejects.toSatisfy((e) =>
      isOptikError(e, 'RUN_NOT_FOUND'),
    );
    await expect(runEvaluation(999, { root })).rejects.toSatisfy((e) => isOptikError(e, 'RUN_NOT_FOUND'));
    await expect(runPrediction(result.runId, [join(root, 'nope.png')], { root })).rejects.toSatisfy((e) =>
      isOptikError(e, 'DATA_NOT_FOUND'),
    );
    await expect(runPrediction(result.runId, ['x.png'], { root, topK: 0 })).rejects.toSatisfy((e) =>
      isOptikError(e, 'ARGUMENT_INVALID'),
    );
  });
});

describe('runTraining on a class-per-folder directory', () => {
  it('reads imageSize and colorMode, splits stratified, honours a time limit, and evaluates other folders by class name', async () => {
    await tf.setBackend('cpu');
    const data = join(root, 'shapes');
    const holdout = join(root, 'holdout');
    // Two classes told apart by brightness: dark and light 10×12 RGB noise.
    let seed = 1;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (const [base, folder] of [
      [data, 20],
      [holdout, 4],
    ] as const) {
      for (const [name, level] of [
        ['dark', 40],
        ['light', 200],
      ] as const) {
        mkdirSync(join(base, name), { recursive: true });
        for (let i = 0; i < folder; i++) {
          const pixels = Uint8Array.from({ length: 12 * 10 * 3 }, () => level + Math.floor(noise() * 40));
          writePng(join(base, name, `${i}.png`), 12, 10, 3, pixels);
        }
      }
    }
    const config = resolvePipelineConfig({
      task: 'classification',
      seed: 1,
      backend: 'cpu',
      data: {
        directory: data,
        imageSize: [8, 8],
        colorMode: 'grayscale',
        validationSplit: 0.2,
        testSplit: 0.2,
        batchSize: 8,
      },
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 4 }] },
      train: { epochs: 3 },
      // A budget already spent after the first epoch: training stops there and still evaluates.
      callbacks: { timeLimit: { minutes: 1e-6 } },
      output: { root },
    });
    const result = await runTraining(config, { progress: false });
    expect(result.epochs).toBe(1);
    expect(result.stopReason).toBe('time-limit');
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.classNames).toEqual(['dark', 'light']);
    expect(metrics.dataset).toMatchObject({ train: 24, validation: 8, test: 8 });
    const other = await runEvaluation(result.runDir, { data: holdout });
    expect(other.metrics.numSamples).toBe(8);
    expect(other.data).toBe(holdout);
  });
});
