import { closestMatch, isOptikError } from '@optik/core';
import { augment, augmentHelp } from './commands/augment.js';
import { bench, benchHelp } from './commands/bench.js';
import { data, dataHelp } from './commands/data.js';
import { doctor, doctorHelp } from './commands/doctor.js';
import { evalHelp, evaluate } from './commands/eval.js';
import { predict, predictHelp } from './commands/predict.js';
import { runs, runsHelp } from './commands/runs.js';
import { train, trainHelp } from './commands/train.js';
import { tune, tuneHelp } from './commands/tune.js';
import { ui, uiHelp } from './commands/ui.js';
import type { Command, CommandContext } from './internal/context.js';
import { UsageError } from './internal/context.js';
import { type CommandHelp, commandHelpJson, GLOBAL_FLAGS, renderCommandHelp } from './internal/help.js';

const COMMANDS: Record<string, { run: Command; help: CommandHelp }> = {
  train: { run: train, help: trainHelp },
  eval: { run: evaluate, help: evalHelp },
  predict: { run: predict, help: predictHelp },
  tune: { run: tune, help: tuneHelp },
  data: { run: data, help: dataHelp },
  augment: { run: augment, help: augmentHelp },
  bench: { run: bench, help: benchHelp },
  runs: { run: runs, help: runsHelp },
  doctor: { run: doctor, help: doctorHelp },
  ui: { run: ui, help: uiHelp },
};

const USAGE = `usage: optik <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.help.summary}`)
  .join('\n')}

global options:
${Object.entries(GLOBAL_FLAGS)
  .map(([name, f]) => `  ${`--${name}${f.value === undefined ? '' : ` ${f.value}`}`.padEnd(17)} ${f.description}`)
  .join('\n')}

optik help <command> (or optik <command> --help): the command's flags and, for train and tune, every config key.`;

/** `unknown command "trian" (did you mean train?)`, then the command list. */
function unknownCommand(verb: string): string {
  const guess = closestMatch(verb, Object.keys(COMMANDS));
  return `optik: unknown command "${verb}"${guess === undefined ? '' : ` (did you mean ${guess}?)`}.\n\n${USAGE}\n`;
}

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
  // `optik help train` and `optik train --help` (also after a subcommand: `optik runs ls --help`).
  const helpFor = verb === 'help' ? args[0] : globals.help ? verb : undefined;
  if (helpFor !== undefined) {
    const command = COMMANDS[helpFor];
    if (command === undefined) {
      process.stderr.write(unknownCommand(helpFor));
      return 2;
    }
    if (globals.json) process.stdout.write(`${JSON.stringify(commandHelpJson(helpFor, command.help))}\n`);
    else process.stdout.write(`${renderCommandHelp(helpFor, command.help)}\n`);
    return 0;
  }
  if (globals.help || verb === undefined || verb === 'help') {
    (verb === undefined && !globals.help ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return verb === undefined && !globals.help ? 2 : 0;
  }
  const command = COMMANDS[verb];
  if (command === undefined) {
    process.stderr.write(unknownCommand(verb));
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
      // A typo in a config key: the full list is one command away.
      const keys =
        error.code === 'CONFIG_UNKNOWN_KEY' && command.help.config !== undefined
          ? ` \`optik help ${verb}\` lists every key.`
          : '';
      process.stderr.write(`optik ${verb}: error ${error.code}: ${error.message}${keys}\n`);
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
