import { OptikError } from '@optik/core';
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, wasmBackend } from '../wasm-heap.js';

/** The name of Optik's fused Adam kernel (not a tfjs kernel: only Optik's fused optimizer calls it). */
export const OptikAdam = 'OptikAdam';

/**
 * Attributes of {@link OptikAdam}. `oneMinusAccBeta1`/`2` are 1 − β1ᵗ and 1 − β2ᵗ as float32 (what tfjs's Adam
 * computes from its float32 `accBeta` variables), so the fused step reproduces tfjs's float32 arithmetic.
 */
export interface OptikAdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

interface AdamInputs {
  x: TensorInfo;
  gradient: TensorInfo;
  m: TensorInfo;
  v: TensorInfo;
}

/** The float32 constants of one step, rounded as tfjs rounds them (JS doubles first, then a float32 scalar). */
function constants(attrs: OptikAdamAttrs) {
  const f = Math.fround;
  return {
    beta1: f(attrs.beta1),
    oneMinusBeta1: f(1 - attrs.beta1),
    beta2: f(attrs.beta2),
    oneMinusBeta2: f(1 - attrs.beta2),
    c1: f(attrs.oneMinusAccBeta1),
    c2: f(attrs.oneMinusAccBeta2),
    epsilon: f(attrs.epsilon),
    negLearningRate: f(-attrs.learningRate),
  };
}

function checkInputs(inputs: AdamInputs): void {
  const { x, gradient, m, v } = inputs;
  const same = [gradient, m, v].every((t) => util.arraysEqual(t.shape, x.shape) && t.dtype === 'float32');
  if (!same || x.dtype !== 'float32') {
    throw new OptikError('KERNEL_UNSUPPORTED', `${OptikAdam} needs float32 tensors of one shape.`, {
      received: [x, gradient, m, v].map((t) => `${t.dtype}[${t.shape}]`).join(', '),
      hint: "This is a bug in Optik's fused optimizer: report it.",
    });
  }
}

/** The scalar reference loop: every operation rounded to float32, in tfjs's order. */
function adamLoop(
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  xOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  attrs: OptikAdamAttrs,
): void {
  const f = Math.fround;
  const k = constants(attrs);
  for (let i = 0; i < x.length; i++) {
    const gi = g[i] as number;
    const m1 = f(f(f((m[i] as number) * k.beta1)) + f(gi * k.oneMinusBeta1));
    const v1 = f(f((v[i] as number) * k.beta2) + f(f(gi * gi) * k.oneMinusBeta2));
    const step = f(f(m1 / k.c1) / f(f(Math.sqrt(f(v1 / k.c2))) + k.epsilon));
    xOut[i] = f(step * k.negLearningRate) + (x[i] as number);
    mOut[i] = m1;
    vOut[i] = v1;
  }
}

/** Fused Adam on wasm: one SIMD pass over x, gradient, m and v (a TypeScript loop where the SIMD module cannot load). */
export const optikAdamWasmFunc: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = wasmBackend(anyBackend, OptikAdam);
  const ins = inputs as unknown as AdamInputs;
  checkInputs(ins);
  const a = attrs as unknown as OptikAdamAttrs;
  const shape = [...ins.x.shape];
  const outs = [allocF32(backend, shape, false), allocF32(backend, shape, false), allocF32(backend, shape, false)];
  const [xOut, mOut, vOut] = outs as [TensorInfo, TensorInfo, TensorInfo];
  const simd = optikSimdKernels(backend);
  if (simd !== undefined) {
    const k = constants(a);
    const at = (t: TensorInfo) => heapOffset(backend, t);
    simd.adam(
      at(ins.x),
      at(ins.gradient),
      at(ins.m),
      at(ins.v),
      at(xOut),
      at(mOut),
      at(vOut),
      util.sizeFromShape(shape),
      k.beta1,
      k.oneMinusBeta1,
      k.beta2,
      k.oneMinusBeta2,
      k.c1,
      k.c2,
      k.epsilon,
      k.negLearningRate,
    );
    return outs;
  }
  const view = (t: TensorInfo) => heapF32(backend, t);
  adamLoop(view(ins.x), view(ins.gradient), view(ins.m), view(ins.v), view(xOut), view(mOut), view(vOut), a);
  return outs;
};

/** Fused Adam on cpu: one TypeScript loop instead of ~13 tensor ops per variable. */
export const optikAdamCpuFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const memory = kernelMemory(backend, OptikAdam);
  const ins = inputs as unknown as AdamInputs;
  checkInputs(ins);
  const outs = [0, 1, 2].map(() => memory.output(ins.x.shape, 'float32'));
  const [xOut, mOut, vOut] = outs as [TensorInfo, TensorInfo, TensorInfo];
  const view = (t: TensorInfo) => memory.values(t) as Float32Array;
  const a = attrs as unknown as OptikAdamAttrs;
  adamLoop(view(ins.x), view(ins.gradient), view(ins.m), view(ins.v), view(xOut), view(mOut), view(vOut), a);
  return outs;
};

/** Optik's fused Adam step on wasm (outputs: new x, m, v). */
export const optikAdamWasm: KernelConfig = {
  kernelName: OptikAdam,
  backendName: 'wasm',
  kernelFunc: optikAdamWasmFunc,
};

/** Optik's fused Adam step on cpu (outputs: new x, m, v). */
export const optikAdamCpu: KernelConfig = { kernelName: OptikAdam, backendName: 'cpu', kernelFunc: optikAdamCpuFunc };
