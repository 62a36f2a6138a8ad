import { isOptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
import {
  createStudy,
  InMemoryStorage,
  loadStudy,
  optimizationHistory,
  parallelCoordinatesData,
  paramImportance,
  RandomSampler,
  type Sampler,
  sliceData,
  type Trial,
  trialsToRows,
} from '../index.js';

const quadratic = (t: Trial): number => (t.suggestFloat('x', -3, 3) - 1) ** 2;

describe('Study', () => {
  it('records a failing objective as failed and goes on', async () => {
    const study = await createStudy({ sampler: { type: 'random', seed: 2 } });
    const ran = await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        if (t.number === 1) throw new Error('out of memory');
        if (t.number === 3) return Number.NaN;
        return x;
      },
      { nTrials: 6 },
    );
    expect(ran.map((r) => r.state)).toEqual(['completed', 'failed', 'completed', 'failed', 'completed', 'completed']);
    expect(ran[1]?.error).toBe('out of memory');
    expect(ran[3]?.error).toMatch(/non-finite/);
    expect(ran[1]?.completedAt).not.toBeNull();
    expect(study.bestTrial?.state).toBe('completed');
  });

  it('resumes: same name on the same storage continues numbering, sampler sees old trials, stale running fail', async () => {
    const storage = new InMemoryStorage();
    const first = await createStudy({
      name: 's',
      direction: 'maximize',
      storage,
      sampler: { type: 'random', seed: 1 },
    });
    await first.optimize(quadratic, { nTrials: 4 });
    const interrupted = await first.ask();
    interrupted.suggestFloat('x', -3, 3);

    const seen: number[] = [];
    const inner = new RandomSampler({ seed: 1 });
    const spy: Sampler = {
      type: 'spy',
      sample: (ctx, name, d) => {
        seen.push(ctx.trials.length);
        return inner.sample(ctx, name, d);
      },
      toConfig: () => ({ type: 'spy' }),
    };
    const resumed = await createStudy({ name: 's', storage, sampler: spy });
    expect(resumed.direction).toBe('maximize');
    expect(resumed.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
    expect(resumed.trials[4]?.state).toBe('failed');
    expect(resumed.trials[4]?.error).toMatch(/Interrupted/);
    await resumed.optimize(quadratic, { nTrials: 2 });
    expect(resumed.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(seen).toEqual([5, 6]);
    const stored = await storage.listTrials(resumed.id);
    expect(stored.map((t) => t.state)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'failed',
      'completed',
      'completed',
    ]);
    const reopened = await loadStudy({ name: 's', storage });
    expect(reopened.bestTrial).toEqual(resumed.bestTrial);
  });

  it('refuses a resumed study with another direction, an existing name without loadIfExists, a missing study', async () => {
    const storage = new InMemoryStorage();
    await createStudy({ name: 's', direction: 'maximize', storage });
    await expect(createStudy({ name: 's', direction: 'minimize', storage })).rejects.toThrow(/created to maximize/);
    await expect(createStudy({ name: 's', storage, loadIfExists: false })).rejects.toThrow(/exists already/);
    await expect(loadStudy({ name: 'nope', storage })).rejects.toSatisfy((e) => isOptikError(e, 'STUDY_NOT_FOUND'));
    await expect(createStudy({ name: '' })).rejects.toSatisfy((e) => isOptikError(e, 'CONFIG_INVALID'));
  });

  it('runs up to `concurrency` objectives at once', async () => {
    const study = await createStudy({ sampler: { type: 'random' } });
    let running = 0;
    let peak = 0;
    const ran = await study.optimize(
      async (t) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        return quadratic(t);
      },
      { nTrials: 9, concurrency: 3 },
    );
    expect(ran).toHaveLength(9);
    expect(peak).toBe(3);
    expect(new Set(ran.map((r) => r.number)).size).toBe(9);
  });

  it('stops starting trials after the timeout, and needs a bound', async () => {
    const study = await createStudy({ sampler: { type: 'random' } });
    const ran = await study.optimize(
      async (t) => {
        await new Promise((r) => setTimeout(r, 30));
        return quadratic(t);
      },
      { timeout: 0.05 },
    );
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.length).toBeLessThanOrEqual(3);
    await expect(study.optimize(quadratic)).rejects.toThrow(/nTrials or timeout/);
  });

  it('supports ask/tell, with bestTrial following the direction, and refuses a second tell', async () => {
    const study = await createStudy({ direction: 'maximize', sampler: { type: 'random', seed: 4 } });
    for (const v of [0.3, 0.9, 0.5]) {
      const trial = await study.ask();
      trial.setUserAttr('f1', v / 2);
      await study.tell(trial, v);
    }
    expect(study.bestTrial?.number).toBe(1);
    expect(study.bestTrial?.userAttrs).toEqual({ f1: 0.45 });
    const t = await study.ask();
    await study.tell(t.number, { state: 'failed', error: 'boom' });
    await expect(study.tell(t, 1)).rejects.toThrow(/told already/);
    expect(() => t.report(1, 1)).toThrow(/failed/);
  });

  it('fails the trial and rethrows when the space cannot be drawn (grid value outside its distribution)', async () => {
    const study = await createStudy({
      sampler: { type: 'grid', grid: { x: [5] } },
      space: [{ name: 'x', type: 'int', low: 0, high: 3 }],
    });
    await expect(study.ask()).rejects.toThrow(/outside its distribution/);
    expect(study.trials[0]?.state).toBe('failed');
  });
});

describe('trialsToRows', () => {
  it('gives one row per trial with the same columns in order, null for inactive parameters', async () => {
    const study = await createStudy({
      direction: 'maximize',
      sampler: { type: 'grid' },
      space: {
        blocks: { type: 'int', low: 2, high: 3 },
        filters3: { type: 'categorical', choices: [32], when: { param: 'blocks', eq: 3 } },
      },
    });
    await study.optimize((t) => {
      t.setUserAttr('accuracy', 0.5);
      t.setUserAttr('value', 1);
      return t.params.blocks as number;
    });
    const rows = study.trialsToRows();
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'number',
      'state',
      'value',
      'blocks',
      'filters3',
      'accuracy',
      'attr.value',
      'duration',
      'error',
    ]);
    expect(rows.map((r) => [r.blocks, r.filters3, r.state])).toEqual([
      [2, null, 'completed'],
      [3, 32, 'completed'],
    ]);
    expect(typeof rows[0]?.duration).toBe('number');
    expect(trialsToRows([])).toEqual([]);
  });
});

describe('analysis', () => {
  it('computes history, importance, slices and parallel coordinates from the trials', async () => {
    const study = await createStudy({ direction: 'minimize', sampler: { type: 'random', seed: 9 } });
    await study.optimize(
      (t) => {
        const a = t.suggestFloat('a', 0, 10);
        const b = t.suggestFloat('b', 0, 10);
        const c = t.suggestCategorical('c', ['x', 'y']);
        if (t.number % 10 === 9) throw new Error('skip');
        return (a - 5) ** 2 + 0.01 * b + (c === 'x' ? 0 : 0.001);
      },
      { nTrials: 60 },
    );
    const history = optimizationHistory(study.trials, study.direction);
    expect(history).toHaveLength(54);
    for (let i = 1; i < history.length; i++)
      expect(history[i]?.best).toBeLessThanOrEqual(history[i - 1]?.best as number);
    expect(history.at(-1)?.best).toBe(study.bestTrial?.value);

    const importance = paramImportance(study.trials);
    expect(importance[0]?.name).toBe('a');
    expect(importance[0]?.importance).toBeGreaterThan(0.9);
    expect(importance.reduce((s, p) => s + p.importance, 0)).toBeCloseTo(1, 9);

    const slices = sliceData(study.trials);
    expect(slices.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(slices[2]?.distribution).toEqual({ type: 'categorical', choices: ['x', 'y'] });
    expect(slices[0]?.points).toHaveLength(54);

    const pc = parallelCoordinatesData(study.trials, study.direction);
    expect(pc.params.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(pc.lines).toHaveLength(54);
    expect(pc.objective.min).toBe(study.bestTrial?.value);
  });

  it('gives zero importance when nothing explains the objective', async () => {
    const study = await createStudy({ sampler: { type: 'random' } });
    await study.optimize((t) => 0 * t.suggestFloat('a', 0, 1), { nTrials: 12 });
    expect(paramImportance(study.trials)).toEqual([{ name: 'a', importance: 0 }]);
    expect(paramImportance([])).toEqual([]);
  });
});
