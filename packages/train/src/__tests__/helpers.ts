import { createRng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import type { Batch, BatchSource } from '../index.js';

/** Three Gaussian blobs in 4-D (two informative features), one-hot labels. */
export function toyData(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = createRng(seed);
  const centers = [
    [2, 0],
    [-1, 1.7],
    [-1, -1.7],
  ];
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const c = centers[label] as number[];
    x.push([(c[0] ?? 0) + rng.normal(0, 0.6), (c[1] ?? 0) + rng.normal(0, 0.6), rng.normal(), rng.normal()]);
    y.push(label);
  }
  return { x, y };
}

/** A batch source that reshuffles per epoch (seeded) and creates fresh tensors each time. */
export function batches(
  data: { x: number[][]; y: number[] },
  batchSize: number,
  options: { seed?: number; sparse?: boolean; binary?: boolean } = {},
): BatchSource {
  return function* (epoch: number): Iterable<Batch> {
    const order = createRng(options.seed ?? 1)
      .fork(epoch)
      .shuffle(data.x.map((_, i) => i));
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const xs = tf.tensor2d(idx.map((i) => data.x[i] as number[]));
      const labels = idx.map((i) => data.y[i] as number);
      let ys: tf.Tensor;
      if (options.binary) ys = tf.tensor2d(labels.map((l) => [l === 0 ? 1 : 0]));
      else if (options.sparse) ys = tf.tensor1d(labels, 'int32');
      else ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat());
      yield { xs, ys };
    }
  };
}

/** A tiny seeded MLP (dense → dropout → dense softmax or sigmoid). */
export function tinyModel(options: { seed?: number; units?: number; dropout?: number } = {}): tf.LayersModel {
  const seed = options.seed ?? 3;
  const units = options.units ?? 3;
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      name: 'hidden',
      inputShape: [4],
      units: 8,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  model.add(tf.layers.dropout({ name: 'drop', rate: options.dropout ?? 0.2 }));
  model.add(
    tf.layers.dense({
      name: 'out',
      units,
      activation: units === 1 ? 'sigmoid' : 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  return model;
}

export function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      max = Math.max(max, Math.abs(v - (b[i]?.[j] ?? Number.NaN)));
    });
  });
  return Number.isNaN(max) ? Infinity : max;
}
