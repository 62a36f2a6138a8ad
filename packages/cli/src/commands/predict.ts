import { runPrediction } from '@optik/pipeline';
import { intFlag, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik predict <run> <image> [image ...] [--top-k 3] [--root DIR] [--json]
  run  id, name, task/name, or a run folder; images are resized to the model's input`;

const FLAGS = {
  'top-k': { type: 'string', value: 'K', description: 'how many classes to show per image (default 3)' },
  root: { type: 'string', value: 'DIR', description: 'the run store (default runs)' },
} as const;

/** `optik help predict`. */
export const predictHelp: CommandHelp = {
  summary: 'top-k classes with probabilities for image files (--top-k 3)',
  usage: USAGE,
  flags: FLAGS,
};

/** `optik predict`: the top-k classes of image files, with probabilities, from a run's best weights. */
export const predict: Command = async (args, ctx) => {
  const { values, positionals } = parseCommandArgs(args, parserOptions(FLAGS), USAGE);
  const [ref, ...images] = positionals;
  if (ref === undefined || images.length === 0)
    throw new UsageError(`optik predict needs a run and image files.\n${USAGE}`);
  const topK = intFlag('top-k', values['top-k'], 3);
  const result = await runPrediction(ref, images, { topK, root: values.root ?? 'runs', backend: ctx.backend });
  const human = result.predictions
    .map(
      (p) =>
        `${p.file}\n${p.top.map((t) => `  ${(t.probability * 100).toFixed(1).padStart(5)} %  ${t.label}`).join('\n')}`,
    )
    .join('\n');
  ctx.result(
    {
      runId: result.runId,
      runDir: result.runDir,
      backend: result.backend,
      weights: result.weights,
      predictions: result.predictions,
    },
    human,
  );
};
