import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createDemoSample, fromConfig, parsePipeline, renderPreview, type Transform } from '@optik/augment';
import { type ImageSample, OptikError } from '@optik/core';
import { loadBuiltinDataset, readSample, scanImageFolder } from '@optik/data';
import { parse as parseYaml } from 'yaml';
import { intFlag, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik augment preview <config> [SOURCE] --out grid.png [--index 0] [--count 16] [--seed 0] [--json]
  config    an augmentation pipeline (YAML/JSON) or a pipeline config with an augment section
  SOURCE    an image file, a class-per-folder directory or a built-in dataset (mnist, fashion-mnist); default: a
            training config's own data, else a built-in demo sample with a box and a mask
  A training config's images are shown at the size and colour mode the network sees (data.imageSize,
  data.colorMode); each variant is captioned with the parameters drawn for it.`;

const FLAGS = {
  out: { type: 'string', value: 'FILE', description: 'the PNG to write (required)' },
  source: {
    type: 'string',
    value: 'SOURCE',
    description: 'the image, class folder or built-in dataset to augment (same as the SOURCE argument)',
  },
  index: { type: 'string', value: 'N', description: 'which image of a folder or dataset (default 0)' },
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
  const [file, positionalSource, ...extra] = positionals;
  if (file === undefined) throw new UsageError(`optik augment preview needs a config.\n${USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n${USAGE}`);
  if (positionalSource !== undefined && values.source !== undefined) {
    throw new UsageError(`give the source once: as an argument or with --source.\n${USAGE}`);
  }
  if (values.out === undefined) throw new UsageError(`optik augment preview needs --out grid.png.\n${USAGE}`);
  const count = intFlag('count', values.count, 16);
  const seed = intFlag('seed', values.seed, 0, 0);
  const index = intFlag('index', values.index, 0, 0);
  const { pipeline, data } = readPipeline(file);
  const sourceName = positionalSource ?? values.source ?? data.dataset ?? data.directory;
  const { sample, caption } =
    sourceName === undefined
      ? { sample: createDemoSample(), caption: 'original (demo)' }
      : await readSource(sourceName, index, data);
  const png = await renderPreview(pipeline, sample, { count, seed, captions: true, originalCaption: caption });
  const out = writePreview(resolve(values.out), png);
  ctx.result(
    {
      out,
      count,
      seed,
      source: sourceName ?? 'demo',
      index,
      size: [sample.image.height, sample.image.width, sample.image.channels],
    },
    `wrote ${out} (original + ${count} variants, ${caption})`,
  );
};

/** What a training config says about the images the network sees. */
interface DataHints {
  readonly dataset?: string | undefined;
  readonly directory?: string | undefined;
  /** `[height, width]`, from a training config's data section. */
  readonly imageSize?: [number, number] | undefined;
  readonly colorMode?: 'grayscale' | 'rgb' | 'rgba' | undefined;
}

const BUILTIN = new Set(['mnist', 'fashion-mnist']);

/**
 * The image to augment: an image file, image `index` of a class folder, or of a built-in dataset's training split;
 * resized to a training config's `imageSize` and colour mode, so the grid shows what the network sees.
 */
async function readSource(
  name: string,
  index: number,
  data: DataHints,
): Promise<{ sample: ImageSample; caption: string }> {
  if (BUILTIN.has(name)) {
    const { train } = await loadBuiltinDataset(name);
    if (index >= train.length) throw indexError(index, train.length, name);
    const sample = train.sample(index);
    return { sample, caption: `${name} #${index} · ${sizeText(sample)} as the network sees it` };
  }
  const path = resolve(name);
  if (!existsSync(path)) {
    throw new OptikError('DATA_NOT_FOUND', `The preview source ${path} does not exist.`, {
      received: name,
      hint: 'Give an image file, a class-per-folder directory, or a built-in dataset: mnist, fashion-mnist.',
    });
  }
  const decode = {
    ...(data.imageSize === undefined ? {} : { imageSize: data.imageSize }),
    colorMode: data.colorMode ?? 'rgb',
  };
  const source = statSync(path).isDirectory()
    ? scanImageFolder(path)
    : {
        format: 'folder' as const,
        root: dirname(path),
        task: 'classification' as const,
        classNames: [],
        records: [{ file: path }],
        issues: { clippedBoxes: 0, skipped: [] },
      };
  if (index >= source.records.length) throw indexError(index, source.records.length, name);
  const sample = await readSample(source, index, decode);
  const where = statSync(path).isDirectory() ? `${source.records[index]?.file ?? name}` : name;
  const seen = data.imageSize === undefined ? '' : ' as the network sees it';
  return { sample, caption: `${where.split(/[\\/]/).slice(-2).join('/')} · ${sizeText(sample)}${seen}` };
}

const sizeText = (s: ImageSample) => `${s.image.width}×${s.image.height}${s.image.channels === 1 ? ' grey' : ''}`;

function indexError(index: number, length: number, name: string): OptikError {
  return new OptikError('ARGUMENT_INVALID', `--index ${index} is past the ${length} images of ${name}.`, {
    received: index,
    hint: `Give an --index from 0 to ${length - 1}.`,
  });
}

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

function readPipeline(file: string): { pipeline: Transform; data: DataHints } {
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
    return { pipeline: parsePipeline(text, { file }), data: {} }; // reports the syntax error with the file
  }
  if (parsed !== null && typeof parsed === 'object' && 'task' in parsed && 'augment' in parsed) {
    try {
      return { pipeline: fromConfig((parsed as { augment: unknown }).augment, 'augment'), data: dataHints(parsed) };
    } catch (error) {
      if (error instanceof OptikError && error.details.file === undefined) {
        throw new OptikError(error.code, error.message, { ...error.details, file }, { cause: error });
      }
      throw error;
    }
  }
  return { pipeline: parsePipeline(text, { file }), data: {} };
}

/** The data section of a training config, as far as the preview needs it (sizes as the pipeline defaults them). */
function dataHints(config: object): DataHints {
  const data = (config as { data?: Record<string, unknown> }).data ?? {};
  const dataset = typeof data.dataset === 'string' ? data.dataset : undefined;
  const directory = typeof data.directory === 'string' ? data.directory : undefined;
  if (dataset !== undefined) return { dataset };
  const size = data.imageSize;
  const imageSize =
    Array.isArray(size) && size.length === 2 && size.every((v) => typeof v === 'number')
      ? (size as [number, number])
      : ([64, 64] as [number, number]);
  const mode = data.colorMode;
  const colorMode = mode === 'grayscale' || mode === 'rgb' || mode === 'rgba' ? mode : 'rgb';
  return { directory, imageSize, colorMode };
}
