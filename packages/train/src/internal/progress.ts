import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import type { Callback, Logs, TrainContext } from './types.js';

export const ProgressBarSchema = z.strictObject({
  enabled: z.boolean().default(true),
  width: z.number().int().min(5).max(80).default(24),
  /** Minimum milliseconds between redraws within an epoch. */
  refreshMs: z.number().int().min(0).default(100),
});
export type ProgressBarOptions = z.input<typeof ProgressBarSchema>;
export type ProgressBarConfig = z.output<typeof ProgressBarSchema>;

/** Where the bar is drawn: stderr by default; anything with `write` and `isTTY`. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const SHOWN = ['loss', 'accuracy', 'val_loss', 'val_accuracy'];

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One progress line: epoch, batch, bar, metrics, samples/s and ETA. */
export function formatProgressLine(options: {
  epoch: number;
  epochs: number;
  batch: number;
  steps: number | undefined;
  logs: Logs;
  width: number;
  secondsPerBatch: number;
  done?: boolean;
}): string {
  const { epoch, epochs, batch, steps, logs, width } = options;
  const parts = [`Epoch ${epoch + 1}/${epochs}`];
  if (steps !== undefined) {
    const filled = Math.min(width, Math.round((batch / steps) * width));
    const bar = options.done
      ? '='.repeat(width)
      : `${'='.repeat(Math.max(0, filled - 1))}>${'.'.repeat(width - Math.max(filled, 1))}`;
    parts.push(`${String(batch).padStart(String(steps).length)}/${steps} [${bar}]`);
  } else {
    parts.push(`${batch} batches`);
  }
  for (const key of SHOWN) {
    const value = logs[key];
    if (value !== undefined) parts.push(`${key} ${value.toFixed(4)}`);
  }
  const rate = logs.samples_per_second;
  if (rate !== undefined) parts.push(`${rate.toFixed(0)} samples/s`);
  if (options.done) {
    const seconds = logs.epoch_seconds;
    if (seconds !== undefined) parts.push(formatDuration(seconds));
  } else if (steps !== undefined) {
    parts.push(`ETA ${formatDuration((steps - batch) * options.secondsPerBatch)}`);
  }
  return parts.join('  ');
}

/**
 * A terminal progress bar on stderr: epoch, batch, loss and metrics, samples/s and ETA. It draws nothing when
 * disabled or when the stream is not a TTY (logs, CI, `--json` runs piped elsewhere).
 */
export class ProgressBar implements Callback {
  readonly name = 'progressBar';
  readonly #config: ProgressBarConfig;
  readonly #stream: ProgressStream;
  #epochStart = 0;
  #lastDraw = 0;

  constructor(options: ProgressBarOptions = {}, stream: ProgressStream = process.stderr) {
    this.#config = parseOrThrow(ProgressBarSchema, options, { what: 'progress bar config', prefix: 'progress' });
    this.#stream = stream;
  }

  static fromConfig(config: ProgressBarOptions): ProgressBar {
    return new ProgressBar(config);
  }

  toConfig(): ProgressBarConfig {
    return structuredClone(this.#config);
  }

  get #active(): boolean {
    return this.#config.enabled && this.#stream.isTTY === true;
  }

  onEpochBegin(): void {
    this.#epochStart = performance.now();
    this.#lastDraw = 0;
  }

  onBatchEnd(batch: number, logs: Logs, ctx: TrainContext): void {
    if (!this.#active) return;
    const now = performance.now();
    const steps = ctx.stepsPerEpoch;
    const last = steps !== undefined && batch + 1 >= steps;
    if (!last && now - this.#lastDraw < this.#config.refreshMs) return;
    this.#lastDraw = now;
    const done = batch + 1;
    const line = formatProgressLine({
      epoch: ctx.epoch,
      epochs: ctx.epochs,
      batch: done,
      steps,
      logs,
      width: this.#config.width,
      secondsPerBatch: (now - this.#epochStart) / 1000 / done,
    });
    this.#stream.write(`\r${line}\u001b[K`);
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    if (!this.#active) return;
    const steps = ctx.stepsPerEpoch;
    const line = formatProgressLine({
      epoch,
      epochs: ctx.epochs,
      batch: steps ?? 0,
      steps,
      logs,
      width: this.#config.width,
      secondsPerBatch: 0,
      done: true,
    });
    this.#stream.write(`\r${line}\u001b[K\n`);
  }
}
