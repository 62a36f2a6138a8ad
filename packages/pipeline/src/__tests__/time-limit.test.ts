import type { TrainContext } from '@optik/train';
import { describe, expect, it } from 'vitest';
import { timeLimitCallback } from '../internal/run/lifecycle.js';

/** The parts of a TrainContext the time limit reads and writes. */
function context(epochs: number): TrainContext {
  return { epochs, stopTraining: false, stopReason: undefined } as unknown as TrainContext;
}

describe('the time limit', () => {
  it('counts the epochs that fit at the last epoch pace and stops before one that would not', () => {
    let clock = 0; // ms since the run started
    const limit = timeLimitCallback(1, 0, () => clock); // 60 s
    const ctx = context(20);
    expect(limit.plannedEpochs(ctx)).toBeUndefined();
    // Epoch 0: 12 s (with warm-up) → 1 + floor(48 / 12) = 5 epochs fit.
    clock = 12_000;
    limit.onEpochEnd?.(0, { epoch_seconds: 12 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(5);
    // Epoch 1 is faster (8 s, at 20 s; the first one included the warm-up): 2 + floor(40 / 8) = 7.
    clock = 20_000;
    limit.onEpochEnd?.(1, { epoch_seconds: 8 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(7);
    expect(ctx.stopTraining).toBe(false);
    // Epoch 2 is slow (25 s, at 45 s): 3 + floor(15 / 25) = 3 — and the next epoch would end at 70 s > 60 s.
    clock = 45_000;
    limit.onEpochEnd?.(2, { epoch_seconds: 25 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(3);
    expect(ctx.stopTraining).toBe(true);
    expect(ctx.stopReason).toBe('time-limit');
  });

  it('never plans more epochs than the run has, and does not stop a run that fits', () => {
    let clock = 0;
    const limit = timeLimitCallback(10, 0, () => clock);
    const ctx = context(4);
    clock = 5_000;
    limit.onEpochEnd?.(0, { epoch_seconds: 5 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(4);
    expect(ctx.stopTraining).toBe(false);
  });
});
