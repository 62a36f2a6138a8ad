import { initBackend } from '@optik/backend';
import { isOptikError } from '@optik/core';
import { describeModelHarness, type ModelHarnessCase } from '@optik/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEGMENTER_PRESET_NAMES, Segmenter, type SegmenterOptions, SegmenterSchema } from '../index.js';

// The U-Net through the model harness (shapes on a non-square input at batch 2, config round trip, one training
// step reaching every weight) on Optik's wasm kernels and on cpu, then the gradients of every op it uses compared
// between the two backends.

const useBackend = (name: string) =>
  name === 'wasm' ? initBackend({ prefer: 'wasm', threads: 1, log: false }) : tf.setBackend(name);

/** Pixel cross-entropy of logits against the seeded targets normalised per pixel (or a sigmoid for one channel). */
function pixelLoss(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  if (logits.shape.at(-1) === 1) return tf.losses.sigmoidCrossEntropy(tf.round(targets), logits) as tf.Scalar;
  return tf.losses.softmaxCrossEntropy(tf.div(targets, tf.sum(targets, -1, true)), logits) as tf.Scalar;
}

function segmenterCase(label: string, options: Omit<SegmenterOptions, 'inputShape'>, backend: string) {
  const inputShape = [16, 32, 3] as const;
  return {
    label: `Segmenter ${label}`,
    inputShape,
    outputShapes: [[16, 32, options.numClasses]],
    backend,
    build: () => new Segmenter({ ...options, inputShape: [...inputShape] }),
    rebuild: (config) => Segmenter.fromConfig(config),
    loss: ([logits], [targets]) => pixelLoss(logits as tf.Tensor, targets as tf.Tensor),
  } satisfies ModelHarnessCase<Segmenter>;
}

const CASES: [string, Omit<SegmenterOptions, 'inputShape'>][] = [
  ['unet-tiny (transpose, batch norm)', { preset: 'unet-tiny', numClasses: 4, seed: 1 }],
  ['unet-small (resize bilinear, dropout)', { preset: 'unet-small', numClasses: 3, seed: 2 }],
  [
    'depth 2 resize nearest, no batch norm, binary',
    { depth: 2, baseFilters: 4, upsampling: 'resize', interpolation: 'nearest', batchNorm: false, numClasses: 1 },
  ],
];

describeModelHarness(
  ['wasm', 'cpu'].flatMap((backend) => CASES.map(([label, options]) => segmenterCase(label, options, backend))),
  { batchSize: 2, setBackend: useBackend },
);

describe('Segmenter config', () => {
  beforeAll(() => tf.setBackend('cpu'));

  it('fills the architecture from the preset and lets explicit fields override it', () => {
    const tiny = new Segmenter({ preset: 'unet-tiny', inputShape: [32, 48, 1], numClasses: 2 });
    expect(tiny.toConfig()).toMatchObject({ depth: 3, baseFilters: 8, upsampling: 'transpose', batchNorm: true });
    const custom = new Segmenter({
      preset: 'unet-tiny',
      depth: 2,
      upsampling: 'resize',
      inputShape: [32, 48, 1],
      numClasses: 2,
    });
    expect(custom.toConfig()).toMatchObject({ depth: 2, baseFilters: 8, upsampling: 'resize' });
    // Skips are concatenated: the decoder's first conv sees the upsampled map plus the skip's channels.
    const concat = custom.model.getLayer('dec0_concat');
    expect(concat.outputShape).toEqual([null, 32, 48, 16]);
    expect(SegmenterSchema.parse(tiny.toConfig())).toEqual(tiny.toConfig());
    expect(SEGMENTER_PRESET_NAMES).toEqual(['unet-tiny', 'unet-small']);
    tiny.dispose();
    custom.dispose();
  });

  it('refuses an input not divisible by 2^depth with a coded error naming the path and a size that works', () => {
    try {
      new Segmenter({ preset: 'unet-small', inputShape: [30, 48, 3], numClasses: 2 }, { path: 'model' });
      expect.unreachable();
    } catch (error) {
      expect(isOptikError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('not divisible by 2^depth = 16');
      expect((error as { details: { path: string; hint: string } }).details.path).toBe('model.inputShape');
      expect((error as { details: { hint: string } }).details.hint).toContain('32×48');
    }
  });

  it('refuses unknown keys and bad values through the schema', () => {
    const bad: unknown[] = [
      { preset: 'unet-huge', inputShape: [16, 16, 1], numClasses: 2 },
      { depth: 0, inputShape: [16, 16, 1], numClasses: 2 },
      { upsampling: 'pixelShuffle', inputShape: [16, 16, 1], numClasses: 2 },
      { inputShape: [16, 16, 1], numClasses: 0 },
    ];
    for (const options of bad) {
      expect(() => new Segmenter(options as SegmenterOptions), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
    expect(() => new Segmenter({ inputShape: [16, 16, 1], numClasses: 2, filters: 8 } as SegmenterOptions)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UNKNOWN_KEY' }),
    );
  });
});

// Gradients of each op the U-Net uses, wasm (Optik's training kernels) vs cpu (tfjs's reference kernels), at batch
// 2 on a 32×48 map: d(loss)/d(input) and d(loss)/d(every weight) of a one-layer model, with the same weights.

interface HostValue {
  readonly shape: number[];
  readonly values: Float32Array;
}

type Block = (input: tf.SymbolicTensor, second: tf.SymbolicTensor) => tf.SymbolicTensor;

const he = (seed: number) => tf.initializers.heNormal({ seed });
const OPS: [string, Block][] = [
  [
    'conv2d 3×3 same + relu',
    (x) =>
      tf.layers
        .conv2d({
          filters: 5,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: he(1),
          biasInitializer: 'ones',
        })
        .apply(x) as tf.SymbolicTensor,
  ],
  [
    'conv2d 1×1 (logits)',
    (x) => tf.layers.conv2d({ filters: 3, kernelSize: 1, kernelInitializer: he(2) }).apply(x) as tf.SymbolicTensor,
  ],
  [
    'batch norm (training) + relu',
    (x) => {
      const y = tf.layers.batchNormalization({ gammaInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
      return tf.layers.activation({ activation: 'relu' }).apply(y) as tf.SymbolicTensor;
    },
  ],
  ['max pool 2×2', (x) => tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor],
  [
    'conv2dTranspose 2×2 stride 2',
    (x) =>
      tf.layers
        .conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: he(3) })
        .apply(x) as tf.SymbolicTensor,
  ],
  [
    'upSampling2d nearest',
    (x) => tf.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest' }).apply(x) as tf.SymbolicTensor,
  ],
  [
    'upSampling2d bilinear',
    (x) => tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(x) as tf.SymbolicTensor,
  ],
  ['concatenate (skip)', (x, skip) => tf.layers.concatenate({ axis: -1 }).apply([x, skip]) as tf.SymbolicTensor],
];

function hostRandom(shape: number[], seed: number): HostValue {
  return tf.tidy(() => ({ shape, values: tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array }));
}

/** Builds the one-layer model on the current backend and returns the gradients of Σ out·r on the host. */
function gradientsOf(block: Block, x: HostValue, skip: HostValue, weights?: HostValue[]) {
  const a = tf.input({ shape: x.shape.slice(1) });
  const b = tf.input({ shape: skip.shape.slice(1) });
  const model = tf.model({ inputs: [a, b], outputs: block(a, b) });
  if (weights !== undefined) {
    const values = weights.map((w) => tf.tensor(w.values, w.shape));
    model.setWeights(values);
    tf.dispose(values);
  }
  const initial = model.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync() as Float32Array }));
  const xs = tf.tidy(() => tf.variable(tf.tensor(x.values, x.shape)));
  const skips = tf.tidy(() => tf.variable(tf.tensor(skip.values, skip.shape)));
  const outShape = (model.outputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  const r = tf.randomNormal([x.shape[0] as number, ...outShape], 0, 1, 'float32', 7);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply([xs, skips], { training: true }) as tf.Tensor;
    return tf.sum(tf.mul(out, r)) as tf.Scalar;
  }, [xs, skips, ...trainable]);
  const host = (t: tf.Tensor | undefined) => (t === undefined ? [] : Array.from(t.dataSync()));
  const result = {
    initial,
    loss: value.dataSync()[0] as number,
    grads: [xs, skips, ...trainable].map((v) => host(grads[v.name])),
  };
  tf.dispose([value, ...Object.values(grads), xs, skips, r]);
  model.dispose();
  return result;
}

function relativeError(actual: number[], expected: number[]): number {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return diff / scale;
}

describe('segmenter ops: gradients on wasm match cpu (batch 2, 32×48)', () => {
  it.each(OPS)('%s', async (_name, block) => {
    await tf.setBackend('cpu');
    const x = hostRandom([2, 32, 48, 3], 11);
    const skip = hostRandom([2, 32, 48, 2], 12);
    const before = tf.memory().numTensors;
    const reference = gradientsOf(block, x, skip);
    expect(tf.memory().numTensors).toBe(before);
    await useBackend('wasm');
    const wasmBefore = tf.memory().numTensors;
    const actual = gradientsOf(block, x, skip, reference.initial);
    expect(tf.memory().numTensors).toBe(wasmBefore);
    expect(Math.abs(actual.loss - reference.loss)).toBeLessThan(1e-3 * Math.max(1, Math.abs(reference.loss)));
    expect(actual.grads.map((g) => g.length)).toEqual(reference.grads.map((g) => g.length));
    // The input always gets a gradient; every weight too.
    expect(reference.grads[0]?.length).toBe(2 * 32 * 48 * 3);
    reference.grads.forEach((expected, i) => {
      if (expected.length === 0) return;
      expect(relativeError(actual.grads[i] as number[], expected), `gradient ${i}`).toBeLessThan(1e-4);
      expect(
        expected.some((v) => v !== 0),
        `gradient ${i} is not all zero`,
      ).toBe(true);
    });
  });

  it('the whole U-Net (resize bilinear, batch norm) gives the same gradients on wasm and cpu', async () => {
    const options: SegmenterOptions = {
      preset: 'unet-small',
      depth: 2,
      baseFilters: 4,
      dropout: 0,
      inputShape: [32, 48, 3],
      numClasses: 3,
      seed: 5,
    };
    const run = async (backend: string) => {
      await useBackend(backend);
      const segmenter = new Segmenter(options);
      const x = hostRandom([2, 32, 48, 3], 21);
      const target = hostRandom([2, 32, 48, 3], 22);
      const variables = segmenter.model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const logits = segmenter.model.apply(tf.tensor(x.values, x.shape), { training: true }) as tf.Tensor;
        return pixelLoss(logits, tf.abs(tf.tensor(target.values, target.shape)));
      }, variables);
      const out = {
        loss: value.dataSync()[0] as number,
        grads: variables.map((v) => Array.from(grads[v.name]?.dataSync() ?? [])),
      };
      tf.dispose([value, ...Object.values(grads)]);
      segmenter.dispose();
      return out;
    };
    const reference = await run('cpu');
    const actual = await run('wasm');
    expect(Math.abs(actual.loss - reference.loss)).toBeLessThan(1e-4);
    reference.grads.forEach((expected, i) => {
      expect(expected.length).toBeGreaterThan(0);
      expect(relativeError(actual.grads[i] as number[], expected), `weight ${i}`).toBeLessThan(1e-3);
    });
  });
});
