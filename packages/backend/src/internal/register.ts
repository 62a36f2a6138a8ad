import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { cpuFixedKernels, wasmTrainingKernels } from './kernels/index.js';
import { rememberStockKernel } from './wasm-heap.js';

let registered = false;

/** Registers (or replaces) Optik's kernels once per process. Safe to call before the backend is set. */
export function registerOptikKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of [...wasmTrainingKernels, ...cpuFixedKernels]) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) {
      rememberStockKernel(config.kernelName, config.backendName);
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
  }
}

/**
 * Every kernel Optik registers on top of tfjs, as `{ kernelName, backendName }`: what `optik doctor` shows and what
 * the property tests iterate, so a new kernel cannot go untested.
 */
export function listOptikKernels(): { kernelName: string; backendName: string }[] {
  return [...wasmTrainingKernels, ...cpuFixedKernels].map(({ kernelName, backendName }) => ({
    kernelName,
    backendName,
  }));
}
