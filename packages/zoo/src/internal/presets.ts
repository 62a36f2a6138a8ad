import type { LayerConfig, LayerOptions, PresetName } from './schema.js';
import { LayerSchema } from './schema.js';

type PresetBuilder = (dropout: number | undefined) => LayerOptions[];

const PRESETS: Record<PresetName, PresetBuilder> = {
  // The course's 2-conv net.
  'seed-cnn': (dropout) => [
    { type: 'conv', filters: 32, kernelSize: 3, activation: 'relu' },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 64, kernelSize: 3, activation: 'relu' },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: dropout ?? 0.25 },
    { type: 'dense', units: 128, activation: 'relu' },
  ],
  // Three VGG blocks of two 3×3 `same` convolutions and a max pool.
  'vgg-small': (dropout) => [
    { type: 'conv', filters: 32, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 32, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 64, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 64, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 128, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: dropout ?? 0.5 },
    { type: 'dense', units: 128, activation: 'relu' },
  ],
  // A stem and three basic residual blocks (16, 32, 64 filters), global average pooling.
  'resnet-small': (dropout) => [
    { type: 'conv', filters: 16, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'residual', filters: 16 },
    { type: 'residual', filters: 32, strides: 2 },
    { type: 'residual', filters: 64, strides: 2 },
    { type: 'globalAvgPool' },
    ...(dropout !== undefined && dropout > 0 ? [{ type: 'dropout' as const, rate: dropout }] : []),
  ],
  // A strided stem and three depthwise-separable blocks, global average pooling.
  'mobilenet-small': (dropout) => [
    { type: 'conv', filters: 16, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
    { type: 'separableConv', filters: 32 },
    { type: 'separableConv', filters: 64, strides: 2 },
    { type: 'separableConv', filters: 128, strides: 2 },
    { type: 'globalAvgPool' },
    { type: 'dropout', rate: dropout ?? 0.2 },
  ],
  // Four `same` conv + max-pool stages (16, 32, 64, 64 filters) and a last conv (128) that end in a feature map
  // (a 64×64 input keeps 4×4×128): a localizer's class head pools it globally, its box head flattens it; a
  // classifier pools it globally.
  'loc-cnn': (dropout) => [
    { type: 'conv', filters: 16, kernelSize: 3, padding: 'same' },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 32, kernelSize: 3, padding: 'same' },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 64, kernelSize: 3, padding: 'same' },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 64, kernelSize: 3, padding: 'same' },
    { type: 'pool', mode: 'max', poolSize: 2 },
    { type: 'conv', filters: 128, kernelSize: 3, padding: 'same' },
    ...(dropout !== undefined && dropout > 0 ? [{ type: 'dropout' as const, rate: dropout }] : []),
  ],
  // Detector backbones: stride-2 3×3 convolutions with batch norm halve the map five times (strides 2 … 32), a
  // stride-1 conv refining stages 8 and 16; a detector reads the last map of each of its strides. No dropout.
  'det-tiny': () => [
    { type: 'conv', filters: 16, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 24, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 32, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 32, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 64, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 64, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 96, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
  ],
  // Wider, with residual blocks (strided ones project the shortcut) at strides 4 … 32.
  'det-small': () => [
    { type: 'conv', filters: 24, kernelSize: 3, strides: 2, padding: 'same', batchNorm: true },
    { type: 'residual', filters: 32, strides: 2 },
    { type: 'residual', filters: 48, strides: 2 },
    { type: 'residual', filters: 48 },
    { type: 'residual', filters: 96, strides: 2 },
    { type: 'residual', filters: 96 },
    { type: 'residual', filters: 128, strides: 2 },
  ],
};

/** The body layers of a preset (the head is added by the classifier), with defaults filled in. */
export function presetLayers(name: PresetName, dropout?: number): LayerConfig[] {
  return PRESETS[name](dropout).map((layer) => LayerSchema.parse(layer));
}
