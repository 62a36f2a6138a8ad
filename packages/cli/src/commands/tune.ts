import { join } from 'node:path';
import { loadTuneConfig, runTune, TuneConfigSchema, type TuneResult, type TuneTrialSummary } from '@optik/pipeline';
import { fixed, intFlag, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { parseOverrides, UsageError } from '../internal/context.js';
import { headlineInline } from '../internal/headline.js';
import { type CommandHelp, parserOptions } from '../internal/help.js';

const USAGE = `usage: optik tune <tune.yaml> [key=value ...] [--trials N] [--parallel K] [--json] [--backend NAME]
  key=value: tune keys (trials=8 sampler.seed=3) change the study; any other key (train.epochs=2
  data.limit.train=2000) changes the base training config of every trial and of the retrain.
  Running the same study name again resumes it (runs/<...>/studies/<name>/).`;

const LEADERBOARD_ROWS = 10;

const FLAGS = {
  trials: { type: 'string', value: 'N', description: "trials in the whole study (overrides the config's trials)" },
  parallel: {
    type: 'string',
    value: 'K',
    description: 'trials at once, each in its own worker process (default: the number of cores)',
  },
} as const;

/** One line per key of the tune config; `optik help tune` adds the type and default from `TuneConfigSchema`. */
const TUNE_CONFIG_KEYS: Readonly<Record<string, string>> = {
  name: 'study name, unique in the store; running the same name again resumes the study',
  base: 'the training config: a path (relative to this file) or the config itself (see optik help train)',
  space: 'the search space: a list of { name, type: float | int | categorical, … } or a map; names are key paths',
  sampler: 'how trials pick parameters: { type: tpe | random | grid, seed, … }',
  pruner: 'stops unpromising trials early: { type: none | median | asha, … }, fed with the objective every epoch',
  objective: 'the per-epoch log key a trial is judged by (val_accuracy, val_loss, val_f1, …)',
  direction: 'maximize or minimize the objective (default: minimize for losses and errors, else maximize)',
  trials: 'trials in the whole study (a resumed study counts the ones it has); a grid runs all its points',
  parallel: 'trials at once, each in its own worker process (default: the number of cores)',
  'timeLimit.minutes': 'no trial starts after this many minutes (running ones finish)',
  'totalTimeLimit.minutes': 'the whole command, retrains and tests included, ends within this many minutes',
  trialOverrides: 'changes to the training config for every trial (e.g. a data subset); parameters win',
  retrain: 'retrain the best parameters on train + validation and report the test metrics',
  retrainOverrides:
    'changes to the training config for the retrain (e.g. more epochs); applied after the best parameters',
  retrainTop: "retrain the k best trials; with 2 or more, their ensemble's test metrics are reported too",
};

/** `optik help tune`. */
export const tuneHelp: CommandHelp = {
  summary:
    'hyperparameter search: trials in parallel workers, trials.csv, plots, retrain of the best (--trials N --parallel K)',
  usage: USAGE,
  flags: FLAGS,
  config: {
    title: 'tune config keys (in the YAML/JSON file, or key=value after it; [type; default]):',
    schema: TuneConfigSchema,
    descriptions: TUNE_CONFIG_KEYS,
    note: 'Any other key=value (train.epochs=2, data.limit.train=2000) changes the base training config: see optik help train.',
  },
};

/**
 * `optik tune`: a hyperparameter search over a training config. Trials run in worker processes; each one is a run
 * in the store. Shows the trials as they end, then the leaderboard and the retrained best model's test metrics.
 */
export const tune: Command = async (args, ctx) => {
  const { values, positionals } = parseCommandArgs(args, parserOptions(FLAGS), USAGE);
  const [file, ...rest] = positionals;
  if (file === undefined) throw new UsageError(`optik tune needs a tune config file.\n${USAGE}`);
  const config = loadTuneConfig(file, parseOverrides(rest));
  const trials = values.trials === undefined ? undefined : intFlag('trials', values.trials, 1);
  const parallel = values.parallel === undefined ? undefined : intFlag('parallel', values.parallel, 1);

  const live = new LiveTable(config.objective, process.stderr.isTTY === true);
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) return;
    process.stderr.write('\noptik tune: stopping — running trials end after their epoch (run again to resume).\n');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: TuneResult;
  try {
    result = await runTune(config, {
      backend: ctx.backend,
      trials,
      parallel,
      signal: controller.signal,
      log: (line) => live.print(line),
      onTrialStart: (t) => live.start(t.number),
      onTrialEpoch: (e) => live.epoch(e.number, e.epoch, e.logs),
      onTrialEnd: (t) => live.end(t),
      onRetrainEpoch: ({ epoch, epochs, logs }) =>
        live.print(
          `retrain epoch ${epoch + 1}/${epochs}  loss ${fixed(logs.loss)}  accuracy ${fixed(logs.accuracy)}  ${fixed(logs.epoch_seconds, 1)} s`,
        ),
    });
  } finally {
    live.clear();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (result.interrupted) process.exitCode = 130;
  ctx.result(
    {
      studyId: result.studyId,
      studyName: result.studyName,
      studyDir: result.studyDir,
      objective: result.objective,
      direction: result.direction,
      best: result.best === null ? null : { params: result.best.params, metrics: bestMetrics(result) },
      retrain: result.retrain,
      retrains: result.retrains,
      ensemble: result.ensemble,
      trials: result.trials,
      interrupted: result.interrupted,
      seconds: result.seconds,
    },
    formatResult(result),
  );
};

function bestMetrics(result: TuneResult) {
  const best = result.best;
  if (best === null) return null;
  return { [result.objective]: best.value, ...best.metrics, trial: best.number, runId: best.runId };
}

function paramText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(' ');
}

function trialLine(t: TuneTrialSummary, objective: string): string {
  const head = `trial ${String(t.number).padStart(3)}  ${t.status.padEnd(11)} ${objective} ${fixed(t.value)}`;
  const metrics = t.status === 'completed' ? `  test acc ${fixed(t.accuracy)} f1 ${fixed(t.f1)}` : '';
  const tail = `  ${t.epochs} ep  ${t.seconds === null ? '–' : `${t.seconds.toFixed(1)} s`}`;
  const error = t.error === null ? '' : `  (${t.error.split('\n')[0]?.slice(0, 120)})`;
  return `${head}${metrics}${tail}  ${paramText(t.params)}${error}`;
}

/**
 * The trials on stderr while the study runs: one line per finished trial; on a terminal also a status line below
 * them with the running trials and their last epoch, redrawn as epochs end.
 */
class LiveTable {
  private readonly running = new Map<number, string>();
  private drawn = false;

  constructor(
    private readonly objective: string,
    private readonly interactive: boolean,
  ) {}

  start(number: number): void {
    this.running.set(number, 'starting');
    this.redraw();
  }

  epoch(number: number, epoch: number, logs: Readonly<Record<string, number>>): void {
    this.running.set(number, `ep ${epoch + 1} ${this.objective} ${fixed(logs[this.objective])}`);
    this.redraw();
  }

  end(trial: TuneTrialSummary): void {
    this.running.delete(trial.number);
    this.print(trialLine(trial, this.objective));
  }

  print(line: string): void {
    this.clear();
    process.stderr.write(`${line}\n`);
    this.redraw();
  }

  clear(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }

  private redraw(): void {
    if (!this.interactive || this.running.size === 0) return;
    const parts = [...this.running].map(([n, s]) => `#${n} ${s}`);
    const width = process.stderr.columns ?? 100;
    this.clear();
    process.stderr.write(`running: ${parts.join(' | ')}`.slice(0, Math.max(20, width - 1)));
    this.drawn = true;
  }
}

function formatResult(r: TuneResult): string {
  const board = r.leaderboard.slice(0, LEADERBOARD_ROWS);
  const counts = new Map<string, number>();
  for (const t of r.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const lines = [
    `study ${r.studyName} (id ${r.studyId}): ${r.trials.length} trials (${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}), ${r.ran} run now in ${r.seconds.toFixed(1)} s${r.interrupted ? ' — interrupted, run again to resume' : ''}`,
    `leaderboard (${r.direction} ${r.objective}; test metrics of each trial's model):`,
    `  ${'#'.padStart(3)}  ${'status'.padEnd(10)} ${r.objective.padEnd(12)} ${'test acc'.padEnd(8)} ${'F1'.padEnd(6)}  params`,
    ...board.map(
      (t) =>
        `  ${String(t.number).padStart(3)}  ${t.status.padEnd(10)} ${fixed(t.value).padEnd(12)} ${fixed(t.accuracy).padEnd(8)} ${fixed(t.f1).padEnd(6)}  ${paramText(t.params)}`,
    ),
  ];
  if (r.leaderboard.length > board.length) lines.push(`  … ${r.leaderboard.length - board.length} more in trials.csv`);
  if (r.best !== null) lines.push(`best: trial ${r.best.number} (run ${r.best.runId}) ${paramText(r.best.params)}`);
  const testLine = (m: Readonly<Record<string, unknown>>) => `  test ${headlineInline(m)}  (${m.numSamples} images)`;
  for (const retrain of r.retrains) {
    lines.push(
      `retrained trial ${retrain.trial}'s parameters on train + validation: run ${retrain.runId} (${retrain.runName}), ${retrain.epochs} epochs in ${retrain.seconds.toFixed(1)} s`,
      testLine(retrain.metrics),
    );
  }
  if (r.ensemble !== null) {
    lines.push(
      `ensemble of ${r.ensemble.members.map((m) => m.runName).join(' + ')} (mean class probabilities): ${r.ensemble.dir}`,
      testLine(r.ensemble.metrics),
    );
  }
  lines.push(
    `study report: ${join(r.studyDir, 'report.html')} (also trials.csv, plots/; rewrite with optik runs report ${r.studyName})`,
  );
  return lines.join('\n');
}
