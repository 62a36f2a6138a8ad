import { createRng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedAdam, initBackend } from '../index.js';
import { type HostTensor, randomTensor, relativeError, tidyHost, toHost } from './harness.js';

/**
 * Every op the model zoo trains through has a gradient on `wasm` (no missing kernel) that matches `cpu`.
 * Each case is a scalar loss of some inputs; its gradients with respect to all inputs are compared.
 */

type Loss = (...inputs: tf.Tensor[]) => tf.Tensor;
interface OpCase {
  readonly name: string;
  readonly shapes: number[][];
  readonly loss: Loss;
  readonly tolerance?: number;
}

const sq = (t: tf.Tensor): tf.Scalar => t.square().sum();
const as4 = (t: tf.Tensor): tf.Tensor4D => t as tf.Tensor4D;

const depthwiseCases: OpCase[] = [];
for (const stride of [1, 2] as const) {
  for (const pad of ['same', 'valid'] as const) {
    for (const multiplier of [1, 2]) {
      depthwiseCases.push({
        name: `depthwiseConv2d stride ${stride} ${pad} multiplier ${multiplier}`,
        shapes: [
          [2, 7, 6, 3],
          [3, 3, 3, multiplier],
        ],
        loss: (x, f) => sq(tf.depthwiseConv2d(as4(x), as4(f), stride, pad)),
      });
    }
  }
}

const resizeCases: OpCase[] = [];
for (const flags of ['none', 'alignCorners', 'halfPixelCenters'] as const) {
  const ac = flags === 'alignCorners';
  const hp = flags === 'halfPixelCenters';
  resizeCases.push(
    {
      name: `resizeBilinear 3x5 -> 7x4 ${flags}`,
      shapes: [[2, 3, 5, 2]],
      loss: (x) => sq(tf.image.resizeBilinear(as4(x), [7, 4], ac, hp)),
    },
    {
      name: `resizeNearestNeighbor 5x3 -> 2x7 ${flags}`,
      shapes: [[2, 5, 3, 2]],
      loss: (x) => sq(tf.image.resizeNearestNeighbor(as4(x), [2, 7], ac, hp)),
    },
  );
}

const classes = (n: number, k: number): tf.Tensor =>
  tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % k),
      'int32',
    ),
    k,
  );

const opCases: OpCase[] = [
  ...depthwiseCases,
  {
    name: 'depthwiseConv2d 5x5 stride 2 same (odd size)',
    shapes: [
      [1, 9, 8, 2],
      [5, 5, 2, 1],
    ],
    loss: (x, f) => sq(tf.depthwiseConv2d(as4(x), as4(f), 2, 'same')),
  },
  ...resizeCases,
  {
    name: 'globalAveragePooling (mean over height, width) into a dense head',
    shapes: [
      [2, 4, 5, 3],
      [3, 2],
    ],
    loss: (x, w) => sq(tf.matMul(x.mean([1, 2]) as tf.Tensor2D, w as tf.Tensor2D)),
  },
  {
    name: 'concat and add (residual)',
    shapes: [
      [2, 3, 3, 2],
      [2, 3, 3, 2],
    ],
    loss: (a, b) =>
      sq(
        tf
          .concat([a, b], 3)
          .add(tf.concat([b, a], 3))
          .relu(),
      ),
  },
  {
    name: 'sigmoid cross-entropy',
    shapes: [[4, 3]],
    loss: (x) => tf.losses.sigmoidCrossEntropy(tf.tensor2d([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0], [4, 3]), x),
  },
  {
    name: 'softmax cross-entropy',
    shapes: [[4, 5]],
    loss: (x) => tf.losses.softmaxCrossEntropy(classes(4, 5), x),
  },
  {
    name: 'log-softmax negative log-likelihood',
    shapes: [[4, 5]],
    loss: (x) => tf.logSoftmax(x).mul(classes(4, 5)).sum().neg(),
  },
  {
    name: 'softmax then categorical cross-entropy',
    shapes: [[4, 5]],
    loss: (x) => tf.metrics.categoricalCrossentropy(classes(4, 5), tf.softmax(x)).mean(),
  },
  {
    name: 'dropout (seeded mask, identical on both backends)',
    shapes: [[4, 6]],
    loss: (x) => sq(tf.dropout(x, 0.5, undefined, 7)),
  },
  {
    name: 'gather (UnsortedSegmentSum)',
    shapes: [[4, 3]],
    loss: (x) => sq(tf.gather(x, tf.tensor1d([3, 0, 3, 1], 'int32'))),
  },
  {
    name: 'avgPool same and valid (upstream AvgPoolGrad divides by the full window at borders)',
    shapes: [[2, 6, 5, 3]],
    loss: (x) => sq(tf.avgPool(as4(x), 2, 2, 'same')).add(sq(tf.avgPool(as4(x), 3, 1, 'valid'))),
  },
  {
    name: 'maxPool on windows of negative values (upstream wasm MaxPoolGrad routes them wrongly)',
    shapes: [[2, 6, 5, 3]],
    loss: (x) => sq(tf.maxPool(as4(x.abs().neg()), 2, 2, 'same')).add(sq(tf.maxPool(as4(x), 3, 1, 'valid'))),
  },
  {
    name: 'activations: relu6, leakyRelu, elu, swish, sigmoid, tanh',
    shapes: [[3, 4]],
    loss: (x) =>
      sq(tf.relu6(x.mul(4)))
        .add(sq(tf.leakyRelu(x, 0.1)))
        .add(sq(tf.elu(x)))
        .add(sq(x.mul(tf.sigmoid(x))))
        .add(sq(tf.tanh(x))),
  },
];

/** Batch normalization in training mode, as tf.layers.batchNormalization computes it (batch statistics). */
function batchNormLoss(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return sq(tf.batchNorm(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3).relu());
}
// The batch-norm gradient subtracts nearly equal batch means; wasm sums them in float32 and cpu in float64, so the
// two differ by a few float32 roundings amplified by that cancellation.
opCases.push(
  ...[3, 8, 12].map((depth) => ({
    // 3: Optik's batch-norm gradient kernel's scalar loop; 8: its SIMD lanes; 12: both.
    name: `batchNorm with batch statistics, ${depth} channels`,
    shapes: [[3, 4, 4, depth], [depth], [depth]],
    loss: batchNormLoss,
    tolerance: 2e-3,
  })),
);

// Means over every axis but the last: Optik's Mean gradient on wasm (a Tile of dy / n), and tfjs's where the
// channels are too few for block copies.
opCases.push(
  {
    name: 'mean over batch, height and width (a weighted sum of the channel means)',
    shapes: [[3, 4, 5, 6], [6]],
    loss: (x, w) =>
      tf
        .mean(x, [0, 1, 2])
        .mul(w)
        .sum()
        .add(sq(tf.mean(x.square(), [0, 1, 2]))),
  },
  {
    name: 'mean over rows of a matrix, keepDims',
    shapes: [
      [40, 20],
      [1, 20],
    ],
    loss: (x, w) => tf.mean(x, 0, true).mul(w).sum(),
  },
  {
    name: 'mean over rows of a narrow matrix',
    shapes: [[7, 3], [3]],
    loss: (x, w) => tf.mean(x, 0).mul(w).sum(),
  },
);

// Sums: Optik's Sum gradient on wasm (dy · onesLike(x): a scalar, row or column broadcast, or upstream's
// broadcast for a middle axis), and a per-pixel column weight over per-class maps (the column Multiply).
opCases.push(
  {
    name: 'sum over every axis (a scalar dy)',
    shapes: [[2, 5, 3, 6]],
    loss: (x) => sq(tf.sum(tf.mul(x, x))),
  },
  {
    name: 'sum over batch, height and width (a per-channel row dy)',
    shapes: [[2, 5, 3, 7], [7]],
    loss: (x, w) => sq(tf.sum(x, [0, 1, 2]).mul(w)),
  },
  {
    name: 'sum over the last axis, keepDims (a per-position column dy)',
    shapes: [
      [2, 5, 3, 9],
      [2, 5, 3, 1],
    ],
    loss: (x, w) => sq(tf.sum(x, -1, true).mul(w)),
  },
  {
    name: 'sum over a middle axis',
    shapes: [
      [3, 4, 5],
      [3, 5],
    ],
    loss: (x, w) => sq(tf.sum(x, 1).mul(w)),
  },
  {
    name: 'per-class maps weighted by a per-pixel column (both ways round)',
    shapes: [
      [2, 5, 3, 9],
      [2, 5, 3, 1],
    ],
    loss: (x, w) => sq(tf.mul(x, w)).add(sq(tf.div(w, tf.add(tf.abs(x), 1)))),
  },
);

async function gradsOn(backendName: string, op: OpCase, inputs: HostTensor[]): Promise<HostTensor[]> {
  await tf.setBackend(backendName);
  return tidyHost(() => {
    const tensors = inputs.map((t) => tf.tensor(t.values, t.shape));
    return tf.grads(op.loss)(tensors).map(toHost);
  });
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('zoo ops train on wasm', () => {
  it.each(opCases)('$name: gradients on wasm match cpu', async (op) => {
    const before = tf.memory().numTensors;
    const rng = createRng(11).fork(op.name);
    const inputs = op.shapes.map((shape) => randomTensor(rng, shape));
    const expected = await gradsOn('cpu', op, inputs);
    const actual = await gradsOn('wasm', op, inputs);
    expect(actual.map((g) => g.shape)).toEqual(expected.map((g) => g.shape));
    actual.forEach((g, i) => {
      expect(relativeError(g, expected[i] as HostTensor), `gradient of input ${i}`).toBeLessThanOrEqual(
        op.tolerance ?? 1e-4,
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a batch-normalization layer in training mode trains its gamma and beta on wasm like on cpu', async () => {
    const rng = createRng(12);
    const x = randomTensor(rng, [4, 5, 5, 3]);
    // A random weighting of the outputs: the plain sum of squares would make beta's gradient exactly zero.
    const weights = randomTensor(rng, [4, 5, 5, 3]);
    const run = async (backendName: string): Promise<HostTensor[]> => {
      await tf.setBackend(backendName);
      const layer = tf.layers.batchNormalization({ axis: -1 });
      layer.apply(tf.input({ shape: [5, 5, 3] }));
      const result = tidyHost(() => {
        const input = tf.tensor(x.values, x.shape);
        const weighting = tf.tensor(weights.values, weights.shape);
        const { grads } = tf.variableGrads(() =>
          (layer.apply(input, { training: true }) as tf.Tensor).mul(weighting).sum(),
        );
        return layer.trainableWeights.map((w) => toHost(grads[w.originalName] as tf.Tensor));
      });
      layer.dispose();
      return result;
    };
    const before = tf.memory().numTensors;
    const expected = await run('cpu');
    const actual = await run('wasm');
    expect(actual).toHaveLength(2);
    actual.forEach((g, i) => {
      expect(relativeError(g, expected[i] as HostTensor)).toBeLessThanOrEqual(2e-3);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  const optimizers: Record<string, () => tf.Optimizer> = {
    sgd: () => tf.train.sgd(0.1),
    momentum: () => tf.train.momentum(0.1, 0.9),
    adam: () => tf.train.adam(0.05),
    rmsprop: () => tf.train.rmsprop(0.05),
    'rmsprop centered': () => tf.train.rmsprop(0.05, 0.9, 0.1, 1e-7, true),
    adagrad: () => tf.train.adagrad(0.1),
    adamax: () => tf.train.adamax(0.05),
    'fused adam': () => fusedAdam(0.05),
  };
  it.each(Object.keys(optimizers))('%s updates weights on wasm exactly as on cpu', async (name) => {
    const rng = createRng(13).fork(name);
    const w0 = randomTensor(rng, [4, 3]);
    const x0 = randomTensor(rng, [6, 4]);
    const y0 = randomTensor(rng, [6, 3]);
    const run = async (backendName: string): Promise<HostTensor> => {
      await tf.setBackend(backendName);
      const optimizer = (optimizers[name] as () => tf.Optimizer)();
      const w = tf.tidy(() => tf.variable(tf.tensor2d(w0.values, [4, 3])));
      const x = tf.tensor2d(x0.values, [6, 4]);
      const y = tf.tensor(y0.values, y0.shape);
      for (let step = 0; step < 4; step++) {
        optimizer.minimize(() => tf.losses.meanSquaredError(y, tf.matMul(x, w)) as tf.Scalar);
      }
      const result = toHost(w);
      tf.dispose([w, x, y]);
      optimizer.dispose();
      return result;
    };
    const before = tf.memory().numTensors;
    const expected = await run('cpu');
    const actual = await run('wasm');
    expect(relativeError(actual, w0)).toBeGreaterThan(1e-3); // it did move
    expect(relativeError(actual, expected)).toBeLessThanOrEqual(1e-4);
    // Upstream's MomentumOptimizer.dispose() forgets its learning-rate scalar: one tensor per optimizer.
    const leaked = name === 'momentum' ? 2 : 0;
    expect(tf.memory().numTensors).toBe(before + leaked);
  });
});
