import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as browser from '../browser.js';
import * as node from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

describe('the browser entry', () => {
  it('is the Node entry minus what touches files', () => {
    const nodeOnly = Object.keys(node).filter((name) => !(name in browser));
    expect(nodeOnly.sort()).toEqual(
      [
        'CsvLogger',
        'CsvLoggerSchema',
        'ModelCheckpoint',
        'ModelCheckpointSchema',
        'ProgressBar',
        'ProgressBarSchema',
        'fileSystemIO',
        'formatProgressLine',
        'loadModel',
        'readCheckpoint',
        'saveModel',
      ].sort(),
    );
    expect(Object.keys(browser).every((name) => name in node)).toBe(true);
    // Same names, but the Node trainer is the checkpointing subclass of the browser one.
    expect(node.Trainer).not.toBe(browser.Trainer);
    expect(node.Trainer.prototype).toBeInstanceOf(browser.Trainer);
  });

  it('trains without checkpoints, and refuses a resume with a coded, actionable error', async () => {
    const data = toyData(60, 2);
    const model = tinyModel();
    const before = tf.memory().numTensors;
    const result = await browser.train({ model, trainData: batches(data, 20), epochs: 2, seed: 1 });
    expect(result.history).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
    const resumed = new browser.Trainer({ epochs: 3 }).fit({
      model,
      trainData: batches(data, 20),
      resumeFrom: 'weights/last',
    });
    await expect(resumed).rejects.toSatisfy(
      (e: unknown) =>
        isOptikError(e, 'ARGUMENT_INVALID') && /cannot resume.*Node entry of @optik\/train/s.test(String(e)),
    );
    model.dispose();
  });
});
