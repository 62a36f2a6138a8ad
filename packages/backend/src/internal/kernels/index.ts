import type { KernelConfig } from '@tensorflow/tfjs-core';
import { avgPoolGradCpu, avgPoolGradWasm } from './AvgPoolGradExact.js';
import { batchMatMulWasm } from './BatchMatMul.js';
import { castWasm } from './Cast.js';
import { conv2DBackpropFilterWasm } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputWasm } from './Conv2DBackpropInput.js';
import { depthwiseConv2dNativeBackpropFilterWasm } from './DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputWasm } from './DepthwiseConv2dNativeBackpropInput.js';
import { identityWasm } from './Identity.js';
import { maxPoolGradWasm } from './MaxPoolGrad.js';
import { resizeBilinearGradCpu, resizeBilinearGradWasm } from './ResizeBilinearGrad.js';
import { resizeNearestNeighborGradCpu, resizeNearestNeighborGradWasm } from './ResizeNearestNeighborGrad.js';
import { sumWasm } from './Sum.js';
import { unsortedSegmentSumWasm } from './UnsortedSegmentSum.js';

/**
 * Every kernel Optik registers on (or replaces in) the `wasm` backend so that the zoo trains there.
 * One file per kernel in this folder; each exports its `KernelConfig`.
 */
export const wasmTrainingKernels: KernelConfig[] = [
  depthwiseConv2dNativeBackpropInputWasm,
  depthwiseConv2dNativeBackpropFilterWasm,
  resizeBilinearGradWasm,
  resizeNearestNeighborGradWasm,
  unsortedSegmentSumWasm,
  avgPoolGradWasm,
  // The fast training path (reference CNN profile): conv backprop on XNNPACK, pooling/bias gradients in one pass.
  conv2DBackpropFilterWasm,
  conv2DBackpropInputWasm,
  maxPoolGradWasm,
  batchMatMulWasm,
  sumWasm,
  identityWasm,
  castWasm,
];

/** Kernels Optik replaces in the stock `cpu` backend because upstream's are wrong. */
export const cpuFixedKernels: KernelConfig[] = [resizeBilinearGradCpu, resizeNearestNeighborGradCpu, avgPoolGradCpu];
