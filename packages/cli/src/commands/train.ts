import { loadPipelineConfig, locateRun, type PipelineConfig, runTraining, type TrainingResult } from '@optik/pipeline';
import { openStore, type RunInfo } from '@optik/track';
import { fixed, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { parseOverrides, UsageError } from '../internal/context.js';
import { headlineLines } from '../internal/headline.js';

const USAGE = `usage: optik train <config.yaml> [key=value ...] [--json] [--backend NAME]
       optik train --resume <run> [--root DIR]     continue a run from its last checkpoint
  key=value overrides nested config keys, e.g. train.epochs=3 model.dropout=0.5 data.limit.train=512`;

/** `optik train`: trains a pipeline config into a tracked run and prints the test metrics and the diagnosis. */
export const train: Command = async (args, ctx) => {
  const { values, positionals } = parseCommandArgs(
    args,
    { resume: { type: 'string' }, root: { type: 'string' } },
    USAGE,
  );
  let config: PipelineConfig;
  let resume: number | string | undefined;
  if (values.resume !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(
        `--resume continues a run with its recorded config; give no config file or overrides.\n${USAGE}`,
      );
    }
    // A run folder path works too: the store knows the run by the id its run.json records.
    const located = locateRun(values.resume, { root: values.root ?? 'runs' });
    config = located.config;
    resume = located.id ?? values.resume;
  } else {
    const [file, ...rest] = positionals;
    if (file === undefined) throw new UsageError(`optik train needs a config file.\n${USAGE}`);
    if (values.root !== undefined)
      throw new UsageError(`--root goes with --resume; set output.root=DIR instead.\n${USAGE}`);
    config = loadPipelineConfig(file, parseOverrides(rest));
  }
  const interactive = process.stderr.isTTY === true;
  const started = Date.now();
  // Ctrl-C stops after the current batch (the run keeps its epochs and checkpoint) and says how to resume; a
  // second Ctrl-C quits at once.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\noptik train: stopping after the current batch (Ctrl-C again to quit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: TrainingResult;
  try {
    result = await runTraining(config, {
      backend: ctx.backend,
      ...(resume === undefined ? {} : { resume }),
      signal: controller.signal,
      log: (line) => process.stderr.write(`${line}\n`),
      // The progress bar draws on a terminal; elsewhere (logs, CI, --json pipes) one line per epoch.
      onEpoch: interactive
        ? undefined
        : ({ epoch, epochs, logs }) => process.stderr.write(`${formatEpoch(epoch, epochs, logs)}\n`),
    });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    reportInterrupted(config, resume, started, ctx);
    return;
  } finally {
    process.off('SIGINT', onSigint);
  }
  ctx.result(
    {
      runId: result.runId,
      runDir: result.runDir,
      backend: result.backend,
      metrics: result.metrics,
      diagnosis: result.diagnosis,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      seconds: result.seconds,
    },
    formatResult(result),
  );
};

/** After Ctrl-C: which run stopped, what it kept, and the command that continues it. */
function reportInterrupted(
  config: PipelineConfig,
  resume: number | string | undefined,
  started: number,
  ctx: Parameters<Command>[1],
): void {
  process.exitCode = 130;
  const root = config.output.root;
  let run: RunInfo | undefined;
  try {
    const store = openStore({ root, readOnly: true });
    try {
      // The run this process trained: the resumed one, else the newest run it created.
      run =
        resume !== undefined
          ? store.getRun(resume)
          : store
              .listRuns({ sortBy: 'id', order: 'desc', limit: 50 })
              .find((r) => r.pid === process.pid && Date.parse(r.createdAt) >= started - 1000);
    } finally {
      store.close();
    }
  } catch {
    run = undefined;
  }
  const quote = (text: string) => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);
  const ref = run === undefined ? (resume === undefined ? '<run>' : String(resume)) : String(run.id);
  const command = `optik train --resume ${ref}${root === 'runs' ? '' : ` --root ${quote(root)}`}`;
  const kept =
    run === undefined
      ? 'The run keeps the epochs it finished.'
      : `Run ${run.task}/${run.name} (id ${run.id}) keeps its ${run.epochCount} finished epoch${run.epochCount === 1 ? '' : 's'}${config.callbacks.checkpoint.enabled ? ' and its last checkpoint' : ''}.`;
  const lines = [
    `optik train: interrupted. ${kept}`,
    config.callbacks.checkpoint.enabled
      ? `Continue it with: ${command}`
      : `Checkpoints are off (callbacks.checkpoint.enabled: false), so it cannot continue where it stopped; train it again instead.`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  if (ctx.json) {
    ctx.result(
      {
        interrupted: true,
        runId: run?.id ?? null,
        runDir: run?.dir ?? null,
        resume: config.callbacks.checkpoint.enabled ? command : null,
      },
      '',
    );
  }
}

function formatEpoch(epoch: number, epochs: number, logs: Readonly<Record<string, number>>): string {
  const parts = [`epoch ${epoch + 1}/${epochs}`];
  for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
    if (logs[key] !== undefined) parts.push(`${key} ${fixed(logs[key])}`);
  }
  if (logs.learning_rate !== undefined) parts.push(`lr ${logs.learning_rate.toPrecision(3)}`);
  if (logs.epoch_seconds !== undefined) parts.push(`${logs.epoch_seconds.toFixed(1)} s`);
  if (logs.samples_per_second !== undefined) parts.push(`${logs.samples_per_second.toFixed(0)} samples/s`);
  return parts.join('  ');
}

function formatResult(r: TrainingResult): string {
  const m = r.metrics;
  const verdict = {
    underfitting: 'underfitting',
    overfitting: 'overfitting',
    'good-fit': 'good fit',
    'insufficient-evidence': 'insufficient evidence',
  }[r.diagnosis.verdict];
  const lines = [
    `run ${r.runId} (${r.runName}) on ${r.backend}: ${r.epochs} epochs in ${r.seconds.toFixed(1)} s${r.bestEpoch === null ? '' : `, best epoch ${r.bestEpoch + 1}`}${r.stopReason === null ? '' : ` (stopped: ${r.stopReason})`}`,
    `test set (${m.numSamples} images, weights/best):`,
    ...headlineLines(m),
    `diagnosis: ${verdict}`,
    ...r.diagnosis.reasons.map((reason) => `  - ${reason}`),
    ...(r.diagnosis.remedies.length === 0
      ? []
      : ['remedies:', ...r.diagnosis.remedies.map((remedy) => `  - ${remedy}`)]),
    `rule: ${r.diagnosis.rule}`,
    `report: ${r.runDir}/report.html`,
  ];
  return lines.join('\n');
}
