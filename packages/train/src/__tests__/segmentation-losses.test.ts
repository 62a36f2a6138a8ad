import { initBackend } from '@optik/backend';
import { createRng, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelCrossEntropy, segmentationLoss, softDiceLoss } from '../index.js';

// The losses against float64 oracles written from their definitions (PyTorch's CrossEntropyLoss(weight,
// ignore_index) and segmentation_models.pytorch's soft Dice with absent classes left out), on cpu and on wasm.

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1, log: false });
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const IGNORE = 255;

interface Case {
  readonly shape: [number, number, number, number];
  readonly logits: number[];
  readonly ids: number[];
}

function drawCase(seed: number, shape: Case['shape'], classes: number[], ignoreShare = 0.1): Case {
  const rng = createRng(seed);
  const [b, h, w, c] = shape;
  const logits = Array.from({ length: b * h * w * c }, () => rng.normal() * 2);
  const ids = Array.from({ length: b * h * w }, () =>
    rng.next() < ignoreShare ? IGNORE : (classes[Math.floor(rng.next() * classes.length)] as number),
  );
  return { shape, logits, ids };
}

/** Per-pixel probabilities of K columns (sigmoid as [1 − σ, σ]) in float64. */
function probabilitiesOf(c: Case): number[][] {
  const channels = c.shape[3];
  return c.ids.map((_, i) => {
    const z = c.logits.slice(i * channels, (i + 1) * channels);
    if (channels === 1) {
      const s = 1 / (1 + Math.exp(-(z[0] as number)));
      return [1 - s, s];
    }
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const total = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / total);
  });
}

function crossEntropyOracle(c: Case, weights?: number[]): number {
  const p = probabilitiesOf(c);
  let loss = 0;
  let total = 0;
  c.ids.forEach((y, i) => {
    if (y === IGNORE) return;
    const w = weights?.[y] ?? 1;
    loss += -w * Math.log((p[i] as number[])[y] as number);
    total += w;
  });
  return total === 0 ? 0 : loss / total;
}

function diceOracle(c: Case, options: { weights?: number[]; smooth?: number; background?: boolean } = {}): number {
  const p = probabilitiesOf(c);
  const depth = Math.max(c.shape[3], 2);
  const first = c.shape[3] === 1 || options.background === false ? 1 : 0;
  let loss = 0;
  let total = 0;
  for (let k = first; k < depth; k++) {
    let inter = 0;
    let sumP = 0;
    let sumT = 0;
    c.ids.forEach((y, i) => {
      if (y === IGNORE) return;
      const pk = (p[i] as number[])[k] as number;
      const t = y === k ? 1 : 0;
      inter += pk * t;
      sumP += pk;
      sumT += t;
    });
    if (sumT === 0) continue;
    const s = options.smooth ?? 0;
    const w = options.weights?.[k] ?? 1;
    loss += w * (1 - (2 * inter + s) / (sumP + sumT + s));
    total += w;
  }
  return total === 0 ? 0 : loss / total;
}

const tensors = (c: Case) => ({
  logits: tf.tensor4d(c.logits, c.shape),
  ids: tf.tensor3d(c.ids, c.shape.slice(0, 3) as [number, number, number], 'int32'),
});

describe.each(['cpu', 'wasm'])('segmentation losses on %s', (backend) => {
  beforeAll(() => tf.setBackend(backend));

  it('pixel cross-entropy and soft Dice match the float64 oracles (4 classes, class weights, ignored pixels)', () => {
    const before = tf.memory().numTensors;
    const c = drawCase(1, [2, 5, 7, 4], [0, 1, 2, 3]);
    const weights = [0.5, 1, 2, 1.5];
    const [ce, ceWeighted, dice, diceWeighted, diceNoBg] = tf.tidy(() => {
      const { logits, ids } = tensors(c);
      return [
        pixelCrossEntropy(ids, logits),
        pixelCrossEntropy(ids, logits, { classWeights: weights }),
        softDiceLoss(ids, logits),
        softDiceLoss(ids, logits, { classWeights: weights, smooth: 1 }),
        softDiceLoss(ids, logits, { includeBackground: false }),
      ].map((t) => t.dataSync()[0] as number);
    });
    expect(ce).toBeCloseTo(crossEntropyOracle(c), 5);
    expect(ceWeighted).toBeCloseTo(crossEntropyOracle(c, weights), 5);
    expect(dice).toBeCloseTo(diceOracle(c), 5);
    expect(diceWeighted).toBeCloseTo(diceOracle(c, { weights, smooth: 1 }), 5);
    expect(diceNoBg).toBeCloseTo(diceOracle(c, { background: false }), 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('one-hot targets (ignored pixels all zero) give the same losses as class ids', () => {
    const c = drawCase(2, [2, 4, 6, 3], [0, 1, 2]);
    const [fromIds, fromOneHot] = tf.tidy(() => {
      const { logits, ids } = tensors(c);
      const oneHot = tf.tensor4d(
        c.ids.flatMap((y) => [0, 1, 2].map((k) => (y === k ? 1 : 0))),
        [2, 4, 6, 3],
      );
      const loss = segmentationLoss({ dice: 0.5 });
      return [loss(ids, logits), loss(oneHot, logits)].map((t) => t.dataSync()[0] as number);
    });
    expect(fromOneHot).toBeCloseTo(fromIds as number, 6);
    expect(fromIds).toBeCloseTo(crossEntropyOracle(c) + 0.5 * diceOracle(c), 5);
  });

  it('a binary model (one logit channel) uses the sigmoid and scores Dice on the foreground', () => {
    const c = drawCase(3, [3, 4, 5, 1], [0, 1]);
    const [ce, dice] = tf.tidy(() => {
      const { logits, ids } = tensors(c);
      return [pixelCrossEntropy(ids, logits, { classWeights: [1, 3] }), softDiceLoss(ids, logits)].map(
        (t) => t.dataSync()[0] as number,
      );
    });
    expect(ce).toBeCloseTo(crossEntropyOracle(c, [1, 3]), 5);
    expect(dice).toBeCloseTo(diceOracle(c), 5);
  });

  it('classes absent from the batch are left out of Dice; an all-ignored batch costs 0', () => {
    const c = drawCase(4, [2, 3, 4, 5], [1, 3], 0.2);
    const [dice, allIgnored] = tf.tidy(() => {
      const { logits, ids } = tensors(c);
      return [softDiceLoss(ids, logits), segmentationLoss()(tf.fill([2, 3, 4], IGNORE, 'int32'), logits)].map(
        (t) => t.dataSync()[0] as number,
      );
    });
    expect(dice).toBeCloseTo(diceOracle(c), 5);
    expect(allIgnored).toBe(0);
  });

  it('gradients: finite, zero at ignored pixels, equal to central differences', () => {
    const c = drawCase(5, [2, 3, 4, 3], [0, 1, 2], 0.25);
    const loss = segmentationLoss({ dice: 1 });
    const { grad, numeric } = tf.tidy(() => {
      const { logits, ids } = tensors(c);
      const g = tf.grad((z: tf.Tensor) => loss(ids, z))(logits);
      const values = g.dataSync();
      // Central differences of a few logits, in float32: loose but sign- and scale-exact.
      const picks = [0, 7, 19, 40, 55];
      const h = 1e-2;
      const at = (i: number, d: number) => {
        const shifted = [...c.logits];
        shifted[i] = (shifted[i] as number) + d;
        return loss(ids, tf.tensor4d(shifted, c.shape)).dataSync()[0] as number;
      };
      return {
        grad: Array.from(values),
        numeric: picks.map((i) => ({ i, expected: (at(i, h) - at(i, -h)) / (2 * h) })),
      };
    });
    expect(grad.every(Number.isFinite)).toBe(true);
    for (const { i, expected } of numeric) expect(grad[i] as number).toBeCloseTo(expected, 3);
    // Cross-entropy alone: an ignored pixel gets no gradient, a counted one does.
    const ceGrad = tf.tidy(() => {
      const { logits, ids } = tensors(c);
      return Array.from(
        tf
          .grad((z: tf.Tensor) => pixelCrossEntropy(ids, z))(logits)
          .dataSync(),
      );
    });
    c.ids.forEach((y, pixel) => {
      const row = ceGrad.slice(pixel * 3, pixel * 3 + 3);
      if (y === IGNORE) expect(row.map(Math.abs)).toEqual([0, 0, 0]);
      else expect(row.some((v) => v !== 0)).toBe(true);
    });
  });
});

describe('segmentation loss errors', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('refuses targets that do not fit the logits, wrong class weights and a constant loss', () => {
    const code = (fn: () => unknown) => {
      try {
        tf.tidy(() => {
          fn();
        });
      } catch (error) {
        return isOptikError(error) ? error.code : 'other';
      }
      return 'none';
    };
    const logits = () => tf.zeros([2, 4, 6, 3]);
    expect(code(() => segmentationLoss()(tf.zeros([2, 6, 4], 'int32'), logits()))).toBe('DATA_MISMATCH');
    expect(code(() => segmentationLoss()(tf.zeros([2, 4, 6, 2]), logits()))).toBe('DATA_MISMATCH');
    expect(code(() => pixelCrossEntropy(tf.zeros([2, 4, 6], 'int32'), logits(), { classWeights: [1, 2] }))).toBe(
      'CONFIG_INVALID',
    );
    expect(code(() => segmentationLoss({ crossEntropy: 0, dice: 0 }))).toBe('CONFIG_INVALID');
    expect(code(() => segmentationLoss()([tf.zeros([2, 4, 6], 'int32'), tf.zeros([1])], logits()))).toBe(
      'ARGUMENT_INVALID',
    );
  });
});
