import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { OptikError } from '@optik/core';
import {
  formatInspectReport,
  inspectDataset,
  reportToJson,
  type SourceConfig,
  type SynthOptions,
  writeSynthDataset,
} from '@optik/data';
import { parse as parseYaml } from 'yaml';
import { parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const INSPECT_USAGE = `usage: optik data inspect <source|config> [--out DIR] [--json]
  source  a folder, a manifest (data.yaml, COCO .json, CSV), a built-in name (fashion-mnist, mnist),
          a source config file ({ format, path }) or a pipeline config (its data section)
  --out   also write report.json, charts and a sample grid into DIR`;
const SYNTH_USAGE = `usage: optik data synth --out DIR [--count 2000,300,300] [--classes 8|NAME,NAME…] [--objects 1,8]
                        [--scale 0.15,0.5] [--size 128,256] [--occlusion 0.5] [--seed 0] [--format coco|yolo]
                        [--source openclipart|emoji|tuxpaint] [--source-dir DIR] [--image-format jpg|png]
                        [--cutouts shared|disjoint] [--json]
  writes a detection / segmentation set: real cut-outs pasted on real photos, with exact boxes and masks
  (images/, annotations/{train,val,test}.json (COCO, RLE masks), masks/ (class-index PNGs), classes.txt, synth.json)`;
const USAGE = `${INSPECT_USAGE}\n${SYNTH_USAGE}`;

const INSPECT_FLAGS = {
  out: {
    type: 'string',
    value: 'DIR',
    description: 'inspect: also write report.json, charts and a sample grid into DIR',
  },
} as const;
const SYNTH_FLAGS = {
  out: {
    type: 'string',
    value: 'DIR',
    description: 'synth: the folder to write (new, empty or an earlier synth output)',
  },
  count: { type: 'string', value: 'T,V,T', description: 'synth: images in train,val,test (default 2000,300,300)' },
  classes: {
    type: 'string',
    value: 'N|NAMES',
    description: 'synth: number of classes (default 8) or comma-separated names (mammal,bird,… or source folders)',
  },
  objects: { type: 'string', value: 'MIN,MAX', description: 'synth: objects per image (default 1,8)' },
  scale: {
    type: 'string',
    value: 'MIN,MAX',
    description: "synth: object's longer side / image's shorter side (default 0.15,0.5)",
  },
  size: {
    type: 'string',
    value: 'MIN,MAX',
    description: 'synth: image width and height in pixels, drawn independently (default 128,256)',
  },
  occlusion: {
    type: 'string',
    value: 'F',
    description: 'synth: largest share of an object later ones may cover (default 0.5)',
  },
  seed: { type: 'string', value: 'S', description: 'synth: seed; the same seed writes the same files (default 0)' },
  format: { type: 'string', value: 'coco|yolo', description: 'synth: yolo also writes labels/ and data.yaml' },
  source: {
    type: 'string',
    value: 'NAME',
    description: 'synth: cut-outs from openclipart (apt openclipart-svg, default), emoji (npm), tuxpaint (apt, GPL)',
  },
  'source-dir': { type: 'string', value: 'DIR', description: 'synth: where the source is, if not its standard place' },
  'image-format': { type: 'string', value: 'jpg|png', description: 'synth: image file type (default jpg)' },
  cutouts: {
    type: 'string',
    value: 'shared|disjoint',
    description: 'synth: splits draw from all cut-outs (shared, default) or each its own 70/15/15 share (disjoint)',
  },
} as const;

/** `optik help data`. */
export const dataHelp: CommandHelp = {
  summary: 'inspect a dataset, or generate a synthetic detection/segmentation set (data inspect | data synth)',
  usage: USAGE,
  flags: {
    ...SYNTH_FLAGS,
    out: {
      type: 'string',
      value: 'DIR',
      description: `inspect: also write the report there; ${SYNTH_FLAGS.out.description}`,
    },
  },
};

/** `optik data inspect` (the quality report; problems are reported, exit 0) and `optik data synth`. */
export const data: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (sub === 'synth') return synth(rest, ctx);
  if (sub !== 'inspect') throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}".\n${USAGE}`);
  const { values, positionals } = parseCommandArgs(rest, parserOptions(INSPECT_FLAGS), INSPECT_USAGE);
  const [input, ...extra] = positionals;
  if (input === undefined) throw new UsageError(`optik data inspect needs a source.\n${INSPECT_USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n${INSPECT_USAGE}`);
  const report = await inspectDataset(sourceOf(input), values.out === undefined ? {} : { outDir: values.out });
  ctx.result(reportToJson(report), formatInspectReport(report));
};

/** `--count 200,50,50`: `example.length` comma-separated numbers, or a coded error naming the flag. */
function numbersFlag(name: string, text: string | undefined, example: readonly number[]): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  if (parts.length !== example.length || parts.some((p) => p === '') || numbers.some((n) => !Number.isFinite(n))) {
    const what = example.length === 1 ? 'a number' : `${example.length} comma-separated numbers`;
    throw new OptikError('ARGUMENT_INVALID', `--${name} needs ${what}.`, {
      received: text,
      hint: `Write e.g. --${name} ${example.join(',')}.`,
    });
  }
  return numbers;
}

/** `optik data synth`: writes the set, progress on stderr, the paths and counts as the result. */
async function synth(args: readonly string[], ctx: Parameters<Command>[1]): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, parserOptions(SYNTH_FLAGS), SYNTH_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}\n${SYNTH_USAGE}`);
  if (values.out === undefined) throw new UsageError(`optik data synth needs --out DIR.\n${SYNTH_USAGE}`);
  const options: Record<string, unknown> = {
    count: numbersFlag('count', values.count, [2000, 300, 300]),
    objectsPerImage: numbersFlag('objects', values.objects, [1, 8]),
    scale: numbersFlag('scale', values.scale, [0.15, 0.5]),
    imageSize: numbersFlag('size', values.size, [128, 256]),
    maxOcclusion: numbersFlag('occlusion', values.occlusion, [0.5])?.[0],
    seed: numbersFlag('seed', values.seed, [0])?.[0],
    format: values.format,
    source: values.source,
    sourceDir: values['source-dir'],
    imageFormat: values['image-format'],
    cutouts: values.cutouts,
  };
  if (values.classes !== undefined) {
    if (/^\s*\d+\s*$/.test(values.classes)) options.classes = Number(values.classes);
    else options.classNames = values.classes.split(',').map((c) => c.trim());
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SynthOptions;
  const started = Date.now();
  const set = await writeSynthDataset(values.out, defined, ({ split, done, total }) => {
    if (done === total || done % 500 === 0) ctx.info(`synth: ${split} ${done}/${total} images`);
  }).catch((error: unknown) => {
    throw withFlagNames(error);
  });
  const seconds = (Date.now() - started) / 1000;
  const { train, val, test } = set.counts;
  const images = train.images + val.images + test.images;
  const objects = train.objects + val.objects + test.objects;
  ctx.result(
    {
      out: set.root,
      classNames: set.classNames,
      counts: set.counts,
      splits: set.splits,
      synthFile: set.synthFile,
      ...(set.dataYaml === undefined ? {} : { dataYaml: set.dataYaml }),
      seconds,
    },
    `wrote ${images} images with ${objects} objects of ${set.classNames.length} classes (${set.classNames.join(', ')}) to ${set.root} in ${seconds.toFixed(1)} s\n` +
      `  train ${train.images} / val ${val.images} / test ${test.images}; COCO in annotations/, class-index masks in masks/`,
  );
}

/** The option names a synth error mentions, as the flags that set them. */
const FLAG_OF: Readonly<Record<string, string>> = {
  count: '--count',
  classes: '--classes',
  classNames: '--classes',
  objectsPerImage: '--objects',
  scale: '--scale',
  imageSize: '--size',
  maxOcclusion: '--occlusion',
  seed: '--seed',
  format: '--format',
  source: '--source',
  sourceDir: '--source-dir',
  imageFormat: '--image-format',
  cutouts: '--cutouts',
};

function withFlagNames(error: unknown): unknown {
  if (!(error instanceof OptikError) || error.code !== 'CONFIG_INVALID') return error;
  const message = error.message.replace(/\b(\w+)(?=(\[\d+\])?:)/g, (key) =>
    FLAG_OF[key] === undefined ? key : `${FLAG_OF[key]} (${key})`,
  );
  return new OptikError(error.code, message, error.details, { cause: error });
}

/** A YAML file is a pipeline config (its `data` section) or a source config; anything else goes as it is. */
function sourceOf(input: string): string | SourceConfig {
  if (!['.yaml', '.yml'].includes(extname(input).toLowerCase())) return input;
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(input, 'utf8'));
  } catch (cause) {
    // A YOLO data.yaml is a source in its own right: let @optik/data read it.
    if (cause instanceof Error && 'code' in cause && cause.code === 'ENOENT') return input;
    throw new OptikError(
      'CONFIG_PARSE',
      `Could not parse ${input}: ${(cause as Error).message.split('\n')[0]}`,
      { file: input },
      { cause },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return input;
  const record = parsed as Record<string, unknown>;
  if ('task' in record && 'data' in record) {
    const section = record.data as { dataset?: unknown; directory?: unknown } | undefined;
    const source = section?.dataset ?? section?.directory;
    if (typeof source !== 'string') {
      throw new OptikError('CONFIG_INVALID', 'The pipeline config has no data.dataset or data.directory to inspect.', {
        path: 'data',
        file: input,
      });
    }
    return source;
  }
  if ('format' in record && 'path' in record) return record as unknown as SourceConfig;
  return input;
}
