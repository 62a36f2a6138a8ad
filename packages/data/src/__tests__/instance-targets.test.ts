import type { BoxXyxy, Mask, SampleTarget } from '@optik/core';
import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectionGrid, detectionTargetLayout, encodeDetectionTargets, encodeInstanceTargets } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const H = 32;
const W = 48;
const STRIDE = 4;
const HP = H / STRIDE;
const WP = W / STRIDE;
const grid = detectionGrid({ imageSize: [H, W], strides: [8, 16] });

/** An image-sized mask filled in an ellipse inscribed in the box. */
function ellipse([x0, y0, x1, y1]: BoxXyxy): Mask {
  const data = new Uint8Array(H * W);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const rx = (x1 - x0) / 2;
  const ry = (y1 - y0) / 2;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1) data[y * W + x] = 1;
    }
  }
  return { width: W, height: H, data };
}

function instances(boxes: BoxXyxy[], labels: number[]): SampleTarget {
  return { kind: 'instance-segmentation', boxes, labels, masks: boxes.map(ellipse) };
}

const TARGETS: SampleTarget[] = [
  instances(
    [
      [2, 2, 22, 26],
      [24, 4, 46, 30],
    ],
    [0, 1],
  ),
  instances([[10, 6, 30, 22]], [1]),
];

function run(targets: SampleTarget[], options: Parameters<typeof encodeInstanceTargets>[2] = {}) {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const tensors = encodeInstanceTargets(grid, 2, options)(targets, { height: H, width: W }) as tf.Tensor[];
    return tensors.map((t) => ({
      shape: t.shape,
      dtype: t.dtype,
      data: Array.from(t.dataSync() as ArrayLike<number>),
    }));
  });
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('encodeInstanceTargets', () => {
  it('gives the detection targets unchanged, then selection, mask targets, weights and the true masks', () => {
    const [dense, truth, selection, maskTargets, maskWeights, gtMasks] = run(TARGETS);
    const detection = tf.tidy(() =>
      (encodeDetectionTargets(grid, 2)(TARGETS, { height: H, width: W }) as tf.Tensor[]).map((t) =>
        Array.from(t.dataSync()),
      ),
    );
    expect(dense?.data).toEqual(detection[0]);
    expect(truth?.data).toEqual(detection[1]);
    const { width, positive } = detectionTargetLayout(2);
    const positivesOf = (i: number) =>
      Array.from({ length: grid.numPoints }, (_, a) => a).filter(
        (a) => dense?.data[(i * grid.numPoints + a) * width + positive] === 1,
      );
    const counts = [positivesOf(0).length, positivesOf(1).length];
    const p = Math.max(...counts);
    expect(selection?.shape).toEqual([2, p, grid.numPoints]);
    expect(maskTargets?.shape).toEqual([2, p, HP * WP]);
    expect(maskWeights?.shape).toEqual([2, p, HP * WP]);
    expect(gtMasks?.shape).toEqual([2, 2, H, W]);
    expect(gtMasks?.dtype).toBe('bool');
    const total = (counts[0] as number) + (counts[1] as number);
    for (let i = 0; i < 2; i++) {
      const target = TARGETS[i] as Extract<SampleTarget, { kind: 'instance-segmentation' }>;
      const chosen: number[] = [];
      for (let row = 0; row < p; row++) {
        const line = selection?.data.slice((i * p + row) * grid.numPoints, (i * p + row + 1) * grid.numPoints) ?? [];
        const ones = line.flatMap((v, a) => (v === 1 ? [a] : []));
        expect(line.filter((v) => v !== 0 && v !== 1)).toEqual([]);
        const weights = maskWeights?.data.slice((i * p + row) * HP * WP, (i * p + row + 1) * HP * WP) ?? [];
        if (ones.length === 0) {
          // A padding row weighs nothing.
          expect(weights.every((v) => v === 0)).toBe(true);
          continue;
        }
        expect(ones).toHaveLength(1);
        chosen.push(ones[0] as number);
        // Which instance: the box whose ltrb targets the point's row holds.
        const a = ones[0] as number;
        const row0 = (i * grid.numPoints + a) * width;
        const x = grid.points[2 * a] as number;
        const y = grid.points[2 * a + 1] as number;
        const s = grid.pointStrides[a] as number;
        const box = [x - (dense?.data[row0 + 2] as number) * s, y - (dense?.data[row0 + 3] as number) * s];
        const k = target.boxes.findIndex(
          (b) => Math.abs(b[0] - (box[0] as number)) < 1e-4 && Math.abs(b[1] - (box[1] as number)) < 1e-4,
        );
        expect(k).toBeGreaterThanOrEqual(0);
        const [x0, y0, x1, y1] = target.boxes[k] as BoxXyxy;
        const mask = target.masks[k] as Mask;
        const targetsRow = maskTargets?.data.slice((i * p + row) * HP * WP, (i * p + row + 1) * HP * WP) ?? [];
        let inside = 0;
        for (let py = 0; py < HP; py++) {
          for (let px = 0; px < WP; px++) {
            let on = 0;
            for (let dy = 0; dy < STRIDE; dy++) {
              for (let dx = 0; dx < STRIDE; dx++) on += mask.data[(py * STRIDE + dy) * W + px * STRIDE + dx] as number;
            }
            expect(targetsRow[py * WP + px]).toBeCloseTo(on / (STRIDE * STRIDE), 6);
            const cx = (px + 0.5) * STRIDE;
            const cy = (py + 0.5) * STRIDE;
            const inBox = cx >= x0 && cx < x1 && cy >= y0 && cy < y1;
            if (inBox) inside++;
            expect((weights[py * WP + px] as number) > 0).toBe(inBox);
          }
        }
        // The weights of a row: the crop over its pixel count, over the chosen points of the batch.
        expect(weights.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1 / total, 6);
        expect(weights.find((v) => v > 0)).toBeCloseTo(1 / (inside * total), 6);
      }
      expect(chosen.sort((x, y) => x - y)).toEqual(positivesOf(i));
      // The true masks come back at image size.
      target.masks.forEach((mask, k) => {
        expect(gtMasks?.data.slice((i * 2 + k) * H * W, (i * 2 + k + 1) * H * W)).toEqual(Array.from(mask.data));
      });
    }
  });

  it('caps the chosen points per image, spread over the instances', () => {
    const [, , selection] = run(TARGETS, { maxMaskPositives: 2 });
    expect(selection?.shape).toEqual([2, 2, grid.numPoints]);
    const dense = run(TARGETS)[0];
    const { width } = detectionTargetLayout(2);
    // Image 0 has two instances: one point of each (their ltrb targets point at different boxes).
    const rows = [0, 1].map((row) =>
      selection?.data.slice(row * grid.numPoints, (row + 1) * grid.numPoints).indexOf(1),
    ) as number[];
    const lefts = rows.map(
      (a) => (grid.points[2 * a] as number) - (dense?.data[a * width + 2] as number) * (grid.pointStrides[a] as number),
    );
    expect(lefts.map(Math.round).sort((x, y) => x - y)).toEqual([2, 24]);
  });

  it('refuses boxes without masks, masks of another size and a stride that does not divide the image', () => {
    const codes: string[] = [];
    const wrongSize: SampleTarget = {
      kind: 'instance-segmentation',
      boxes: [[2, 2, 20, 20]],
      labels: [0],
      masks: [{ width: W / 2, height: H / 2, data: new Uint8Array((W * H) / 4) }],
    };
    for (const attempt of [
      () => run([{ kind: 'detection', boxes: [[2, 2, 20, 20]], labels: [0] }]),
      () => run([wrongSize]),
      () => run([{ ...wrongSize, masks: [] }]),
      () => encodeInstanceTargets(grid, 2, { prototypeStride: 5 }),
      () => encodeInstanceTargets(grid, 0),
    ]) {
      try {
        attempt();
      } catch (e) {
        if (isOptikError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(['DATA_FORMAT', 'DATA_MISMATCH', 'DATA_MISMATCH', 'ARGUMENT_INVALID', 'ARGUMENT_INVALID']);
  });
});
