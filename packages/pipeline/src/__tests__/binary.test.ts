import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@optik/core';
import { loadBuiltinDataset, writeClassFolders } from '@optik/data';
import { readCsv, tempDir, writePng } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadPipelineConfig,
  type PipelineConfig,
  resolvePipelineConfig,
  runTraining,
  type TrainingResult,
} from '../index.js';

/** `<root>/data/{bright,dark}`: 10×10 grey noise, 12 bright and 30 dark images (an imbalanced two-class set). */
function twoClassFolder(): string {
  const root = tempDir();
  const rng = createRng(3);
  for (const [name, count, level] of [
    ['bright', 12, 190],
    ['dark', 30, 50],
  ] as const) {
    mkdirSync(join(root, 'data', name), { recursive: true });
    for (let i = 0; i < count; i++) {
      const pixels = Uint8Array.from({ length: 100 }, () => level + Math.floor(rng.next() * 60));
      writePng(join(root, 'data', name, `${i}.png`), 10, 10, 1, pixels);
    }
  }
  return root;
}

function binaryConfig(root: string, data: Record<string, unknown> = {}): PipelineConfig {
  return resolvePipelineConfig({
    task: 'classification',
    name: 'binary',
    seed: 5,
    backend: 'cpu',
    data: {
      directory: join(root, 'data'),
      imageSize: [10, 10],
      colorMode: 'grayscale',
      positiveClass: 'bright',
      ...data,
    },
    model: { head: 'sigmoid', layers: [{ type: 'flatten' }, { type: 'dense', units: 8 }] },
    train: { epochs: 3, optimizer: { type: 'adam', learningRate: 0.01 } },
    output: { root: join(root, 'runs') },
  });
}

describe('a binary (two-class) run', () => {
  let root: string;
  let result: TrainingResult;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = twoClassFolder();
    result = await runTraining(binaryConfig(root), { progress: false });
  }, 120_000);

  it('makes data.positiveClass label 1 and reports its precision, recall and F1 (from predictions.csv)', () => {
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.classNames).toEqual(['dark', 'bright']);
    expect(metrics.binary.positiveClass).toBe('bright');
    const { header, rows } = readCsv(readFileSync(join(result.runDir, 'predictions.csv'), 'utf8'));
    const truth = header.indexOf('true');
    const predicted = header.indexOf('predicted');
    const tp = rows.filter((r) => r[truth] === 'bright' && r[predicted] === 'bright').length;
    const claimed = rows.filter((r) => r[predicted] === 'bright').length;
    const actual = rows.filter((r) => r[truth] === 'bright').length;
    const precision = claimed === 0 ? 0 : tp / claimed;
    const recall = tp / actual;
    expect(result.metrics.positiveClass).toBe('bright');
    expect(result.metrics.positivePrecision).toBeCloseTo(precision, 6);
    expect(result.metrics.positiveRecall).toBeCloseTo(recall, 6);
    expect(result.metrics.positiveF1).toBeCloseTo(
      precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
      6,
    );
  });

  it('report.html leads with the positive class and shows the data: counts per split and class, size, balance', () => {
    const html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
    const results = html.slice(html.indexOf('<h2>Results on the test set</h2>'));
    const firstRow = results.match(/<tbody>\n<tr><td>([^<]+)<\/td>/)?.[1];
    expect(firstRow).toBe('Precision (positive class &quot;bright&quot;)');
    expect(results.indexOf('F1 (positive class')).toBeLessThan(results.indexOf('F1 (macro)'));
    const data = html.slice(html.indexOf('<h2>Data</h2>'), html.indexOf('<h2>Model</h2>'));
    expect(data).toContain('10 × 10 pixels, 1 channel');
    const cells = (name: string) =>
      [...(data.match(new RegExp(`<tr><td>${name}</td>(.*?)</tr>`))?.[1] ?? '').matchAll(/>(\d+)</g)].map((m) =>
        Number(m[1]),
      );
    const dark = cells('dark');
    const bright = cells('bright');
    expect(dark.reduce((a, b) => a + b, 0)).toBe(30);
    expect(bright.reduce((a, b) => a + b, 0)).toBe(12);
    // the splits' columns add up to the run's splits
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(dark.map((n, i) => n + (bright[i] as number))).toEqual([
      metrics.dataset.train,
      metrics.dataset.validation,
      metrics.dataset.test,
    ]);
    expect(data).toMatch(/imbalanced — the largest class \(dark, 30\) against the smallest \(bright, 12\), ratio 2\.5/);
  });

  it('refuses a positiveClass that is not a class folder, or with a built-in dataset (CONFIG_INVALID)', async () => {
    await expect(runTraining(binaryConfig(root, { positiveClass: 'grey' }), { progress: false })).rejects.toMatchObject(
      { code: 'CONFIG_INVALID', details: { path: 'data.positiveClass' } },
    );
    expect(() =>
      resolvePipelineConfig({ task: 'classification', data: { dataset: 'mnist', positiveClass: '7' }, model: {} }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('examples/binary/train.yaml', () => {
  it('trains on two Fashion-MNIST classes written as class folders, Ankle boot the positive class', async () => {
    const root = tempDir();
    const { train, validation, test } = await loadBuiltinDataset('fashion-mnist');
    // what the example's documented command writes, 60 images per class and split
    const counts = await writeClassFolders({ train, val: validation, test }, join(root, 'data'), {
      classes: ['Sneaker', 'Ankle boot'],
      limit: 60,
    });
    expect(counts.train).toEqual({ Sneaker: 60, 'Ankle boot': 60 });
    const example = fileURLToPath(new URL('../../../../examples/binary/train.yaml', import.meta.url));
    const config = loadPipelineConfig(example, {
      data: { directory: join(root, 'data') },
      train: { epochs: 1 },
      backend: 'cpu',
      output: { root: join(root, 'runs') },
    });
    expect(config.data).toMatchObject({ positiveClass: 'Ankle boot', imageSize: [28, 28], colorMode: 'grayscale' });
    const result = await runTraining(config, { progress: false });
    expect(result.metrics.positiveClass).toBe('Ankle boot');
    expect(counts.test).toEqual({ Sneaker: 60, 'Ankle boot': 60 });
    expect(result.metrics.numSamples).toBe(120);
    const metrics = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.classNames).toEqual(['Sneaker', 'Ankle boot']);
    expect(metrics.task).toBe('binary');
  }, 180_000);
});
