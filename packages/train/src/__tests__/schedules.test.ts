import { Writable } from 'node:stream';
import { initBackend } from '@optik/backend';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Callback,
  formatProgressLine,
  LearningRateScheduler,
  ProgressBar,
  type ProgressStream,
  scheduledLearningRate,
  train,
} from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
});

const data = toyData(32, 5);

/** Records the learning rate each batch ran with. */
function lrRecorder(): Callback & { rates: number[] } {
  const rates: number[] = [];
  return { name: 'lr', rates, onBatchEnd: (_b, logs) => void rates.push(logs.learning_rate as number) };
}

describe('learning-rate schedules', () => {
  it('the formulas: warm-up, step, cosine', () => {
    const step = new LearningRateScheduler({ type: 'step', stepSize: 2, gamma: 0.5, warmup: 2 }).toConfig();
    const stepRates = [0, 1, 2, 3, 4, 5, 6].map((t) => scheduledLearningRate(step, 0.1, t, 10));
    [0.05, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025].forEach((r, i) => {
      expect(stepRates[i]).toBeCloseTo(r, 12);
    });
    const cosine = new LearningRateScheduler({ type: 'cosine', minLearningRate: 0.01 }).toConfig();
    expect(scheduledLearningRate(cosine, 0.1, 0, 4)).toBeCloseTo(0.1, 10);
    expect(scheduledLearningRate(cosine, 0.1, 2, 4)).toBeCloseTo(0.055, 10);
    expect(scheduledLearningRate(cosine, 0.1, 4, 4)).toBeCloseTo(0.01, 10);
    expect(scheduledLearningRate(cosine, 0.1, 9, 4)).toBeCloseTo(0.01, 10);
    const warm = new LearningRateScheduler({ type: 'constant', warmup: 4 }).toConfig();
    const warmRates = [0, 1, 2, 3, 4, 9].map((t) => scheduledLearningRate(warm, 0.2, t, undefined));
    [0.05, 0.1, 0.15, 0.2, 0.2, 0.2].forEach((r, i) => {
      expect(warmRates[i]).toBeCloseTo(r, 12);
    });
    expect(() => scheduledLearningRate(cosine, 0.1, 0, undefined)).toThrow(/decaySteps/);
  });

  it('per epoch: the optimizer runs each epoch at the scheduled rate', async () => {
    const model = tinyModel();
    const result = await train({
      model,
      trainData: batches(data, 16),
      epochs: 5,
      optimizer: { type: 'sgd', learningRate: 0.1 },
      callbacks: [new LearningRateScheduler({ type: 'step', stepSize: 2, gamma: 0.1 })],
    });
    const rates = result.history.map((h) => h.learning_rate as number);
    [0.1, 0.1, 0.01, 0.01, 0.001].forEach((r, i) => {
      expect(rates[i]).toBeCloseTo(r, 12);
    });
    model.dispose();
  });

  it('per step: cosine with warm-up, over epochs × stepsPerEpoch', async () => {
    const model = tinyModel();
    const recorder = lrRecorder();
    await train({
      model,
      trainData: batches(data, 8),
      epochs: 3,
      stepsPerEpoch: 4,
      optimizer: { type: 'adam', learningRate: 0.01 },
      callbacks: [new LearningRateScheduler({ type: 'cosine', unit: 'step', warmup: 2 }), recorder],
    });
    const config = new LearningRateScheduler({ type: 'cosine', unit: 'step', warmup: 2 }).toConfig();
    const expected = Array.from({ length: 12 }, (_, t) => scheduledLearningRate(config, 0.01, t, 12));
    expect(recorder.rates).toHaveLength(12);
    recorder.rates.forEach((r, i) => {
      expect(r).toBeCloseTo(expected[i] as number, 12);
    });
    expect(recorder.rates[0]).toBeCloseTo(0.005, 12);
    expect(recorder.rates[1]).toBeCloseTo(0.01, 12);
    expect(recorder.rates[11]).toBeLessThan(0.001);
    model.dispose();
  });

  it('plannedEpochs: a cosine schedule spans the epochs the run is expected to get, a step schedule ignores it', async () => {
    const run = async (options: { type: 'cosine' } | { type: 'step'; stepSize: number; gamma: number }) => {
      const model = tinyModel();
      // The run is told after epoch 0 that only 3 of its 6 epochs will fit (as a time limit would).
      let planned: number | undefined;
      const result = await train({
        model,
        trainData: batches(data, 16),
        epochs: 6,
        optimizer: { type: 'sgd', learningRate: 0.1 },
        callbacks: [
          new LearningRateScheduler(options, { plannedEpochs: () => planned }),
          {
            name: 'plan',
            onEpochEnd: () => {
              planned = 3;
            },
          },
        ],
      });
      model.dispose();
      return result.history.map((h) => h.learning_rate as number);
    };
    const cosine = await run({ type: 'cosine' });
    const config = new LearningRateScheduler({ type: 'cosine' }).toConfig();
    // Epoch 0 follows the full 6-epoch run (nothing planned yet); from epoch 1 on the 3-epoch one, then the floor.
    const expected = [scheduledLearningRate(config, 0.1, 0, 6), 0.075, 0.025, 0, 0, 0];
    expect(cosine).toHaveLength(6);
    cosine.forEach((r, i) => {
      expect(r).toBeCloseTo(expected[i] as number, 10);
    });
    const step = await run({ type: 'step', stepSize: 2, gamma: 0.5 });
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025].forEach((r, i) => {
      expect(step[i]).toBeCloseTo(r, 12);
    });
  });

  it('rejects bad schedule configs with the key path; toConfig/fromConfig round-trip', () => {
    expect(() => new LearningRateScheduler({ type: 'step', stepSize: 0 })).toThrow(/schedule\.stepSize/);
    expect(() => new LearningRateScheduler({ type: 'linear' } as never)).toThrow(/schedule\.type/);
    const s = new LearningRateScheduler({ type: 'cosine', unit: 'step', decaySteps: 100 });
    expect(LearningRateScheduler.fromConfig(s.toConfig()).toConfig()).toEqual(s.toConfig());
  });
});

class FakeTty extends Writable implements ProgressStream {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('ProgressBar', () => {
  it('formats epoch, batch, bar, metrics, samples/s and ETA', () => {
    const line = formatProgressLine({
      epoch: 1,
      epochs: 10,
      batch: 5,
      steps: 10,
      logs: { loss: 0.5, accuracy: 0.75, samples_per_second: 1234.4 },
      width: 10,
      secondsPerBatch: 2,
    });
    expect(line).toBe('Epoch 2/10   5/10 [====>.....]  loss 0.5000  accuracy 0.7500  1234 samples/s  ETA 10s');
  });

  it('draws on a TTY, stays quiet when not a TTY or disabled', async () => {
    const run = async (bar: ProgressBar) => {
      const model = tinyModel();
      await train({ model, trainData: batches(data, 8), valData: batches(data, 16), epochs: 2, callbacks: [bar] });
      model.dispose();
    };
    const tty = new FakeTty(true);
    await run(new ProgressBar({ refreshMs: 0 }, tty));
    expect(tty.text).toContain('Epoch 1/2');
    expect(tty.text).toContain('Epoch 2/2');
    expect(tty.text).toMatch(/1\/4 \[/);
    expect(tty.text).toContain('ETA');
    expect(tty.text).toContain('val_accuracy');
    expect(tty.text).toContain('samples/s');
    expect(tty.text.split('\n').length).toBe(3);
    const pipe = new FakeTty(false);
    await run(new ProgressBar({}, pipe));
    expect(pipe.text).toBe('');
    const off = new FakeTty(true);
    await run(new ProgressBar({ enabled: false }, off));
    expect(off.text).toBe('');
  });
});
