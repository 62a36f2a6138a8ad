import type { BoxXyxy, SampleTarget } from '@optik/core';
import { isOptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectionGrid, detectionTargetLayout, encodeDetectionTargets } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const det = (boxes: BoxXyxy[], labels: number[]): SampleTarget => ({ kind: 'detection', boxes, labels });

/** Runs the encoder and reads both tensors back (no tensor left). */
function encode(
  grid: ReturnType<typeof detectionGrid>,
  numClasses: number,
  targets: SampleTarget[],
  options: Parameters<typeof encodeDetectionTargets>[2] = {},
) {
  const before = tf.memory().numTensors;
  const [dense, truth] = encodeDetectionTargets(
    grid,
    numClasses,
    options,
  )(targets, {
    height: grid.imageSize[0],
    width: grid.imageSize[1],
  }) as [tf.Tensor, tf.Tensor];
  const out = { dense: dense.dataSync(), denseShape: dense.shape, truth: truth.arraySync() as number[][][] };
  tf.dispose([dense, truth]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** The indices of a point list whose positive flag is set, for image `i`. */
function positives(dense: ArrayLike<number>, grid: ReturnType<typeof detectionGrid>, numClasses: number, i: number) {
  const { width, positive } = detectionTargetLayout(numClasses);
  const out: number[] = [];
  for (let a = 0; a < grid.numPoints; a++) if (dense[(i * grid.numPoints + a) * width + positive] === 1) out.push(a);
  return out;
}

function pointAt(grid: ReturnType<typeof detectionGrid>, a: number): [number, number, number] {
  return [grid.points[2 * a] as number, grid.points[2 * a + 1] as number, grid.pointStrides[a] as number];
}

describe('detectionGrid', () => {
  it('lists the points level by level on a non-square input, with FCOS size ranges', () => {
    const grid = detectionGrid({ imageSize: [64, 96], strides: [8, 16, 32] });
    expect(grid.levels.map((l) => [l.height, l.width, l.offset, l.count])).toEqual([
      [8, 12, 0, 96],
      [4, 6, 96, 24],
      [2, 3, 120, 6],
    ]);
    expect(grid.levels.map((l) => l.range)).toEqual([
      [0, 64],
      [64, 128],
      [128, Number.POSITIVE_INFINITY],
    ]);
    expect(grid.numPoints).toBe(126);
    expect(pointAt(grid, 0)).toEqual([4, 4, 8]);
    expect(pointAt(grid, 13)).toEqual([12, 12, 8]); // row 1, column 1: rows are 12 points wide
    expect(pointAt(grid, 96 + 7)).toEqual([24, 24, 16]);
    expect(pointAt(grid, 125)).toEqual([80, 48, 32]);
    expect(Array.from(grid.ranges.subarray(2 * 125))).toEqual([128, Number.POSITIVE_INFINITY]);
  });

  it('rounds odd sizes up (stride-2 same convolutions) and takes one level from 0 to ∞', () => {
    const grid = detectionGrid({ imageSize: [30, 17], strides: [4] });
    expect(grid.levels[0]).toMatchObject({ height: 8, width: 5, range: [0, Number.POSITIVE_INFINITY] });
  });

  it('takes the level boundaries from sizeBounds, and bounds between strides that do not double by default', () => {
    const grid = detectionGrid({ imageSize: [64, 96], strides: [8, 16, 32], sizeBounds: [12, 20] });
    expect(grid.levels.map((l) => l.range)).toEqual([
      [0, 12],
      [12, 20],
      [20, Number.POSITIVE_INFINITY],
    ]);
    expect(Array.from(grid.ranges.subarray(2 * 96, 2 * 97))).toEqual([12, 20]);
    // No gap between 8 · 8 and the stride-32 level: its range starts where the first one ends.
    const skip = detectionGrid({ imageSize: [64, 64], strides: [8, 32] });
    expect(skip.levels.map((l) => l.range)).toEqual([
      [0, 64],
      [64, Number.POSITIVE_INFINITY],
    ]);
  });

  it('refuses sizeBounds that do not split the levels, with a coded error', () => {
    for (const sizeBounds of [[16], [16, 32, 64], [32, 16], [0, 8]]) {
      let error: unknown;
      try {
        detectionGrid({ imageSize: [64, 64], strides: [8, 16, 32], sizeBounds });
      } catch (e) {
        error = e;
      }
      expect(isOptikError(error, 'CONFIG_INVALID'), JSON.stringify(sizeBounds)).toBe(true);
    }
  });

  it('refuses strides that do not increase, with a coded error', () => {
    for (const strides of [[16, 8], [8, 8], []]) {
      let error: unknown;
      try {
        detectionGrid({ imageSize: [64, 64], strides });
      } catch (e) {
        error = e;
      }
      expect(isOptikError(error), JSON.stringify(strides)).toBe(true);
    }
  });
});

describe('encodeDetectionTargets: FCOS assignment on the host', () => {
  const grid = detectionGrid({ imageSize: [64, 96], strides: [8, 16, 32] });

  it('a small box: the 4 level-8 points near its centre, with ltrb/stride and centre-ness', () => {
    const { dense, denseShape, truth } = encode(grid, 3, [det([[20, 20, 40, 40]], [2]), det([], [])]);
    expect(denseShape).toEqual([2, 126, 9]);
    const pos = positives(dense, grid, 3, 0);
    // Points at x, y ∈ {28, 36}: inside the box and within 1.5·8 = 12 px of its centre (30, 30); 20 is on the edge.
    expect(pos.map((a) => pointAt(grid, a))).toEqual([
      [28, 28, 8],
      [36, 28, 8],
      [28, 36, 8],
      [36, 36, 8],
    ]);
    const row = Array.from(dense.subarray((pos[0] as number) * 9, (pos[0] as number) * 9 + 9));
    // Class 2 one-hot; l = t = 8, r = b = 12 px → /8; centre-ness sqrt(8/12 · 8/12) = 2/3; positive.
    expect(row.slice(0, 3)).toEqual([0, 0, 1]);
    expect(row.slice(3, 7)).toEqual([1, 1, 1.5, 1.5]);
    expect(row[7]).toBeCloseTo(2 / 3, 6);
    expect(row[8]).toBe(1);
    expect(positives(dense, grid, 3, 1)).toEqual([]);
    // Background rows are all 0.
    expect(Array.from(dense.subarray(9 * 126, 9 * 252)).every((v) => v === 0)).toBe(true);
    expect(truth[0]).toEqual([[20, 20, 40, 40, 2, 0]]);
    expect(truth[1]).toEqual([[0, 0, 0, 0, -1, 0]]);
  });

  it('a large box goes to the level whose range holds its largest ltrb distance', () => {
    const big = detectionGrid({ imageSize: [256, 320], strides: [8, 16, 32] });
    // Centre (160, 128), 200×220: from points near the centre the largest side distance is ~110 → (64, 128): level 16.
    const { dense } = encode(big, 1, [det([[60, 18, 260, 238]], [0])]);
    const strides = new Set(positives(dense, big, 1, 0).map((a) => pointAt(big, a)[2]));
    expect([...strides]).toEqual([16]);
    // The whole image (largest distance ≥ 160 everywhere): the last level, whose range is open above.
    const whole = encode(big, 1, [det([[0, 0, 320, 256]], [0])]);
    expect(new Set(positives(whole.dense, big, 1, 0).map((a) => pointAt(big, a)[2]))).toEqual(new Set([32]));
  });

  it('smaller sizeBounds move a box of a small image to the coarser levels', () => {
    // A 40×40 box in a 128×128 image: largest distances 20–32 px from the points near its centre, below 64: only
    // stride 8 by default; with bounds [16, 40] the same box trains the stride-16 level (largest distance 28 from
    // its points at 56 and 72; the stride-32 points at 48 and 80 see 36 < 40).
    const small = detectionGrid({ imageSize: [128, 128], strides: [8, 16, 32] });
    const scaled = detectionGrid({ imageSize: [128, 128], strides: [8, 16, 32], sizeBounds: [16, 40] });
    const box = det([[44, 44, 84, 84]], [0]);
    const levelsOf = (g: ReturnType<typeof detectionGrid>) =>
      new Set(positives(encode(g, 1, [box]).dense, g, 1, 0).map((a) => pointAt(g, a)[2]));
    expect(levelsOf(small)).toEqual(new Set([8]));
    expect(levelsOf(scaled)).toEqual(new Set([16]));
  });

  it('a point inside two boxes goes to the smaller one', () => {
    const { dense } = encode(grid, 2, [
      det(
        [
          [10, 8, 58, 56],
          [20, 20, 40, 40],
        ],
        [0, 1],
      ),
    ]);
    const { width } = detectionTargetLayout(2);
    const pos = positives(dense, grid, 2, 0);
    const classOf = (a: number) => (dense[a * width] === 1 ? 0 : 1);
    const near = pos.filter((a) => {
      const [x, y] = pointAt(grid, a);
      return x > 20 && x < 40 && y > 20 && y < 40;
    });
    expect(near.length).toBe(4);
    for (const a of near) expect(classOf(a)).toBe(1);
    // The big box keeps the points of its centre region outside the small box.
    expect(pos.filter((a) => classOf(a) === 0).length).toBeGreaterThan(0);
  });

  it('a crowd box makes no positives, leaves the points inside it to other boxes and is flagged in the truth', () => {
    const boxes: BoxXyxy[] = [
      [10, 8, 58, 56],
      [20, 20, 40, 40],
    ];
    const crowdSmall: SampleTarget = { kind: 'detection', boxes, labels: [0, 1], crowd: [false, true] };
    const crowdAlone: SampleTarget = { kind: 'detection', boxes: [[20, 20, 40, 40]], labels: [1], crowd: [true] };
    const { dense, truth } = encode(grid, 2, [crowdSmall, crowdAlone, det([[20, 20, 40, 40]], [1])]);
    const { width } = detectionTargetLayout(2);
    // Alone, the crowd box gives no positive where the same ordinary box gives the 4 points near its centre.
    expect(positives(dense, grid, 2, 1)).toEqual([]);
    expect(positives(dense, grid, 2, 2).length).toBe(4);
    // With a big ordinary box around it, the points inside the crowd box go to the big box (class 0), never to it.
    const pos = positives(dense, grid, 2, 0);
    expect(pos.length).toBeGreaterThan(0);
    for (const a of pos) expect([dense[a * width], dense[a * width + 1]]).toEqual([1, 0]);
    const inside = pos.filter((a) => {
      const [x, y] = pointAt(grid, a);
      return x > 20 && x < 40 && y > 20 && y < 40;
    });
    expect(inside.length).toBe(4);
    expect(truth[0]).toEqual([
      [10, 8, 58, 56, 0, 0],
      [20, 20, 40, 40, 1, 1],
    ]);
    expect(truth[1]?.[0]).toEqual([20, 20, 40, 40, 1, 1]);
    // Flags that do not match the boxes are a coded error.
    const bad: SampleTarget = { kind: 'detection', boxes, labels: [0, 1], crowd: [true] };
    const error = (() => {
      try {
        encode(grid, 2, [bad]);
      } catch (e) {
        return e;
      }
    })();
    expect(isOptikError(error, 'DATA_MISMATCH')).toBe(true);
  });

  it('pads the ground truth to maxBoxes with label −1 and refuses more boxes than that', () => {
    const two = det(
      [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ],
      [0, 1],
    );
    const { truth } = encode(grid, 2, [two, det([[9, 9, 19, 19]], [1])], { maxBoxes: 3 });
    expect(truth[1]).toEqual([
      [9, 9, 19, 19, 1, 0],
      [0, 0, 0, 0, -1, 0],
      [0, 0, 0, 0, -1, 0],
    ]);
    expect(() => encode(grid, 2, [two], { maxBoxes: 1 })).toThrow(/maxBoxes/);
  });

  it('refuses a label outside the classes, a non-box target and a batch of another size', () => {
    const hook = encodeDetectionTargets(grid, 2);
    const size = { height: 64, width: 96 };
    const codes: string[] = [];
    for (const run of [
      () => hook([det([[0, 0, 10, 10]], [2])], size),
      () => hook([{ kind: 'classification', label: 0 }], size),
      () => hook([det([], [])], { height: 64, width: 64 }),
      () => encodeDetectionTargets(grid, 0),
    ]) {
      try {
        run();
      } catch (e) {
        if (isOptikError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(['DATA_FORMAT', 'DATA_FORMAT', 'DATA_MISMATCH', 'ARGUMENT_INVALID']);
  });
});
