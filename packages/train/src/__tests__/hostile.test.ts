// Hostile inputs and faults for saved models and checkpoints (issue #11): truncated or corrupt files, a full disk.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@optik/backend';
import { isOptikError, type OptikError } from '@optik/core';
import { mountSmallDisk } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, ModelCheckpoint, readCheckpoint, saveModel, Trainer } from '../index.js';
import { batches, tinyModel, toyData } from './helpers.js';

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu', log: false });
  dir = mkdtempSync(join(tmpdir(), 'optik-train-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function caught(fn: () => unknown): Promise<OptikError> {
  try {
    await fn();
  } catch (error) {
    if (isOptikError(error)) return error;
    throw new Error(`expected an OptikError, got ${String(error)}`);
  }
  throw new Error('expected an error');
}

const data = toyData(48, 1);
const config = { epochs: 3, optimizer: { type: 'adam' as const, learningRate: 0.01 }, seed: 2 };

/** Trains `epochs` with a checkpoint (last only) in `ckpt`. */
async function trainWithCheckpoint(ckpt: string, model = tinyModel(), epochs = 1) {
  try {
    return await new Trainer({ ...config, epochs }).fit({
      model,
      trainData: batches(data, 16),
      callbacks: [new ModelCheckpoint({ dir: ckpt, saveBest: false })],
    });
  } finally {
    model.dispose();
  }
}

describe('damaged model folders are CHECKPOINT_CORRUPT, naming the file and the fix', () => {
  it('a truncated weights.bin', async () => {
    const folder = join(dir, 'truncated');
    const model = tinyModel();
    await saveModel(model, folder);
    model.dispose();
    const weights = join(folder, 'weights.bin');
    writeFileSync(weights, readFileSync(weights).subarray(0, 37));
    const before = tf.memory().numTensors;
    const error = await caught(() => loadModel(folder));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain(weights);
    expect(error.message).toMatch(/holds 37 bytes, but .* describes \d+: the file is truncated/);
    expect(error.message).toMatch(/Restore the folder/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a model.json cut short or holding something else', async () => {
    const folder = join(dir, 'json');
    const model = tinyModel();
    await saveModel(model, folder);
    model.dispose();
    const file = join(folder, 'model.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length / 2));
    let error = await caught(() => loadModel(folder));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toMatch(/model\.json is not valid JSON/);
    writeFileSync(file, '{"hello": "world"}');
    error = await caught(() => loadModel(folder));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toMatch(/not a tfjs layers model/);
    writeFileSync(file, text.replace('"class_name":"Dense"', '"class_name":"NoSuchLayer"'));
    error = await caught(() => loadModel(folder));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toMatch(/cannot be rebuilt/);
  });

  it('a corrupt trainer.json: invalid JSON, or fields a resume cannot use', async () => {
    const ckpt = join(dir, 'state');
    await trainWithCheckpoint(ckpt);
    const file = join(ckpt, 'last', 'trainer.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, 100));
    let error = await caught(() => readCheckpoint(join(ckpt, 'last')));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not valid JSON/);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(text), epoch: 'three' }));
    error = await caught(() => readCheckpoint(join(ckpt, 'last')));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toMatch(/damaged: epoch is "three"/);
  });

  it('a resume from a checkpoint whose optimizer.bin or weights.bin is truncated', async () => {
    const ckpt = join(dir, 'resume');
    await trainWithCheckpoint(ckpt);
    for (const name of ['optimizer.bin', 'weights.bin']) {
      const file = join(ckpt, 'last', name);
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 8));
      const model = tinyModel({ seed: 5 });
      const before = tf.memory().numTensors;
      const error = await caught(() =>
        new Trainer(config).fit({ model, trainData: batches(data, 16), resumeFrom: join(ckpt, 'last') }),
      );
      expect(error.code, name).toBe('CHECKPOINT_CORRUPT');
      expect(error.message).toContain(file);
      expect(error.message).toMatch(/truncated/);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      writeFileSync(file, bytes);
    }
  });
});

const disk = mountSmallDisk(5120);
if (!disk.ok) console.log(`hostile.test.ts (train): full-disk case skipped: ${disk.reason}`);
afterAll(() => {
  if (disk.ok) disk.release();
});

/** A dense model of ~250k parameters: one checkpoint (weights + Adam's two slots) takes ~3.7 MiB. */
function wideModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 40_000, activation: 'relu', kernelInitializer: 'zeros' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: 'zeros' }));
  return model;
}

describe.skipIf(!disk.ok)('a full disk while checkpointing (a 5 MiB tmpfs)', () => {
  it('fails with DISK_FULL, removes the partial checkpoint and keeps the previous one', async () => {
    if (!disk.ok) return;
    const ckpt = join(disk.dir, 'weights');
    // The first checkpoint fits; the second needs room for a new copy next to it, which the disk lacks.
    const error = await caught(() => trainWithCheckpoint(ckpt, wideModel(), 3));
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toMatch(/No space left on the disk while saving the checkpoint of epoch 2/);
    expect(error.message).toMatch(/ENOSPC/);
    expect(error.message).toMatch(/optik train --resume/);
    expect(readdirSync(ckpt)).toEqual(['last']);
    expect(existsSync(join(ckpt, 'last.tmp'))).toBe(false);
    expect(readCheckpoint(join(ckpt, 'last')).epoch).toBe(0);
    expect(disk.free()).toBeGreaterThan(0);
  });
});
