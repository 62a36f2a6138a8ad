import { describe, expect, it } from 'vitest';
import { AshaPruner, createPruner, createStudy, MedianPruner, type Pruner, type Study } from '../index.js';

/** Adds a completed trial with the given curve (step → value, steps from 1). */
async function addCurve(study: Study, curve: number[], final = curve.at(-1) as number): Promise<void> {
  const trial = await study.ask();
  curve.forEach((v, i) => {
    trial.report(v, i + 1);
  });
  await study.tell(trial, final);
}

/** Reports `curve` step by step and returns the first step at which the pruner says stop (or undefined). */
async function prunedAt(study: Study, curve: number[]): Promise<number | undefined> {
  const trial = await study.ask();
  for (const [i, v] of curve.entries()) {
    trial.report(v, i + 1);
    if (trial.shouldPrune()) {
      await study.tell(trial, { state: 'pruned' });
      return i + 1;
    }
  }
  await study.tell(trial, curve.at(-1) as number);
  return undefined;
}

async function studyWith(pruner: Pruner, direction: 'maximize' | 'minimize', curves: number[][]): Promise<Study> {
  const study = await createStudy({ direction, pruner, sampler: { type: 'random' } });
  for (const c of curves) await addCurve(study, c);
  return study;
}

// Five accuracy curves; median at step 3 is 0.62.
const accuracy = [
  [0.4, 0.5, 0.55, 0.6],
  [0.5, 0.55, 0.6, 0.65],
  [0.52, 0.6, 0.62, 0.66],
  [0.6, 0.65, 0.7, 0.72],
  [0.62, 0.7, 0.75, 0.8],
];

describe('MedianPruner', () => {
  it('prunes a curve that falls below the median of completed trials at a step', async () => {
    const study = await studyWith(new MedianPruner({ nStartupTrials: 5 }), 'maximize', accuracy);
    // Above the median (0.52, 0.6) at steps 1-2, below at step 3 (0.61 < 0.62).
    expect(await prunedAt(study, [0.53, 0.61, 0.61, 0.9])).toBe(3);
    expect(await prunedAt(study, [0.7, 0.72, 0.75, 0.8])).toBeUndefined();
    const last = study.trials.at(-2);
    expect(last?.state).toBe('pruned');
    expect(last?.value).toBe(0.61);
  });

  it('waits for nStartupTrials completed trials and nWarmupSteps', async () => {
    const few = await studyWith(new MedianPruner({ nStartupTrials: 6 }), 'maximize', accuracy);
    expect(await prunedAt(few, [0.1, 0.1, 0.1, 0.1])).toBeUndefined();
    const warm = await studyWith(new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 3 }), 'maximize', accuracy);
    expect(await prunedAt(warm, [0.1, 0.1, 0.1, 0.1])).toBe(3);
  });

  it('follows the direction (loss curves) and prunes NaN', async () => {
    const losses = accuracy.map((c) => c.map((v) => 1 - v));
    const study = await studyWith(new MedianPruner({ nStartupTrials: 2 }), 'minimize', losses);
    expect(await prunedAt(study, [0.45, 0.41, 0.5])).toBe(2);
    expect(await prunedAt(study, [0.2, 0.1, 0.05])).toBeUndefined();
    expect(await prunedAt(study, [0.2, Number.NaN])).toBe(2);
  });

  it('never prunes a step no completed trial reported', async () => {
    const study = await studyWith(new MedianPruner({ nStartupTrials: 1 }), 'maximize', [[0.5, 0.6]]);
    expect(await prunedAt(study, [0.9, 0.9, 0.0])).toBeUndefined();
  });
});

describe('AshaPruner', () => {
  it('places rungs at minResource · η^k', () => {
    const asha = new AshaPruner({ minResource: 2, reductionFactor: 3 });
    expect([0, 1, 2].map((k) => asha.rungStep(k))).toEqual([2, 6, 18]);
  });

  it('promotes only the top 1/η at each rung', async () => {
    // Rung 0 at step 1, rung 1 at step 3. Five finished trials reached rung 0 with 0.5..0.9.
    const curves = [0.5, 0.6, 0.7, 0.8, 0.9].map((v) => [v, v, v + 0.01]);
    const study = await studyWith(new AshaPruner({ minResource: 1, reductionFactor: 3 }), 'maximize', curves);
    // 6 at rung 0 → top floor(6/3) = 2 promoted: cutoff is the 2nd best (0.8).
    expect(await prunedAt(study, [0.75, 0.99, 0.99])).toBe(1);
    // Rung 0: 0.85 is 2nd of 7 → promoted. Rung 1 (step 3): 0.8 vs 0.51..0.91 → 3rd of 6, pruned.
    expect(await prunedAt(study, [0.85, 0.85, 0.8])).toBe(3);
    expect(await prunedAt(study, [0.95, 0.2, 0.95])).toBeUndefined(); // best at both rungs; step 2 is no rung
  });

  it('does not prune the first trial at a rung, nor past the last rung', async () => {
    const first = await createStudy({ direction: 'minimize', pruner: { type: 'asha' } });
    expect(await prunedAt(first, [5, 5, 5, 5])).toBeUndefined();
    const capped = await studyWith(new AshaPruner({ rungs: 1 }), 'minimize', [[0.1, 0.1, 0.1, 0.1]]);
    expect(await prunedAt(capped, [0.05, 9, 9, 9])).toBeUndefined(); // rung 0 passed; no rung after it
    expect(await prunedAt(capped, [0.5, 0.1])).toBe(1);
  });

  it('round-trips its config and rejects bad options', () => {
    const asha = new AshaPruner({ minResource: 2, reductionFactor: 4, rungs: 3 });
    expect(createPruner(asha.toConfig())?.toConfig()).toEqual(asha.toConfig());
    expect(createPruner({ type: 'none' })).toBeUndefined();
    expect(() => new AshaPruner({ reductionFactor: 1 })).toThrow(/pruner\.reductionFactor/);
    expect(() => createPruner({ type: 'hyperband' } as never)).toThrow(/pruner\.type/);
  });
});

describe('pruning inside optimize', () => {
  it('records trials whose objective throws trial.prune() as pruned and goes on', async () => {
    const study = await createStudy({
      direction: 'maximize',
      sampler: { type: 'random', seed: 1 },
      pruner: { type: 'median', nStartupTrials: 3 },
    });
    await study.optimize(
      async (trial) => {
        const quality = trial.suggestFloat('quality', 0, 1);
        let value = 0;
        for (let epoch = 1; epoch <= 5; epoch++) {
          value = quality * epoch;
          trial.report(value, epoch);
          if (trial.shouldPrune()) throw trial.prune();
        }
        return value;
      },
      { nTrials: 30 },
    );
    const states = study.trials.map((t) => t.state);
    expect(states.slice(0, 3)).toEqual(['completed', 'completed', 'completed']);
    expect(states.filter((s) => s === 'pruned').length).toBeGreaterThan(5);
    for (const t of study.trials.filter((x) => x.state === 'pruned'))
      expect(t.intermediateValues.length).toBeLessThan(5);
  });
});
