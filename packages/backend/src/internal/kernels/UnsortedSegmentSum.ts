import {
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';

/**
 * Sums the slices of `x` that share a segment id (ids outside `[0, numSegments)` are dropped). On `wasm` it is
 * the gradient of `tf.gather`, which upstream cannot train without.
 */
export const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const sliceShape = x.shape.slice(segmentIds.shape.length);
  const sliceSize = sliceShape.reduce((a, b) => a * b, 1);

  const memory = kernelMemory(backend, UnsortedSegmentSum);
  const out = memory.output([numSegments, ...sliceShape], x.dtype);
  const result = memory.values(out);
  const xValues = memory.values(x);
  const ids = memory.values(segmentIds);
  for (let row = 0; row < rows; row++) {
    const id = ids[row] as number;
    if (id < 0 || id >= numSegments) continue;
    const from = row * sliceSize;
    const to = id * sliceSize;
    for (let i = 0; i < sliceSize; i++) result[to + i] = (result[to + i] as number) + (xValues[from + i] as number);
  }
  return out;
};

/** {@link unsortedSegmentSum} on `wasm`, which has none upstream. */
export const unsortedSegmentSumWasm: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
