import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { OptikError } from '@optik/core';
import { formatInspectReport, inspectDataset, reportToJson, type SourceConfig } from '@optik/data';
import { parse as parseYaml } from 'yaml';
import { parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik data inspect <source|config> [--out DIR] [--json]
  source  a folder, a manifest (data.yaml, COCO .json, CSV), a built-in name (fashion-mnist, mnist),
          a source config file ({ format, path }) or a pipeline config (its data section)
  --out   also write report.json, charts and a sample grid into DIR`;

const FLAGS = {
  out: { type: 'string', value: 'DIR', description: 'also write report.json, charts and a sample grid into DIR' },
} as const;

/** `optik help data`. */
export const dataHelp: CommandHelp = {
  summary: 'inspect a dataset: class balance, duplicates, leakage, sizes (data inspect)',
  usage: USAGE,
  flags: FLAGS,
};

/** `optik data inspect`: the dataset quality report. Problems are reported, not failures: the exit code is 0. */
export const data: Command = async (args, ctx) => {
  const [sub, ...rest] = args;
  if (sub !== 'inspect') throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}".\n${USAGE}`);
  const { values, positionals } = parseCommandArgs(rest, parserOptions(FLAGS), USAGE);
  const [input, ...extra] = positionals;
  if (input === undefined) throw new UsageError(`optik data inspect needs a source.\n${USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n${USAGE}`);
  const report = await inspectDataset(sourceOf(input), values.out === undefined ? {} : { outDir: values.out });
  ctx.result(reportToJson(report), formatInspectReport(report));
};

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
