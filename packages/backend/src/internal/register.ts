import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { cpuFixedKernels, wasmTrainingKernels } from './kernels/index.js';

let registered = false;

/** Registers (or replaces) Optik's kernels once per process. Safe to call before the backend is set. */
export function registerOptikKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of [...wasmTrainingKernels, ...cpuFixedKernels]) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) {
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
  }
}
