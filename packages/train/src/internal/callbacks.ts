import { OptikError, parseOrThrow } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { decodeBest, encodeBest, isImprovement, ModeSchema, readMonitor, resolveMode } from './monitor.js';
import type { Callback, CallbackState, Logs, TrainContext } from './types.js';

// ───────────────────────────── EarlyStopping ─────────────────────────────

export const EarlyStoppingSchema = z.strictObject({
  monitor: z.string().min(1).default('val_loss'),
  mode: ModeSchema.default('auto'),
  patience: z.number().int().min(0).default(0),
  minDelta: z.number().min(0).default(0),
  restoreBestWeights: z.boolean().default(false),
  startFromEpoch: z.number().int().min(0).default(0),
});
export type EarlyStoppingOptions = z.input<typeof EarlyStoppingSchema>;
export type EarlyStoppingConfig = z.output<typeof EarlyStoppingSchema>;

export class EarlyStopping implements Callback {
  readonly name = 'earlyStopping';
  readonly #config: EarlyStoppingConfig;
  readonly #mode: 'min' | 'max';
  #wait = 0;
  #best = Infinity;
  #bestEpoch = -1;
  #stoppedEpoch = -1;
  #bestWeights: tf.Tensor[] | undefined;

  constructor(options: EarlyStoppingOptions = {}) {
    this.#config = parseOrThrow(EarlyStoppingSchema, options, {
      what: 'early stopping config',
      prefix: 'earlyStopping',
    });
    this.#mode = resolveMode(this.#config.mode, this.#config.monitor);
    this.#reset();
  }

  static fromConfig(config: EarlyStoppingOptions): EarlyStopping {
    return new EarlyStopping(config);
  }

  toConfig(): EarlyStoppingConfig {
    return structuredClone(this.#config);
  }

  /** The epoch with the best monitored value so far (−1 before the first). */
  get bestEpoch(): number {
    return this.#bestEpoch;
  }

  /** The epoch training was stopped at (−1 if it was not). */
  get stoppedEpoch(): number {
    return this.#stoppedEpoch;
  }

  #reset(): void {
    this.#wait = 0;
    this.#best = this.#mode === 'min' ? Infinity : -Infinity;
    this.#bestEpoch = -1;
    this.#stoppedEpoch = -1;
    this.#disposeWeights();
  }

  #disposeWeights(): void {
    if (this.#bestWeights !== undefined) tf.dispose(this.#bestWeights);
    this.#bestWeights = undefined;
  }

  onTrainBegin(ctx: TrainContext): void {
    if (!ctx.resumed) this.#reset();
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainContext): void {
    if (epoch < this.#config.startFromEpoch) return;
    const current = readMonitor(logs, this.#config.monitor, 'earlyStopping');
    this.#wait += 1;
    if (isImprovement(this.#mode, current, this.#best, this.#config.minDelta)) {
      this.#best = current;
      this.#bestEpoch = epoch;
      this.#wait = 0;
      if (this.#config.restoreBestWeights) {
        this.#disposeWeights();
        this.#bestWeights = ctx.model.getWeights().map((w) => tf.clone(w));
      }
      return;
    }
    if (this.#wait >= this.#config.patience) {
      this.#stoppedEpoch = epoch;
      ctx.stopTraining = true;
      ctx.stopReason = 'early-stopping';
    }
  }

  onTrainEnd(_logs: Logs, ctx: TrainContext): void {
    // As Keras 3: restore the best weights at the end whether or not training stopped early.
    if (this.#config.restoreBestWeights && this.#bestWeights !== undefined) {
      ctx.model.setWeights(this.#bestWeights);
    }
    this.#disposeWeights();
  }

  getState(): CallbackState {
    return {
      values: {
        wait: this.#wait,
        best: encodeBest(this.#best),
        bestEpoch: this.#bestEpoch,
        stoppedEpoch: this.#stoppedEpoch,
      },
      ...(this.#bestWeights === undefined
        ? {}
        : { tensors: this.#bestWeights.map((tensor, i) => ({ name: `best/${i}`, tensor: tf.clone(tensor) })) }),
    };
  }

  setState(state: CallbackState): void {
    const v = state.values;
    this.#wait = Number(v.wait ?? 0);
    this.#best = decodeBest(v.best, this.#mode);
    this.#bestEpoch = Number(v.bestEpoch ?? -1);
    this.#stoppedEpoch = Number(v.stoppedEpoch ?? -1);
    this.#disposeWeights();
    if (state.tensors !== undefined && state.tensors.length > 0) {
      this.#bestWeights = state.tensors.map(({ tensor }) => tf.clone(tensor));
    }
  }
}

// ───────────────────────────── ReduceLROnPlateau ─────────────────────────────

export const ReduceLROnPlateauSchema = z.strictObject({
  monitor: z.string().min(1).default('val_loss'),
  mode: ModeSchema.default('auto'),
  factor: z.number().gt(0).lt(1).default(0.1),
  patience: z.number().int().min(0).default(10),
  minDelta: z.number().min(0).default(1e-4),
  cooldown: z.number().int().min(0).default(0),
  minLearningRate: z.number().min(0).default(0),
});
export type ReduceLROnPlateauOptions = z.input<typeof ReduceLROnPlateauSchema>;
export type ReduceLROnPlateauConfig = z.output<typeof ReduceLROnPlateauSchema>;

export class ReduceLROnPlateau implements Callback {
  readonly name = 'reduceLROnPlateau';
  readonly #config: ReduceLROnPlateauConfig;
  readonly #mode: 'min' | 'max';
  #best = Infinity;
  #wait = 0;
  #cooldownCounter = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    this.#config = parseOrThrow(ReduceLROnPlateauSchema, options, {
      what: 'ReduceLROnPlateau config',
      prefix: 'reduceLROnPlateau',
    });
    this.#mode = resolveMode(this.#config.mode, this.#config.monitor);
    this.#reset();
  }

  static fromConfig(config: ReduceLROnPlateauOptions): ReduceLROnPlateau {
    return new ReduceLROnPlateau(config);
  }

  toConfig(): ReduceLROnPlateauConfig {
    return structuredClone(this.#config);
  }

  #reset(): void {
    this.#best = this.#mode === 'min' ? Infinity : -Infinity;
    this.#wait = 0;
    this.#cooldownCounter = 0;
  }

  onTrainBegin(ctx: TrainContext): void {
    if (!ctx.resumed) this.#reset();
  }

  onEpochEnd(_epoch: number, logs: Logs, ctx: TrainContext): void {
    const current = readMonitor(logs, this.#config.monitor, 'reduceLROnPlateau');
    if (this.#cooldownCounter > 0) {
      this.#cooldownCounter -= 1;
      this.#wait = 0;
    }
    if (isImprovement(this.#mode, current, this.#best, this.#config.minDelta)) {
      this.#best = current;
      this.#wait = 0;
    } else if (this.#cooldownCounter === 0) {
      this.#wait += 1;
      if (this.#wait >= this.#config.patience) {
        const old = ctx.learningRate;
        if (old > this.#config.minLearningRate) {
          ctx.learningRate = Math.max(old * this.#config.factor, this.#config.minLearningRate);
          this.#cooldownCounter = this.#config.cooldown;
          this.#wait = 0;
        }
      }
    }
  }

  getState(): CallbackState {
    return { values: { best: encodeBest(this.#best), wait: this.#wait, cooldownCounter: this.#cooldownCounter } };
  }

  setState(state: CallbackState): void {
    this.#best = decodeBest(state.values.best, this.#mode);
    this.#wait = Number(state.values.wait ?? 0);
    this.#cooldownCounter = Number(state.values.cooldownCounter ?? 0);
  }
}

// ───────────────────────────── LearningRateScheduler ─────────────────────────────

const scheduleCommon = {
  /** Linear warm-up over this many units (epochs or steps) from base/warmup up to the base rate. */
  warmup: z.number().int().min(0).default(0),
  /** Whether `t` counts epochs (set at each epoch begin) or optimizer steps (set before each batch). */
  unit: z.enum(['epoch', 'step']).default('epoch'),
  /** The base rate; defaults to the optimizer's learning rate when training begins. */
  initialLearningRate: z.number().gt(0).optional(),
};

export const LearningRateScheduleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant'), ...scheduleCommon }),
  z.strictObject({
    type: z.literal('step'),
    ...scheduleCommon,
    stepSize: z.number().int().min(1),
    gamma: z.number().gt(0).default(0.1),
  }),
  z.strictObject({
    type: z.literal('cosine'),
    ...scheduleCommon,
    /** Units of cosine decay after warm-up; defaults to the rest of the run. */
    decaySteps: z.number().int().min(1).optional(),
    minLearningRate: z.number().min(0).default(0),
  }),
]);
export type LearningRateScheduleOptions = z.input<typeof LearningRateScheduleSchema>;
export type LearningRateScheduleConfig = z.output<typeof LearningRateScheduleSchema>;

/** The learning rate at `t` (epoch or step, 0-based) for a schedule with base rate `base` over `total` units. */
export function scheduledLearningRate(
  config: LearningRateScheduleConfig,
  base: number,
  t: number,
  total: number | undefined,
): number {
  if (t < config.warmup) return (base * (t + 1)) / config.warmup;
  const after = t - config.warmup;
  switch (config.type) {
    case 'constant':
      return base;
    case 'step':
      return base * config.gamma ** Math.floor(after / config.stepSize);
    case 'cosine': {
      const span = config.decaySteps ?? (total === undefined ? undefined : total - config.warmup);
      if (span === undefined || span < 1) {
        throw new OptikError('CONFIG_INVALID', 'A cosine schedule needs decaySteps or a known run length.', {
          path: 'schedule.decaySteps',
          hint: "Set schedule.decaySteps, or train.stepsPerEpoch when unit is 'step'.",
        });
      }
      const progress = Math.min(after, span) / span;
      return config.minLearningRate + ((base - config.minLearningRate) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/** What a {@link LearningRateScheduler} can be told at run time, beyond its config. */
export interface LearningRateSchedulerHooks {
  /**
   * The epochs the run is now expected to last when that is fewer than `ctx.epochs` (e.g. what a time limit leaves
   * room for); undefined when unknown. A schedule over "the rest of the run" (cosine without `decaySteps`) then
   * spans the smaller of the two, so its rate still reaches `minLearningRate` when the run ends early.
   */
  readonly plannedEpochs?: (ctx: TrainContext) => number | undefined;
}

export class LearningRateScheduler implements Callback {
  readonly name = 'learningRateScheduler';
  readonly #config: LearningRateScheduleConfig;
  readonly #hooks: LearningRateSchedulerHooks;
  #base: number | undefined;

  constructor(options: LearningRateScheduleOptions, hooks: LearningRateSchedulerHooks = {}) {
    this.#config = parseOrThrow(LearningRateScheduleSchema, options, { what: 'schedule config', prefix: 'schedule' });
    this.#hooks = hooks;
  }

  static fromConfig(config: LearningRateScheduleOptions): LearningRateScheduler {
    return new LearningRateScheduler(config);
  }

  toConfig(): LearningRateScheduleConfig {
    return structuredClone(this.#config);
  }

  #total(ctx: TrainContext): number | undefined {
    const planned = this.#hooks.plannedEpochs?.(ctx);
    const epochs = planned === undefined ? ctx.epochs : Math.max(1, Math.min(ctx.epochs, planned));
    if (this.#config.unit === 'epoch') return epochs;
    return ctx.stepsPerEpoch === undefined ? undefined : epochs * ctx.stepsPerEpoch;
  }

  #apply(t: number, ctx: TrainContext): void {
    ctx.learningRate = scheduledLearningRate(this.#config, this.#base ?? ctx.learningRate, t, this.#total(ctx));
  }

  onTrainBegin(ctx: TrainContext): void {
    if (!ctx.resumed || this.#base === undefined) this.#base = this.#config.initialLearningRate ?? ctx.learningRate;
  }

  onEpochBegin(epoch: number, ctx: TrainContext): void {
    if (this.#config.unit === 'epoch') this.#apply(epoch, ctx);
  }

  onBatchBegin(_batch: number, ctx: TrainContext): void {
    if (this.#config.unit === 'step') this.#apply(ctx.globalStep, ctx);
  }

  getState(): CallbackState {
    return { values: { base: this.#base ?? null } };
  }

  setState(state: CallbackState): void {
    const base = state.values.base;
    this.#base = typeof base === 'number' ? base : undefined;
  }
}

// ───────────────────────────── TerminateOnNaN ─────────────────────────────

export const TerminateOnNaNSchema = z.strictObject({});
export type TerminateOnNaNOptions = z.input<typeof TerminateOnNaNSchema>;

export class TerminateOnNaN implements Callback {
  readonly name = 'terminateOnNaN';

  constructor(options: TerminateOnNaNOptions = {}) {
    parseOrThrow(TerminateOnNaNSchema, options, { what: 'TerminateOnNaN config', prefix: 'terminateOnNaN' });
  }

  static fromConfig(config: TerminateOnNaNOptions): TerminateOnNaN {
    return new TerminateOnNaN(config);
  }

  toConfig(): Record<string, never> {
    return {};
  }

  onBatchEnd(_batch: number, logs: Logs, ctx: TrainContext): void {
    const loss = logs.batch_loss ?? logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      ctx.stopTraining = true;
      ctx.stopReason = 'nan';
    }
  }
}
