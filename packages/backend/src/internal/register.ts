import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs';
import { cpuFixedKernels, optimizerKernels, wasmTrainingKernels } from './kernels/index.js';
import { registerBatchNormGradient } from './kernels/OptikBatchNormGrad.js';
import { registerMeanGradient } from './mean-gradient.js';
import { registerSumGradient } from './sum-gradient.js';
import { rememberStockKernel } from './wasm-heap.js';

let registered = false;

/**
 * Registers (or replaces) Optik's kernels once per process, and the FusedBatchNorm, Mean and Sum gradients that use
 * Optik's kernels on wasm. Safe to call before the backend is set.
 */
export function registerOptikKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of [...wasmTrainingKernels, ...cpuFixedKernels, ...optimizerKernels]) {
    const current = getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue; // already ours (the fused optimizer registers its own)
    if (current !== undefined) {
      rememberStockKernel(config.kernelName, config.backendName);
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
  }
  registerBatchNormGradient();
  registerMeanGradient();
  registerSumGradient();
}

/**
 * Every kernel Optik registers on top of tfjs, as `{ kernelName, backendName }`: what `optik doctor` shows and what
 * the property tests iterate, so a new kernel cannot go untested.
 */
export function listOptikKernels(): { kernelName: string; backendName: string }[] {
  return [...wasmTrainingKernels, ...cpuFixedKernels, ...optimizerKernels].map(({ kernelName, backendName }) => ({
    kernelName,
    backendName,
  }));
}
