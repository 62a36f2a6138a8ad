/**
 * Source coordinates of a resize, computed exactly as the `cpu` backend's forward ResizeBilinear and
 * ResizeNearestNeighbor kernels do (and `wasm`'s, which agree: the property tests check both), so the gradient
 * kernels are the exact adjoints of the forward ops.
 */
function sizeRatio(inSize: number, outSize: number, alignCorners: boolean): number {
  const aligned = alignCorners && outSize > 1;
  return (aligned ? inSize - 1 : inSize) / (aligned ? outSize - 1 : outSize);
}

/** For each output row (or column): the lower and upper source index and the weight of the upper one. */
export interface BilinearTaps {
  readonly lower: Int32Array;
  readonly upper: Int32Array;
  readonly weight: Float64Array;
}

export function bilinearTaps(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): BilinearTaps {
  const ratio = sizeRatio(inSize, outSize, alignCorners);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const weight = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const source = halfPixelCenters ? ratio * (i + 0.5) - 0.5 : ratio * i;
    const floor = Math.max(0, Math.floor(source));
    lower[i] = floor;
    upper[i] = Math.min(inSize - 1, Math.ceil(source));
    weight[i] = source - floor;
  }
  return { lower, upper, weight };
}

/** For each output row (or column): the nearest source index. */
export function nearestTaps(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  const ratio = sizeRatio(inSize, outSize, alignCorners);
  const nearest = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const source = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
    const index = Math.min(inSize - 1, alignCorners ? Math.round(source) : Math.floor(source));
    nearest[i] = halfPixelCenters ? Math.max(0, index) : index;
  }
  return nearest;
}
