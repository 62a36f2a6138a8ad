import { loadPipelineConfig, locateRun, type PipelineConfig, runTraining, type TrainingResult } from '@optik/pipeline';
import { fixed, parseCommandArgs } from '../internal/args.js';
import type { Command } from '../internal/context.js';
import { parseOverrides, UsageError } from '../internal/context.js';

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
  const result = await runTraining(config, {
    backend: ctx.backend,
    ...(resume === undefined ? {} : { resume }),
    log: (line) => process.stderr.write(`${line}\n`),
    // The progress bar draws on a terminal; elsewhere (logs, CI, --json pipes) one line per epoch.
    onEpoch: interactive
      ? undefined
      : ({ epoch, epochs, logs }) => process.stderr.write(`${formatEpoch(epoch, epochs, logs)}\n`),
  });
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
    `  accuracy   ${fixed(m.accuracy)}`,
    `  precision  ${fixed(m.precision)}  (macro)`,
    `  recall     ${fixed(m.recall)}  (macro)`,
    `  F1         ${fixed(m.f1)}  (macro)`,
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
