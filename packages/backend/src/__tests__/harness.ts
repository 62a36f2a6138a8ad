import type { Rng } from '@optik/core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';

/**
 * The kernel property-test harness: a kernel property draws random inputs and attributes for one tfjs kernel;
 * the harness runs the kernel on the backend under test and compares it with a reference — the stock `cpu`
 * kernel, or an oracle where that kernel is wrong or replaced by Optik.
 */

/** Tensor data held in JS, so the same trial can be replayed on any backend. */
export interface HostTensor {
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
}

/** One randomized call of a kernel. */
export interface KernelTrial {
  /** What was drawn, printed when the trial fails. */
  readonly label: string;
  readonly inputs: Record<string, HostTensor>;
  readonly attrs: Record<string, unknown>;
}

/**
 * Computes the expected output of a trial on the backend under test without the kernel being tested, or returns
 * `undefined` where the stock `cpu` kernel is a valid reference for this trial.
 */
export type Oracle = (trial: KernelTrial, backendName: string) => Promise<HostTensor | undefined>;

/** How to test one kernel. */
export interface KernelProperty {
  readonly kernelName: string;
  /** How many trials to draw; `draw` receives 0…trials-1 so it can sweep a grid of attributes. */
  readonly trials: number;
  draw(rng: Rng, index: number): KernelTrial | Promise<KernelTrial>;
  /**
   * The reference. Without one the stock `cpu` kernel is the reference, which the harness refuses when Optik
   * replaced it (then the comparison would test Optik against itself).
   */
  readonly oracle?: Oracle;
  /** Largest allowed relative error, max|actual − expected| / max|expected|. Default 1e-4. */
  readonly tolerance?: number;
  /** Compare every output (SplitV, Unpack), not only the first. */
  readonly allOutputs?: boolean;
}

/** Random float32 values (standard normal). */
export function randomTensor(rng: Rng, shape: number[]): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return { shape, dtype: 'float32', values };
}

/** Picks the `index`-th point of a grid of options (mixed radix), so that consecutive trials sweep the grid. */
export function gridPoint<T extends Record<string, readonly unknown[]>>(
  index: number,
  grid: T,
): { [K in keyof T]: T[K][number] } {
  const point: Record<string, unknown> = {};
  let rest = index;
  for (const [key, options] of Object.entries(grid)) {
    point[key] = options[rest % options.length];
    rest = Math.floor(rest / options.length);
  }
  return point as { [K in keyof T]: T[K][number] };
}

/** The number of points in a grid. */
export function gridSize(grid: Record<string, readonly unknown[]>): number {
  return Object.values(grid).reduce((n, options) => n * options.length, 1);
}

/** Runs one kernel on one backend with host inputs and returns its (first) output on the host. */
export async function runKernelOn(
  backendName: string,
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: Record<string, unknown>,
  options: { allOutputs?: boolean | undefined } = {},
): Promise<HostTensor> {
  if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
  let output: HostTensor | undefined;
  tf.tidy(() => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) tensors[name] = tf.tensor(t.values, t.shape, t.dtype);
    // Inputs named 0, 1, … are a list (Concat's).
    const names = Object.keys(tensors);
    const list = names.length > 0 && names.every((name, i) => name === String(i));
    const result = tf
      .engine()
      .runKernel(kernelName, list ? (Object.values(tensors) as never) : tensors, attrs as unknown as NamedAttrMap) as
      | tf.Tensor
      | tf.Tensor[];
    const all = Array.isArray(result) ? result : [result];
    if (options.allOutputs !== true) {
      const first = all[0];
      if (first !== undefined) output = toHost(first);
    } else {
      // Several outputs (SplitV, Unpack): all of them, flattened one after another; the shape lists each output's
      // shape followed by −1, so a wrong split shows as a shape mismatch.
      const hosts = all.map((t) => toHost(t));
      const values = new Float32Array(hosts.reduce((n, h) => n + h.values.length, 0));
      let at = 0;
      for (const h of hosts) {
        values.set(h.values, at);
        at += h.values.length;
      }
      output = { shape: hosts.flatMap((h) => [...h.shape, -1]), dtype: 'float32', values };
    }
  });
  if (output === undefined) throw new Error(`${kernelName} returned no output`);
  return output;
}

/** Reads a tensor into a {@link HostTensor}. */
export function toHost(tensor: tf.Tensor | TensorInfo): HostTensor {
  const t = tensor instanceof tf.Tensor ? tensor : tf.engine().makeTensorFromTensorInfo(tensor);
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const data = t.dataSync();
  const values = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
  return { shape: [...t.shape], dtype, values };
}

/** max|actual − expected| / max|expected| (with a floor of 1e-6 on the denominator). */
export function relativeError(actual: HostTensor, expected: HostTensor): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.values.length; i++) {
    const e = expected.values[i] as number;
    const a = actual.values[i] as number;
    if (Number.isNaN(a) !== Number.isNaN(e)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return diff / Math.max(scale, 1e-6);
}

/** What {@link checkKernelProperty} found. */
export interface PropertyReport {
  readonly trials: number;
  /** The largest relative error seen. */
  readonly worst: number;
  /** One line per failed trial. */
  readonly failures: string[];
}

/**
 * Draws `property.trials` trials and compares the kernel on `backendName` with the reference.
 * `optikKernels` is the list from `listOptikKernels()`, to refuse an Optik kernel as its own reference.
 */
export async function checkKernelProperty(
  property: KernelProperty,
  backendName: string,
  rng: Rng,
  optikKernels: readonly { kernelName: string; backendName: string }[],
): Promise<PropertyReport> {
  const cpuIsOptik = optikKernels.some((k) => k.kernelName === property.kernelName && k.backendName === 'cpu');
  const stockCpu = (trial: KernelTrial): Promise<HostTensor> => {
    if (cpuIsOptik) {
      throw new Error(
        `${property.kernelName}: the cpu kernel is Optik's own, so it cannot be the reference; give an oracle`,
      );
    }
    return runKernelOn('cpu', property.kernelName, trial.inputs, trial.attrs, { allOutputs: property.allOutputs });
  };
  const failures: string[] = [];
  let worst = 0;
  for (let index = 0; index < property.trials; index++) {
    if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
    const trial = await property.draw(rng, index);
    const actual = await runKernelOn(backendName, property.kernelName, trial.inputs, trial.attrs, {
      allOutputs: property.allOutputs,
    });
    const expected = (await property.oracle?.(trial, backendName)) ?? (await stockCpu(trial));
    if (actual.shape.join(',') !== expected.shape.join(',')) {
      failures.push(`${trial.label}: shape [${actual.shape}] instead of [${expected.shape}]`);
      worst = Number.POSITIVE_INFINITY;
      continue;
    }
    const error = relativeError(actual, expected);
    worst = Math.max(worst, error);
    if (!(error <= (property.tolerance ?? 1e-4)))
      failures.push(`${trial.label}: relative error ${error.toExponential(2)}`);
  }
  return { trials: property.trials, worst, failures };
}

/**
 * The exact adjoint of a linear map `forward` (a numerical Jacobian, exact because the map is linear): for each
 * basis vector e_i of the input space, `gradient[i] = <dy, forward(e_i)>`. `forward` takes a batch of `count`
 * basis tensors and returns their images flattened to `[count, outputSize]`; the contraction runs in float64.
 */
export function adjointOf(
  inputSize: number,
  batchedForward: (basisStart: number, count: number) => Float32Array,
  dy: Float32Array,
  chunk = 256,
): Float32Array {
  const gradient = new Float32Array(inputSize);
  for (let start = 0; start < inputSize; start += chunk) {
    const count = Math.min(chunk, inputSize - start);
    const images = batchedForward(start, count);
    const outputSize = images.length / count;
    if (outputSize !== dy.length) throw new Error(`adjointOf: forward gives ${outputSize} values, dy has ${dy.length}`);
    for (let k = 0; k < count; k++) {
      let sum = 0;
      const base = k * outputSize;
      for (let j = 0; j < outputSize; j++) sum += (images[base + j] as number) * (dy[j] as number);
      gradient[start + k] = sum;
    }
  }
  return gradient;
}

/** Runs `fn` inside `tf.tidy` and returns its host-side result (tidy itself only returns tensors). */
export function tidyHost<T>(fn: () => T): T {
  let result: { value: T } | undefined;
  tf.tidy(() => {
    result = { value: fn() };
  });
  if (result === undefined) throw new Error('tidyHost: fn did not run');
  return result.value;
}
