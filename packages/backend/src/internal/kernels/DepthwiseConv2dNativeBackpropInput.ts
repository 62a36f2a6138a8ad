import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { kernelMemory } from '../kernel-memory.js';

/**
 * The gradient of a depthwise convolution with respect to its input (NHWC), for any strides, dilations,
 * padding and channel multiplier. It scatters each output gradient back through the filter taps, with the
 * channels innermost so that every loop walks memory contiguously.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const memory = kernelMemory(backend, DepthwiseConv2dNativeBackpropInput);
  const out = memory.output(info.inShape, 'float32');
  const dx = memory.values(out);
  const dyValues = memory.values(dy);
  const filterValues = memory.values(filter);

  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const multiplier = outChannels / inChannels;
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
            const dxBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const fBase = (kh * filterWidth + kw) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                dx[dxBase + c] =
                  (dx[dxBase + c] as number) + (dyValues[dyBase + c] as number) * (filterValues[fBase + c] as number);
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                let sum = 0;
                const o = c * multiplier;
                for (let m = 0; m < multiplier; m++) {
                  sum += (dyValues[dyBase + o + m] as number) * (filterValues[fBase + o + m] as number);
                }
                dx[dxBase + c] = (dx[dxBase + c] as number) + sum;
              }
            }
          }
        }
      }
    }
  }
  return out;
};

/** {@link depthwiseConv2dNativeBackpropInput} on `wasm`, which has none upstream. */
export const depthwiseConv2dNativeBackpropInputWasm: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
