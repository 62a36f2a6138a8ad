import { initBackend } from '@optik/backend';
import { type BoxXyxy, createRng, iou, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxIouTensor, boxL1Loss, giouLoss } from '../index.js';

type Box = [number, number, number, number];

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const valuesOf = (fn: (t: tf.Tensor2D, p: tf.Tensor2D) => tf.Tensor1D, t: Box[], p: Box[]): number[] =>
  tf.tidy(() => Array.from(fn(tf.tensor2d(t), tf.tensor2d(p)).dataSync()));

/** cxcywh → xyxy with sizes clamped at 0, in float64. */
function toXyxy([cx, cy, w, h]: readonly number[]): BoxXyxy {
  const hw = Math.max(w as number, 0) / 2;
  const hh = Math.max(h as number, 0) / 2;
  return [(cx as number) - hw, (cy as number) - hh, (cx as number) + hw, (cy as number) + hh];
}

/** 1 − GIoU in float64 straight from the paper's definition, an oracle written apart from the tfjs code. */
function giouReference(t: readonly number[], p: readonly number[]): number {
  const a = toXyxy(t);
  const b = toXyxy(p);
  const area = (x: BoxXyxy) => (x[2] - x[0]) * (x[3] - x[1]);
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = area(a) + area(b) - inter;
  const hull = (Math.max(a[2], b[2]) - Math.min(a[0], b[0])) * (Math.max(a[3], b[3]) - Math.min(a[1], b[1]));
  const iouValue = union > 1e-7 ? inter / union : inter / 1e-7;
  return 1 - (iouValue - (hull - union) / Math.max(hull, 1e-7));
}

const l1Reference = (t: readonly number[], p: readonly number[]): number =>
  t.reduce((sum, v, j) => sum + Math.abs(v - (p[j] as number)), 0) / 4;

/** A seeded batch of overlapping, disjoint and nested boxes, plus a degenerate (negative-width) prediction. */
function randomBatch(seed: number, n: number): { t: Box[]; p: Box[] } {
  const rng = createRng(seed);
  const t: Box[] = [];
  const p: Box[] = [];
  for (let i = 0; i < n; i++) {
    const box: Box = [rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.5), rng.uniform(0.05, 0.5)];
    const spread = [0.02, 0.1, 0.4][i % 3] as number;
    t.push(box);
    p.push([
      box[0] + rng.normal(0, spread),
      box[1] + rng.normal(0, spread),
      box[2] * rng.uniform(0.5, 1.6),
      box[3] * rng.uniform(0.5, 1.6),
    ]);
  }
  p[n - 1] = [0.5, 0.5, -0.05, 0.2];
  return { t, p };
}

describe('box losses: values', () => {
  it('identical boxes: GIoU loss 0, L1 0, IoU 1', () => {
    const boxes: Box[] = [
      [0.5, 0.5, 0.2, 0.2],
      [0.3, 0.7, 0.1, 0.4],
    ];
    for (const v of valuesOf(giouLoss, boxes, boxes)) expect(v).toBeCloseTo(0, 6);
    expect(valuesOf(boxL1Loss, boxes, boxes)).toEqual([0, 0]);
    for (const v of valuesOf(boxIouTensor, boxes, boxes)) expect(v).toBeCloseTo(1, 6);
  });

  it('hand-computed overlaps, disjoint and degenerate boxes', () => {
    const t: Box[] = [
      [0.5, 0.5, 0.2, 0.2], // shifted right by 0.05: inter 0.03, union 0.05, hull = union → IoU 0.6
      [0.25, 0.25, 0.1, 0.1], // disjoint, side by side: hull 0.06, union 0.02 → GIoU −2/3
      [0.5, 0.5, 0.4, 0.4], // contains the prediction: IoU 0.25, hull = union
      [0.3, 0.3, 0.2, 0.2], // diagonal: inter 0.01, union 0.07, hull 0.09 → GIoU 1/7 − 2/9
      [0.5, 0.5, 0.2, 0.2], // prediction with w < 0 is the empty box x = 0.9, y 0.45…0.55: hull 0.1 → GIoU −0.6
      [0.5, 0.5, 0, 0], // both empty at one point: IoU 0, no enclosing area → loss 1
    ];
    const p: Box[] = [
      [0.55, 0.5, 0.2, 0.2],
      [0.75, 0.25, 0.1, 0.1],
      [0.5, 0.5, 0.2, 0.2],
      [0.4, 0.4, 0.2, 0.2],
      [0.9, 0.5, -0.3, 0.1],
      [0.5, 0.5, 0, -0.1],
    ];
    const expected = [0.4, 5 / 3, 0.75, 1 - (1 / 7 - 2 / 9), 1.6, 1];
    valuesOf(giouLoss, t, p).forEach((v, i) => {
      expect(v, `row ${i}`).toBeCloseTo(expected[i] as number, 5);
    });
    expect(valuesOf(giouLoss, t, p)[1]).toBeGreaterThan(1);
    const l1 = valuesOf(boxL1Loss, t, p);
    expect(l1[0]).toBeCloseTo(0.05 / 4, 7);
    expect(l1[4]).toBeCloseTo((0.4 + 0.5 + 0.1) / 4, 6);
    const ious = valuesOf(boxIouTensor, t, p);
    [0.6, 0, 0.25, 1 / 7, 0, 0].forEach((v, i) => {
      expect(ious[i], `row ${i}`).toBeCloseTo(v, 6);
    });
  });

  it('equal the float64 references on a random batch; boxIouTensor equals @optik/core iou', () => {
    const { t, p } = randomBatch(7, 30);
    const giou = valuesOf(giouLoss, t, p);
    const l1 = valuesOf(boxL1Loss, t, p);
    const ious = valuesOf(boxIouTensor, t, p);
    t.forEach((box, i) => {
      expect(giou[i]).toBeCloseTo(giouReference(box, p[i] as Box), 5);
      expect(l1[i]).toBeCloseTo(l1Reference(box, p[i] as Box), 6);
      expect(ious[i]).toBeCloseTo(iou(toXyxy(box), toXyxy(p[i] as Box)), 5);
    });
    expect(giou.some((v) => v > 1)).toBe(true); // disjoint pairs are in the batch
    expect(giou.some((v) => v < 0.3)).toBe(true);
  });

  it('reject shapes other than [batch, 4] with coded errors', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isOptikError(e) ? [e.code, e.message] : ['not-optik', String(e)];
      }
      return undefined;
    };
    tf.tidy(() => {
      const good = tf.zeros([3, 4]);
      expect(code(() => giouLoss(good, tf.zeros([3, 5])))?.[0]).toBe('ARGUMENT_INVALID');
      expect(code(() => boxL1Loss(tf.zeros([4]), good))?.[1]).toContain('yTrue has shape [4], expected [batch, 4]');
      expect(code(() => boxIouTensor(good, tf.zeros([2, 4])))?.[0]).toBe('DATA_MISMATCH');
    });
  });
});

/** Gradients of Σ wᵢ·lossᵢ with respect to the predicted boxes (a weighting, so rows are told apart). */
function gradientOn(
  backendName: string,
  loss: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor1D,
  t: Box[],
  p: Box[],
  weights: number[],
): number[][] {
  if (tf.getBackend() !== backendName) throw new Error(`expected backend ${backendName}, got ${tf.getBackend()}`);
  return tf.tidy(() => {
    const yTrue = tf.tensor2d(t);
    const w = tf.tensor1d(weights);
    const grad = tf.grad((pred: tf.Tensor) => tf.sum(tf.mul(loss(yTrue, pred), w)))(tf.tensor2d(p));
    return grad.arraySync() as number[][];
  });
}

function finiteDifferences(
  reference: (t: readonly number[], p: readonly number[]) => number,
  t: Box[],
  p: Box[],
  weights: number[],
): number[][] {
  const h = 1e-6;
  return p.map((box, i) =>
    box.map((_, j) => {
      const plus = [...box];
      const minus = [...box];
      plus[j] = (plus[j] as number) + h;
      minus[j] = (minus[j] as number) - h;
      const ti = t[i] as Box;
      return ((weights[i] as number) * (reference(ti, plus) - reference(ti, minus))) / (2 * h);
    }),
  );
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      max = Math.max(max, Math.abs(v - (b[i]?.[j] ?? Number.NaN)));
    });
  });
  return Number.isNaN(max) ? Number.POSITIVE_INFINITY : max;
}

describe.each([
  ['giouLoss', giouLoss, giouReference],
  ['boxL1Loss', boxL1Loss, l1Reference],
] as const)('%s gradients', (_, loss, reference) => {
  const { t, p } = randomBatch(11, 12);
  const weights = Array.from({ length: t.length }, (_, i) => 0.5 + i / 7);

  it('on cpu equal finite differences of the float64 reference (batch of 12, a degenerate row included)', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const grads = gradientOn('cpu', loss, t, p, weights);
    expect(tf.memory().numTensors).toBe(before);
    expect(grads.flat().every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(grads, finiteDifferences(reference, t, p, weights))).toBeLessThan(2e-4);
  });

  it("on Optik's wasm kernels equal the cpu backend's", async () => {
    await tf.setBackend('cpu');
    const cpu = gradientOn('cpu', loss, t, p, weights);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = gradientOn('wasm', loss, t, p, weights);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(wasm, cpu)).toBeLessThan(1e-5);
    await tf.setBackend('cpu');
  });
});

describe('giouLoss trains', () => {
  it('gives finite gradients for empty and coincident boxes', async () => {
    await tf.setBackend('cpu');
    const t: Box[] = [
      [0.5, 0.5, 0, 0],
      [0.5, 0.5, 0.2, 0.2],
      [0.5, 0.5, 0.2, 0.2],
    ];
    const p: Box[] = [
      [0.5, 0.5, 0, 0],
      [0.5, 0.5, 0.2, 0.2],
      [0.2, 0.2, -1, -1],
    ];
    const grads = gradientOn('cpu', giouLoss, t, p, [1, 1, 1]);
    expect(grads.flat().every(Number.isFinite)).toBe(true);
  });

  it.each(['cpu', 'wasm'])('pulls a disjoint predicted box onto the target on %s', async (backendName) => {
    await tf.setBackend(backendName);
    const before = tf.memory().numTensors;
    const target = tf.tensor2d([
      [0.7, 0.3, 0.2, 0.3],
      [0.4, 0.6, 0.3, 0.2],
    ]);
    // disjoint start: IoU 0, the GIoU hull term alone moves the boxes at first
    const start = tf.tensor2d([
      [0.2, 0.8, 0.1, 0.1],
      [0.9, 0.1, 0.1, 0.1],
    ]);
    const box = tf.variable(start);
    start.dispose();
    const startIou = tf.tidy(() => boxIouTensor(target, box).dataSync());
    expect(Array.from(startIou)).toEqual([0, 0]);
    const optimizer = tf.train.adam(0.02);
    for (let step = 0; step < 150; step++) {
      optimizer.minimize(() => tf.mean(giouLoss(target, box)) as tf.Scalar);
    }
    const finalIou = Array.from(tf.tidy(() => boxIouTensor(target, box).dataSync()));
    for (const v of finalIou) expect(v).toBeGreaterThan(0.9);
    optimizer.dispose();
    tf.dispose([target, box]);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
  });
});
