import { z } from 'zod';

/** Padding modes, as in Keras: `valid` shrinks the map, `same` keeps it (at stride 1). */
export const PaddingSchema = z.enum(['valid', 'same']);

/** Activations a layer may use (tfjs names). */
export const ActivationSchema = z.enum([
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'tanh',
  'softmax',
  'swish',
]);

const positiveInt = z.number().int().min(1);

/**
 * A layer's optional name, unique in its model: a search space or an override addresses the layer by it
 * (`model.layers.drop1.rate`) instead of by its position, which shifts when a layer is added.
 */
const layerName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and use letters, digits, _ or -')
  .optional();

/** A 2-D convolution block: conv → (batch norm) → activation. */
export const ConvLayerSchema = z.strictObject({
  type: z.literal('conv'),
  name: layerName,
  filters: positiveInt,
  kernelSize: positiveInt,
  strides: positiveInt.default(1),
  padding: PaddingSchema.default('valid'),
  activation: ActivationSchema.default('relu'),
  /** Batch norm between the convolution and the activation (the bias is then dropped). */
  batchNorm: z.boolean().default(false),
});

/** A depthwise-separable block (MobileNet v1): depthwise k×k → (BN) → act → pointwise 1×1 → (BN) → act. */
export const SeparableConvLayerSchema = z.strictObject({
  type: z.literal('separableConv'),
  name: layerName,
  filters: positiveInt,
  kernelSize: positiveInt.default(3),
  strides: positiveInt.default(1),
  padding: PaddingSchema.default('same'),
  activation: ActivationSchema.default('relu'),
  batchNorm: z.boolean().default(true),
});

/** A basic residual block (ResNet): conv → BN → relu → conv → BN, plus the shortcut, added, then relu. */
export const ResidualLayerSchema = z.strictObject({
  type: z.literal('residual'),
  name: layerName,
  filters: positiveInt,
  kernelSize: positiveInt.default(3),
  strides: positiveInt.default(1),
});

/** Max or average pooling. `strides` defaults to `poolSize`. */
export const PoolLayerSchema = z.strictObject({
  type: z.literal('pool'),
  name: layerName,
  mode: z.enum(['max', 'average']).default('max'),
  poolSize: positiveInt.default(2),
  strides: positiveInt.optional(),
  padding: PaddingSchema.default('valid'),
});

/** Batch normalisation over the channel (last) axis. */
export const BatchNormLayerSchema = z.strictObject({
  type: z.literal('batchNorm'),
  name: layerName,
  momentum: z.number().min(0).lt(1).default(0.99),
  epsilon: z.number().gt(0).default(0.001),
});

/** Dropout: zeroes a fraction `rate` of activations while training. */
export const DropoutLayerSchema = z.strictObject({
  type: z.literal('dropout'),
  name: layerName,
  rate: z.number().min(0).lt(1),
});

/** Flattens H×W×C into one vector. */
export const FlattenLayerSchema = z.strictObject({ type: z.literal('flatten'), name: layerName });

/** Averages each channel over H×W into one vector of C values. */
export const GlobalAvgPoolLayerSchema = z.strictObject({ type: z.literal('globalAvgPool'), name: layerName });

/** A fully connected layer (needs a flat input). */
export const DenseLayerSchema = z.strictObject({
  type: z.literal('dense'),
  name: layerName,
  units: positiveInt,
  activation: ActivationSchema.default('relu'),
});

/** A standalone activation. */
export const ActivationLayerSchema = z.strictObject({
  type: z.literal('activation'),
  name: layerName,
  activation: ActivationSchema,
});

/** One body layer of a classifier, told apart by `type`. */
export const LayerSchema = z.discriminatedUnion('type', [
  ConvLayerSchema,
  SeparableConvLayerSchema,
  ResidualLayerSchema,
  PoolLayerSchema,
  BatchNormLayerSchema,
  DropoutLayerSchema,
  FlattenLayerSchema,
  GlobalAvgPoolLayerSchema,
  DenseLayerSchema,
  ActivationLayerSchema,
]);

/**
 * The preset names. `loc-cnn` ends in a feature map (for localizers: where the object is survives); `det-tiny` and
 * `det-small` are stride-2 convolution stages (strides 2 … 32) whose maps a detector's feature pyramid reads.
 */
export const PRESET_NAMES = [
  'seed-cnn',
  'vgg-small',
  'resnet-small',
  'mobilenet-small',
  'loc-cnn',
  'det-tiny',
  'det-small',
] as const;

const modelName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and use letters, digits, _ or -')
    .default(fallback);

/** The fields of every model's backbone: input shape, a preset or explicit body layers, preset dropout, seed. */
const backboneFields = {
  inputShape: z.tuple([positiveInt, positiveInt, positiveInt]),
  preset: z.enum(PRESET_NAMES).optional(),
  layers: z.array(LayerSchema).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  seed: z.number().int().min(0).max(4294967295).default(0),
};

/** The backbone's cross-field rules (preset xor layers; `dropout` only with a preset), shared by every model. */
function refineBackbone(
  value: { preset?: string | undefined; layers?: unknown[] | undefined; dropout?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((value.preset === undefined) === (value.layers === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: value.layers === undefined ? ['preset'] : ['layers'],
      message: `give exactly one of \`preset\` (${PRESET_NAMES.join(', ')}) or \`layers\``,
    });
  }
  if (value.dropout !== undefined && value.layers !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['dropout'],
      message: '`dropout` sets the rate of a preset; with explicit `layers`, set `rate` on each dropout layer',
    });
  }
  const seen = new Map<string, number>();
  value.layers?.forEach((layer, i) => {
    const name = (layer as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['layers', i, 'name'],
        message: `layer names must be unique: "${name}" is also the name of layers[${first}]`,
      });
    } else seen.set(name, i);
  });
}

/** A classifier: an input shape, a body (a preset or explicit layers) and a sigmoid or softmax head. */
export const ClassifierSchema = z
  .strictObject({
    name: modelName('classifier'),
    ...backboneFields,
    numClasses: z.number().int().min(2),
    head: z.enum(['softmax', 'sigmoid']).default('softmax'),
  })
  .superRefine((value, ctx) => {
    refineBackbone(value, ctx);
    if (value.head === 'sigmoid' && value.numClasses !== 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['head'],
        message: `a sigmoid head is binary and needs numClasses: 2 (got ${value.numClasses}); use head: softmax`,
      });
    }
  });

/**
 * A localizer (one object per image): the classifier's backbone, then two heads on its vector — the class
 * (softmax) and the box (four sigmoid units: normalised centre x, centre y, width, height).
 */
export const LocalizerSchema = z
  .strictObject({
    name: modelName('localizer'),
    ...backboneFields,
    numClasses: z.number().int().min(1),
    /**
     * How the class head pools a backbone that ends in a feature map: `max` (the strongest response wherever the
     * object is — small objects in clutter) or `average`.
     */
    classPooling: z.enum(['max', 'average']).default('max'),
    /** Units of a hidden dense layer in the box head only (0: the box is regressed from the backbone's output). */
    boxHiddenUnits: z.number().int().min(0).default(256),
  })
  .superRefine(refineBackbone);

/** 1–3 pyramid strides: powers of 2 from 2 up, increasing. */
const pyramidStrideList = z
  .array(z.number().int().min(2))
  .min(1)
  .max(3)
  .superRefine((strides, ctx) => {
    strides.forEach((s, i) => {
      if ((s & (s - 1)) !== 0) ctx.addIssue({ code: 'custom', path: [i], message: `${s} is not a power of 2` });
      else if (i > 0 && s <= (strides[i - 1] as number)) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'strides must increase strictly' });
      }
    });
  });

/**
 * An anchor-free detector (FCOS): a backbone whose feature maps at `strides` feed a small feature pyramid
 * (lateral 1×1 convs, nearest upsampling, add or concat, a 3×3 conv per level) and one head shared by the levels
 * (`headConvs` × conv 3×3 + ReLU per branch; class logits, ltrb and centre-ness per point).
 */
const detectorFields = {
  name: modelName('detector'),
  ...backboneFields,
  numClasses: z.number().int().min(1),
  /**
   * Strides of the levels the head predicts on (1–3, powers of 2, increasing): the output's points and the
   * training targets' levels. The input must be a multiple of the largest pyramid stride.
   */
  strides: pyramidStrideList.default([8, 16, 32]),
  /**
   * Strides of the backbone maps the feature pyramid joins from the top down (default: `strides`); must hold every
   * stride of `strides`. Deeper maps than the head reads bring their context down to its levels: `strides: [8]`
   * with `pyramidStrides: [8, 16, 32]` predicts at stride 8 only (when every box is small) with stride-32 context.
   */
  pyramidStrides: pyramidStrideList.optional(),
  /** Channels of every pyramid level and head convolution. */
  fpnChannels: positiveInt.default(48),
  /** How a pyramid level joins the upsampled level above: `add` (FPN) or `concat` (PAN-style), then a 3×3 conv. */
  fpnMerge: z.enum(['add', 'concat']).default('add'),
  /** Conv 3×3 + ReLU layers of each head branch (torchvision FCOS: 4). */
  headConvs: z.number().int().min(0).max(4).default(2),
  /** Initial foreground probability of the class logits (bias −log((1 − p)/p); RetinaNet/FCOS 0.01). */
  priorProbability: z.number().gt(0).lt(1).default(0.01),
};

/** The detector's cross-field rules (backbone, input a multiple of the largest stride), shared by the instance segmenter. */
function refineDetector(value: z.output<z.ZodObject<typeof detectorFields>>, ctx: z.RefinementCtx): void {
  refineBackbone(value, ctx);
  const { strides, pyramidStrides, inputShape } = value;
  const missing = strides.filter((s) => pyramidStrides !== undefined && !pyramidStrides.includes(s));
  if (missing.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['pyramidStrides'],
      message: `must hold every head stride; ${missing.join(', ')} of strides [${strides.join(', ')}] missing from [${pyramidStrides?.join(', ')}]`,
    });
  }
  const largest = Math.max(...strides, ...(pyramidStrides ?? []));
  if (inputShape[0] % largest !== 0 || inputShape[1] % largest !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['inputShape'],
      message: `height and width must be multiples of the largest stride ${largest} (got ${inputShape[0]}×${inputShape[1]}), so the pyramid's upsampled levels line up`,
    });
  }
}

/**
 * An anchor-free detector (FCOS): a backbone whose feature maps at `strides` feed a small feature pyramid
 * (lateral 1×1 convs, nearest upsampling, add or concat, a 3×3 conv per level) and one head shared by the levels
 * (`headConvs` × conv 3×3 + ReLU per branch; class logits, ltrb and centre-ness per point).
 */
export const DetectorSchema = z.strictObject(detectorFields).superRefine(refineDetector);

/**
 * An instance segmenter (YOLACT / YOLOv8-seg): the detector plus `prototypes` mask prototypes at `protoStride`
 * (a branch on the finest pyramid level) and as many mask coefficients per point (from the box branch, tanh).
 */
export const InstanceSegmenterSchema = z
  .strictObject({
    ...detectorFields,
    name: modelName('instance-segmenter'),
    /** Mask prototypes (YOLACT k; ultralytics 32 at 640 px, 8–16 suit 128–256 px inputs). */
    prototypes: z.number().int().min(1).max(64).default(16),
    /** Channels of the prototype branch's convolutions. */
    protoChannels: positiveInt.default(32),
    /** Stride of the prototype map: the finest pyramid stride divided by 1, 2 or 4 (ultralytics: 8 / 2 = 4). */
    protoStride: z.number().int().min(1).default(4),
  })
  .superRefine((value, ctx) => {
    refineDetector(value, ctx);
    const finest = Math.min(...value.strides);
    const factor = finest / value.protoStride;
    if (![1, 2, 4].includes(factor)) {
      ctx.addIssue({
        code: 'custom',
        path: ['protoStride'],
        message: `must be the finest pyramid stride ${finest} divided by 1, 2 or 4 (got ${value.protoStride})`,
      });
    }
  });

export type LayerConfig = z.output<typeof LayerSchema>;
export type LayerOptions = z.input<typeof LayerSchema>;
export type ClassifierConfig = z.output<typeof ClassifierSchema>;
export type ClassifierOptions = z.input<typeof ClassifierSchema>;
export type LocalizerConfig = z.output<typeof LocalizerSchema>;
export type LocalizerOptions = z.input<typeof LocalizerSchema>;
export type DetectorConfig = z.output<typeof DetectorSchema>;
export type DetectorOptions = z.input<typeof DetectorSchema>;
export type InstanceSegmenterConfig = z.output<typeof InstanceSegmenterSchema>;
export type InstanceSegmenterOptions = z.input<typeof InstanceSegmenterSchema>;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The U-Net presets of a segmenter. */
export const SEGMENTER_PRESET_NAMES = ['unet-tiny', 'unet-small'] as const;

/**
 * A semantic segmenter (U-Net): `depth` encoder levels of two 3×3 convolutions and a 2×2 max pool, filters
 * `baseFilters·2^level`, a bottleneck, and decoder levels that upsample, concatenate the encoder's skip and apply two
 * 3×3 convolutions; a 1×1 convolution gives `numClasses` logits per pixel (1: binary, sigmoid). A preset fills the
 * architecture fields a config leaves out.
 */
export const SegmenterSchema = z.strictObject({
  name: modelName('segmenter'),
  inputShape: z.tuple([positiveInt, positiveInt, positiveInt]),
  /** Classes per pixel (background included); 1 means a binary mask scored with a sigmoid. */
  numClasses: z.number().int().min(1),
  preset: z.enum(SEGMENTER_PRESET_NAMES).optional(),
  /** Encoder levels (each halves the map, so height and width must be divisible by 2^depth). */
  depth: z.number().int().min(1).max(6).optional(),
  /** Filters of the first level (doubling at each level below). */
  baseFilters: z.number().int().min(1).max(512).optional(),
  /** `transpose`: a learned 2×2 stride-2 transposed convolution; `resize`: upsampling then a 3×3 convolution. */
  upsampling: z.enum(['transpose', 'resize']).optional(),
  /** How `resize` upsampling interpolates. */
  interpolation: z.enum(['nearest', 'bilinear']).optional(),
  /** Batch norm between each convolution and its relu. */
  batchNorm: z.boolean().optional(),
  /** Dropout rate after the bottleneck (0: none). */
  dropout: z.number().min(0).lt(1).optional(),
  seed: z.number().int().min(0).max(4294967295).default(0),
});

export type SegmenterOptions = z.input<typeof SegmenterSchema>;
export type SegmenterPresetName = (typeof SEGMENTER_PRESET_NAMES)[number];
/** A resolved segmenter config: every architecture field filled in (from the preset, then the options). */
export type SegmenterConfig = Omit<
  z.output<typeof SegmenterSchema>,
  'depth' | 'baseFilters' | 'upsampling' | 'interpolation' | 'batchNorm' | 'dropout'
> & {
  depth: number;
  baseFilters: number;
  upsampling: 'transpose' | 'resize';
  interpolation: 'nearest' | 'bilinear';
  batchNorm: boolean;
  dropout: number;
};
