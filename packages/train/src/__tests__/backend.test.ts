// Forgetting initBackend() must not silently train on tfjs's pure-JS cpu backend (~200× slower): the Trainer
// prepares the best backend itself. This file never calls initBackend, and runs in its own process.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

describe('Trainer without initBackend', () => {
  it('prepares the best backend (wasm here) instead of training on tfjs’s default cpu backend', async () => {
    const model = tinyModel({ seed: 1 });
    expect(tf.getBackend()).toBe('cpu'); // tfjs's own default in Node without the native packages
    const result = await new Trainer({ epochs: 1, loss: 'sparseCategoricalCrossentropy' }).fit({
      model,
      trainData: batches(toyData(32, 1), 16, { sparse: true }),
    });
    expect(result.epochsCompleted).toBe(1);
    expect(tf.getBackend()).toBe('wasm');
    model.dispose();
  });
});
