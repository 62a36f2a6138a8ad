// Callbacks that write files (checkpoints, CSV): Node only, kept apart so the browser entry never sees node:fs.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { decodeBest, encodeBest, isImprovement, ModeSchema, readMonitor, resolveMode } from './monitor.js';
import type { Callback, CallbackState, Logs, TrainContext } from './types.js';

// ───────────────────────────── ModelCheckpoint ─────────────────────────────

export const ModelCheckpointSchema = z.strictObject({
  dir: z.string().min(1),
  monitor: z.string().min(1).default('val_loss'),
  mode: ModeSchema.default('auto'),
  minDelta: z.number().min(0).default(0),
  saveBest: z.boolean().default(true),
  saveLast: z.boolean().default(true),
});
export type ModelCheckpointOptions = z.input<typeof ModelCheckpointSchema>;
export type ModelCheckpointConfig = z.output<typeof ModelCheckpointSchema>;

export class ModelCheckpoint implements Callback {
  readonly name = 'modelCheckpoint';
  readonly #config: ModelCheckpointConfig;
  readonly #mode: 'min' | 'max';
  #best: number;

  constructor(options: ModelCheckpointOptions) {
    this.#config = parseOrThrow(ModelCheckpointSchema, options, { what: 'checkpoint config', prefix: 'checkpoint' });
    this.#mode = resolveMode(this.#config.mode, this.#config.monitor);
    this.#best = this.#mode === 'min' ? Infinity : -Infinity;
  }

  static fromConfig(config: ModelCheckpointOptions): ModelCheckpoint {
    return new ModelCheckpoint(config);
  }

  toConfig(): ModelCheckpointConfig {
    return structuredClone(this.#config);
  }

  /** Where the best checkpoint goes: `<dir>/best`. */
  get bestDir(): string {
    return join(this.#config.dir, 'best');
  }

  /** Where the last checkpoint goes: `<dir>/last`. */
  get lastDir(): string {
    return join(this.#config.dir, 'last');
  }

  onTrainBegin(ctx: TrainContext): void {
    if (!ctx.resumed) this.#best = this.#mode === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd(_epoch: number, logs: Logs, ctx: TrainContext): void {
    if (this.#config.saveBest) {
      const current = readMonitor(logs, this.#config.monitor, 'checkpoint');
      if (isImprovement(this.#mode, current, this.#best, this.#config.minDelta)) {
        this.#best = current;
        ctx.requestCheckpoint(this.bestDir);
      }
    }
    if (this.#config.saveLast) ctx.requestCheckpoint(this.lastDir);
  }

  getState(): CallbackState {
    return { values: { best: encodeBest(this.#best) } };
  }

  setState(state: CallbackState): void {
    this.#best = decodeBest(state.values.best, this.#mode);
  }
}

// ───────────────────────────── CsvLogger ─────────────────────────────

export const CsvLoggerSchema = z.strictObject({
  path: z.string().min(1),
  separator: z.string().length(1).default(','),
  append: z.boolean().default(false),
});
export type CsvLoggerOptions = z.input<typeof CsvLoggerSchema>;
export type CsvLoggerConfig = z.output<typeof CsvLoggerSchema>;

export class CsvLogger implements Callback {
  readonly name = 'csvLogger';
  readonly #config: CsvLoggerConfig;
  #columns: string[] | undefined;

  constructor(options: CsvLoggerOptions) {
    this.#config = parseOrThrow(CsvLoggerSchema, options, { what: 'CSV logger config', prefix: 'csvLogger' });
  }

  static fromConfig(config: CsvLoggerOptions): CsvLogger {
    return new CsvLogger(config);
  }

  toConfig(): CsvLoggerConfig {
    return structuredClone(this.#config);
  }

  onTrainBegin(ctx: TrainContext): void {
    const { path, separator } = this.#config;
    mkdirSync(dirname(path), { recursive: true });
    this.#columns = undefined;
    const keep = this.#config.append || ctx.initialEpoch > 0;
    if (!keep || !existsSync(path)) {
      writeFileSync(path, '');
      return;
    }
    // Resuming: keep the header and the rows of epochs before the resume point (a row written after the last
    // checkpoint would otherwise appear twice).
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    const header = lines[0];
    if (header === undefined) return;
    this.#columns = header.split(separator);
    const epochColumn = this.#columns.indexOf('epoch');
    const rows = lines.slice(1).filter((line) => Number(line.split(separator)[epochColumn]) < ctx.initialEpoch);
    writeFileSync(path, `${[header, ...rows].join('\n')}\n`);
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const { path, separator } = this.#config;
    if (this.#columns === undefined) {
      this.#columns = ['epoch', ...Object.keys(logs).filter((k) => k !== 'epoch')];
      appendFileSync(path, `${this.#columns.join(separator)}\n`);
    }
    const row = this.#columns.map((column) => {
      const value = column === 'epoch' ? epoch : logs[column];
      return value === undefined ? '' : String(value);
    });
    appendFileSync(path, `${row.join(separator)}\n`);
  }
}
