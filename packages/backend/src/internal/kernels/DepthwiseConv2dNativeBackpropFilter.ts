import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';

/**
 * The gradient of a depthwise convolution with respect to its filter (NHWC), for any strides, dilations, padding
 * and channel multiplier. Sums run in float64 because each filter tap accumulates batch × height × width terms.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const memory = kernelMemory(backend, DepthwiseConv2dNativeBackpropFilter);
  const out = memory.output(info.filterShape, 'float32');
  const xValues = memory.values(x);
  const dyValues = memory.values(dy);

  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const multiplier = outChannels / inChannels;
  const sums = new Float64Array(filterHeight * filterWidth * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight - top + kh * dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth - left + kw * dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const fBase = (kh * filterWidth + kw) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                sums[fBase + c] =
                  (sums[fBase + c] as number) + (xValues[xBase + c] as number) * (dyValues[dyBase + c] as number);
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                const xv = xValues[xBase + c] as number;
                const o = c * multiplier;
                for (let m = 0; m < multiplier; m++) {
                  sums[fBase + o + m] = (sums[fBase + o + m] as number) + xv * (dyValues[dyBase + o + m] as number);
                }
              }
            }
          }
        }
      }
    }
  }
  memory.values(out).set(sums);
  return out;
};

/** {@link depthwiseConv2dNativeBackpropFilter} on `wasm`, which has none upstream. */
export const depthwiseConv2dNativeBackpropFilterWasm: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
