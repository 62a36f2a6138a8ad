import { initBackend } from '@optik/backend';
import { createRng, isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fcosLossTerms, instanceSegmentationLoss, instanceSegmentationLossTerms } from '../index.js';

// The YOLACT-style mask term against a float64 oracle written from its definition (selected coefficients ·
// prototypes, BCE with logits, crop / area weights), and its gradients on Optik's wasm kernels against tfjs's cpu
// ones at batch 2 on a non-square prototype map.

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1, log: false });
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

const B = 2;
const A = 9;
const C = 2;
const K = 3;
const HP = 4;
const WP = 6;
const P = 3;

interface Case {
  dense: number[][][];
  selection: number[][][];
  targets: number[][][];
  weights: number[][][];
  coefficients: number[][][];
  prototypes: number[][][][];
  detections: number[][][];
}

/** Seeded targets and outputs: each image chooses some points (the second image one fewer: a padding row). */
function makeCase(seed: number): Case {
  const rng = createRng(seed);
  const dense = Array.from({ length: B }, () => Array.from({ length: A }, () => new Array<number>(C + 6).fill(0)));
  const selection = Array.from({ length: B }, () => Array.from({ length: P }, () => new Array<number>(A).fill(0)));
  const targets = Array.from({ length: B }, () => Array.from({ length: P }, () => new Array<number>(HP * WP).fill(0)));
  const weights = Array.from({ length: B }, () => Array.from({ length: P }, () => new Array<number>(HP * WP).fill(0)));
  const chosen = [P, P - 1];
  const total = (chosen[0] as number) + (chosen[1] as number);
  for (let i = 0; i < B; i++) {
    for (let p = 0; p < (chosen[i] as number); p++) {
      const a = 2 * p + i;
      (selection[i]?.[p] as number[])[a] = 1;
      const x0 = Math.floor(rng.uniform(0, 3));
      const y0 = Math.floor(rng.uniform(0, 2));
      const x1 = x0 + 2 + Math.floor(rng.uniform(0, 2));
      const y1 = y0 + 1 + Math.floor(rng.uniform(0, 2));
      const area = (x1 - x0) * (y1 - y0);
      for (let y = 0; y < HP; y++) {
        for (let x = 0; x < WP; x++) {
          (targets[i]?.[p] as number[])[y * WP + x] = rng.next() < 0.5 ? 1 : rng.uniform(0, 1);
          if (x >= x0 && x < x1 && y >= y0 && y < y1) (weights[i]?.[p] as number[])[y * WP + x] = 1 / (area * total);
        }
      }
    }
  }
  const normal = () => rng.normal(0, 1);
  return {
    dense,
    selection,
    targets,
    weights,
    coefficients: Array.from({ length: B }, () => Array.from({ length: A }, () => Array.from({ length: K }, normal))),
    prototypes: Array.from({ length: B }, () =>
      Array.from({ length: HP }, () => Array.from({ length: WP }, () => Array.from({ length: K }, normal))),
    ),
    detections: Array.from({ length: B }, () => Array.from({ length: A }, () => Array.from({ length: C + 5 }, normal))),
  };
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** The mask term in float64 from the definition. */
function oracle(c: Case, coefficients = c.coefficients, prototypes = c.prototypes): number {
  let sum = 0;
  for (let i = 0; i < B; i++) {
    for (let p = 0; p < P; p++) {
      const a = c.selection[i]?.[p]?.indexOf(1) ?? -1;
      if (a < 0) continue;
      for (let q = 0; q < HP * WP; q++) {
        const w = c.weights[i]?.[p]?.[q] as number;
        if (w === 0) continue;
        let logit = 0;
        for (let k = 0; k < K; k++) {
          logit +=
            (coefficients[i]?.[a]?.[k] as number) * (prototypes[i]?.[Math.floor(q / WP)]?.[q % WP]?.[k] as number);
        }
        sum += w * (softplus(logit) - logit * (c.targets[i]?.[p]?.[q] as number));
      }
    }
  }
  return sum;
}

function tensors(c: Case) {
  const yTrue = [
    tf.tensor3d(c.dense),
    tf.zeros([B, 1, 6]),
    tf.tensor3d(c.selection),
    tf.tensor3d(c.targets),
    tf.tensor3d(c.weights),
  ];
  return yTrue;
}

describe('instanceSegmentationLossTerms', () => {
  it('equals the float64 oracle, adds the FCOS terms unchanged, and leaves no tensors', () => {
    const c = makeCase(1);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const yTrue = tensors(c);
      const yPred = [tf.tensor3d(c.detections), tf.tensor3d(c.coefficients), tf.tensor4d(c.prototypes)];
      const terms = instanceSegmentationLossTerms(yTrue, yPred);
      expect(terms.mask.dataSync()[0]).toBeCloseTo(oracle(c), 5);
      const fcos = fcosLossTerms(yTrue[0] as tf.Tensor, yPred[0] as tf.Tensor);
      expect(terms.classification.dataSync()[0]).toBeCloseTo(fcos.classification.dataSync()[0] as number, 6);
      const total = instanceSegmentationLoss({ maskWeight: 2, boxWeight: 0.5 })(yTrue, yPred);
      const expected =
        (fcos.classification.dataSync()[0] as number) +
        0.5 * (fcos.box.dataSync()[0] as number) +
        (fcos.centerness.dataSync()[0] as number) +
        2 * oracle(c);
      expect(total.dataSync()[0]).toBeCloseTo(expected, 4);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses missing outputs or targets, and shapes that do not fit, with coded errors', () => {
    const c = makeCase(2);
    const codes: string[] = [];
    for (const run of [
      () => instanceSegmentationLossTerms(tensors(c), [tf.tensor3d(c.detections)]),
      () => instanceSegmentationLossTerms(tensors(c).slice(0, 2), [tf.tensor3d(c.detections)]),
      () =>
        instanceSegmentationLossTerms(tensors(c), [
          tf.tensor3d(c.detections),
          tf.tensor3d(c.coefficients),
          tf.zeros([B, HP, WP + 1, K]),
        ]),
      () => instanceSegmentationLoss({ maskWeight: -1 }),
    ]) {
      try {
        tf.tidy(() => {
          run();
        });
      } catch (e) {
        if (isOptikError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(['ARGUMENT_INVALID', 'ARGUMENT_INVALID', 'DATA_MISMATCH', 'CONFIG_INVALID']);
  });
});

describe('instanceSegmentationLoss: gradients', () => {
  /** Gradients of the full loss with respect to coefficients and prototypes, on one backend. */
  async function gradientsOn(backend: string, c: Case): Promise<[Float32Array, Float32Array, Float32Array]> {
    await tf.setBackend(backend);
    const loss = instanceSegmentationLoss({ maskWeight: 1.5 });
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const yTrue = tensors(c);
      const [gd, gc, gp] = tf.grads((d: tf.Tensor, co: tf.Tensor, pr: tf.Tensor) => loss(yTrue, [d, co, pr]))([
        tf.tensor3d(c.detections),
        tf.tensor3d(c.coefficients),
        tf.tensor4d(c.prototypes),
      ]) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return [gd, gc, gp].map((g) => Float32Array.from(g.dataSync())) as [Float32Array, Float32Array, Float32Array];
    });
    expect(tf.memory().numTensors, `${backend}: tensors left`).toBe(before);
    return values;
  }

  it('wasm (Optik kernels) and cpu agree at batch 2 on a non-square prototype map', async () => {
    const c = makeCase(3);
    const cpu = await gradientsOn('cpu', c);
    const wasm = await gradientsOn('wasm', c);
    await tf.setBackend('cpu');
    for (let t = 0; t < 3; t++) {
      const [x, y] = [cpu[t] as Float32Array, wasm[t] as Float32Array];
      expect(x.every(Number.isFinite)).toBe(true);
      for (let i = 0; i < x.length; i++) expect(y[i] as number).toBeCloseTo(x[i] as number, 4);
    }
    // Only chosen points get coefficient gradients; every image's prototypes get some.
    const gc = cpu[1];
    for (let i = 0; i < B; i++) {
      for (let a = 0; a < A; a++) {
        const chosen = c.selection[i]?.some((row) => row[a] === 1) === true;
        const norm = Math.hypot(...Array.from(gc.subarray((i * A + a) * K, (i * A + a + 1) * K)));
        expect(norm > 0, `image ${i} point ${a}`).toBe(chosen);
      }
      const gp = cpu[2].subarray(i * HP * WP * K, (i + 1) * HP * WP * K);
      expect(gp.some((v) => v !== 0)).toBe(true);
    }
  });

  it('matches central finite differences of the float64 oracle', async () => {
    await tf.setBackend('cpu');
    const c = makeCase(4);
    const [, gc, gp] = await gradientsOn('cpu', c);
    const h = 1e-5;
    for (const [i, a, k] of [
      [0, 0, 0],
      [0, 2, 2],
      [1, 3, 1],
    ] as const) {
      const plus = structuredClone(c.coefficients);
      const minus = structuredClone(c.coefficients);
      (plus[i]?.[a] as number[])[k] = (c.coefficients[i]?.[a]?.[k] as number) + h;
      (minus[i]?.[a] as number[])[k] = (c.coefficients[i]?.[a]?.[k] as number) - h;
      const numeric = (1.5 * (oracle(c, plus) - oracle(c, minus))) / (2 * h);
      expect(gc[(i * A + a) * K + k] as number).toBeCloseTo(numeric, 4);
    }
    for (const [i, y, x, k] of [
      [0, 1, 2, 0],
      [1, 3, 5, 2],
    ] as const) {
      const plus = structuredClone(c.prototypes);
      const minus = structuredClone(c.prototypes);
      (plus[i]?.[y]?.[x] as number[])[k] = (c.prototypes[i]?.[y]?.[x]?.[k] as number) + h;
      (minus[i]?.[y]?.[x] as number[])[k] = (c.prototypes[i]?.[y]?.[x]?.[k] as number) - h;
      const numeric = (1.5 * (oracle(c, undefined, plus) - oracle(c, undefined, minus))) / (2 * h);
      expect(gp[((i * HP + y) * WP + x) * K + k] as number).toBeCloseTo(numeric, 4);
    }
  });
});
