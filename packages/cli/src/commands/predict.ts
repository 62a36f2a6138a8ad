import { runPrediction } from '@optik/pipeline';
import { intFlag, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik predict <run> <image> [image ...] [--top-k 3] [--out DIR] [--root DIR] [--json]
  run  id, name, task/name, or a run folder; images are resized to the model's input`;

/** `  box [x0, y0, x1, y1] px` for tasks that predict a box (localization), else nothing. */
function boxText(p: Record<string, unknown>): string {
  const box = p.box as number[] | undefined;
  const drawn = typeof p.output === 'string' ? `  → ${p.output}` : '';
  return box === undefined ? drawn : `  box [${box.map((v) => v.toFixed(1)).join(', ')}] px${drawn}`;
}

const FLAGS = {
  'top-k': { type: 'string', value: 'K', description: 'how many classes to show per image (default 3)' },
  root: { type: 'string', value: 'DIR', description: 'the run store (default runs)' },
  out: {
    type: 'string',
    value: 'DIR',
    description: 'write each image with its prediction drawn (localization: box and class) as DIR/<name>.png',
  },
} as const;

/** `optik help predict`. */
export const predictHelp: CommandHelp = {
  summary: 'top-k classes with probabilities for image files (--top-k 3)',
  usage: USAGE,
  flags: FLAGS,
};

/**
 * `optik predict`: the top-k classes of image files, with probabilities, from a run's best weights (and the box
 * of a localization run, drawn into `--out`).
 */
export const predict: Command = async (args, ctx) => {
  const { values, positionals } = parseCommandArgs(args, parserOptions(FLAGS), USAGE);
  const [ref, ...images] = positionals;
  if (ref === undefined || images.length === 0)
    throw new UsageError(`optik predict needs a run and image files.\n${USAGE}`);
  const topK = intFlag('top-k', values['top-k'], 3);
  const result = await runPrediction(ref, images, {
    topK,
    root: values.root ?? 'runs',
    backend: ctx.backend,
    outDir: values.out,
  });
  const human = result.predictions
    .map(
      (p) =>
        `${p.file}${boxText(p)}\n${(p.top as { label: string; probability: number }[])
          .map((t) => `  ${(t.probability * 100).toFixed(1).padStart(5)} %  ${t.label}`)
          .join('\n')}`,
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
