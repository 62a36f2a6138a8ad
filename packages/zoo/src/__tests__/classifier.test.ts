import { isOptikError, OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Classifier,
  type ClassifierOptions,
  ClassifierSchema,
  formatSummary,
  presetLayers,
  summarizeModel,
} from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function errorOf(fn: () => unknown): OptikError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OptikError) return error;
    throw error;
  }
  throw new Error('expected an OptikError');
}

describe('Classifier config', () => {
  it('seed-cnn is the course net: conv32 → pool → conv64 → pool → flatten → dropout → dense128 → softmax', () => {
    const classifier = new Classifier({ preset: 'seed-cnn', inputShape: [28, 28, 1], numClasses: 10 });
    const summary = classifier.summary();
    expect(summary.layers.map((l) => [l.className, l.outputShape])).toEqual([
      ['InputLayer', [28, 28, 1]],
      ['Conv2D', [26, 26, 32]],
      ['MaxPooling2D', [13, 13, 32]],
      ['Conv2D', [11, 11, 64]],
      ['MaxPooling2D', [5, 5, 64]],
      ['Flatten', [1600]],
      ['Dropout', [1600]],
      ['Dense', [128]],
      ['Dense', [10]],
    ]);
    // Parameter counts computed by hand: 3·3·1·32+32, 3·3·32·64+64, 1600·128+128, 128·10+10.
    expect(summary.totalParams).toBe(320 + 18496 + 204928 + 1290);
    expect(summary.nonTrainableParams).toBe(0);
    const dropout = classifier.model.layers.find((l) => l.getClassName() === 'Dropout');
    expect(dropout?.getConfig().rate).toBe(0.25);
    classifier.dispose();
  });

  it('builds explicit layers: average pooling, batch norm, same padding, a sigmoid head', () => {
    const options: ClassifierOptions = {
      inputShape: [8, 8, 2],
      numClasses: 2,
      head: 'sigmoid',
      layers: [
        { type: 'conv', filters: 4, kernelSize: 3, padding: 'same', strides: 2 },
        { type: 'batchNorm' },
        { type: 'pool', mode: 'average', poolSize: 2, strides: 1 },
        { type: 'flatten' },
        { type: 'dense', units: 5, activation: 'tanh' },
      ],
    };
    const classifier = new Classifier(options);
    const summary = summarizeModel(classifier.model);
    expect(summary.layers.map((l) => l.outputShape)).toEqual([
      [8, 8, 2],
      [4, 4, 4],
      [4, 4, 4],
      [3, 3, 4],
      [36],
      [5],
      [1],
    ]);
    // Batch norm: gamma and beta trainable, moving mean and variance not.
    expect(summary.nonTrainableParams).toBe(8);
    expect(classifier.loss).toBe('binaryCrossentropy');
    expect(formatSummary(summary)).toMatch(/Non-trainable params: 8/);
    expect(classifier.toConfig().layers?.[0]).toEqual({
      type: 'conv',
      filters: 4,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      batchNorm: false,
    });
    classifier.dispose();
  });

  it('a preset dropout override changes the preset rate', () => {
    expect(presetLayers('seed-cnn', 0.5).find((l) => l.type === 'dropout')).toEqual({ type: 'dropout', rate: 0.5 });
    expect(presetLayers('resnet-small').some((l) => l.type === 'dropout')).toBe(false);
    const config = ClassifierSchema.parse({
      preset: 'seed-cnn',
      inputShape: [28, 28, 1],
      numClasses: 10,
      dropout: 0.4,
    });
    const classifier = new Classifier(config);
    expect(classifier.model.layers.find((l) => l.getClassName() === 'Dropout')?.getConfig().rate).toBe(0.4);
    classifier.dispose();
  });

  it('kernelSize: 0 is CONFIG_INVALID naming model.layers[N].kernelSize', () => {
    const error = errorOf(
      () =>
        new Classifier({
          inputShape: [28, 28, 1],
          numClasses: 10,
          layers: [
            { type: 'conv', filters: 8, kernelSize: 3 },
            { type: 'pool' },
            { type: 'conv', filters: 8, kernelSize: 0 },
            { type: 'flatten' },
          ],
        }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('model.layers[2].kernelSize');
    expect(error.message).toContain('kernelSize=0');
  });

  it('an unknown key is CONFIG_UNKNOWN_KEY, an unknown layer type names its path', () => {
    const unknown = errorOf(
      () =>
        new Classifier({
          inputShape: [8, 8, 1],
          numClasses: 3,
          layers: [{ type: 'conv', filters: 8, kernelSize: 3, filter: 3 } as never, { type: 'flatten' }],
        }),
    );
    expect(unknown.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(unknown.message).toContain('model.layers[0].filter');
    const badType = errorOf(
      () => new Classifier({ inputShape: [8, 8, 1], numClasses: 3, layers: [{ type: 'conv3d' } as never] }),
    );
    expect(badType.code).toBe('CONFIG_INVALID');
    expect(badType.message).toContain('model.layers[0].type');
  });

  it('layers may be named (a search space addresses them by name); a name twice is CONFIG_INVALID naming both', () => {
    const model = new Classifier({
      inputShape: [8, 8, 1],
      numClasses: 3,
      layers: [
        { type: 'conv', filters: 4, kernelSize: 3, name: 'conv1' },
        { type: 'flatten' },
        { type: 'dropout', rate: 0.3, name: 'drop1' },
      ],
    });
    expect(model.toConfig().layers?.map((l) => l.name)).toEqual(['conv1', undefined, 'drop1']);
    model.dispose();
    const twice = errorOf(
      () =>
        new Classifier({
          inputShape: [8, 8, 1],
          numClasses: 3,
          layers: [
            { type: 'flatten', name: 'a' },
            { type: 'dropout', rate: 0.1, name: 'a' },
          ],
        }),
    );
    expect(twice.code).toBe('CONFIG_INVALID');
    expect(twice.message).toContain('model.layers[1].name');
    expect(twice.message).toContain('layers[0]');
    const bad = errorOf(
      () => new Classifier({ inputShape: [8, 8, 1], numClasses: 3, layers: [{ type: 'flatten', name: '1st' }] }),
    );
    expect(bad.message).toContain('model.layers[0].name');
  });

  it('needs exactly one of preset and layers; sigmoid needs two classes; errors use the given path prefix', () => {
    expect(errorOf(() => new Classifier({ inputShape: [8, 8, 1], numClasses: 3 })).message).toContain('model.preset');
    const both = errorOf(
      () => new Classifier({ inputShape: [8, 8, 1], numClasses: 3, preset: 'seed-cnn', layers: [{ type: 'flatten' }] }),
    );
    expect(both.message).toContain('model.layers');
    const sigmoid = errorOf(
      () => new Classifier({ preset: 'seed-cnn', inputShape: [8, 8, 1], numClasses: 3, head: 'sigmoid' }),
    );
    expect(sigmoid.message).toContain('model.head');
    const prefixed = errorOf(
      () => new Classifier({ preset: 'seed-cnn', inputShape: [8, 8, 0], numClasses: 3 }, { path: 'trial.model' }),
    );
    expect(prefixed.message).toContain('trial.model.inputShape[2]');
  });

  it('a pool that shrinks the map below 1×1 is a clear error naming the layer', () => {
    const error = errorOf(
      () =>
        new Classifier({
          inputShape: [5, 5, 1],
          numClasses: 3,
          layers: [
            { type: 'conv', filters: 4, kernelSize: 3 },
            { type: 'pool', poolSize: 2 },
            { type: 'pool', poolSize: 2 },
            { type: 'flatten' },
          ],
        }),
    );
    expect(isOptikError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error.details.path).toBe('model.layers[2]');
    expect(error.message).toContain('below 1×1');
    expect(error.message).toContain('1×1×4');
    // A preset on a too small input names the preset's layer.
    const preset = errorOf(() => new Classifier({ preset: 'seed-cnn', inputShape: [8, 8, 1], numClasses: 3 }));
    expect(preset.details.path).toBe('model.layers[3]');
  });

  it('dense before flatten, conv after flatten, and a spatial body end are errors naming the place', () => {
    const dense = errorOf(
      () =>
        new Classifier({
          inputShape: [8, 8, 1],
          numClasses: 3,
          layers: [{ type: 'dense', units: 4 }, { type: 'flatten' }],
        }),
    );
    expect(dense.details.path).toBe('model.layers[0]');
    const conv = errorOf(
      () =>
        new Classifier({
          inputShape: [8, 8, 1],
          numClasses: 3,
          layers: [{ type: 'flatten' }, { type: 'conv', filters: 2, kernelSize: 1 }],
        }),
    );
    expect(conv.details.path).toBe('model.layers[1]');
    const end = errorOf(
      () =>
        new Classifier({ inputShape: [8, 8, 1], numClasses: 3, layers: [{ type: 'conv', filters: 2, kernelSize: 1 }] }),
    );
    expect(end.details.path).toBe('model.layers');
  });

  it('different seeds give different initial weights', () => {
    const a = new Classifier({ preset: 'resnet-small', inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
    const b = new Classifier({ preset: 'resnet-small', inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
    const first = (c: Classifier) => Array.from(c.model.getWeights()[0]?.dataSync() ?? []);
    expect(first(a)).not.toEqual(first(b));
    a.dispose();
    b.dispose();
  });
});
