import { initBackend } from '@optik/backend';
import { type BoxXyxy, createRng, isOptikError, type SampleTarget } from '@optik/core';
import { detectionGrid, encodeInstanceTargets } from '@optik/data';
import { describeModelHarness, type ModelHarnessCase } from '@optik/testing';
import { instanceSegmentationLoss } from '@optik/train';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Detector,
  decodeDetections,
  decodeInstances,
  InstanceSegmenter,
  type InstanceSegmenterOptions,
} from '../index.js';

// The YOLACT-style instance segmenter: model harness (shapes of the three outputs on a non-square input at batch
// 2, config round trip, one step of the real loss with a gradient for every weight), gradients of model + loss on
// Optik's wasm kernels against tfjs's cpu kernels, a tiny training run with a flat tensor count, and decoding.

const setBackend = (name: string) =>
  name === 'wasm' ? initBackend({ prefer: 'wasm', threads: 1, log: false }) : tf.setBackend(name);

const NUM_CLASSES = 2;

/** Seeded images of dark noise with filled discs (one colour per class), their boxes and exact masks. */
function scenes(n: number, h: number, w: number, seed: number): { pixels: Float32Array; targets: SampleTarget[] } {
  const rng = createRng(seed);
  const pixels = new Float32Array(n * h * w * 3);
  for (let p = 0; p < pixels.length; p++) pixels[p] = rng.uniform(0, 0.15);
  const colours = [
    [1, 0.2, 0.2],
    [0.2, 0.3, 1],
  ];
  const targets: SampleTarget[] = [];
  for (let i = 0; i < n; i++) {
    const boxes: BoxXyxy[] = [];
    const labels: number[] = [];
    const masks = [];
    for (let k = 0; k < 2; k++) {
      const r = Math.round(rng.uniform(7, 14));
      const cx = Math.round(rng.uniform(r, w - r));
      const cy = Math.round(rng.uniform(r, h - r));
      const label = (i + k) % NUM_CLASSES;
      const data = new Uint8Array(h * w);
      for (let y = cy - r; y < cy + r; y++) {
        for (let x = cx - r; x < cx + r; x++) {
          if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) continue;
          data[y * w + x] = 1;
          for (let c = 0; c < 3; c++) pixels[((i * h + y) * w + x) * 3 + c] = colours[label]?.[c] as number;
        }
      }
      boxes.push([cx - r, cy - r, cx + r, cy + r]);
      labels.push(label);
      masks.push({ width: w, height: h, data });
    }
    // Later discs cover earlier ones: the earlier masks keep only what shows.
    for (let k = 0; k < masks.length - 1; k++) {
      for (let p = 0; p < h * w; p++)
        if ((masks[k + 1]?.data[p] as number) === 1) (masks[k]?.data as Uint8Array)[p] = 0;
    }
    targets.push({ kind: 'instance-segmentation', boxes, labels, masks });
  }
  return { pixels, targets };
}

/** The instance loss of a segmenter's outputs on seeded scenes (targets encoded on the host, as the pipeline does). */
function sceneLoss(options: InstanceSegmenterOptions, batch: number) {
  const [h, w] = options.inputShape;
  const grid = detectionGrid({ imageSize: [h, w], strides: options.strides ?? [8, 16, 32] });
  const { targets } = scenes(batch, h, w, 11);
  const encode = encodeInstanceTargets(grid, options.numClasses, { prototypeStride: options.protoStride ?? 4 });
  const loss = instanceSegmentationLoss();
  return (outputs: readonly tf.Tensor[]): tf.Scalar =>
    tf.tidy(() => loss(encode(targets, { height: h, width: w }) as tf.Tensor[], [...outputs]));
}

const TINY: InstanceSegmenterOptions = {
  preset: 'det-tiny',
  inputShape: [64, 96, 3],
  numClasses: NUM_CLASSES,
  fpnChannels: 16,
  prototypes: 6,
  protoChannels: 12,
  seed: 4,
};
// Prototypes at the finest level's stride (no transposed conv) on two levels.
const FLAT: InstanceSegmenterOptions = {
  ...TINY,
  inputShape: [32, 48, 3],
  strides: [8, 16],
  protoStride: 8,
  headConvs: 1,
  seed: 5,
};

function segmenterCase(
  label: string,
  options: InstanceSegmenterOptions,
  backend: string,
): ModelHarnessCase<InstanceSegmenter> {
  const [h, w] = options.inputShape;
  const points = detectionGrid({ imageSize: [h, w], strides: options.strides ?? [8, 16, 32] }).numPoints;
  const k = options.prototypes ?? 16;
  const s = options.protoStride ?? 4;
  const loss = sceneLoss(options, 2);
  return {
    label,
    inputShape: options.inputShape,
    outputShapes: [
      [points, options.numClasses + 5],
      [points, k],
      [h / s, w / s, k],
    ],
    backend,
    build: () => new InstanceSegmenter(options),
    rebuild: (config) => InstanceSegmenter.fromConfig(config),
    loss: (outputs) => loss(outputs),
  };
}

describeModelHarness(
  [
    segmenterCase('InstanceSegmenter det-tiny (proto stride 4)', TINY, 'wasm'),
    segmenterCase('InstanceSegmenter 2 levels (proto stride 8)', FLAT, 'wasm'),
    segmenterCase('InstanceSegmenter det-tiny (proto stride 4)', TINY, 'cpu'),
  ],
  { batchSize: 2, setBackend },
);

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('InstanceSegmenter: structure and config', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("holds the detector's layers under the same names and shapes, plus the prototype and coefficient heads", () => {
    const before = tf.memory().numTensors;
    const { prototypes: _k, protoChannels: _c, ...detectorOptions } = TINY;
    const detector = new Detector(detectorOptions);
    const segmenter = new InstanceSegmenter(TINY);
    const shapes = (model: tf.LayersModel) => new Map(model.weights.map((w) => [w.originalName, w.shape]));
    const mine = shapes(segmenter.model);
    for (const [name, shape] of shapes(detector.model)) expect(mine.get(name), name).toEqual(shape);
    expect(segmenter.model.outputs.map((o) => o.shape)).toEqual([
      [null, 126, 7],
      [null, 126, 6],
      [null, 16, 24, 6],
    ]);
    expect(segmenter.grid()).toEqual(detector.grid());
    expect(segmenter.toConfig()).toMatchObject({ prototypes: 6, protoChannels: 12, protoStride: 4 });
    detector.dispose();
    segmenter.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a prototype stride that is not the finest stride over 1, 2 or 4', () => {
    for (const protoStride of [3, 16, 1]) {
      let error: unknown;
      try {
        new InstanceSegmenter({ ...TINY, protoStride }).dispose();
      } catch (e) {
        error = e;
      }
      expect(isOptikError(error) && error.code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toMatch(/protoStride/);
    }
  });
});

describe('InstanceSegmenter: gradients of model + loss, wasm against cpu (batch 2, non-square)', () => {
  async function gradients(backend: string, options: InstanceSegmenterOptions): Promise<Map<string, Float32Array>> {
    await setBackend(backend);
    const segmenter = new InstanceSegmenter(options);
    const [h, w] = options.inputShape;
    const loss = sceneLoss(options, 2);
    const { pixels } = scenes(2, h, w, 11);
    const xs = tf.tensor4d(pixels, [2, h, w, 3]);
    const variables = segmenter.model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => loss(segmenter.model.apply(xs, { training: true }) as tf.Tensor[]),
      variables,
    );
    const out = new Map<string, Float32Array>();
    segmenter.model.trainableWeights.forEach((weight, i) => {
      out.set(weight.originalName, Float32Array.from(grads[variables[i]?.name as string]?.dataSync() ?? []));
    });
    tf.dispose([value, xs, ...Object.values(grads)]);
    segmenter.dispose();
    return out;
  }

  it('every weight, the prototype and coefficient heads included, has the same gradient on both backends', async () => {
    const before = tf.memory().numTensors;
    const cpu = await gradients('cpu', TINY);
    const wasm = await gradients('wasm', TINY);
    await tf.setBackend('cpu');
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    expect([...cpu.keys()].some((n) => n.startsWith('prototypes_up/'))).toBe(true);
    const mismatched: string[] = [];
    for (const [name, g] of cpu) {
      const other = wasm.get(name) as Float32Array;
      let scale = 1e-6;
      for (const v of g) scale = Math.max(scale, Math.abs(v));
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs((g[i] as number) - (other[i] as number)));
      if (!(worst <= 2e-3 * scale) || g.length === 0 || scale <= 1e-6) mismatched.push(`${name}: ${worst} vs ${scale}`);
    }
    expect(mismatched).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('InstanceSegmenter: a tiny training run', () => {
  it('lowers the loss on generated images, with a flat tensor count across steps (wasm)', async () => {
    await setBackend('wasm');
    const options: InstanceSegmenterOptions = { ...TINY, fpnChannels: 24 };
    const segmenter = new InstanceSegmenter(options);
    const loss = sceneLoss(options, 3);
    const { pixels } = scenes(3, 64, 96, 11);
    const xs = tf.tensor4d(pixels, [3, 64, 96, 3]);
    const optimizer = tf.train.adam(3e-3);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 25; step++) {
      const value = optimizer.minimize(
        () => loss(segmenter.model.apply(xs, { training: true }) as tf.Tensor[]),
        true,
      ) as tf.Scalar;
      losses.push(value.dataSync()[0] as number);
      value.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(losses.at(-1) as number).toBeLessThan(0.7 * (losses[0] as number));
    expect(new Set(counts.slice(1)).size).toBe(1);
    xs.dispose();
    optimizer.dispose();
    segmenter.dispose();
    await tf.setBackend('cpu');
  });
});

describe('decodeInstances', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // A 16×24 image, one level at stride 8 (2×3 points), prototypes at stride 4 (4×6), k = 2.
  const grid = detectionGrid({ imageSize: [16, 24], strides: [8] });
  const C = 2;
  function outputs() {
    const detections = new Float32Array(2 * 6 * (C + 5)).fill(-20);
    // Image 0, point 1 (x 12, y 4): class 1, ltrb 1.05 strides each side → box [3.6, -4.4, 20.4, 12.4], clipped to
    // [3.6, 0, 20.4, 12.4] (edges off the pixel grid, so float32 rounding cannot move a pixel in or out).
    const set = (i: number, a: number, values: number[]) => detections.set(values, (i * 6 + a) * (C + 5));
    const raw = Math.log(Math.expm1(1.05)); // softplus⁻¹(1.05)
    set(0, 1, [-20, 20, raw, raw, raw, raw, 20]);
    set(1, 4, [20, -20, raw, raw, raw, raw, 20]);
    const coefficients = new Float32Array(2 * 6 * 2);
    coefficients.set([1, 0], (0 * 6 + 1) * 2);
    coefficients.set([0, -1], (1 * 6 + 4) * 2);
    // Prototype 0: +10 on the left half of the image (proto columns 0–2), −10 on the right; prototype 1: −10 on
    // the top half, +10 on the bottom.
    const protos = new Float32Array(2 * 4 * 6 * 2);
    for (let i = 0; i < 2; i++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 6; x++) {
          protos[((i * 4 + y) * 6 + x) * 2] = x < 3 ? 10 : -10;
          protos[((i * 4 + y) * 6 + x) * 2 + 1] = y < 2 ? -10 : 10;
        }
      }
    }
    return [
      { data: detections, shape: [2, 6, C + 5] },
      { data: coefficients, shape: [2, 6, 2] },
      { data: protos, shape: [2, 4, 6, 2] },
    ];
  }

  it("finds decodeDetections' boxes and gives each the sigmoid(coefficients · prototypes) mask cropped to its box", () => {
    const out = outputs();
    const found = decodeInstances(out, grid, { scoreThreshold: 0.5 });
    const plain = decodeDetections(out[0] as { data: Float32Array; shape: number[] }, grid, { scoreThreshold: 0.5 });
    expect(found.map(({ boxes, labels, scores }) => ({ boxes, labels, scores }))).toEqual(plain);
    expect(found[0]?.labels).toEqual([1]);
    const box0 = found[0]?.boxes[0] as BoxXyxy;
    expect(box0.map((v) => Math.round(v * 1e4) / 1e4)).toEqual([3.6, 0, 20.4, 12.4]);
    const mask0 = found[0]?.masks[0];
    expect(mask0?.width).toBe(24);
    expect(mask0?.height).toBe(16);
    // Left half (x < 12) inside the box: x 4..11, y 0..12.
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 24; x++) {
        expect(mask0?.data[y * 24 + x], `(${x}, ${y})`).toBe(x >= 4 && x < 12 && y <= 12 ? 1 : 0);
      }
    }
    // Image 1, point 4 (x 12, y 12): box [3.6, 3.6, 20.4, 16]; −prototype 1 is on in the top half (y < 8).
    const mask1 = found[1]?.masks[0];
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 24; x++) {
        expect(mask1?.data[y * 24 + x], `(${x}, ${y})`).toBe(x >= 4 && x <= 20 && y >= 4 && y < 8 ? 1 : 0);
      }
    }
  });

  it('equals tf.image.resizeBilinear (half-pixel centres) of the sigmoid map, cropped to the box, on random outputs', () => {
    const rng = createRng(21);
    const g = detectionGrid({ imageSize: [40, 56], strides: [8] });
    const [k, hp, wp] = [3, 10, 14];
    const detections = Float32Array.from({ length: g.numPoints * (C + 5) }, () => rng.normal(0, 2));
    // Every point has the same coefficients, so every mask is the same probability map cropped to its own box.
    const c = [0.7, -0.4, 0.9];
    const coefficients = Float32Array.from({ length: g.numPoints * k }, (_, i) => c[i % k] as number);
    const protos = Float32Array.from({ length: hp * wp * k }, () => rng.normal(0, 3));
    const [found] = decodeInstances(
      [
        { data: detections, shape: [1, g.numPoints, C + 5] },
        { data: coefficients, shape: [1, g.numPoints, k] },
        { data: protos, shape: [1, hp, wp, k] },
      ],
      g,
      { scoreThreshold: 0.3, maxDetections: 12 },
    );
    expect(found?.boxes.length).toBeGreaterThan(3);
    const probability = tf.tidy(() => {
      const map = tf.sigmoid(tf.matMul(tf.tensor2d(protos, [hp * wp, k]), tf.tensor2d(c, [k, 1])));
      return tf.image.resizeBilinear(tf.reshape(map, [1, hp, wp, 1]) as tf.Tensor4D, [40, 56], false, true).dataSync();
    });
    let compared = 0;
    found?.boxes.forEach(([x0, y0, x1, y1], d) => {
      const mask = found.masks[d];
      for (let y = 0; y < 40; y++) {
        for (let x = 0; x < 56; x++) {
          const p = probability[y * 56 + x] as number;
          if (Math.abs(p - 0.5) < 1e-5) continue;
          const inside = x >= x0 && x < x1 && y >= y0 && y < y1;
          expect(mask?.data[y * 56 + x], `detection ${d} (${x}, ${y})`).toBe(inside && p > 0.5 ? 1 : 0);
          if (inside) compared++;
        }
      }
    });
    expect(compared).toBeGreaterThan(200);
  });

  it('reads tensors as well, and refuses outputs that do not fit', () => {
    const out = outputs();
    const before = tf.memory().numTensors;
    const tensors = [
      tf.tensor(out[0]?.data as Float32Array, out[0]?.shape),
      tf.tensor(out[1]?.data as Float32Array, out[1]?.shape),
      tf.tensor(out[2]?.data as Float32Array, out[2]?.shape),
    ];
    expect(decodeInstances(tensors, grid, { scoreThreshold: 0.5 })).toEqual(
      decodeInstances(out, grid, { scoreThreshold: 0.5 }),
    );
    tf.dispose(tensors);
    expect(tf.memory().numTensors).toBe(before);
    const codes: string[] = [];
    for (const attempt of [
      () => decodeInstances(out.slice(0, 2), grid),
      () =>
        decodeInstances(
          [out[0], out[1], { data: new Float32Array(2 * 4 * 6 * 3), shape: [2, 4, 6, 3] }] as never,
          grid,
        ),
      () => decodeInstances(out, grid, { maskThreshold: 1 }),
    ]) {
      try {
        attempt();
      } catch (e) {
        if (isOptikError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(['DATA_MISMATCH', 'DATA_MISMATCH', 'CONFIG_INVALID']);
  });
});
