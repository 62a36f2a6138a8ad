import { initBackend } from '@optik/backend';
import { createRng, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcosLoss, fcosLossTerms } from '../index.js';

// The FCOS loss against a float64 oracle written from the definitions (torchvision `sigmoid_focal_loss`,
// `generalized_box_iou_loss`, BCE with logits), and its gradients on Optik's wasm kernels against tfjs's cpu ones.

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1, log: false });
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const C = 3;
const B = 2;
const A = 7;

/** Seeded dense targets `[B, A, C + 6]`: some positives (one-hot, ltrb/stride, centre-ness), the rest background. */
function makeDense(seed: number, positives = true): number[][][] {
  const rng = createRng(seed);
  return Array.from({ length: B }, (_, i) =>
    Array.from({ length: A }, (_, a) => {
      const row = new Array<number>(C + 6).fill(0);
      if (positives && (a + i) % 3 === 0) {
        row[Math.floor(rng.next() * C)] = 1;
        const ltrb = [rng.uniform(0.2, 4), rng.uniform(0.2, 4), rng.uniform(0.2, 4), rng.uniform(0.2, 4)];
        ltrb.forEach((v, k) => {
          row[C + k] = v;
        });
        const [l, t, r, b] = ltrb as [number, number, number, number];
        row[C + 4] = Math.sqrt((Math.min(l, r) / Math.max(l, r)) * (Math.min(t, b) / Math.max(t, b)));
        row[C + 5] = 1;
      }
      return row;
    }),
  );
}

function makeOutput(seed: number): number[][][] {
  const rng = createRng(seed);
  return Array.from({ length: B }, () =>
    Array.from({ length: A }, () => Array.from({ length: C + 5 }, () => rng.normal(0, 2))),
  );
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const bce = (x: number, t: number) => softplus(x) - x * t;

/** 1 − GIoU of two ltrb boxes around the same point, float64. */
function giouLoss(p: number[], t: number[]): number {
  const box = ([l, tt, r, b]: number[]) => [-(l as number), -(tt as number), r as number, b as number];
  const [a0, a1, a2, a3] = box(p) as [number, number, number, number];
  const [b0, b1, b2, b3] = box(t) as [number, number, number, number];
  const inter = Math.max(0, Math.min(a2, b2) - Math.max(a0, b0)) * Math.max(0, Math.min(a3, b3) - Math.max(a1, b1));
  const union = (a2 - a0) * (a3 - a1) + (b2 - b0) * (b3 - b1) - inter;
  const hull = (Math.max(a2, b2) - Math.min(a0, b0)) * (Math.max(a3, b3) - Math.min(a1, b1));
  return 1 - (inter / union - (hull - union) / hull);
}

function oracle(dense: number[][][], out: number[][][], alpha = 0.25, gamma = 2) {
  let cls = 0;
  let box = 0;
  let ctr = 0;
  let positives = 0;
  dense.forEach((image, i) => {
    image.forEach((row, a) => {
      const o = out[i]?.[a] as number[];
      for (let c = 0; c < C; c++) {
        const x = o[c] as number;
        const t = row[c] as number;
        const p = sigmoid(x);
        const pt = p * t + (1 - p) * (1 - t);
        cls += (alpha * t + (1 - alpha) * (1 - t)) * bce(x, t) * (1 - pt) ** gamma;
      }
      if (row[C + 5] === 1) {
        positives++;
        box += giouLoss(o.slice(C, C + 4).map(softplus), row.slice(C, C + 4));
        ctr += bce(o[C + 4] as number, row[C + 4] as number);
      }
    });
  });
  const n = Math.max(1, positives);
  return { classification: cls / n, box: box / n, centerness: ctr / n };
}

function terms(dense: number[][][], out: number[][][], options = {}) {
  return tf.tidy(() => {
    const t = fcosLossTerms(tf.tensor3d(dense), tf.tensor3d(out), options);
    return {
      classification: t.classification.dataSync()[0] as number,
      box: t.box.dataSync()[0] as number,
      centerness: t.centerness.dataSync()[0] as number,
    };
  });
}

describe('fcosLoss: values', () => {
  it('matches the float64 oracle term by term, and the weighted sum', () => {
    const dense = makeDense(1);
    const out = makeOutput(2);
    const expected = oracle(dense, out);
    const got = terms(dense, out);
    expect(got.classification).toBeCloseTo(expected.classification, 4);
    expect(got.box).toBeCloseTo(expected.box, 4);
    expect(got.centerness).toBeCloseTo(expected.centerness, 4);
    const weighted = tf.tidy(
      () =>
        fcosLoss({ classificationWeight: 2, boxWeight: 0.5, centernessWeight: 3 })(
          [tf.tensor3d(dense), tf.zeros([B, 1, 5])],
          tf.tensor3d(out),
        ).dataSync()[0] as number,
    );
    expect(weighted).toBeCloseTo(2 * expected.classification + 0.5 * expected.box + 3 * expected.centerness, 3);
    // Other focal parameters reach the loss.
    const other = oracle(dense, out, 0.5, 1);
    expect(terms(dense, out, { alpha: 0.5, gamma: 1 }).classification).toBeCloseTo(other.classification, 4);
  });

  it('perfect boxes give a zero box term; no positives give zero box and centre-ness terms and divide by 1', () => {
    const dense = makeDense(3);
    const out = makeOutput(4);
    // Put the inverse softplus of each target ltrb into the output: decoded boxes equal the targets.
    dense.forEach((image, i) => {
      image.forEach((row, a) => {
        for (let k = 0; k < 4; k++) {
          const v = row[C + k] as number;
          if (row[C + 5] === 1) (out[i]?.[a] as number[])[C + k] = Math.log(Math.expm1(v));
        }
      });
    });
    expect(terms(dense, out).box).toBeCloseTo(0, 5);
    const empty = makeDense(5, false);
    const got = terms(empty, out);
    expect(got.box).toBe(0);
    expect(got.centerness).toBe(0);
    expect(got.classification).toBeCloseTo(oracle(empty, out).classification, 4);
  });

  it('refuses outputs and targets of the wrong shapes, with coded errors', () => {
    const codes: string[] = [];
    for (const run of [
      () => fcosLossTerms(tf.zeros([2, 7, 9]), tf.zeros([2, 7])),
      () => fcosLossTerms(tf.zeros([2, 6, 9]), tf.zeros([2, 7, 8])),
      () => fcosLoss({ gamma: -1 }),
    ]) {
      try {
        tf.tidy(() => {
          run();
        });
      } catch (e) {
        if (isOptikError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(['ARGUMENT_INVALID', 'DATA_MISMATCH', 'CONFIG_INVALID']);
  });
});

describe('fcosLoss: gradients', () => {
  /** The gradient of the weighted loss with respect to the output, on one backend. */
  async function gradientOn(backend: string, dense: number[][][], out: number[][][]): Promise<Float32Array> {
    await tf.setBackend(backend);
    const loss = fcosLoss({ boxWeight: 2 });
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const y = tf.tensor3d(dense);
      const g = tf.grad((o: tf.Tensor) => loss([y, tf.zeros([B, 1, 5])], o))(tf.tensor3d(out));
      return Float32Array.from(g.dataSync());
    });
    expect(tf.memory().numTensors, `${backend}: tensors left`).toBe(before);
    return values;
  }

  it('wasm (Optik kernels) and cpu agree, at batch 2, and every output column gets a gradient', async () => {
    const dense = makeDense(6);
    const out = makeOutput(7);
    const cpu = await gradientOn('cpu', dense, out);
    const wasm = await gradientOn('wasm', dense, out);
    await tf.setBackend('cpu');
    expect(cpu.every(Number.isFinite)).toBe(true);
    for (let i = 0; i < cpu.length; i++) expect(wasm[i] as number).toBeCloseTo(cpu[i] as number, 4);
    // Columns: C class logits, 4 ltrb, 1 centre-ness — each reached by some point.
    const width = C + 5;
    for (let col = 0; col < width; col++) {
      let reached = false;
      for (let k = col; k < cpu.length; k += width) if (cpu[k] !== 0) reached = true;
      expect(reached, `column ${col}`).toBe(true);
    }
    // Background points get no box or centre-ness gradient (the positive mask is a host constant).
    const bg = (0 * A + 1) * width; // image 0, point 1: (1 + 0) % 3 ≠ 0
    expect(Array.from(cpu.subarray(bg + C, bg + width))).toEqual([0, 0, 0, 0, 0]);
  });

  it('matches central finite differences of the float64 oracle', async () => {
    await tf.setBackend('cpu');
    const dense = makeDense(8);
    const out = makeOutput(9);
    const g = await gradientOn('cpu', dense, out);
    const total = (o: number[][][]) => {
      const t = oracle(dense, o);
      return t.classification + 2 * t.box + t.centerness;
    };
    const h = 1e-5;
    for (const [i, a, c] of [
      [0, 0, 1],
      [0, 0, C + 1],
      [1, 2, C + 3],
      [0, 3, C + 4],
      [1, 5, 0],
    ] as const) {
      const plus = structuredClone(out);
      const minus = structuredClone(out);
      const nudge = (o: number[][][], by: number) => {
        const row = o[i]?.[a] as number[];
        row[c] = (row[c] as number) + by;
      };
      nudge(plus, h);
      nudge(minus, -h);
      const numeric = (total(plus) - total(minus)) / (2 * h);
      expect(g[(i * A + a) * (C + 5) + c] as number, `[${i}, ${a}, ${c}]`).toBeCloseTo(numeric, 3);
    }
  });
});
