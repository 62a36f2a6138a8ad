import type { TrainContext } from '@optik/train';
import { describe, expect, it } from 'vitest';
import { timeLimitCallback } from '../internal/run/lifecycle.js';

/** The parts of a TrainContext the time limit reads and writes. */
function context(epochs: number): TrainContext {
  return { epochs, stopTraining: false, stopReason: undefined } as unknown as TrainContext;
}

describe('the time limit', () => {
  it('counts the epochs that fit at the steady pace and stops before one that would not fit at the last', () => {
    let clock = 0; // ms since the run started
    const limit = timeLimitCallback(1, 0, () => clock); // 60 s
    const ctx = context(20);
    expect(limit.plannedEpochs(ctx)).toBeUndefined();
    // Epoch 0: 12 s (with warm-up) → 1 + floor(48 / 12) = 5 epochs fit.
    clock = 12_000;
    limit.onEpochEnd?.(0, { epoch_seconds: 12 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(5);
    // Epoch 1 is faster (8 s, at 20 s; the first one included the warm-up, so the pace is 8 s): 2 + floor(40 / 8).
    clock = 20_000;
    limit.onEpochEnd?.(1, { epoch_seconds: 8 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(7);
    expect(ctx.stopTraining).toBe(false);
    // Epoch 2 is slow (25 s, at 45 s): pace (8 + 25) / 2 = 16.5 s → 3 + floor(15 / 16.5) = 3 — and at the last
    // epoch's pace the next one would end at 70 s > 60 s.
    clock = 45_000;
    limit.onEpochEnd?.(2, { epoch_seconds: 25 }, ctx);
    expect(limit.plannedEpochs(ctx)).toBe(3);
    expect(ctx.stopTraining).toBe(true);
    expect(ctx.stopReason).toBe('time-limit');
  });

  it('plans by the mean pace: one fast epoch after slow ones does not move the plan back up', () => {
    let clock = 0;
    const limit = timeLimitCallback(10, 0, () => clock); // 600 s
    const ctx = context(100);
    const plans: number[] = [];
    [40, 30, 36, 30, 24, 30].forEach((seconds, epoch) => {
      clock += seconds * 1000;
      limit.onEpochEnd?.(epoch, { epoch_seconds: seconds }, ctx);
      plans.push(limit.plannedEpochs(ctx) as number);
    });
    // Paces 40, 30, 33, 32, 30, 30 s: 1 + 14, 2 + 17, 3 + 14, 4 + 14, 5 + 14, 6 + 13 (at the last epoch's pace
    // alone, epoch 4's 24 s would have planned 5 + floor(440 / 24) = 23, and epoch 5's 30 s 19 again).
    expect(plans).toEqual([15, 19, 17, 18, 19, 19]);
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
