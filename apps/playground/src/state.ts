import { z } from 'zod';
import { DATASETS, FEATURE_NAMES } from './two-d/data.js';

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? (v === '' ? [] : v.split(',')) : v), z.array(item));
const num = (schema: z.ZodNumber) => z.coerce.number().pipe(schema);

/** One convolutional-network block of image mode, written `conv:8:3:1:same`, `pool:max:2`, `dense:64`, … in the URL. */
export const BLOCK_KINDS = ['conv', 'pool', 'flatten', 'dense', 'dropout'] as const;

/**
 * The whole page state, flat, as it lives in the URL (the TensorFlow Playground's shareable links): every field has
 * a default, so `?` alone is a valid page and a link keeps working when fields are added.
 */
export const StateSchema = z.object({
  mode: z.enum(['2d', 'image']).default('2d'),
  backend: z.enum(['auto', 'webgl', 'wasm', 'cpu']).default('auto'),
  seed: num(
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 31),
  ).default(1),
  // 2-D mode
  dataset: z.enum(DATASETS).default('circle'),
  noise: num(z.number().min(0).max(0.5)).default(0),
  trainRatio: num(z.number().min(0.1).max(0.9)).default(0.5),
  points: num(z.number().int().min(20).max(2000)).default(500),
  features: list(z.enum(FEATURE_NAMES))
    .pipe(z.array(z.enum(FEATURE_NAMES)).min(1))
    .default(['x1', 'x2']),
  hidden: list(num(z.number().int().min(1).max(16)))
    .pipe(z.array(z.number()).max(6))
    .default([4, 2]),
  activation: z.enum(['relu', 'tanh', 'sigmoid', 'linear']).default('tanh'),
  learningRate: num(z.number().positive().max(10)).default(0.03),
  batchSize: num(z.number().int().min(1).max(2000)).default(10),
  l1: num(z.number().min(0).max(1)).default(0),
  l2: num(z.number().min(0).max(1)).default(0),
  dropout: num(z.number().min(0).lt(1)).default(0),
  stepsPerClick: num(z.number().int().min(1).max(10000)).default(1),
  // image mode
  blocks: list(z.string().regex(/^(conv|pool|flatten|dense|dropout)(:[a-z0-9.]+)*$/))
    .pipe(z.array(z.string()).min(1))
    .default(['conv:8:3:1:same', 'pool:max:2', 'conv:16:3:1:same', 'pool:max:2', 'flatten', 'dropout:0.25']),
  trainImages: num(z.number().int().min(100).max(2000)).default(1000),
  epochs: num(z.number().int().min(1).max(50)).default(3),
  imageBatch: num(z.number().int().min(1).max(512)).default(16),
  imageLearningRate: num(z.number().positive().max(1)).default(0.005),
  patience: num(z.number().int().min(1).max(20)).default(2),
  augment: list(z.enum(['rotate', 'crop', 'flip', 'zoom', 'brightness', 'contrast'])).default([]),
});
export type PageState = z.output<typeof StateSchema>;

/**
 * Reads the state from a query string. A field that does not parse falls back to its default and is reported, so a
 * hand-edited link shows what was wrong instead of breaking the page.
 */
export function readState(search: string): { state: PageState; problems: string[] } {
  const params = Object.fromEntries(new URLSearchParams(search));
  const problems: string[] = [];
  const clean: Record<string, unknown> = {};
  const shape = StateSchema.shape;
  for (const [key, value] of Object.entries(params)) {
    const field = shape[key as keyof typeof shape];
    if (field === undefined) {
      problems.push(`unknown setting "${key}" ignored`);
      continue;
    }
    const parsed = field.safeParse(value);
    if (parsed.success) clean[key] = value;
    else problems.push(`${key}=${value} is not valid (${parsed.error.issues[0]?.message ?? 'invalid'}): default used`);
  }
  return { state: StateSchema.parse(clean), problems };
}

/** The query string of a state, leaving out fields at their default, so links stay short. */
export function writeState(state: PageState): string {
  const defaults = StateSchema.parse({});
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state)) {
    const text = Array.isArray(value) ? value.join(',') : String(value);
    const base = defaults[key as keyof PageState];
    if (text !== (Array.isArray(base) ? base.join(',') : String(base))) params.set(key, text);
  }
  return params.toString();
}
