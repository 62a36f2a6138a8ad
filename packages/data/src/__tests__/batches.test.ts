import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, InMemoryDataset, makeBatches, splitDataset, stratifiedSplit } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function toyDataset(n: number, classes = 3): InMemoryDataset {
  const images = new Uint8Array(n * 2 * 2 * 1);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    images.fill(i % 256, i * 4, i * 4 + 4);
    labels[i] = i % classes;
  }
  return new InMemoryDataset({
    images,
    height: 2,
    width: 2,
    channels: 1,
    labels,
    classNames: ['a', 'b', 'c'].slice(0, classes),
  });
}

async function epoch(iterable: AsyncIterable<Batch>) {
  const seen: number[] = [];
  const labels: number[][] = [];
  for await (const batch of iterable) {
    seen.push(
      ...Array.from(batch.xs.dataSync())
        .filter((_, i) => i % 4 === 0)
        .map((v) => Math.round(v * 255)),
    );
    labels.push(Array.from(batch.ys.dataSync()));
    tf.dispose([batch.xs, batch.ys]);
  }
  return { seen, labels };
}

describe('makeBatches', () => {
  it('yields float32 0–1 NHWC images and one-hot labels, and leaks no tensors', async () => {
    const ds = toyDataset(10);
    const before = tf.memory().numTensors;
    const batches = makeBatches(ds, { batchSize: 4, seed: 1, labelMode: 'categorical' });
    expect(batches.length).toBe(3);
    const shapes: number[][] = [];
    for await (const { xs, ys } of batches) {
      expect(xs.dtype).toBe('float32');
      expect(ys.dtype).toBe('float32');
      shapes.push([...xs.shape, ...ys.shape]);
      const max = tf.tidy(() => xs.max().dataSync()[0] ?? 0);
      expect(max).toBeLessThanOrEqual(1);
      tf.dispose([xs, ys]);
    }
    expect(shapes).toEqual([
      [4, 2, 2, 1, 4, 3],
      [4, 2, 2, 1, 4, 3],
      [2, 2, 2, 1, 2, 3],
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is reproducible for a seed, reshuffles each epoch, and visits every sample once', async () => {
    const ds = toyDataset(20);
    const a = await epoch(makeBatches(ds, { batchSize: 6, seed: 7, labelMode: 'int' }));
    const b = await epoch(makeBatches(ds, { batchSize: 6, seed: 7, labelMode: 'int' }));
    expect(a.seen).toEqual(b.seen);
    expect([...a.seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const twice = makeBatches(ds, { batchSize: 6, seed: 7 });
    const e1 = await epoch(twice);
    const e2 = await epoch(twice);
    expect(e1.seen).toEqual(a.seen);
    expect(e2.seen).not.toEqual(e1.seen);
    expect(a.labels.flat()).toEqual(a.seen.map((v) => v % 3));
    const ordered = await epoch(makeBatches(ds, { batchSize: 6, shuffle: false }));
    expect(ordered.seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('supports a small shuffle buffer, binary labels and dropRemainder', async () => {
    const ds = toyDataset(10, 2);
    const buffered = await epoch(
      makeBatches(ds, { batchSize: 3, shuffleBuffer: 2, seed: 3, labelMode: 'binary', dropRemainder: true }),
    );
    expect(buffered.seen.length).toBe(9);
    // With a buffer of 2 an element can only move a little.
    buffered.seen.forEach((v, i) => {
      expect(v).toBeLessThanOrEqual(i + 1);
    });
    expect(buffered.labels.flat()).toEqual(buffered.seen.map((v) => v % 2));
    expect(() => makeBatches(toyDataset(6), { labelMode: 'binary' })).toThrow(/exactly 2 classes/);
  });

  it('runs batch and sample hooks and disposes prefetched batches on early exit', async () => {
    const ds = toyDataset(12);
    const before = tf.memory().numTensors;
    const batches = makeBatches(
      ds,
      { batchSize: 2, prefetch: 3, seed: 2, shuffle: false },
      {
        augmentSample: (sample) => ({ ...sample, image: { ...sample.image, data: new Uint8Array(4).fill(255) } }),
        augmentBatch: ({ xs, ys }) => ({ xs: tf.sub(1, xs) as tf.Tensor4D, ys }),
      },
    );
    let count = 0;
    for await (const { xs, ys } of batches) {
      expect(Array.from(xs.dataSync())).toEqual(new Array(8).fill(0));
      tf.dispose([xs, ys]);
      if (++count === 2) break;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(batches.toConfig()).toMatchObject({ batchSize: 2, prefetch: 3, seed: 2, shuffle: false });
  });

  it('validates options', () => {
    expect(() => makeBatches(toyDataset(4), { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => makeBatches(toyDataset(4), { bogus: 1 } as never)).toThrow(/bogus/);
  });
});

describe('stratified splits', () => {
  it('keeps class proportions, is seeded and disjoint', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 1));
    const s = stratifiedSplit(labels, { validation: 0.1, test: 0.2, seed: 5 });
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([70, 10, 20]);
    expect(Array.from(s.test).filter((i) => (labels[i] ?? 0) === 1).length).toBe(4);
    expect(new Set([...s.train, ...s.validation, ...s.test]).size).toBe(100);
    expect(stratifiedSplit(labels, { validation: 0.1, test: 0.2, seed: 5 })).toEqual(s);
    expect(stratifiedSplit(labels, { validation: 0.1, test: 0.2, seed: 6 }).test).not.toEqual(s.test);
    const parts = splitDataset(toyDataset(30), { test: 0.2, seed: 1 });
    expect(parts.test.classCounts()).toEqual([2, 2, 2]);
    expect(() => stratifiedSplit(labels, { validation: 0.6, test: 0.5 })).toThrow(/below 1/);
  });
});
