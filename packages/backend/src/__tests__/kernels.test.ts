import { createRng } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, listOptikKernels } from '../index.js';
import { checkKernelProperty } from './harness.js';
import { kernelProperties } from './kernel-properties.js';

const kernels: { kernelName: string; backendName: string }[] = listOptikKernels();

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: false });
});

describe('Optik kernels', () => {
  it('lists every registered kernel once, on wasm or cpu', () => {
    expect(kernels.length).toBeGreaterThan(0);
    const keys = kernels.map((k) => `${k.backendName}/${k.kernelName}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of kernels) {
      expect(['wasm', 'cpu']).toContain(k.backendName);
      expect(
        tf.getKernel(k.kernelName, k.backendName),
        `${k.backendName}/${k.kernelName} is not registered`,
      ).toBeDefined();
    }
  });

  it('has a property case for every registered kernel', () => {
    const missing = kernels.filter((k) => kernelProperties[k.kernelName] === undefined).map((k) => k.kernelName);
    expect(missing, 'add these kernels to src/__tests__/kernel-properties.ts').toEqual([]);
  });

  it.each(kernels)(
    '$backendName/$kernelName matches its reference on randomized shapes',
    async ({ kernelName, backendName }) => {
      const property = kernelProperties[kernelName];
      if (property === undefined) throw new Error(`no property for ${kernelName}`);
      const before = tf.memory().numTensors;
      const report = await checkKernelProperty(property, backendName, createRng(0x5eed).fork(kernelName), kernels);
      expect(report.failures).toEqual([]);
      expect(report.worst).toBeLessThanOrEqual(property.tolerance ?? 1e-4);
      await tf.setBackend('wasm');
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});
