import { runEvaluation } from '@optik/pipeline';
import { renderTable } from '@optik/track';
import { fixed, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { headlineInline } from '../internal/headline.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik eval <run> [--data SOURCE] [--root DIR] [--json]
  run     id, name, task/name, or a run folder
  --data  a built-in dataset (fashion-mnist, mnist: its test split) or a class-per-folder directory
          (default: the run's own test split)`;

const FLAGS = {
  data: {
    type: 'string',
    value: 'SOURCE',
    description: "evaluate on this instead of the run's test split: a built-in dataset (its test split) or a folder",
  },
  root: { type: 'string', value: 'DIR', description: 'the run store (default runs)' },
} as const;

/** `optik help eval`. */
export const evalHelp: CommandHelp = {
  summary: "evaluate a run's best weights on its test split or --data",
  usage: USAGE,
  flags: FLAGS,
};

/** `optik eval`: evaluates a run's best weights and prints the metrics and a per-class table. */
export const evaluate: Command = async (args, ctx) => {
  const { values, positionals } = parseCommandArgs(args, parserOptions(FLAGS), USAGE);
  const [ref, ...extra] = positionals;
  if (ref === undefined) throw new UsageError(`optik eval needs a run.\n${USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n${USAGE}`);
  const result = await runEvaluation(ref, { data: values.data, root: values.root ?? 'runs', backend: ctx.backend });
  const m = result.metrics;
  // Every task's report has a per-class table with these columns (localization adds IoU columns to its own).
  const perClass = (result.report.perClass ?? []) as {
    name: string;
    precision: number;
    recall: number;
    f1: number;
    support: number;
  }[];
  const human = [
    `run ${result.runId ?? '?'} (${result.runDir}), weights/${result.weights}, on ${result.backend}`,
    `${result.data}: ${m.numSamples} images`,
    ...result.warnings.map((warning) => `warning: ${warning}`),
    `  ${headlineInline(m)}  (P/R/F1 macro)`,
    '',
    renderTable(
      ['class', 'precision', 'recall', 'f1', 'support'],
      perClass.map((c) => [c.name, fixed(c.precision), fixed(c.recall), fixed(c.f1), String(c.support)]),
    ),
  ].join('\n');
  ctx.result(
    {
      runId: result.runId,
      runDir: result.runDir,
      backend: result.backend,
      weights: result.weights,
      data: result.data,
      metrics: m,
      perClass,
      warnings: result.warnings,
    },
    human,
  );
};
