import type { Rng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';
import {
  adjointOf,
  gridPoint,
  gridSize,
  type HostTensor,
  type KernelProperty,
  type KernelTrial,
  randomTensor,
  runKernelOn,
  tidyHost,
} from './harness.js';

/**
 * One property per kernel Optik registers (its own and the wasm training kernels): randomized shapes, batch
 * sizes and channels, swept over strides 1–2, same/valid padding and dilations where the kernel takes them.
 * `kernels.test.ts` fails when a registered kernel has no entry here.
 */

type Pad = 'same' | 'valid';
type Pair = [number, number];

interface ConvDraw {
  readonly batch: number;
  readonly inShape: [number, number, number, number];
  readonly filterShape: [number, number, number, number];
  readonly outShape: [number, number, number, number];
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly pad: Pad;
  readonly label: string;
}

/** A random NHWC convolution geometry that is valid for the given strides, padding and dilation. */
function drawConv(
  rng: Rng,
  options: {
    stride: number;
    pad: Pad;
    dilation: number;
    depthwise: boolean;
    maxChannels?: number;
    minChannels?: number;
    outChannels?: number;
  },
): ConvDraw {
  const batch = rng.int(1, 3);
  const inChannels = rng.int(options.minChannels ?? 1, options.maxChannels ?? 4);
  // The channel multiplier when depthwise.
  const outChannels = options.outChannels ?? (options.depthwise ? rng.int(1, 2) : rng.int(1, 4));
  const filterHeight = rng.int(1, 3);
  const filterWidth = rng.int(1, 3);
  const minHeight = options.pad === 'valid' ? (filterHeight - 1) * options.dilation + 1 : 1;
  const minWidth = options.pad === 'valid' ? (filterWidth - 1) * options.dilation + 1 : 1;
  const inShape: [number, number, number, number] = [
    batch,
    rng.int(minHeight, Math.max(minHeight, 9)),
    rng.int(minWidth, Math.max(minWidth, 9)),
    inChannels,
  ];
  const filterShape: [number, number, number, number] = [filterHeight, filterWidth, inChannels, outChannels];
  const strides: Pair = [options.stride, options.stride];
  const dilations: Pair = [options.dilation, options.dilation];
  const info = backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    strides,
    dilations,
    options.pad,
    undefined,
    options.depthwise,
  );
  const outShape = info.outShape as [number, number, number, number];
  const label = `x[${inShape}] filter[${filterShape}] stride ${options.stride} dilation ${options.dilation} ${options.pad}`;
  return { batch, inShape, filterShape, outShape, strides, dilations, pad: options.pad, label };
}

const convGrid = { stride: [1, 2], pad: ['same', 'valid'], dilation: [1, 2] } as const;
/** tfjs gradients (and the cpu backprop kernels) support dilation > 1 only with stride 1. */
function convPoint(index: number): { stride: number; pad: Pad; dilation: number } {
  const point = gridPoint(index, convGrid);
  return { ...point, stride: point.dilation > 1 ? 1 : point.stride };
}

const poolGrid = { stride: [1, 2], pad: ['same', 'valid'], filter: [1, 2, 3] } as const;

function drawPool(rng: Rng, index: number): { x: HostTensor; attrs: Record<string, unknown>; label: string } {
  const { stride, pad, filter } = gridPoint(index, poolGrid);
  const min = pad === 'valid' ? filter : 1;
  const shape = [rng.int(1, 3), rng.int(min, 9), rng.int(min, 9), rng.int(1, 5)];
  const attrs = { filterSize: [filter, filter], strides: [stride, stride], pad, dimRoundingMode: undefined };
  return { x: randomTensor(rng, shape), attrs, label: `x[${shape}] filter ${filter} stride ${stride} ${pad}` };
}

function drawTiledPool(rng: Rng): { x: HostTensor; attrs: Record<string, unknown>; label: string } {
  const filter = rng.int(2, 3);
  const shape = [rng.int(1, 3), filter * rng.int(1, 4), filter * rng.int(1, 4), 4 * rng.int(1, 3)];
  const attrs = { filterSize: [filter, filter], strides: [filter, filter], pad: 'valid', dimRoundingMode: undefined };
  return { x: randomTensor(rng, shape), attrs, label: `x[${shape}] filter ${filter} stride ${filter} valid (tiled)` };
}

function poolOutShape(x: HostTensor, attrs: Record<string, unknown>): number[] {
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as Pair,
    attrs.strides as Pair,
    1,
    attrs.pad as Pad,
  );
  return info.outShape;
}

const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const;

function host(values: Float32Array, shape: number[]): HostTensor {
  return { shape, dtype: 'float32', values };
}

function flat(tensor: tf.Tensor): Float32Array {
  return Float32Array.from(tensor.dataSync());
}

/** Runs `fn` on the stock `cpu` backend (whose forward kernels Optik does not replace) and restores the backend. */
async function onCpu<T>(fn: () => T): Promise<T> {
  const previous = tf.getBackend();
  if (previous !== 'cpu') await tf.setBackend('cpu');
  try {
    return fn();
  } finally {
    if (previous !== 'cpu') await tf.setBackend(previous);
  }
}

/** A batch of `count` one-hot tensors of `shape`, hot at `start`, `start + 1`, … (flattened index). */
function basisBatch(shape: number[], start: number, count: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count * size);
  for (let k = 0; k < count; k++) values[k * size + start + k] = 1;
  return tf.tensor(values, [count * (shape[0] ?? 1), ...shape.slice(1)]);
}

/**
 * Oracle for the depthwise backprop kernels: the exact adjoint of the stock cpu forward DepthwiseConv2dNative,
 * used where the stock cpu backprop kernels are wrong (they ignore dilations).
 */
function depthwiseOracle(wrt: 'input' | 'filter') {
  return async (trial: KernelTrial): Promise<HostTensor | undefined> => {
    const { strides, dilations, pad } = trial.attrs as { strides: Pair; dilations: Pair; pad: Pad };
    if (dilations[0] === 1 && dilations[1] === 1) return undefined; // stock cpu is right here
    const dy = trial.inputs.dy as HostTensor;
    const conv = (x: tf.Tensor, filter: tf.Tensor): tf.Tensor =>
      tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, strides, pad, 'NHWC', dilations);
    return onCpu(() => {
      if (wrt === 'input') {
        const inputShape = trial.attrs.inputShape as number[];
        const filter = trial.inputs.filter as HostTensor;
        const size = inputShape.reduce((a, b) => a * b, 1);
        const values = adjointOf(
          size,
          (start, count) =>
            tf.tidy(() => flat(conv(basisBatch(inputShape, start, count), tf.tensor(filter.values, filter.shape)))),
          dy.values as Float32Array,
        );
        return host(values, inputShape);
      }
      const filterShape = trial.attrs.filterShape as number[];
      const x = trial.inputs.x as HostTensor;
      const size = filterShape.reduce((a, b) => a * b, 1);
      const values = adjointOf(
        size,
        (start, count) =>
          tf.tidy(() => {
            const images: Float32Array[] = [];
            for (let k = 0; k < count; k++) {
              images.push(flat(conv(tf.tensor(x.values, x.shape), basisBatch(filterShape, start + k, 1))));
            }
            const joined = new Float32Array(images.reduce((n, a) => n + a.length, 0));
            let offset = 0;
            for (const image of images) {
              joined.set(image, offset);
              offset += image.length;
            }
            return joined;
          }),
        dy.values as Float32Array,
      );
      return host(values, filterShape);
    });
  };
}

/**
 * Oracle for the resize gradients: the exact adjoint of the same backend's forward resize kernel (which Optik
 * does not replace), so `cpu`'s fixed kernels and `wasm`'s are each checked against their own forward op.
 */
function resizeOracle(mode: 'bilinear' | 'nearest') {
  return async (trial: KernelTrial, backendName: string): Promise<HostTensor> => {
    const images = trial.inputs.images as HostTensor;
    const dy = trial.inputs.dy as HostTensor;
    const { alignCorners, halfPixelCenters } = trial.attrs as { alignCorners: boolean; halfPixelCenters: boolean };
    const size: Pair = [dy.shape[1] ?? 1, dy.shape[2] ?? 1];
    if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
    const total = images.values.length;
    const values = adjointOf(
      total,
      (start, count) =>
        tf.tidy(() => {
          const basis = basisBatch(images.shape, start, count) as tf.Tensor4D;
          const out =
            mode === 'bilinear'
              ? tf.image.resizeBilinear(basis, size, alignCorners, halfPixelCenters)
              : tf.image.resizeNearestNeighbor(basis, size, alignCorners, halfPixelCenters);
          return flat(out);
        }),
      dy.values as Float32Array,
    );
    return host(values, images.shape);
  };
}

/**
 * Oracle for AvgPoolGrad: the exact adjoint of the same backend's forward AvgPool, which averages over the
 * pixels inside the image only (upstream's cpu and wasm AvgPoolGrad divide by the full window instead).
 */
async function avgPoolOracle(trial: KernelTrial, backendName: string): Promise<HostTensor> {
  const input = trial.inputs.input as HostTensor;
  const dy = trial.inputs.dy as HostTensor;
  const { filterSize, strides, pad } = trial.attrs as { filterSize: Pair; strides: Pair; pad: Pad };
  if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
  const values = adjointOf(
    input.values.length,
    (start, count) =>
      tf.tidy(() => flat(tf.avgPool(basisBatch(input.shape, start, count) as tf.Tensor4D, filterSize, strides, pad))),
    dy.values as Float32Array,
  );
  return host(values, input.shape);
}

const resizeGrid = { flags: ['none', 'alignCorners', 'halfPixelCenters'], scale: ['up', 'down', 'mixed'] } as const;

function drawResize(rng: Rng, index: number): KernelTrial {
  const { flags, scale } = gridPoint(index, resizeGrid);
  const side = (): [number, number] => {
    const a = rng.int(1, 6);
    if (scale === 'up') return [a, rng.int(a, 11)];
    if (scale === 'down') return [rng.int(a, 11), a];
    return rng.bool() ? [a, rng.int(a, 11)] : [rng.int(a, 11), a];
  };
  const [inHeight, outHeight] = side();
  const [inWidth, outWidth] = side();
  const batch = rng.int(1, 3);
  const depth = rng.int(1, 3);
  const alignCorners = flags === 'alignCorners';
  const halfPixelCenters = flags === 'halfPixelCenters';
  return {
    label: `images[${batch},${inHeight},${inWidth},${depth}] -> ${outHeight}x${outWidth} ${flags}`,
    inputs: {
      images: randomTensor(rng, [batch, inHeight, inWidth, depth]),
      dy: randomTensor(rng, [batch, outHeight, outWidth, depth]),
    },
    attrs: { alignCorners, halfPixelCenters, size: [outHeight, outWidth] },
  };
}

function convTrials(grid: number): number {
  return Math.max(grid, 10);
}

/** A random NHWC-like shape (rank 2–4) whose last axis is the channel axis. */
function drawChannelShape(rng: Rng, index: number): number[] {
  const rank = 2 + (index % 3);
  const shape = Array.from({ length: rank - 1 }, () => rng.int(1, 6));
  // Channels around the SIMD width: multiples of 4 (vector path) and not (scalar tail).
  return [...shape, index % 2 === 0 ? 4 * rng.int(1, 4) : rng.int(1, 11)];
}

function absShifted(t: HostTensor, shift: number): HostTensor {
  return { ...t, values: Float32Array.from(t.values, (v) => Math.abs(v) + shift) };
}

/** A per-channel binary op: `[…, c] ∘ [c]` both ways round (the fast path), and shapes upstream keeps. */
function binaryProperty(kernelName: string): KernelProperty {
  return {
    kernelName,
    trials: 24,
    draw: (rng, index) => {
      const full = drawChannelShape(rng, index);
      const depth = full[full.length - 1] as number;
      const kind = index % 6;
      // Fast paths: 0, 1: a row [c] or [1, …, 1, c]; 3: a scalar [] or [1]; 5: a column […, 1], each on either side.
      // Upstream's: 2: same shapes; 4: a broadcast over the batch axis only.
      const rows: number[][] = [
        [depth],
        [...full.slice(0, -1).map(() => 1), depth],
        full,
        index % 2 === 0 ? [] : [1],
        [full[0] as number, ...full.slice(1, -1).map(() => 1), depth],
        [...full.slice(0, -1), 1],
      ];
      const row = rows[kind] as number[];
      const rowFirst = index % 12 >= 6;
      const big = randomTensor(rng, full);
      const small = kernelName === 'RealDiv' ? absShifted(randomTensor(rng, row), 0.5) : randomTensor(rng, row);
      const [a, b] = rowFirst ? [small, big] : [big, small];
      const bSafe = kernelName === 'RealDiv' ? absShifted(b, 0.5) : b;
      return { label: `a[${a.shape}] b[${bSafe.shape}]`, inputs: { a, b: bSafe }, attrs: {} };
    },
  };
}

/** Oracle for OptikAdam: tfjs's Adam update as tensor ops on cpu (the new variable value, its first output). */
async function adamOracle(trial: KernelTrial): Promise<HostTensor> {
  const { x, gradient, m, v } = trial.inputs as Record<string, HostTensor>;
  const a = trial.attrs as Record<string, number>;
  return onCpu(() =>
    tidyHost(() => {
      const t = (h: HostTensor | undefined) => tf.tensor((h as HostTensor).values, (h as HostTensor).shape);
      const beta1 = a.beta1 as number;
      const beta2 = a.beta2 as number;
      const m1 = tf.add(tf.mul(t(m), beta1), tf.mul(t(gradient), 1 - beta1));
      const v1 = tf.add(tf.mul(t(v), beta2), tf.mul(tf.square(t(gradient)), 1 - beta2));
      const mHat = tf.div(m1, a.oneMinusAccBeta1 as number);
      const vHat = tf.div(v1, a.oneMinusAccBeta2 as number);
      const step = tf.div(mHat, tf.add(tf.sqrt(vHat), a.epsilon as number));
      return host(flat(tf.add(tf.mul(step, -(a.learningRate as number)), t(x))), (x as HostTensor).shape);
    }),
  );
}

/** Every kernel property, by kernel name. */
export const kernelProperties: Record<string, KernelProperty> = {
  DepthwiseConv2dNativeBackpropInput: {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    trials: convTrials(gridSize(convGrid)),
    draw: (rng, index) => {
      const c = drawConv(rng, { ...convPoint(index), depthwise: true });
      return {
        label: c.label,
        inputs: { dy: randomTensor(rng, c.outShape), filter: randomTensor(rng, c.filterShape) },
        attrs: { strides: c.strides, dilations: c.dilations, pad: c.pad, inputShape: c.inShape },
      };
    },
    oracle: depthwiseOracle('input'),
  },
  DepthwiseConv2dNativeBackpropFilter: {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    trials: convTrials(gridSize(convGrid)),
    draw: (rng, index) => {
      const c = drawConv(rng, { ...convPoint(index), depthwise: true });
      return {
        label: c.label,
        inputs: { x: randomTensor(rng, c.inShape), dy: randomTensor(rng, c.outShape) },
        attrs: { strides: c.strides, dilations: c.dilations, pad: c.pad, filterShape: c.filterShape },
      };
    },
    oracle: depthwiseOracle('filter'),
  },
  DepthwiseConv2dNative: {
    kernelName: 'DepthwiseConv2dNative',
    trials: convTrials(gridSize(convGrid)),
    draw: (rng, index) => {
      const c = drawConv(rng, { ...convPoint(index), depthwise: true });
      return {
        label: c.label,
        inputs: { x: randomTensor(rng, c.inShape), filter: randomTensor(rng, c.filterShape) },
        attrs: { strides: c.strides, dilations: c.dilations, pad: c.pad, dataFormat: 'NHWC' },
      };
    },
  },
  Conv2D: {
    kernelName: 'Conv2D',
    trials: convTrials(gridSize(convGrid)),
    draw: (rng, index) => {
      const c = drawConv(rng, { ...convPoint(index), depthwise: false });
      return {
        label: c.label,
        inputs: { x: randomTensor(rng, c.inShape), filter: randomTensor(rng, c.filterShape) },
        attrs: { strides: c.strides, dilations: c.dilations, pad: c.pad, dataFormat: 'NHWC' },
      };
    },
  },
  FusedConv2D: {
    kernelName: 'FusedConv2D',
    trials: 12,
    draw: (rng, index) => {
      const c = drawConv(rng, { ...convPoint(index), depthwise: false });
      const activation = activations[index % activations.length] ?? 'linear';
      const bias = index % 2 === 0;
      return {
        label: `${c.label} ${activation}${bias ? ' +bias' : ''}`,
        inputs: {
          x: randomTensor(rng, c.inShape),
          filter: randomTensor(rng, c.filterShape),
          ...(bias ? { bias: randomTensor(rng, [c.filterShape[3]]) } : {}),
        },
        attrs: {
          strides: c.strides,
          dilations: c.dilations,
          pad: c.pad,
          dataFormat: 'NHWC',
          activation,
          leakyreluAlpha: 0.2,
        },
      };
    },
  },
  Conv2DBackpropInput: {
    kernelName: 'Conv2DBackpropInput',
    // Stride 1 runs a flipped convolution padded by filterSize − 1 − pad, other strides col2im: many trials, so that
    // even filter sizes (asymmetric 'same' padding) come up at stride 1.
    trials: convTrials(4) * 3,
    draw: (rng, index) => {
      const c = drawConv(rng, { ...convPoint(index), dilation: 1, depthwise: false, maxChannels: 5 });
      return {
        label: c.label,
        inputs: { dy: randomTensor(rng, c.outShape), filter: randomTensor(rng, c.filterShape) },
        attrs: { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.inShape },
      };
    },
  },
  Conv2DBackpropFilter: {
    kernelName: 'Conv2DBackpropFilter',
    // The wasm kernel switches from its few-taps route to the convolution trick above 64 filter taps, and to
    // register-blocked tiles (4 input × 8 or 4 output channels) when the output channels are a multiple of 4: the
    // last 12 trials draw 8–13 input channels (remainders of 0–3 rows) and 4–16 output channels over the grid.
    // Two more are large enough (≥ 0.5 M multiply-adds) for the tiles to be split over the kernel threads.
    trials: convTrials(4) + 6 + 12 + 2,
    draw: (rng, index) => {
      if (index >= convTrials(4) + 18) {
        const stride = index % 2 === 0 ? 1 : 2;
        const inShape: [number, number, number, number] = [2, 17, 15, 23];
        const filterShape: [number, number, number, number] = [3, 3, 23, 20];
        const info = backend_util.computeConv2DInfo(inShape, filterShape, [stride, stride], 1, 'same');
        return {
          label: `threads: x[${inShape}] filter[${filterShape}] stride ${stride} same`,
          inputs: { x: randomTensor(rng, inShape), dy: randomTensor(rng, info.outShape) },
          attrs: { strides: [stride, stride], pad: 'same', dataFormat: 'NHWC', filterShape },
        };
      }
      const many = index >= convTrials(4);
      const tiled = index >= convTrials(4) + 6;
      const c = drawConv(rng, {
        ...convPoint(index),
        dilation: 1,
        depthwise: false,
        maxChannels: tiled ? 13 : many ? 12 : 5,
        ...(tiled ? { minChannels: 8, outChannels: 4 * rng.int(1, 4) } : {}),
      });
      return {
        label: c.label,
        inputs: { x: randomTensor(rng, c.inShape), dy: randomTensor(rng, c.outShape) },
        attrs: { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape },
      };
    },
  },
  MaxPool: {
    kernelName: 'MaxPool',
    trials: gridSize(poolGrid),
    draw: (rng, index) => {
      const { x, attrs, label } = drawPool(rng, index);
      return { label, inputs: { x }, attrs };
    },
  },
  AvgPool: {
    kernelName: 'AvgPool',
    trials: gridSize(poolGrid),
    draw: (rng, index) => {
      const { x, attrs, label } = drawPool(rng, index);
      return { label, inputs: { x }, attrs };
    },
  },
  MaxPoolGrad: {
    kernelName: 'MaxPoolGrad',
    // The last 4 trials tile the input exactly (pool = stride, valid, channels a multiple of 4), as in the
    // reference CNN: the wasm kernel's single-write path.
    trials: gridSize(poolGrid) + 4,
    draw: async (rng, index) => {
      const tiled = index >= gridSize(poolGrid);
      const { x, attrs, label } = tiled ? drawTiledPool(rng) : drawPool(rng, index);
      const output = await runKernelOn('cpu', 'MaxPool', { x }, attrs);
      return { label, inputs: { dy: randomTensor(rng, output.shape), input: x, output }, attrs };
    },
  },
  AvgPoolGrad: {
    kernelName: 'AvgPoolGrad',
    trials: gridSize(poolGrid),
    draw: (rng, index) => {
      const { x, attrs, label } = drawPool(rng, index);
      return { label, inputs: { dy: randomTensor(rng, poolOutShape(x, attrs)), input: x }, attrs };
    },
    oracle: avgPoolOracle,
  },
  BatchMatMul: {
    kernelName: 'BatchMatMul',
    // The last 4 trials are unbatched products with a wide B (as a dense layer's backward pass), which the wasm
    // kernel computes as (Bᵀ·Aᵀ)ᵀ.
    trials: 16,
    draw: (rng, index) => {
      const { transposeA, transposeB, broadcast } = gridPoint(index, {
        transposeA: [false, true],
        transposeB: [false, true],
        broadcast: [false, true, false],
      });
      const wide = index >= 12;
      const batch = wide ? 1 : rng.int(1, 3);
      const [m, k, n] = wide
        ? [rng.int(1, 8), rng.int(40, 64), rng.int(900, 1100)]
        : [rng.int(1, 17), rng.int(1, 40), rng.int(1, 17)];
      const a = [batch, ...(transposeA ? [k, m] : [m, k])];
      const b = [broadcast ? 1 : batch, ...(transposeB ? [n, k] : [k, n])];
      return {
        label: `a[${a}] b[${b}] transposeA ${transposeA} transposeB ${transposeB}`,
        inputs: { a: randomTensor(rng, a), b: randomTensor(rng, b) },
        attrs: { transposeA, transposeB },
      };
    },
  },
  _FusedMatMul: {
    kernelName: '_FusedMatMul',
    trials: 12,
    draw: (rng, index) => {
      const { transposeA, transposeB } = gridPoint(index, { transposeA: [false, true], transposeB: [false, true] });
      const activation = activations[index % activations.length] ?? 'linear';
      const [m, k, n] = [rng.int(1, 17), rng.int(1, 40), rng.int(1, 17)];
      const a = [1, ...(transposeA ? [k, m] : [m, k])];
      const b = [1, ...(transposeB ? [n, k] : [k, n])];
      return {
        label: `a[${a}] b[${b}] transposeA ${transposeA} transposeB ${transposeB} ${activation} +bias`,
        inputs: { a: randomTensor(rng, a), b: randomTensor(rng, b), bias: randomTensor(rng, [n]) },
        attrs: { transposeA, transposeB, activation, leakyreluAlpha: 0.2 },
      };
    },
  },
  ResizeBilinearGrad: {
    kernelName: 'ResizeBilinearGrad',
    trials: gridSize(resizeGrid) + 3,
    draw: drawResize,
    oracle: resizeOracle('bilinear'),
  },
  ResizeNearestNeighborGrad: {
    kernelName: 'ResizeNearestNeighborGrad',
    trials: gridSize(resizeGrid) + 3,
    draw: drawResize,
    oracle: resizeOracle('nearest'),
  },
  Identity: {
    kernelName: 'Identity',
    trials: 4,
    draw: (rng, index) => {
      const shape = Array.from({ length: 1 + (index % 4) }, () => rng.int(1, 5));
      const x = randomTensor(rng, shape);
      const input: HostTensor =
        index % 2 === 0 ? x : { shape, dtype: 'int32', values: Int32Array.from(x.values, (v) => Math.round(v * 10)) };
      return { label: `x[${shape}] ${input.dtype}`, inputs: { x: input }, attrs: {} };
    },
  },
  Cast: {
    kernelName: 'Cast',
    trials: 8,
    draw: (rng, index) => {
      const shape = Array.from({ length: 1 + (index % 3) }, () => rng.int(1, 6));
      const x = randomTensor(rng, shape);
      const fromInt = index % 2 === 1;
      const input: HostTensor = fromInt
        ? { shape, dtype: 'int32', values: Int32Array.from(x.values, (v) => Math.round(v * 10)) }
        : x;
      const dtype = index % 4 < 2 ? input.dtype : fromInt ? 'float32' : 'int32';
      return { label: `x[${shape}] ${input.dtype} → ${dtype}`, inputs: { x: input }, attrs: { dtype } };
    },
  },
  Sum: {
    kernelName: 'Sum',
    trials: 10,
    draw: (rng, index) => {
      const rank = 2 + (index % 3);
      const shape = Array.from({ length: rank }, () => rng.int(1, 6));
      // Even trials reduce every axis but the last (the bias-gradient fast path); odd ones take other axes.
      const axis = index % 2 === 0 ? shape.slice(0, -1).map((_, i) => i) : [rng.int(0, rank - 1)];
      const keepDims = index % 4 < 2;
      return {
        label: `x[${shape}] axis [${axis}] keepDims ${keepDims}`,
        inputs: { x: randomTensor(rng, shape) },
        attrs: { axis, keepDims },
      };
    },
  },
  UnsortedSegmentSum: {
    kernelName: 'UnsortedSegmentSum',
    trials: 8,
    draw: (rng) => {
      const rows = rng.int(1, 12);
      const numSegments = rng.int(1, 6);
      const slice = Array.from({ length: rng.int(0, 2) }, () => rng.int(1, 4));
      const ids = Int32Array.from({ length: rows }, () => rng.int(0, numSegments - 1));
      return {
        label: `x[${rows},${slice}] into ${numSegments} segments`,
        inputs: {
          x: randomTensor(rng, [rows, ...slice]),
          segmentIds: { shape: [rows], dtype: 'int32', values: ids },
        },
        attrs: { numSegments },
      };
    },
  },
  Mean: {
    kernelName: 'Mean',
    trials: 10,
    draw: (rng, index) => {
      const shape = drawChannelShape(rng, index);
      const rank = shape.length;
      // Even trials reduce every axis but the last (batch norm's moments, the fast path); odd ones other axes.
      const axis = index % 2 === 0 ? shape.slice(0, -1).map((_, i) => i) : [rng.int(0, rank - 1)];
      const keepDims = index % 4 < 2;
      return {
        label: `x[${shape}] axis [${axis}] keepDims ${keepDims}`,
        inputs: { x: randomTensor(rng, shape) },
        attrs: { axis, keepDims },
      };
    },
  },
  Tile: {
    kernelName: 'Tile',
    trials: 12,
    draw: (rng, index) => {
      const rank = 1 + (index % 4);
      // Half the trials tile a per-channel row [1, …, 1, c] over the batch (batch norm's gradient, the fast path).
      const perChannel = index % 2 === 0;
      const shape = Array.from({ length: rank }, (_, i) => (perChannel && i < rank - 1 ? 1 : rng.int(1, 5)));
      if (perChannel) shape[rank - 1] = 4 * rng.int(1, 4);
      const reps = shape.map((_, i) => (perChannel && i === rank - 1 ? 1 : rng.int(1, 4)));
      const x = randomTensor(rng, shape);
      const input: HostTensor =
        index % 3 === 2 ? { shape, dtype: 'int32', values: Int32Array.from(x.values, (v) => Math.round(v * 10)) } : x;
      return { label: `x[${shape}] ${input.dtype} reps [${reps}]`, inputs: { x: input }, attrs: { reps } };
    },
  },
  Concat: {
    kernelName: 'Concat',
    trials: 16,
    draw: (rng, index) => {
      const rank = 1 + (index % 4);
      const axis = rng.int(0, rank - 1);
      const base = Array.from({ length: rank }, () => rng.int(1, 5));
      const count = 1 + (index % 3);
      // int32 every fourth trial (same bits copied), an empty input now and then (axis length 0).
      const inputs: Record<string, HostTensor> = {};
      for (let k = 0; k < count; k++) {
        const shape = base.map((d, i) => (i === axis ? (index % 5 === 4 && k === 1 ? 0 : rng.int(1, 6)) : d));
        const x = randomTensor(rng, shape);
        inputs[String(k)] =
          index % 4 === 3 ? { shape, dtype: 'int32', values: Int32Array.from(x.values, (v) => Math.round(v * 10)) } : x;
      }
      const negative = index % 2 === 1;
      return {
        label: `${Object.values(inputs)
          .map((t) => `[${t.shape}]`)
          .join(' ')} axis ${negative ? axis - rank : axis}`,
        inputs,
        attrs: { axis: negative ? axis - rank : axis },
      };
    },
  },
  SplitV: {
    kernelName: 'SplitV',
    trials: 16,
    allOutputs: true,
    draw: (rng, index) => {
      const rank = 1 + (index % 4);
      const axis = rng.int(0, rank - 1);
      const shape = Array.from({ length: rank }, (_, i) => (i === axis ? rng.int(2, 9) : rng.int(1, 5)));
      const length = shape[axis] as number;
      // An even split by count, or sizes with a −1 (the rest).
      const parts = [1, 2].find((p) => length % (p + 1) === 0);
      const first = rng.int(1, length - 1);
      const numOrSizeSplits = index % 2 === 0 && parts !== undefined ? parts + 1 : [first, -1];
      const x = randomTensor(rng, shape);
      const input: HostTensor =
        index % 4 === 3 ? { shape, dtype: 'int32', values: Int32Array.from(x.values, (v) => Math.round(v * 10)) } : x;
      return {
        label: `x[${shape}] ${input.dtype} splits ${JSON.stringify(numOrSizeSplits)} axis ${axis}`,
        inputs: { x: input },
        attrs: { numOrSizeSplits, axis },
      };
    },
  },
  Unpack: {
    kernelName: 'Unpack',
    trials: 12,
    allOutputs: true,
    draw: (rng, index) => {
      const rank = 1 + (index % 4);
      const axis = rng.int(0, rank - 1);
      const shape = Array.from({ length: rank }, () => rng.int(1, 5));
      return {
        label: `value[${shape}] axis ${axis}`,
        inputs: { value: randomTensor(rng, shape) },
        attrs: { axis },
      };
    },
  },
  Pack: {
    kernelName: 'Pack',
    trials: 16,
    draw: (rng, index) => {
      const rank = index % 4;
      // The new axis anywhere from 0 to rank (negative every other trial); 1–4 inputs, int32 every fourth trial.
      const axis = rng.int(0, rank);
      const shape = Array.from({ length: rank }, () => rng.int(1, 5));
      const count = 1 + (index % 4);
      const inputs: Record<string, HostTensor> = {};
      for (let k = 0; k < count; k++) {
        const x = randomTensor(rng, shape);
        inputs[String(k)] =
          index % 4 === 3 ? { shape, dtype: 'int32', values: Int32Array.from(x.values, (v) => Math.round(v * 10)) } : x;
      }
      const negative = index % 2 === 1;
      const attrAxis = negative ? axis - rank - 1 : axis;
      return { label: `${count} × [${shape}] axis ${attrAxis}`, inputs, attrs: { axis: attrAxis } };
    },
  },
  Add: binaryProperty('Add'),
  Sub: binaryProperty('Sub'),
  Multiply: binaryProperty('Multiply'),
  RealDiv: binaryProperty('RealDiv'),
  FusedBatchNorm: {
    kernelName: 'FusedBatchNorm',
    trials: 12,
    draw: (rng, index) => {
      const shape = drawChannelShape(rng, index);
      const depth = shape[shape.length - 1] as number;
      const withOffset = index % 3 !== 1;
      const withScale = index % 3 !== 2;
      return {
        label: `x[${shape}]${withOffset ? ' +offset' : ''}${withScale ? ' +scale' : ''}`,
        inputs: {
          x: randomTensor(rng, shape),
          mean: randomTensor(rng, [depth]),
          variance: absShifted(randomTensor(rng, [depth]), 0.1),
          ...(withOffset ? { offset: randomTensor(rng, [depth]) } : {}),
          ...(withScale ? { scale: randomTensor(rng, [depth]) } : {}),
        },
        attrs: { varianceEpsilon: 1e-3 },
      };
    },
  },
  OptikBatchNormGrad: {
    kernelName: 'OptikBatchNormGrad',
    trials: 10,
    draw: (rng, index) => {
      const shape = drawChannelShape(rng, index);
      const depth = shape[shape.length - 1] as number;
      const withScale = index % 3 !== 2;
      return {
        label: `x[${shape}]${withScale ? ' +scale' : ''}`,
        inputs: {
          dy: randomTensor(rng, shape),
          x: randomTensor(rng, shape),
          mean: randomTensor(rng, [depth]),
          variance: absShifted(randomTensor(rng, [depth]), 0.1),
          ...(withScale ? { scale: randomTensor(rng, [depth]) } : {}),
        },
        attrs: { varianceEpsilon: 1e-3 },
      };
    },
    // Its first output, dx, against the gradient tfjs computes on cpu (where Optik keeps tfjs's gradient). tfjs's
    // gradient cannot run without a scale or an offset (it saves or traces the missing input): zeros and ones there.
    oracle: async (trial) => {
      const { dy, x, mean, variance, scale } = trial.inputs as Record<string, HostTensor>;
      const depth = (mean as HostTensor).shape[0] as number;
      const t = (h: HostTensor | undefined) => tf.tensor((h as HostTensor).values, (h as HostTensor).shape);
      return onCpu(() =>
        tidyHost(() => {
          const gamma = (scale === undefined ? tf.ones([depth]) : t(scale)) as tf.Tensor1D;
          const norm = (input: tf.Tensor) =>
            tf.batchNorm(input, t(mean) as tf.Tensor1D, t(variance) as tf.Tensor1D, tf.zeros([depth]), gamma, 1e-3);
          return host(flat(tf.grad(norm)(t(x), t(dy))), (x as HostTensor).shape);
        }),
      );
    },
  },
  OptikMomentum: {
    kernelName: 'OptikMomentum',
    trials: 8,
    draw: (rng, index) => {
      const shape = Array.from({ length: 1 + (index % 4) }, () => rng.int(1, 7));
      const attrs = {
        momentum: Math.fround(0.5 + 0.49 * rng.next()),
        negLearningRate: Math.fround(-(10 ** -(1 + 3 * rng.next()))),
        nesterov: index % 2 === 1,
      };
      return {
        label: `x[${shape}] momentum ${attrs.momentum.toFixed(3)}${attrs.nesterov ? ' Nesterov' : ''}`,
        inputs: {
          x: randomTensor(rng, shape),
          gradient: randomTensor(rng, shape),
          accumulation: randomTensor(rng, shape),
        },
        attrs,
      };
    },
    // tfjs's MomentumOptimizer update as tensor ops on cpu (the new variable value, the kernel's first output).
    oracle: async (trial) => {
      const { x, gradient, accumulation } = trial.inputs as Record<string, HostTensor>;
      const { momentum, negLearningRate, nesterov } = trial.attrs as {
        momentum: number;
        negLearningRate: number;
        nesterov: boolean;
      };
      const t = (h: HostTensor | undefined) => tf.tensor((h as HostTensor).values, (h as HostTensor).shape);
      return onCpu(() =>
        tidyHost(() => {
          const m = tf.scalar(momentum);
          const c = tf.scalar(negLearningRate);
          const a1 = tf.add(tf.mul(m, t(accumulation)), t(gradient));
          const step = nesterov ? tf.add(t(gradient), tf.mul(a1, m)) : a1;
          return host(flat(tf.add(tf.mul(c, step), t(x))), (x as HostTensor).shape);
        }),
      );
    },
    tolerance: 1e-6,
  },
  OptikAdam: {
    kernelName: 'OptikAdam',
    trials: 8,
    draw: (rng, index) => {
      const shape = Array.from({ length: 1 + (index % 4) }, () => rng.int(1, 7));
      const step = rng.int(1, 50);
      const beta1 = index % 2 === 0 ? 0.9 : 0.5 + 0.49 * rng.next();
      const beta2 = index % 2 === 0 ? 0.999 : 0.9 + 0.0999 * rng.next();
      const attrs = {
        learningRate: 10 ** -(1 + 3 * rng.next()),
        beta1,
        beta2,
        epsilon: 1e-7,
        oneMinusAccBeta1: Math.fround(1 - Math.fround(beta1 ** step)),
        oneMinusAccBeta2: Math.fround(1 - Math.fround(beta2 ** step)),
      };
      return {
        label: `x[${shape}] step ${step} β1 ${beta1.toFixed(3)} β2 ${beta2.toFixed(4)}`,
        inputs: {
          x: randomTensor(rng, shape),
          gradient: randomTensor(rng, shape),
          m: randomTensor(rng, shape),
          v: absShifted(randomTensor(rng, shape), 0),
        },
        attrs,
      };
    },
    oracle: adamOracle,
    tolerance: 1e-6,
  },
};
