import { OptikError } from '@optik/core';
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';
import { optikSimdKernels } from '../wasm/kernels.js';
import { allocF32, heapF32, heapOffset, wasmBackend } from '../wasm-heap.js';

/** The name of Optik's fused momentum-SGD kernel (only Optik's fused optimizer calls it). */
export const OptikMomentum = 'OptikMomentum';

/** Attributes of {@link OptikMomentum}: the float32 values of tfjs's `m` and `c` (= −learning rate) scalars. */
export interface OptikMomentumAttrs {
  momentum: number;
  negLearningRate: number;
  nesterov: boolean;
}

interface MomentumInputs {
  x: TensorInfo;
  gradient: TensorInfo;
  accumulation: TensorInfo;
}

function checkInputs(inputs: MomentumInputs): void {
  const { x, gradient, accumulation } = inputs;
  const same = [gradient, accumulation].every((t) => util.arraysEqual(t.shape, x.shape) && t.dtype === 'float32');
  if (!same || x.dtype !== 'float32') {
    throw new OptikError('KERNEL_UNSUPPORTED', `${OptikMomentum} needs float32 tensors of one shape.`, {
      received: [x, gradient, accumulation].map((t) => `${t.dtype}[${t.shape}]`).join(', '),
      hint: "This is a bug in Optik's fused optimizer: report it.",
    });
  }
}

/** The scalar reference loop: every operation rounded to float32, in tfjs's order. */
function momentumLoop(
  x: Float32Array,
  g: Float32Array,
  a: Float32Array,
  xOut: Float32Array,
  aOut: Float32Array,
  attrs: OptikMomentumAttrs,
): void {
  const f = Math.fround;
  const m = f(attrs.momentum);
  const c = f(attrs.negLearningRate);
  for (let i = 0; i < x.length; i++) {
    const gi = g[i] as number;
    const a1 = f(f(m * (a[i] as number)) + gi);
    const step = attrs.nesterov ? f(gi + f(a1 * m)) : a1;
    xOut[i] = f(c * step) + (x[i] as number);
    aOut[i] = a1;
  }
}

/** Fused momentum SGD on wasm: one SIMD pass over x, gradient and accumulation. */
export const optikMomentumWasmFunc: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = wasmBackend(anyBackend, OptikMomentum);
  const ins = inputs as unknown as MomentumInputs;
  checkInputs(ins);
  const a = attrs as unknown as OptikMomentumAttrs;
  const shape = [...ins.x.shape];
  const outs = [allocF32(backend, shape, false), allocF32(backend, shape, false)];
  const [xOut, aOut] = outs as [TensorInfo, TensorInfo];
  const simd = optikSimdKernels(backend);
  if (simd !== undefined) {
    const at = (t: TensorInfo) => heapOffset(backend, t);
    simd.momentum(
      at(ins.x),
      at(ins.gradient),
      at(ins.accumulation),
      at(xOut),
      at(aOut),
      util.sizeFromShape(shape),
      Math.fround(a.momentum),
      Math.fround(a.negLearningRate),
      a.nesterov,
    );
    return outs;
  }
  const view = (t: TensorInfo) => heapF32(backend, t);
  momentumLoop(view(ins.x), view(ins.gradient), view(ins.accumulation), view(xOut), view(aOut), a);
  return outs;
};

/** Fused momentum SGD on cpu: one TypeScript loop instead of 3–5 tensor ops per variable. */
export const optikMomentumCpuFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const memory = kernelMemory(backend, OptikMomentum);
  const ins = inputs as unknown as MomentumInputs;
  checkInputs(ins);
  const outs = [0, 1].map(() => memory.output(ins.x.shape, 'float32'));
  const [xOut, aOut] = outs as [TensorInfo, TensorInfo];
  const view = (t: TensorInfo) => memory.values(t) as Float32Array;
  const a = attrs as unknown as OptikMomentumAttrs;
  momentumLoop(view(ins.x), view(ins.gradient), view(ins.accumulation), view(xOut), view(aOut), a);
  return outs;
};

/** Optik's fused momentum-SGD step on wasm (outputs: new x, accumulation). */
export const optikMomentumWasm: KernelConfig = {
  kernelName: OptikMomentum,
  backendName: 'wasm',
  kernelFunc: optikMomentumWasmFunc,
};

/** Optik's fused momentum-SGD step on cpu (outputs: new x, accumulation). */
export const optikMomentumCpu: KernelConfig = {
  kernelName: OptikMomentum,
  backendName: 'cpu',
  kernelFunc: optikMomentumCpuFunc,
};
