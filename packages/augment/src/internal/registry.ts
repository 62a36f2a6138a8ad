import { formatPath, OptikError, parseOrThrow } from '@optik/core';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { z } from 'zod';
import { Compose, OneOf, SomeOf } from './compose.js';
import { RandomCrop, RandomFlip, RandomResizedCrop, RandomRotate, RandomTranslate, RandomZoom } from './geometric.js';
import { CutMix, MixUp } from './mix.js';
import { CopyPaste, Mosaic } from './multi.js';
import { GaussianNoise, HueSaturation, RandomBrightness, RandomContrast, RandomErasing } from './pixel.js';
import type { Transform } from './types.js';

/** A transform class as the registry sees it: a type name, its flat options schema, a constructor. */
export interface TransformClass {
  readonly type: string;
  readonly schema: z.ZodType;
  /** True for classes that hold children (`new C(children, options)`); others are `new C(options)`. */
  readonly container?: boolean;
}

type LeafClass = TransformClass & { new (options: never): Transform };
type ContainerClass = TransformClass & { new (transforms: readonly Transform[], options: never): Transform };

let registry: ReadonlyMap<string, TransformClass> | undefined;

/**
 * Every transform class by type name. Built on first use (the container classes import this module).
 *
 * @example
 * ```ts
 * const types = [...transformRegistry().keys()]; // ['RandomRotate', 'RandomFlip', …]
 * ```
 */
export function transformRegistry(): ReadonlyMap<string, TransformClass> {
  registry ??= new Map<string, TransformClass>(
    [
      RandomRotate,
      RandomFlip,
      RandomZoom,
      RandomTranslate,
      RandomCrop,
      RandomResizedCrop,
      RandomBrightness,
      RandomContrast,
      GaussianNoise,
      RandomErasing,
      HueSaturation,
      MixUp,
      CutMix,
      Mosaic,
      CopyPaste,
      Compose,
      OneOf,
      SomeOf,
    ].map((c) => [c.type, c] as const),
  );
  return registry;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Builds a transform (or a whole pipeline) from its config; errors name the config path.
 *
 * @example
 * ```ts
 * const pipeline = fromConfig({ type: 'Compose', transforms: [{ type: 'RandomFlip' }] });
 * ```
 */
export function fromConfig(config: unknown, path = ''): Transform {
  const at = (key: string | number) => formatPath([key], path);
  if (!isRecord(config) || typeof config.type !== 'string') {
    throw new OptikError('CONFIG_INVALID', 'A transform config must be an object with a string "type".', {
      path: path === '' ? '(root)' : path,
      received: config,
      hint: `Known types: ${[...transformRegistry().keys()].join(', ')}.`,
    });
  }
  const { type, transforms, ...options } = config;
  const cls = transformRegistry().get(type);
  if (cls === undefined) {
    throw new OptikError('CONFIG_INVALID', `Unknown transform type "${type}".`, {
      path: at('type'),
      received: type,
      hint: `Known types: ${[...transformRegistry().keys()].join(', ')}.`,
    });
  }
  const what = `${type} options`;
  if (cls.container === true) {
    if (!Array.isArray(transforms)) {
      throw new OptikError('CONFIG_INVALID', `${type} needs a "transforms" list.`, {
        path: at('transforms'),
        received: transforms,
      });
    }
    const children = transforms.map((child, i) => fromConfig(child, formatPath(['transforms', i], path)));
    const parsed = parseOrThrow(cls.schema, options, { what, ...(path === '' ? {} : { prefix: path }) });
    return new (cls as ContainerClass)(children, parsed as never);
  }
  if (transforms !== undefined) options.transforms = transforms;
  const parsed = parseOrThrow(cls.schema, options, { what, ...(path === '' ? {} : { prefix: path }) });
  return new (cls as LeafClass)(parsed as never);
}

/**
 * Serialises a transform's config as `json` (pretty) or `yaml`.
 *
 * @example
 * ```ts
 * const yaml = serializePipeline(pipeline, 'yaml');
 * ```
 */
export function serializePipeline(transform: Transform, format: 'json' | 'yaml' = 'yaml'): string {
  const config = transform.toConfig();
  return format === 'json'
    ? `${JSON.stringify(config, null, 2)}\n`
    : stringifyYaml(config, { flowCollectionPadding: false });
}

/**
 * Parses a YAML or JSON pipeline text (YAML is a superset of JSON) and builds it.
 *
 * @example
 * ```ts
 * const pipeline = parsePipeline(readFileSync('augment.yaml', 'utf8'), { file: 'augment.yaml' });
 * ```
 */
export function parsePipeline(text: string, options: { file?: string } = {}): Transform {
  let config: unknown;
  try {
    config = parseYaml(text);
  } catch (error) {
    throw new OptikError(
      'CONFIG_PARSE',
      `Could not parse the augmentation config: ${(error as Error).message}`,
      options.file === undefined ? {} : { file: options.file },
      { cause: error },
    );
  }
  try {
    return fromConfig(config);
  } catch (error) {
    if (error instanceof OptikError && options.file !== undefined && error.details.file === undefined) {
      throw new OptikError(error.code, error.message, { ...error.details, file: options.file }, { cause: error });
    }
    throw error;
  }
}
