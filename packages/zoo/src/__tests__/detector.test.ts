import { initBackend } from '@optik/backend';
import { type BoxXyxy, createRng, isOptikError, type SampleTarget } from '@optik/core';
import { detectionGrid, encodeDetectionTargets } from '@optik/data';
import { describeModelHarness, type ModelHarnessCase } from '@optik/testing';
import { fcosLoss } from '@optik/train';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Detections,
  Detector,
  type DetectorOptions,
  decodeDetections,
  mirrorDetectionOutput,
  nonMaxSuppression,
} from '../index.js';

// The FCOS detector: model harness over its presets (shapes on a non-square input at batch 2, config round trip,
// one step of the real FCOS loss with a gradient for every weight), gradients of the whole model + loss on Optik's
// wasm kernels against tfjs's cpu kernels, a tiny training run, decoding and NMS.

const setBackend = (name: string) =>
  name === 'wasm' ? initBackend({ prefer: 'wasm', threads: 1, log: false }) : tf.setBackend(name);

const NUM_CLASSES = 3;

/** Seeded images `[n, h, w, 3]` of dark noise with filled rectangles, one colour per class, and their targets. */
function scenes(
  n: number,
  h: number,
  w: number,
  seed: number,
  numClasses = NUM_CLASSES,
): { pixels: Float32Array; targets: SampleTarget[] } {
  const rng = createRng(seed);
  const pixels = new Float32Array(n * h * w * 3);
  for (let p = 0; p < pixels.length; p++) pixels[p] = rng.uniform(0, 0.15);
  const colours = [
    [1, 0.2, 0.2],
    [0.2, 1, 0.2],
    [0.2, 0.3, 1],
  ];
  const targets: SampleTarget[] = [];
  for (let i = 0; i < n; i++) {
    const boxes: BoxXyxy[] = [];
    const labels: number[] = [];
    for (let k = 0; k < 2; k++) {
      const bw = Math.round(rng.uniform(12, Math.min(40, w - 2)));
      const bh = Math.round(rng.uniform(12, Math.min(36, h - 2)));
      const x0 = Math.round(rng.uniform(0, w - bw));
      const y0 = Math.round(rng.uniform(0, h - bh));
      const label = (i + k) % numClasses;
      boxes.push([x0, y0, x0 + bw, y0 + bh]);
      labels.push(label);
      for (let y = y0; y < y0 + bh; y++) {
        for (let x = x0; x < x0 + bw; x++) {
          for (let c = 0; c < 3; c++) pixels[((i * h + y) * w + x) * 3 + c] = colours[label]?.[c] as number;
        }
      }
    }
    targets.push({ kind: 'detection', boxes, labels });
  }
  return { pixels, targets };
}

/** The FCOS loss of a detector's output on seeded scenes (targets encoded on the host, as the pipeline does). */
function sceneLoss(options: DetectorOptions, batch: number) {
  const [h, w] = options.inputShape;
  const grid = detectionGrid({ imageSize: [h, w], strides: options.strides ?? [8, 16, 32] });
  const { targets } = scenes(batch, h, w, 11, options.numClasses);
  const encode = encodeDetectionTargets(grid, options.numClasses);
  const loss = fcosLoss();
  return (output: tf.Tensor): tf.Scalar =>
    tf.tidy(() => loss(encode(targets, { height: h, width: w }) as tf.Tensor[], output));
}

function detectorCase(
  label: string,
  options: DetectorOptions,
  backend: string,
): ModelHarnessCase<Detector> & { options: DetectorOptions } {
  const [h, w] = options.inputShape;
  const points = detectionGrid({ imageSize: [h, w], strides: options.strides ?? [8, 16, 32] }).numPoints;
  const loss = sceneLoss(options, 2);
  return {
    label,
    options,
    inputShape: options.inputShape,
    outputShapes: [[points, options.numClasses + 5]],
    backend,
    build: () => new Detector(options),
    rebuild: (config) => Detector.fromConfig(config),
    // The task's loss on real targets (the harness's uniform targets mean nothing to FCOS).
    loss: ([output]) => loss(output as tf.Tensor),
  };
}

const TINY: DetectorOptions = {
  preset: 'det-tiny',
  inputShape: [64, 96, 3],
  numClasses: NUM_CLASSES,
  fpnChannels: 16,
  seed: 4,
};
const SMALL: DetectorOptions = {
  preset: 'det-small',
  inputShape: [64, 96, 3],
  numClasses: NUM_CLASSES,
  fpnChannels: 16,
  fpnMerge: 'concat',
  headConvs: 1,
  seed: 5,
};
// A classifier preset that pools (loc-cnn: stride 16 at most) on three levels, and explicit layers on one level.
const LOC: DetectorOptions = {
  preset: 'loc-cnn',
  inputShape: [48, 32, 1],
  numClasses: 2,
  strides: [4, 8, 16],
  fpnChannels: 8,
  seed: 6,
};
const ONE_LEVEL: DetectorOptions = {
  layers: [
    { type: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
  ],
  inputShape: [24, 40, 3],
  numClasses: 1,
  strides: [4],
  fpnChannels: 8,
  headConvs: 0,
  seed: 7,
};

// The head on the stride-8 level only, with the stride-16 and -32 maps joined into it by the pyramid.
const HEAD_AT_8: DetectorOptions = { ...TINY, strides: [8], pyramidStrides: [8, 16, 32] };

describeModelHarness(
  [
    detectorCase('Detector det-tiny (add, 3 levels)', TINY, 'wasm'),
    detectorCase('Detector det-tiny (head at stride 8, pyramid 8–32)', HEAD_AT_8, 'wasm'),
    detectorCase('Detector det-small (concat, 3 levels)', SMALL, 'wasm'),
    detectorCase('Detector loc-cnn (strides 4–16)', LOC, 'wasm'),
    detectorCase('Detector layers (1 level, no head convs)', ONE_LEVEL, 'wasm'),
    detectorCase('Detector det-tiny (add, 3 levels)', TINY, 'cpu'),
    detectorCase('Detector layers (1 level, no head convs)', ONE_LEVEL, 'cpu'),
  ],
  { batchSize: 2, setBackend },
);

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('Detector: structure and config', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('one output [batch, points, C + 5] over the grid, class bias at the prior, shared head weights', () => {
    const before = tf.memory().numTensors;
    const detector = new Detector(TINY);
    const grid = detector.grid();
    expect(grid).toEqual(detectionGrid({ imageSize: [64, 96], strides: [8, 16, 32] }));
    expect(detector.model.outputs.map((o) => o.shape)).toEqual([[null, 126, 8]]);
    const bias = detector.model.getLayer('detections_class_logits').getWeights()[1] as tf.Tensor;
    for (const v of bias.dataSync()) expect(v).toBeCloseTo(-Math.log(99), 5);
    // One head for all levels: its weights appear once.
    const names = detector.model.weights.map((w) => w.originalName);
    expect(names.filter((n) => n.startsWith('detections_class0/')).length).toBe(2);
    // At initialisation every point is background with probability ≈ 0.99.
    const probability = tf.tidy(() => {
      const out = detector.model.predict(tf.zeros([1, 64, 96, 3])) as tf.Tensor;
      return tf.mean(tf.sigmoid(tf.slice(out, [0, 0, 0], [1, 126, 3]))).dataSync()[0] as number;
    });
    expect(probability).toBeCloseTo(0.01, 2);
    expect(detector.summary().outputShape).toEqual([126, 8]);
    detector.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pyramidStrides: the head reads the levels at strides, the pyramid joins the deeper maps into them', () => {
    const before = tf.memory().numTensors;
    const detector = new Detector(HEAD_AT_8);
    expect(detector.grid()).toEqual(detectionGrid({ imageSize: [64, 96], strides: [8] }));
    expect(detector.model.outputs.map((o) => o.shape)).toEqual([[null, 8 * 12, 8]]);
    // The stride-32 map reaches the output: zeroing its lateral changes the stride-8 predictions.
    const lateral = detector.model.getLayer('fpn_lateral2');
    const input = tf.randomUniform([1, 64, 96, 3], 0, 1, 'float32', 3);
    const first = tf.tidy(() => (detector.model.predict(input) as tf.Tensor).dataSync());
    const zeros = lateral.getWeights().map((w) => tf.zerosLike(w));
    lateral.setWeights(zeros);
    tf.dispose(zeros);
    const second = tf.tidy(() => (detector.model.predict(input) as tf.Tensor).dataSync());
    let changed = 0;
    for (let i = 0; i < first.length; i++)
      changed = Math.max(changed, Math.abs((first[i] as number) - (second[i] as number)));
    expect(changed).toBeGreaterThan(1e-4);
    const rebuilt = Detector.fromConfig(detector.toConfig());
    expect(rebuilt.toConfig()).toEqual(detector.toConfig());
    rebuilt.dispose();
    tf.dispose(input);
    detector.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses inputs that are no multiple of the largest stride, bad strides and bodies without the maps', () => {
    const failures: [DetectorOptions, RegExp][] = [
      [{ ...TINY, inputShape: [60, 96, 3] }, /inputShape/],
      [{ ...TINY, strides: [8, 12] }, /strides/],
      [{ ...TINY, strides: [16, 8] }, /strides/],
      [{ ...TINY, strides: [4, 8, 16, 32] }, /strides/],
      [{ ...TINY, preset: 'seed-cnn', inputShape: [64, 96, 1] }, /stride 8/],
      [{ ...TINY, preset: undefined }, /preset/],
      [{ ...TINY, strides: [8], pyramidStrides: [16, 32] }, /pyramidStrides/],
      [{ ...TINY, strides: [8], pyramidStrides: [8, 16, 64] }, /inputShape/],
    ];
    for (const [options, pattern] of failures) {
      let error: unknown;
      try {
        new Detector(options).dispose();
      } catch (e) {
        error = e;
      }
      expect(isOptikError(error) && error.code, JSON.stringify(options.strides)).toBe('CONFIG_INVALID');
      expect((error as Error).message).toMatch(pattern);
    }
  });
});

describe('Detector: gradients of model + FCOS loss, wasm against cpu (batch 2, non-square)', () => {
  async function gradients(backend: string, options: DetectorOptions): Promise<Map<string, Float32Array>> {
    await setBackend(backend);
    const detector = new Detector(options);
    const [h, w] = options.inputShape;
    const loss = sceneLoss(options, 2);
    const { pixels } = scenes(2, h, w, 11);
    const xs = tf.tensor4d(pixels, [2, h, w, options.inputShape[2]]);
    const variables = detector.model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => loss(detector.model.apply(xs, { training: true }) as tf.Tensor),
      variables,
    );
    const out = new Map<string, Float32Array>();
    detector.model.trainableWeights.forEach((weight, i) => {
      const g = grads[variables[i]?.name as string];
      out.set(weight.originalName, Float32Array.from(g?.dataSync() ?? []));
    });
    tf.dispose([value, xs, ...Object.values(grads)]);
    detector.dispose();
    return out;
  }

  const cases: [string, DetectorOptions][] = [
    ['det-tiny, add', TINY],
    // det-small's residual stages are slow on the cpu reference kernels: a smaller non-square input.
    ['det-small, concat', { ...SMALL, inputShape: [32, 64, 3] }],
  ];
  it.each(cases)('%s: every weight has the same gradient on both backends', async (_label, options) => {
    const before = tf.memory().numTensors;
    const cpu = await gradients('cpu', options);
    const wasm = await gradients('wasm', options);
    await tf.setBackend('cpu');
    expect([...wasm.keys()]).toEqual([...cpu.keys()]);
    const mismatched: string[] = [];
    for (const [name, g] of cpu) {
      const other = wasm.get(name) as Float32Array;
      let scale = 1e-6;
      for (const v of g) scale = Math.max(scale, Math.abs(v));
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs((g[i] as number) - (other[i] as number)));
      if (!(worst <= 2e-3 * scale) || g.length === 0) mismatched.push(`${name}: ${worst} vs scale ${scale}`);
    }
    expect(mismatched).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Detector: a tiny training run', () => {
  it('lowers the FCOS loss on three generated images, with a flat tensor count (wasm)', async () => {
    await setBackend('wasm');
    const options: DetectorOptions = { ...TINY, fpnChannels: 24 };
    const detector = new Detector(options);
    const loss = sceneLoss(options, 3);
    const { pixels } = scenes(3, 64, 96, 11);
    const xs = tf.tensor4d(pixels, [3, 64, 96, 3]);
    const optimizer = tf.train.adam(3e-3);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 25; step++) {
      const value = optimizer.minimize(
        () => loss(detector.model.apply(xs, { training: true }) as tf.Tensor),
        true,
      ) as tf.Scalar;
      losses.push(value.dataSync()[0] as number);
      value.dispose();
      counts.push(tf.memory().numTensors);
    }
    const first = losses[0] as number;
    const last = Math.min(...losses.slice(-3));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(last, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(0.6 * first);
    // After the optimizer's slots exist (first step), every step leaves the count where it was.
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    xs.dispose();
    detector.dispose();
    await tf.setBackend('cpu');
  });
});

describe('decodeDetections and nonMaxSuppression', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const inverseSoftplus = (v: number) => Math.log(Math.expm1(v));

  it('decodes a confident point into its box, label and score; low scores are dropped', () => {
    const grid = detectionGrid({ imageSize: [32, 48], strides: [8, 16] });
    const width = 2 + 5;
    const data = new Float32Array(2 * grid.numPoints * width).fill(-10);
    // Image 0, level-8 point (row 1, column 2) = centre (20, 12): class 1, ltrb (1, 0.5, 2, 1.5)·8, centre-ness high.
    const a = 1 * 6 + 2;
    const row = a * width;
    data[row + 1] = 4;
    [1, 0.5, 2, 1.5].forEach((v, k) => {
      data[row + 2 + k] = inverseSoftplus(v);
    });
    data[row + 6] = 4;
    const [first, second] = decodeDetections({ data, shape: [2, grid.numPoints, width] }, grid, {
      scoreThreshold: 0.5,
    });
    expect(first?.labels).toEqual([1]);
    expect(first?.scores[0]).toBeCloseTo(1 / (1 + Math.exp(-4)), 5);
    const box = first?.boxes[0] as BoxXyxy;
    [12, 8, 36, 24].forEach((v, k) => {
      expect(box[k]).toBeCloseTo(v, 3);
    });
    expect(second).toEqual({ boxes: [], labels: [], scores: [] });
    // Boxes are clipped to the image; a tensor decodes like its data.
    data[row + 2] = inverseSoftplus(10);
    const t = tf.tensor3d(data, [2, grid.numPoints, width]);
    expect(decodeDetections(t, grid, { scoreThreshold: 0.5 })[0]?.boxes[0]?.[0]).toBe(0);
    t.dispose();
    expect(() => decodeDetections({ data, shape: [2, 5, width] }, grid)).toThrow(/expected \[batch, 30/);
  });

  /** The output that decodes exactly to `targets` (confident classes, exact ltrb, confident centre-ness). */
  function idealOutput(
    grid: ReturnType<typeof detectionGrid>,
    targets: SampleTarget[],
    size: { height: number; width: number },
  ): Float32Array {
    const [dense, truth] = encodeDetectionTargets(grid, NUM_CLASSES)(targets, size) as [tf.Tensor, tf.Tensor];
    const d = dense.dataSync();
    tf.dispose([dense, truth]);
    const width = NUM_CLASSES + 5;
    const data = new Float32Array(targets.length * grid.numPoints * width).fill(-12);
    for (let p = 0; p < targets.length * grid.numPoints; p++) {
      const row = p * (NUM_CLASSES + 6);
      if (d[row + NUM_CLASSES + 5] !== 1) continue;
      for (let c = 0; c < NUM_CLASSES; c++) data[p * width + c] = d[row + c] === 1 ? 12 : -12;
      for (let k = 0; k < 4; k++)
        data[p * width + NUM_CLASSES + k] = inverseSoftplus(d[row + NUM_CLASSES + k] as number);
      data[p * width + NUM_CLASSES + 4] = 12;
    }
    return data;
  }

  it('decoding the ideal output of encodeDetectionTargets gives back every true box and label', () => {
    const grid = detectionGrid({ imageSize: [64, 96], strides: [8, 16, 32] });
    const { targets } = scenes(3, 64, 96, 13);
    const data = idealOutput(grid, targets, { height: 64, width: 96 });
    const width = NUM_CLASSES + 5;
    const decoded = decodeDetections({ data, shape: [3, grid.numPoints, width] }, grid, { scoreThreshold: 0.5 });
    decoded.forEach((image, i) => {
      const target = targets[i] as unknown as { boxes: BoxXyxy[]; labels: number[] };
      expect(image.boxes.length, `image ${i}`).toBe(target.boxes.length);
      const order = (boxes: readonly BoxXyxy[], labels: readonly number[]) =>
        boxes
          .map((b, k) => [labels[k] as number, ...b.map((v) => Math.round(v * 100) / 100)])
          .sort((a, b) => a[1]! - b[1]!);
      expect(order(image.boxes, image.labels)).toEqual(order(target.boxes, target.labels));
    });
  });

  it('mirrorDetectionOutput: the output for mirrored images, mapped back, decodes to the original boxes', () => {
    const [h, w] = [64, 96];
    const grid = detectionGrid({ imageSize: [h, w], strides: [8, 16, 32] });
    const { targets } = scenes(3, h, w, 21);
    const width = NUM_CLASSES + 5;
    const shape = [3, grid.numPoints, width];
    const sorted = (d: { boxes: readonly BoxXyxy[]; labels: readonly number[] }) =>
      d.boxes
        .map((b, k) => [d.labels[k] as number, ...b.map((v) => Math.round(v * 100) / 100)])
        .sort((a, b) => a[1]! - b[1]! || a[2]! - b[2]!);
    const plain = decodeDetections({ data: idealOutput(grid, targets, { height: h, width: w }), shape }, grid, {
      scoreThreshold: 0.5,
    });
    for (const view of ['hflip', 'vflip'] as const) {
      const mirrored = targets.map((t) => {
        const target = t as unknown as { boxes: BoxXyxy[]; labels: number[] };
        return {
          ...target,
          boxes: target.boxes.map(([x0, y0, x1, y1]) =>
            view === 'hflip' ? [w - x1, y0, w - x0, y1] : [x0, h - y1, x1, h - y0],
          ),
        } as unknown as SampleTarget;
      });
      const back = mirrorDetectionOutput(idealOutput(grid, mirrored, { height: h, width: w }), shape, grid, view);
      const decoded = decodeDetections({ data: back, shape }, grid, { scoreThreshold: 0.5 });
      decoded.forEach((image, i) => {
        expect(sorted(image), `${view} image ${i}`).toEqual(sorted(plain[i] as Detections));
        expect(image.boxes.length).toBeGreaterThan(0);
      });
    }
    // Mirroring twice gives the output back; sizes that are no multiple of a stride are refused.
    const random = Float32Array.from({ length: 3 * grid.numPoints * width }, (_, k) => Math.sin(k));
    for (const view of ['hflip', 'vflip'] as const) {
      expect(mirrorDetectionOutput(mirrorDetectionOutput(random, shape, grid, view), shape, grid, view)).toEqual(
        random,
      );
      expect(mirrorDetectionOutput(random, shape, grid, view)).not.toEqual(random);
    }
    const odd = detectionGrid({ imageSize: [60, 96], strides: [8] });
    expect(() =>
      mirrorDetectionOutput(new Float32Array(odd.numPoints * width), [1, odd.numPoints, width], odd, 'vflip'),
    ).toThrow(/not a multiple of stride 8/);
    expect(() => mirrorDetectionOutput(random, [3, 5, width], grid, 'hflip')).toThrow(/DATA_MISMATCH|points/);
  });

  it('keeps one box per object and class: the best, class-aware; maxDetections caps', () => {
    const grid = detectionGrid({ imageSize: [32, 32], strides: [8] });
    const width = 2 + 5;
    const data = new Float32Array(grid.numPoints * width).fill(-10);
    // Three neighbouring points predict the same box (class 0) at different scores; one predicts it as class 1.
    const put = (a: number, label: number, logit: number) => {
      const [x, y] = [grid.points[2 * a] as number, grid.points[2 * a + 1] as number];
      const row = a * width;
      data[row + label] = logit;
      [(x - 4) / 8, (y - 4) / 8, (28 - x) / 8, (28 - y) / 8].forEach((v, k) => {
        data[row + 2 + k] = inverseSoftplus(v);
      });
      data[row + 6] = 10;
    };
    put(5, 0, 3);
    put(6, 0, 5);
    put(9, 0, 1);
    put(10, 1, 2);
    const [out] = decodeDetections({ data, shape: [1, grid.numPoints, width] }, grid, { scoreThreshold: 0.1 });
    expect(out?.labels).toEqual([0, 1]);
    expect(out?.scores[0]).toBeCloseTo(Math.sqrt(1 / (1 + Math.exp(-5)) / (1 + Math.exp(-10))), 5);
    const [capped] = decodeDetections({ data, shape: [1, grid.numPoints, width] }, grid, { maxDetections: 1 });
    expect(capped?.labels).toEqual([0]);
  });

  it('nonMaxSuppression without labels matches tf.image.nonMaxSuppression on random boxes', () => {
    const rng = createRng(21);
    for (let trial = 0; trial < 5; trial++) {
      const n = 60;
      const boxes: number[] = [];
      const scores: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = rng.uniform(0, 80);
        const y = rng.uniform(0, 80);
        boxes.push(x, y, x + rng.uniform(5, 30), y + rng.uniform(5, 30));
        scores.push(rng.next());
      }
      const threshold = [0.3, 0.5, 0.7][trial % 3] as number;
      const expected = tf.tidy(() => {
        const yxyx = tf.tensor2d(
          Array.from({ length: n }, (_, i) => [
            boxes[4 * i + 1],
            boxes[4 * i],
            boxes[4 * i + 3],
            boxes[4 * i + 2],
          ]) as number[][],
        );
        return Array.from(tf.image.nonMaxSuppression(yxyx, tf.tensor1d(scores), n, threshold).dataSync());
      });
      expect(nonMaxSuppression(boxes, scores, undefined, { iouThreshold: threshold })).toEqual(expected);
    }
  });

  it('nonMaxSuppression: class-aware (batched_nms), ties by index, empty unions never suppress', () => {
    const boxes = [0, 0, 10, 10, 1, 1, 10, 10, 0, 0, 10, 10, 50, 50, 60, 60, 5, 5, 5, 5, 5, 5, 5, 5];
    const scores = [0.9, 0.8, 0.85, 0.9, 0.5, 0.5];
    const labels = [0, 0, 1, 0, 2, 2];
    // Box 1 overlaps box 0 (IoU 0.81) in class 0; box 2 is the same box as 0 but class 1; 4 and 5 are empty.
    expect(nonMaxSuppression(boxes, scores, labels, { iouThreshold: 0.5 })).toEqual([0, 3, 2, 4, 5]);
    expect(nonMaxSuppression(boxes, scores, labels, { iouThreshold: 0.9 })).toEqual([0, 3, 2, 1, 4, 5]);
    expect(nonMaxSuppression(boxes, scores, undefined, { iouThreshold: 0.5, maxOutput: 2 })).toEqual([0, 3]);
    expect(() => nonMaxSuppression([0, 0, 1], [1])).toThrow(/4 numbers per score/);
  });
});
