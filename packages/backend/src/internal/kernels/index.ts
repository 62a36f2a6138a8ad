import type { KernelConfig } from '@tensorflow/tfjs-core';

/**
 * Every kernel Optik registers on (or replaces in) the `wasm` backend so that the zoo trains there.
 * One file per kernel in this folder; each exports its `KernelConfig`.
 */
export const wasmTrainingKernels: KernelConfig[] = [];

/** Kernels Optik replaces in the stock `cpu` backend because upstream's are wrong. */
export const cpuFixedKernels: KernelConfig[] = [];
