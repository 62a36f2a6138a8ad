import type { KernelConfig } from '@tensorflow/tfjs';
import { avgPoolGradCpu, avgPoolGradWasm } from './AvgPoolGradExact.js';
import { batchMatMulWasm } from './BatchMatMul.js';
import { addWasm, multiplyWasm, realDivWasm, subWasm } from './BinaryRows.js';
import { castWasm } from './Cast.js';
import { concatWasm, packWasm, splitVWasm, unpackWasm } from './ConcatSplit.js';
import { conv2DBackpropFilterWasm } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputWasm } from './Conv2DBackpropInput.js';
import { depthwiseConv2dNativeBackpropFilterWasm } from './DepthwiseConv2dNativeBackpropFilter.js';
import { depthwiseConv2dNativeBackpropInputWasm } from './DepthwiseConv2dNativeBackpropInput.js';
import { fusedBatchNormWasm } from './FusedBatchNorm.js';
import { identityWasm } from './Identity.js';
import { maxPoolGradWasm } from './MaxPoolGrad.js';
import { meanWasm } from './Mean.js';
import { optikAdamCpu, optikAdamWasm } from './OptikAdam.js';
import { optikBatchNormGradWasm } from './OptikBatchNormGrad.js';
import { optikMomentumCpu, optikMomentumWasm } from './OptikMomentum.js';
import { resizeBilinearGradCpu, resizeBilinearGradWasm } from './ResizeBilinearGrad.js';
import { resizeNearestNeighborGradCpu, resizeNearestNeighborGradWasm } from './ResizeNearestNeighborGrad.js';
import { sumWasm } from './Sum.js';
import { tileWasm } from './Tile.js';
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
  // Batch norm: forward and gradient (its own kernel, see registerBatchNormGradient) in SIMD passes over NHWC,
  // moments and the remaining per-channel/scalar broadcasts in one pass each, Tile by block copies.
  fusedBatchNormWasm,
  optikBatchNormGradWasm,
  meanWasm,
  tileWasm,
  addWasm,
  subWasm,
  multiplyWasm,
  realDivWasm,
  // Concatenation, splits and unstacking (U-Net skips and their gradient, the detection head's levels, loss
  // splits, box coordinates) by block copies.
  concatWasm,
  packWasm,
  splitVWasm,
  unpackWasm,
];

/** Kernels of Optik's fused optimizers (new kernel names, on wasm and cpu); see `fused-optimizers.ts`. */
export const optimizerKernels: KernelConfig[] = [optikAdamWasm, optikAdamCpu, optikMomentumWasm, optikMomentumCpu];

/** Kernels Optik replaces in the stock `cpu` backend because upstream's are wrong. */
export const cpuFixedKernels: KernelConfig[] = [resizeBilinearGradCpu, resizeNearestNeighborGradCpu, avgPoolGradCpu];
