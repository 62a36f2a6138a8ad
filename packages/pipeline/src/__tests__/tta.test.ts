import { InMemoryDataset } from '@optik/data';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ClassificationConfig, type PipelineConfig, resolvePipelineConfig } from '../index.js';

function classification(config: PipelineConfig): ClassificationConfig {
  if (config.task !== 'classification') throw new Error('expected a classification config');
  return config;
}

import { predictDataset } from '../internal/tasks/classification/evaluate.js';

const H = 5;
const W = 6;
const N = 40;

/** Random images and their mirror images (left-right or top-bottom), byte for byte. */
function images(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % 256;
  };
  const plain = Uint8Array.from({ length: N * H * W }, next);
  const hflip = new Uint8Array(plain.length);
  const vflip = new Uint8Array(plain.length);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const src = plain[n * H * W + y * W + x] as number;
        hflip[n * H * W + y * W + (W - 1 - x)] = src;
        vflip[n * H * W + (H - 1 - y) * W + x] = src;
      }
    }
  }
  const labels = Int32Array.from({ length: N }, (_, i) => i % 3);
  const dataset = (bytes: Uint8Array) =>
    new InMemoryDataset({ images: bytes, height: H, width: W, channels: 1, labels, classNames: ['a', 'b', 'c'] });
  return { plain: dataset(plain), hflip: dataset(hflip), vflip: dataset(vflip) };
}

describe('test-time augmentation (test.tta)', () => {
  let model: tf.LayersModel;
  const data = images(3);

  beforeAll(async () => {
    await tf.setBackend('cpu');
    // A dense layer on the flattened pixels with seeded random weights: it tells an image from its mirror.
    model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [H, W, 1] }),
        tf.layers.dense({
          units: 3,
          activation: 'softmax',
          kernelInitializer: tf.initializers.randomNormal({ seed: 1 }),
        }),
      ],
    });
  });

  it('without views it is the plain prediction; with hflip the mean of the image and its mirror', async () => {
    const plain = await predictDataset(model, data.plain);
    const none = await predictDataset(model, data.plain, { tta: [] });
    expect(none.probabilities).toEqual(plain.probabilities);
    const mirrored = await predictDataset(model, data.hflip);
    const tta = await predictDataset(model, data.plain, { tta: ['hflip'] });
    for (let i = 0; i < tta.probabilities.length; i++) {
      const expected = ((plain.probabilities[i] as number) + (mirrored.probabilities[i] as number)) / 2;
      expect(tta.probabilities[i]).toBeCloseTo(expected, 6);
    }
    // The model is not mirror-invariant, so the views really differ.
    const gap = plain.probabilities.reduce(
      (m, p, i) => Math.max(m, Math.abs(p - (mirrored.probabilities[i] as number))),
      0,
    );
    expect(gap).toBeGreaterThan(0.01);
  });

  it('makes the prediction invariant to the mirrors it averages over, and rows still sum to 1', async () => {
    const leaked = tf.memory().numTensors;
    for (const [view, mirror] of [
      ['hflip', data.hflip],
      ['vflip', data.vflip],
    ] as const) {
      const a = await predictDataset(model, data.plain, { tta: [view] });
      const b = await predictDataset(model, mirror, { tta: [view] });
      for (let i = 0; i < a.probabilities.length; i++)
        expect(b.probabilities[i]).toBeCloseTo(a.probabilities[i] as number, 5);
      for (let n = 0; n < N; n++) {
        const row = a.probabilities.subarray(n * 3, n * 3 + 3);
        expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
      }
    }
    expect(tf.memory().numTensors).toBe(leaked);
  });

  it('is off by default and refuses an unknown or repeated view with a coded error', () => {
    const base = {
      task: 'classification',
      data: { dataset: 'mnist' },
      model: { layers: [{ type: 'flatten' }] },
    };
    expect(classification(resolvePipelineConfig(base)).test.tta).toEqual([]);
    expect(classification(resolvePipelineConfig({ ...base, test: { tta: ['hflip'] } })).test.tta).toEqual(['hflip']);
    for (const tta of [['rotate'], ['hflip', 'hflip']]) {
      expect(() => resolvePipelineConfig({ ...base, test: { tta } })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });
});
