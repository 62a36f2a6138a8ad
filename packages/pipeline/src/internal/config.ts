import { readFileSync } from 'node:fs';
import { assertSafeKeys, fromZodError, OptikError } from '@optik/core';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ClassificationConfigSchema } from './tasks/classification/config.js';
import { DetectionConfigSchema } from './tasks/detection/config.js';
import { InstanceSegmentationConfigSchema } from './tasks/instance-segmentation/config.js';
import { LocalizationConfigSchema } from './tasks/localization/config.js';
import { type PipelineConfig, taskOf } from './tasks/registry.js';
import { SegmentationConfigSchema } from './tasks/segmentation/config.js';

export type { PipelineConfig } from './tasks/registry.js';

/** A pipeline config: one schema per task, told apart by `task` (classification, localization, detection, semantic-segmentation,
 * instance-segmentation). */
export const PipelineConfigSchema = z.discriminatedUnion('task', [
  ClassificationConfigSchema,
  LocalizationConfigSchema,
  DetectionConfigSchema,
  SegmentationConfigSchema,
  InstanceSegmentationConfigSchema,
]);

/** A pipeline config as written (defaults optional). */
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges `override` into `base` (neither is modified): objects key by key, arrays replaced, except that an object
 * patches array elements, by position (`model.layers.0.filters=64`) or by the `name` of an element
 * (`model.layers.drop1.rate=0.3`, a layer named `drop1`); a name no element has is `CONFIG_UNKNOWN_KEY` naming the
 * names there are. `null` removes a key (`data.dataset=null data.directory=pets`). `path` is where `base` sits in
 * the config, for messages.
 */
export function mergeOverrides(base: unknown, override: unknown, path = ''): unknown {
  if (isPlainObject(override) && Array.isArray(base) && Object.keys(override).length > 0) {
    const out = [...base];
    for (const [key, value] of Object.entries(override)) {
      const index = /^\d+$/.test(key) ? Number(key) : indexByName(base, key, path);
      out[index] = mergeOverrides(out[index], value, `${path}[${index}]`);
    }
    return out;
  }
  if (!isPlainObject(override) || !isPlainObject(base)) return structuredClone(override);
  const out: Record<string, unknown> = { ...base };
  assertSafeKeys(override);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = mergeOverrides(base[key], value, path === '' ? key : `${path}.${key}`);
  }
  return out;
}

/** The index of the element of `list` whose `name` is `name` (a named layer), or a coded error listing the names. */
function indexByName(list: readonly unknown[], name: string, path: string): number {
  const names = list.map((item) => (isPlainObject(item) && typeof item.name === 'string' ? item.name : undefined));
  const index = names.indexOf(name);
  if (index >= 0) return index;
  const known = names.filter((n): n is string => n !== undefined);
  throw new OptikError(
    'CONFIG_UNKNOWN_KEY',
    `${path || 'The list'} has no element named "${name}"${known.length === 0 ? ' (none of its elements has a name)' : ''}.`,
    {
      path: `${path}.${name}`,
      received: name,
      hint:
        known.length === 0
          ? `Address an element by position (${path}.0) or give it a name first (${path}: [{ type: dropout, name: drop1, … }]).`
          : `Names in ${path}: ${known.join(', ')} (or address an element by position, e.g. ${path}.0).`,
    },
  );
}

/** Reads a YAML or JSON file into plain data; a syntax error is `CONFIG_PARSE` naming the file and line. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new OptikError(
      'DATA_NOT_FOUND',
      'Cannot read the config file.',
      { file: path, hint: 'Check the path; configs are YAML or JSON files.' },
      { cause },
    );
  }
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first !== undefined) {
    const where = first.linePos?.[0];
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
    throw new OptikError(
      'CONFIG_PARSE',
      `The config is not valid YAML/JSON${where === undefined ? '' : ` (line ${where.line}, column ${where.col})`}: ${message}.`,
      { file: path, hint: 'Fix the syntax at that line; YAML indentation must be consistent.' },
      { cause: first },
    );
  }
  const data: unknown = doc.toJS();
  // `__proto__`, `constructor` and `prototype` keys would walk into Object.prototype when merged: refused.
  assertSafeKeys(data, '', { file: path });
  if (!isPlainObject(data)) {
    throw new OptikError('CONFIG_INVALID', 'A pipeline config must be a mapping (key: value pairs).', {
      file: path,
      received: data,
      hint: 'Start from examples/mnist/train.yaml.',
    });
  }
  return data;
}

/**
 * Validates a pipeline config object (overrides already applied) and resolves every default through its task.
 * Errors are coded one-paragraph {@link OptikError}s naming the key path (`model.layers[0].kernelSize`).
 */
export function resolvePipelineConfig(input: unknown, options: { file?: string } = {}): PipelineConfig {
  const fileMeta = options.file === undefined ? {} : { file: options.file };
  const parsed = PipelineConfigSchema.safeParse(input);
  if (!parsed.success)
    throw fromZodError(parsed.error, { input, schema: PipelineConfigSchema, what: 'pipeline config', ...fileMeta });
  return taskOf(parsed.data.task).resolve(parsed.data, options) as PipelineConfig;
}

/**
 * Reads a pipeline config file (YAML or JSON), applies `key=value` overrides (a nested object, e.g. from the
 * CLI's `train.epochs=3`) and returns the fully resolved config.
 */
export function loadPipelineConfig(path: string, overrides: Record<string, unknown> = {}): PipelineConfig {
  const raw = readConfigFile(path);
  return resolvePipelineConfig(mergeOverrides(raw, overrides), { file: path });
}
