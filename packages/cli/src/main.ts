import { isOptikError } from '@optik/core';
import { augment } from './commands/augment.js';
import { bench } from './commands/bench.js';
import { data } from './commands/data.js';
import { doctor } from './commands/doctor.js';
import { evaluate } from './commands/eval.js';
import { predict } from './commands/predict.js';
import { runs } from './commands/runs.js';
import { train } from './commands/train.js';
import { tune } from './commands/tune.js';
import type { Command, CommandContext } from './internal/context.js';
import { UsageError } from './internal/context.js';

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  train: { run: train, summary: 'train a pipeline config into a recorded run (key=value overrides, --resume RUN)' },
  eval: { run: evaluate, summary: "evaluate a run's best weights on its test split or --data" },
  predict: { run: predict, summary: 'top-k classes with probabilities for image files (--top-k 3)' },
  tune: {
    run: tune,
    summary:
      'hyperparameter search: trials in parallel workers, trials.csv, plots, retrain of the best (--trials N --parallel K)',
  },
  data: { run: data, summary: 'inspect a dataset: class balance, duplicates, leakage, sizes (data inspect)' },
  augment: { run: augment, summary: 'render an augmentation preview grid (augment preview --out grid.png)' },
  bench: { run: bench, summary: 'train the reference CNN and print samples/s (--peer: PyTorch in the same run)' },
  runs: {
    run: runs,
    summary: 'list, show, compare and export recorded runs (ls | show | compare | export --csv | studies)',
  },
  doctor: { run: doctor, summary: 'list every backend with its status and why, plus Node/N-API/platform' },
};

const USAGE = `usage: optik <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

global options:
  --json            print one JSON object as the last line of stdout (progress goes to stderr)
  --backend NAME    tensorflow-gpu | tensorflow | wasm | cpu (default: best available; env OPTIK_BACKEND)
  --debug           print stack traces on errors
  --help            this help`;

/**
 * Runs the `optik` command line and returns its exit code: 0 success, 1 user error, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['doctor', '--json']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const globals = { json: false, debug: false, backend: undefined as string | undefined, help: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') globals.json = true;
    else if (arg === '--debug') globals.debug = true;
    else if (arg === '--help' || arg === '-h') globals.help = true;
    else if (arg === '--backend') globals.backend = argv[++i];
    else if (arg.startsWith('--backend=')) globals.backend = arg.slice('--backend='.length);
    else rest.push(arg);
  }
  const [verb, ...args] = rest;
  if (globals.help || verb === undefined || verb === 'help') {
    (verb === undefined && !globals.help ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return verb === undefined && !globals.help ? 2 : 0;
  }
  const command = COMMANDS[verb];
  if (command === undefined) {
    process.stderr.write(`optik: unknown command "${verb}".\n\n${USAGE}\n`);
    return 2;
  }
  const ctx: CommandContext = {
    json: globals.json,
    debug: globals.debug,
    backend: globals.backend,
    info: (line) => (globals.json ? process.stderr : process.stdout).write(`${line}\n`),
    result: (object, human) => {
      if (globals.json) process.stdout.write(`${JSON.stringify(object)}\n`);
      else process.stdout.write(`${human}\n`);
    },
  };
  try {
    await command.run(args, ctx);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`optik ${verb}: ${error.message}\n`);
      return 2;
    }
    if (isOptikError(error)) {
      process.stderr.write(`optik ${verb}: error ${error.code}: ${error.message}\n`);
      if (globals.debug && error.stack) process.stderr.write(`${error.stack}\n`);
      if (globals.json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
      return 1;
    }
    process.stderr.write(`optik ${verb}: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (globals.debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('Run again with --debug for the stack trace, and please report it.\n');
    return 1;
  }
}
