import { readFileSync } from 'node:fs';
import { readCsv, tempDir } from '@optik/testing';
import { type Batch, Trainer } from '@optik/train';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore, trackingCallback } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 24 points of two classes, told apart by the sign of the first feature. */
function batches(): Batch[] {
  const out: Batch[] = [];
  for (let start = 0; start < 24; start += 8) {
    const x = Array.from({ length: 8 }, (_, i) => [((start + i) % 2 === 0 ? 1 : -1) * (1 + i / 8), i / 8]);
    out.push({
      xs: tf.tensor2d(x),
      ys: tf.tidy(() =>
        tf
          .oneHot(
            tf.tensor1d(
              x.map(([a]) => ((a as number) > 0 ? 1 : 0)),
              'int32',
            ),
            2,
          )
          .toFloat(),
      ),
    });
  }
  return out;
}

function model(): tf.LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [2],
      units: 2,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  return m;
}

describe('trackingCallback', () => {
  it('logs each epoch of a plain Trainer.fit into the run (store and results.csv, from 1) and finishes it', async () => {
    const store = openStore({ root: tempDir() });
    try {
      const run = store.createRun({ task: 'classification', config: { epochs: 3 } });
      const m = model();
      const result = await new Trainer({ epochs: 3, optimizer: { type: 'adam', learningRate: 0.1 } }).fit({
        model: m,
        trainData: () => batches(),
        valData: () => batches(),
        callbacks: [trackingCallback(run)],
      });
      const record = store.getRun(run.id);
      expect(record.status).toBe('completed');
      expect(record.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
      expect(record.epochs.map((e) => e.metrics.val_loss)).toEqual(result.history.map((h) => h.val_loss));
      expect(record.epochs[0]?.durationMs).toBe(Math.round((result.history[0]?.epoch_seconds ?? 0) * 1000));
      expect(record.metrics.val_accuracy).toBe(result.history.at(-1)?.val_accuracy);
      const csv = readCsv(readFileSync(run.paths.results, 'utf8'));
      expect(csv.rows.map((r) => r[csv.header.indexOf('epoch')])).toEqual(['1', '2', '3']);
      m.dispose();

      const open = store.createRun({ task: 'classification' });
      const m2 = model();
      await new Trainer({ epochs: 1 }).fit({
        model: m2,
        trainData: () => batches(),
        callbacks: [trackingCallback(open, { finish: false })],
      });
      expect(store.getRun(open.id).status).toBe('running');
      expect(store.getRun(open.id).epochs).toHaveLength(1);
      open.finish({ metrics: { accuracy: 0.5 } });
      m2.dispose();
    } finally {
      store.close();
    }
  });
});
