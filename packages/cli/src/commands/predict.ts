import { runPrediction } from '@optik/pipeline';
import { fractionFlag, intFlag, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { UsageError } from '../internal/context.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik predict <run> <image> [image ...] [--top-k 3] [--conf 0.25] [--out DIR] [--root DIR] [--json]
  run  id, name, task/name, or a run folder; images are resized to the model's input`;

/** `  box [x0, y0, x1, y1] px` for tasks that predict a box (localization), else nothing. */
function boxText(p: Record<string, unknown>): string {
  const box = p.box as number[] | undefined;
  const drawn = typeof p.output === 'string' ? `  → ${p.output}` : '';
  return box === undefined ? drawn : `  box [${box.map((v) => v.toFixed(1)).join(', ')}] px${drawn}`;
}

/** The lines of one image's prediction: its top classes, or (detection) each box with class and score. */
function predictionLines(p: Record<string, unknown>): string {
  const detections = p.detections as { label: string; score: number; box: number[] }[] | undefined;
  if (detections !== undefined) {
    const drawn = typeof p.output === 'string' ? `  → ${p.output}` : '';
    const rows = detections.map(
      (d) =>
        `  ${(d.score * 100).toFixed(1).padStart(5)} %  ${d.label}  [${d.box.map((v) => v.toFixed(1)).join(', ')}] px`,
    );
    return `${p.file}  ${detections.length} objects${drawn}${rows.length === 0 ? '' : `\n${rows.join('\n')}`}`;
  }
  return `${p.file}${boxText(p)}\n${(p.top as { label: string; probability: number }[])
    .map((t) => `  ${(t.probability * 100).toFixed(1).padStart(5)} %  ${t.label}`)
    .join('\n')}`;
}

const FLAGS = {
  'top-k': { type: 'string', value: 'K', description: 'how many classes to show per image (default 3)' },
  conf: {
    type: 'string',
    value: 'P',
    description: 'detection runs: the least score a box needs to be listed (default 0.25)',
  },
  root: { type: 'string', value: 'DIR', description: 'the run store (default runs)' },
  out: {
    type: 'string',
    value: 'DIR',
    description: 'write each image with its prediction drawn (boxes with class and score) as DIR/<name>.png',
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
  const conf = fractionFlag('conf', values.conf);
  const result = await runPrediction(ref, images, {
    topK,
    ...(conf === undefined ? {} : { conf }),
    root: values.root ?? 'runs',
    backend: ctx.backend,
    outDir: values.out,
  });
  const human = result.predictions.map((p) => predictionLines(p)).join('\n');
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
