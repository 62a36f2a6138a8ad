import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@optik/backend';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Callback,
  CsvLogger,
  EarlyStopping,
  type EpochLogs,
  ModelCheckpoint,
  ReduceLROnPlateau,
  readCheckpoint,
  TerminateOnNaN,
  Trainer,
  train,
} from '../index.js';
import { batches, maxAbsDiff, tinyModel, toyData, weightsOf } from './helpers.js';

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
  dir = mkdtempSync(join(tmpdir(), 'optik-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = toyData(96, 11);
const valData = toyData(48, 12);

describe('Trainer', () => {
  it('learns a toy problem: the loss decreases, accuracy rises, and no tensor leaks', async () => {
    const model = tinyModel();
    const before = tf.memory().numTensors;
    const result = await train({
      model,
      trainData: batches(data, 16),
      valData: batches(valData, 16),
      epochs: 8,
      optimizer: { type: 'adam', learningRate: 0.05 },
      seed: 5,
    });
    expect(tf.memory().numTensors).toBe(before);
    const first = result.history[0] as EpochLogs;
    const last = result.history.at(-1) as EpochLogs;
    expect(result.history).toHaveLength(8);
    expect(last.loss).toBeLessThan((first.loss as number) * 0.6);
    expect(last.val_loss).toBeLessThan(first.val_loss as number);
    expect(last.val_accuracy).toBeGreaterThan(0.9);
    expect(last.samples_per_second).toBeGreaterThan(0);
    expect(last.epoch_seconds).toBeGreaterThan(0);
    expect(Object.keys(last)).toEqual([
      'epoch',
      'loss',
      'accuracy',
      'val_loss',
      'val_accuracy',
      'learning_rate',
      'samples_per_second',
      'epoch_seconds',
    ]);
    expect(result.stopped).toBe(false);
    model.dispose();
  });

  it('is reproducible: same seed, same weights (dropout included); another seed differs', async () => {
    const run = async (seed: number) => {
      const model = tinyModel({ dropout: 0.5 });
      await train({
        model,
        trainData: batches(data, 16),
        epochs: 2,
        optimizer: { type: 'sgd', learningRate: 0.1 },
        seed,
      });
      const w = weightsOf(model);
      model.dispose();
      return w;
    };
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(maxAbsDiff(await run(2), a)).toBeGreaterThan(0);
  });

  it('early stopping stops and restores the weights of the best epoch', async () => {
    const model = tinyModel();
    const snapshots: number[][][] = [];
    // Records the weights after each epoch; runs before EarlyStopping so the snapshot is the epoch's own.
    const recorder: Callback = {
      name: 'recorder',
      onEpochEnd: (_e, _l, ctx) => void snapshots.push(weightsOf(ctx.model)),
    };
    // A large learning rate makes val_loss bounce, so the best epoch is not the last one.
    const early = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const before = tf.memory().numTensors;
    const result = await train({
      model,
      trainData: batches(data, 8),
      valData: batches(valData, 16),
      epochs: 40,
      optimizer: { type: 'sgd', learningRate: 3 },
      callbacks: [recorder, early],
      seed: 2,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.stopped).toBe(true);
    expect(result.stopReason).toBe('early-stopping');
    expect(result.history.length).toBeLessThan(40);
    const losses = result.history.map((h) => h.val_loss as number);
    const best = losses.indexOf(Math.min(...losses));
    expect(early.bestEpoch).toBe(best);
    expect(early.stoppedEpoch).toBe(result.history.length - 1);
    expect(result.history.length - 1 - best).toBe(2);
    expect(best).toBeLessThan(result.history.length - 1);
    expect(weightsOf(model)).toEqual(snapshots[best]);
    expect(maxAbsDiff(weightsOf(model), snapshots.at(-1) as number[][])).toBeGreaterThan(0);
    model.dispose();
  });

  it('a checkpoint-then-resume run ends with the same weights as an uninterrupted run', async () => {
    const config = {
      epochs: 6,
      optimizer: { type: 'adam' as const, learningRate: 0.02 },
      seed: 9,
      gradientClip: { mode: 'norm' as const, max: 1 },
    };
    const makeCallbacks = (ckpt: string) => [
      new ModelCheckpoint({ dir: ckpt, monitor: 'val_loss' }),
      new ReduceLROnPlateau({ monitor: 'val_loss', patience: 1, factor: 0.5 }),
      new EarlyStopping({ monitor: 'val_loss', patience: 50, restoreBestWeights: true }),
    ];

    const full = tinyModel({ dropout: 0.3 });
    const fullResult = await new Trainer(config).fit({
      model: full,
      trainData: batches(data, 16),
      valData: batches(valData, 16),
      callbacks: makeCallbacks(join(dir, 'full')),
    });

    // Interrupted: a crash at the start of epoch 3, after the checkpoint of epoch 2 was written.
    const ckpt = join(dir, 'resume');
    const first = tinyModel({ dropout: 0.3 });
    const crash: Callback = {
      name: 'crash',
      onEpochBegin: (epoch) => {
        if (epoch === 3) throw new Error('simulated crash');
      },
    };
    await expect(
      new Trainer(config).fit({
        model: first,
        trainData: batches(data, 16),
        valData: batches(valData, 16),
        callbacks: [...makeCallbacks(ckpt), crash],
      }),
    ).rejects.toThrow('simulated crash');
    first.dispose();
    const info = readCheckpoint(join(ckpt, 'last'));
    expect(info.epoch).toBe(2);
    expect(info.history).toHaveLength(3);
    expect(info.stopTraining).toBe(false);

    const resumedModel = tinyModel({ dropout: 0.3, seed: 99 });
    const before = tf.memory().numTensors;
    const resumed = await new Trainer(config).fit({
      model: resumedModel,
      trainData: batches(data, 16),
      valData: batches(valData, 16),
      callbacks: makeCallbacks(ckpt),
      resumeFrom: join(ckpt, 'last'),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(resumed.initialEpoch).toBe(3);
    expect(resumed.history).toHaveLength(6);
    expect(maxAbsDiff(weightsOf(resumedModel), weightsOf(full))).toBeLessThan(1e-5);
    for (let e = 0; e < 6; e++) {
      const a = fullResult.history[e] as EpochLogs;
      const b = resumed.history[e] as EpochLogs;
      expect(b.val_loss).toBeCloseTo(a.val_loss as number, 5);
      expect(b.learning_rate).toBeCloseTo(a.learning_rate as number, 10);
    }
    expect(readCheckpoint(join(ckpt, 'best')).epoch).toBeLessThanOrEqual(5);
    full.dispose();
    resumedModel.dispose();
  });

  it('ReduceLROnPlateau divides the learning rate after `patience` epochs without improvement', async () => {
    const model = tinyModel();
    // monitor the training loss with a huge minDelta: nothing counts as an improvement after epoch 0.
    const reduce = new ReduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5, minDelta: 100, cooldown: 1 });
    const result = await train({
      model,
      trainData: batches(data, 32),
      epochs: 8,
      optimizer: { type: 'sgd', learningRate: 0.1 },
      callbacks: [reduce],
    });
    // As Keras: epoch 0 sets best; 1, 2 wait → reduce after 2 (0.05 from epoch 3); the cooldown counts down at
    // the start of epoch 3's check, so 3 and 4 wait → reduce after 4 (0.025), then after 6 (0.0125).
    expect(result.history.map((h) => h.learning_rate)).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]);
    model.dispose();
  });

  it('TerminateOnNaN stops at the first non-finite loss without finishing the epoch', async () => {
    const model = tinyModel();
    const nanBatches = function* () {
      yield { xs: tf.fill([4, 4], Number.NaN), ys: tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3)) };
      yield { xs: tf.ones([4, 4]), ys: tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3)) };
    };
    const before = tf.memory().numTensors;
    const result = await train({ model, trainData: nanBatches, epochs: 3, callbacks: [new TerminateOnNaN()] });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.stopReason).toBe('nan');
    expect(result.history).toHaveLength(0);
    model.dispose();
  });

  it('writes one CSV row per epoch and keeps earlier rows on resume', async () => {
    const model = tinyModel();
    const path = join(dir, 'csv', 'results.csv');
    const ckpt = join(dir, 'csv', 'weights');
    await train({
      model,
      trainData: batches(data, 32),
      valData: batches(valData, 48),
      epochs: 2,
      callbacks: [new CsvLogger({ path }), new ModelCheckpoint({ dir: ckpt, saveBest: false })],
    });
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,samples_per_second,epoch_seconds');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '1']);
    const resumed = await train({
      model,
      trainData: batches(data, 32),
      valData: batches(valData, 48),
      epochs: 4,
      callbacks: [new CsvLogger({ path }), new ModelCheckpoint({ dir: ckpt, saveBest: false })],
      resumeFrom: join(ckpt, 'last'),
    });
    expect(resumed.initialEpoch).toBe(2);
    const after = readFileSync(path, 'utf8').trim().split('\n');
    expect(after.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '1', '2', '3']);
    expect(after[1]).toBe(lines[1]);
    model.dispose();
  });

  it('rejects bad configs with coded errors naming the key', async () => {
    expect(() => new Trainer({ epochs: 0 })).toThrow(/train\.epochs/);
    expect(() => new Trainer({ epochs: 1, optimizer: { type: 'adam', learningRate: -1 } })).toThrow(
      /train\.optimizer\.learningRate/,
    );
    expect(() => new Trainer({ epochs: 1, lr: 0.1 } as never)).toThrow(/unknown key train\.lr/);
    const model = tinyModel();
    await expect(train({ model, trainData: batches(data, 32), epochs: 1, classWeights: [1, 2] })).rejects.toThrow(
      /train\.classWeights/,
    );
    await expect(train({ model, trainData: batches(data, 32), epochs: 1, loss: 'binaryCrossentropy' })).rejects.toThrow(
      /binaryCrossentropy needs a model with 1 sigmoid output/,
    );
    const badShapes = () => [{ xs: tf.ones([2, 5]), ys: tf.ones([2, 3]) }];
    const before = tf.memory().numTensors;
    await expect(train({ model, trainData: badShapes, epochs: 1 })).rejects.toMatchObject({ code: 'TRAIN_FAILED' });
    expect(tf.memory().numTensors).toBe(before);
    // A step that runs out of memory (wasm reports a failed allocation as an out-of-bounds access) says what to lower.
    const outOfMemory = () => {
      throw new RangeError('memory access out of bounds');
    };
    const error = await train({ model, trainData: batches(data, 32), epochs: 1, loss: outOfMemory }).then(
      () => new Error('expected the step to fail'),
      (e: unknown) => e as Error,
    );
    expect(error).toMatchObject({ code: 'TRAIN_FAILED' });
    expect(error.message).toContain('ran out of memory');
    expect(error.message).toContain('lower the batch size (now 32)');
    // No tensor-count check here: tfjs-core 4.22's variableGrads leaks the forward pass's tensors when the loss
    // throws (a failing run stops anyway; the shape error above fails before the forward pass).
    expect(error.message).not.toContain('Check that the batch shapes');
    expect(new Trainer({ epochs: 2 }).toConfig()).toEqual(
      Trainer.fromConfig(new Trainer({ epochs: 2 }).toConfig()).toConfig(),
    );
    model.dispose();
  });
});
