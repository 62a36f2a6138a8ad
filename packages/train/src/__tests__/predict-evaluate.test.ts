import { initBackend } from '@optik/backend';
import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, evaluateBatches, predictBatches, Trainer } from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
});

const data = toyData(50, 21);
/** The data in order (no shuffle), as a BatchIterable with `shuffle: false` yields it. */
function inOrder(batchSize: number): Batch[] {
  const out: Batch[] = [];
  for (let start = 0; start < data.x.length; start += batchSize) {
    const x = data.x.slice(start, start + batchSize);
    const y = data.y.slice(start, start + batchSize);
    out.push({ xs: tf.tensor2d(x), ys: tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), 3).toFloat()) });
  }
  return out;
}

describe('predict and evaluate over a dataset (Keras model.predict / model.evaluate)', () => {
  it('predict: an image tensor in slices or batches in order give model.predict of the whole set; nothing leaks', async () => {
    const model = tinyModel({ dropout: 0.5 });
    const trainer = new Trainer({ epochs: 1 });
    const x = tf.tensor2d(data.x);
    const before = tf.memory().numTensors;
    const whole = model.predict(x) as tf.Tensor; // inference: dropout off
    const fromTensor = (await trainer.predict(model, x, { batchSize: 16 })) as tf.Tensor;
    const fromBatches = (await predictBatches(model, inOrder(7))) as tf.Tensor;
    expect(fromTensor.shape).toEqual([50, 3]);
    expect(Array.from(await fromTensor.data())).toEqual(Array.from(await whole.data()));
    const a = await fromBatches.data();
    const b = await whole.data();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i] as number, 6);
    tf.dispose([whole, fromTensor, fromBatches]);
    expect(tf.memory().numTensors).toBe(before); // the batches' tensors were disposed too
    x.dispose();
    model.dispose();
  });

  it("evaluate: the trainer's loss and accuracy over batches, or other streaming metrics", async () => {
    const model = tinyModel();
    const trainer = new Trainer({ epochs: 2, optimizer: { type: 'adam', learningRate: 0.05 } });
    await trainer.fit({ model, trainData: batches(data, 16) });
    const before = tf.memory().numTensors;
    const logs = await trainer.evaluate(model, inOrder(16));
    expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss']);
    const reference = await evaluateBatches({ model, data: inOrder(50), loss: 'categoricalCrossentropy' });
    expect(logs.loss).toBeCloseTo(reference.loss as number, 5);
    expect(logs.accuracy).toBe(reference.accuracy);
    // accuracy recomputed from predict
    const probs = (await trainer.predict(model, tf.tensor2d(data.x))) as tf.Tensor;
    const predicted = Array.from(await tf.argMax(probs, 1).data());
    const correct = predicted.filter((p, i) => p === data.y[i]).length;
    expect(logs.accuracy).toBeCloseTo(correct / data.y.length, 12);
    tf.dispose(probs);
    const counting = {
      name: 'seen',
      n: 0,
      reset() {
        this.n = 0;
      },
      update(_y: unknown, p: tf.Tensor) {
        this.n += p.shape[0] ?? 0;
      },
      result() {
        return this.n;
      },
    };
    expect(await trainer.evaluate(model, inOrder(16), { metrics: [counting] })).toMatchObject({ seen: 50 });
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2); // the predict input and its argMax above
    model.dispose();
  });

  it('a dataset of raw pixels or an empty set is a coded error that says how to batch it', async () => {
    const model = tinyModel();
    const trainer = new Trainer({ epochs: 1 });
    const dataset = { images: new Uint8Array(16), labels: new Int32Array(1), length: 1 };
    for (const call of [
      () => trainer.predict(model, dataset as never),
      () => trainer.evaluate(model, dataset as never),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(isOptikError(error, 'ARGUMENT_INVALID')).toBe(true);
      expect((error as { details: { hint: string } }).details.hint).toContain('new BatchIterable(dataset');
    }
    const empty = await predictBatches(model, []).catch((e: unknown) => e);
    expect(isOptikError(empty, 'ARGUMENT_INVALID')).toBe(true);
    model.dispose();
  });
});
