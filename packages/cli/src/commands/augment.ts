import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createDemoSample, fromConfig, parsePipeline, renderPreview, type Transform } from '@optik/augment';
import { OptikError } from '@optik/core';
import { readSample } from '@optik/data';
import { parse as parseYaml } from 'yaml';
import { intFlag, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik augment preview <config> --out grid.png [--source IMAGE] [--count 16] [--seed 0] [--json]
  config    an augmentation pipeline (YAML/JSON) or a pipeline config with an augment section
  --source  the image to augment (default: a built-in demo sample with a box and a mask)`;

const FLAGS = {
  out: { type: 'string', value: 'FILE', description: 'the PNG to write (required)' },
  source: {
    type: 'string',
    value: 'IMAGE',
    description: 'the image to augment (default: a built-in demo sample with a box and a mask)',
  },
  count: { type: 'string', value: 'N', description: 'augmented variants next to the original (default 16)' },
  seed: { type: 'string', value: 'S', description: 'seed of the variants (default 0)' },
} as const;

/** `optik help augment`. */
export const augmentHelp: CommandHelp = {
  summary: 'render an augmentation preview grid (augment preview --out grid.png)',
  usage: USAGE,
  flags: FLAGS,
};

/** `optik augment preview`: a PNG grid of the original and `count` augmented variants. */
export const augment: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (sub !== 'preview') throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}".\n${USAGE}`);
  const { values, positionals } = parseCommandArgs(rest, parserOptions(FLAGS), USAGE);
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError(`optik augment preview needs a config.\n${USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n${USAGE}`);
  if (values.out === undefined) throw new UsageError(`optik augment preview needs --out grid.png.\n${USAGE}`);
  const count = intFlag('count', values.count, 16);
  const seed = intFlag('seed', values.seed, 0, 0);
  const pipeline = readPipeline(file);
  const sample = values.source === undefined ? createDemoSample() : await readImage(values.source);
  const png = await renderPreview(pipeline, sample, { count, seed });
  const out = writePreview(resolve(values.out), png);
  ctx.result({ out, count, seed, source: values.source ?? 'demo' }, `wrote ${out} (original + ${count} variants)`);
};

/** Writes the grid to `out`, or to `out/augment-preview.png` when `out` is a folder; a failure is a coded error. */
function writePreview(out: string, png: Uint8Array): string {
  let file = out;
  try {
    if (statSync(out).isDirectory()) file = join(out, 'augment-preview.png');
  } catch {
    // a new file
  }
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, png);
  } catch (cause) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Cannot write the preview to ${file}: ${(cause as Error).message}.`,
      { received: out, hint: 'Give --out a writable .png file path (or a folder), e.g. --out grid.png.' },
      { cause },
    );
  }
  return file;
}

function readPipeline(file: string): Transform {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new OptikError('DATA_NOT_FOUND', 'Cannot read the augmentation config.', { file }, { cause });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return parsePipeline(text, { file }); // reports the syntax error with the file
  }
  if (parsed !== null && typeof parsed === 'object' && 'task' in parsed && 'augment' in parsed) {
    try {
      return fromConfig((parsed as { augment: unknown }).augment, 'augment');
    } catch (error) {
      if (error instanceof OptikError && error.details.file === undefined) {
        throw new OptikError(error.code, error.message, { ...error.details, file }, { cause: error });
      }
      throw error;
    }
  }
  return parsePipeline(text, { file });
}

async function readImage(path: string) {
  const file = resolve(path);
  return readSample(
    {
      format: 'folder',
      root: dirname(file),
      task: 'classification',
      classNames: [],
      records: [{ file }],
      issues: { clippedBoxes: 0, skipped: [] },
    },
    0,
    { colorMode: 'rgb' },
  );
}
