import { isOptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
import {
  createSampler,
  createStudy,
  GridSampler,
  RandomSampler,
  SearchSpace,
  TpeSampler,
  type Trial,
} from '../index.js';

const conditional = new SearchSpace([
  { name: 'blocks', type: 'int', low: 2, high: 4 },
  { name: 'filters3', type: 'int', low: 16, high: 64, step: 16, when: { param: 'blocks', gte: 3 } },
  { name: 'filters4', type: 'int', low: 16, high: 64, step: 16, when: { param: 'blocks', eq: 4 } },
  { name: 'pooling', type: 'categorical', choices: ['max', 'avg'] },
]);

describe('GridSampler', () => {
  it('runs exactly the 2×2 product of a space and then stops', async () => {
    const study = await createStudy({
      direction: 'maximize',
      sampler: { type: 'grid' },
      space: {
        learningRate: { type: 'float', low: 0.001, high: 0.01, grid: [0.001, 0.01] },
        dropout: { type: 'categorical', choices: [0.2, 0.5] },
      },
    });
    const ran = await study.optimize((t) => (t.params.dropout as number) - (t.params.learningRate as number), {
      nTrials: 10,
    });
    expect(ran).toHaveLength(4);
    const combos = ran.map((r) => `${r.params.learningRate}/${r.params.dropout}`).sort();
    expect(combos).toEqual(['0.001/0.2', '0.001/0.5', '0.01/0.2', '0.01/0.5']);
    await expect(study.ask()).rejects.toSatisfy((e) => isOptikError(e, 'SEARCH_SPACE_EXHAUSTED'));
  });

  it('enumerates int steps and float steps, and conditional parameters only where active', () => {
    const grid = new GridSampler();
    const points = grid.points(conditional);
    // blocks=2: 2 poolings; blocks=3: 4 filters3 × 2; blocks=4: 4 × 4 × 2.
    expect(points).toHaveLength(2 + 8 + 32);
    expect(points.filter((p) => p.blocks === 2).every((p) => !('filters3' in p) && !('filters4' in p))).toBe(true);
    expect(points.filter((p) => p.blocks === 3).every((p) => 'filters3' in p && !('filters4' in p))).toBe(true);
    const floats = grid.points(new SearchSpace([{ name: 'd', type: 'float', low: 0, high: 0.3, step: 0.1 }]));
    expect(floats.map((p) => p.d)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('refuses a float without step or grid', () => {
    const space = new SearchSpace([{ name: 'lr', type: 'float', low: 0.001, high: 0.1, log: true }]);
    expect(() => new GridSampler().points(space)).toThrow(/no step and no grid/);
  });

  it('runs a define-by-run grid with concurrency, never giving two running trials the same point', async () => {
    const study = await createStudy({ sampler: new GridSampler({ grid: { a: [1, 2, 3], b: ['x', 'y'] } }) });
    const ran = await study.optimize(
      async (t) => {
        const a = t.suggestInt('a', 1, 3);
        t.suggestCategorical('b', ['x', 'y']);
        await new Promise((r) => setTimeout(r, 2));
        return a;
      },
      { concurrency: 3 },
    );
    expect(new Set(ran.map((r) => JSON.stringify(r.params))).size).toBe(6);
  });

  it('retries the point of a failed trial', async () => {
    const study = await createStudy({ sampler: { type: 'grid', grid: { a: [1, 2] } } });
    let calls = 0;
    await study.optimize(
      (t) => {
        const a = t.suggestInt('a', 1, 2);
        calls += 1;
        if (calls === 1) throw new Error('flaky');
        return a;
      },
      { nTrials: 5 },
    );
    const states = study.trials.map((t) => `${t.params.a}:${t.state}`);
    expect(states).toEqual(['1:failed', '1:completed', '2:completed']);
  });
});

describe('RandomSampler', () => {
  const objective = (t: Trial): number => {
    const x = t.suggestFloat('x', -1, 1);
    const n = t.suggestInt('n', 1, 100, { log: true });
    const s = t.suggestFloat('s', 0, 1, { step: 0.25 });
    const c = t.suggestCategorical('c', ['a', 'b', 'c']);
    return x + n + s + c.length;
  };

  async function paramsFor(seed: number, concurrency = 1): Promise<string> {
    const study = await createStudy({ sampler: new RandomSampler({ seed }) });
    await study.optimize(objective, { nTrials: 12, concurrency });
    return JSON.stringify(study.trials.map((t) => t.params));
  }

  it('is reproducible per seed (also with concurrent trials) and differs across seeds', async () => {
    const a = await paramsFor(7);
    expect(await paramsFor(7)).toBe(a);
    expect(await paramsFor(7, 4)).toBe(a);
    expect(await paramsFor(8)).not.toBe(a);
  });

  it('draws values inside their distributions', async () => {
    const study = await createStudy({ sampler: { type: 'random', seed: 3 } });
    await study.optimize(objective, { nTrials: 50 });
    for (const t of study.trials) {
      const { x, n, s, c } = t.params as { x: number; n: number; s: number; c: string };
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThanOrEqual(1);
      expect(Number.isInteger(n) && n >= 1 && n <= 100).toBe(true);
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(s);
      expect(['a', 'b', 'c']).toContain(c);
    }
    // log-uniform: about half the draws of n in [1, 100] fall below 10.
    const small = study.trials.filter((t) => (t.params.n as number) < 10).length;
    expect(small).toBeGreaterThan(15);
  });
});

describe('conditional parameters', () => {
  it.each(['random', 'tpe'] as const)('appear only when their condition holds (%s)', async (type) => {
    const study = await createStudy({
      sampler: type === 'tpe' ? { type, seed: 5, nStartupTrials: 5 } : { type, seed: 5 },
      space: conditional,
    });
    await study.optimize((t) => (t.params.blocks as number) + ((t.params.filters3 as number | undefined) ?? 0) / 100, {
      nTrials: 30,
    });
    const seen = new Set<number>();
    for (const t of study.trials) {
      const blocks = t.params.blocks as number;
      seen.add(blocks);
      expect('filters3' in t.params).toBe(blocks >= 3);
      expect('filters4' in t.params).toBe(blocks === 4);
      expect(Object.keys(t.distributions).sort()).toEqual(Object.keys(t.params).sort());
    }
    expect(seen.size).toBe(3);
  });
});

describe('define-by-run', () => {
  it('returns the same value for a repeated suggestion and rejects a different distribution', async () => {
    const study = await createStudy({ sampler: { type: 'random' } });
    const trial = await study.ask();
    const x = trial.suggestFloat('x', 0, 1);
    expect(trial.suggestFloat('x', 0, 1)).toBe(x);
    expect(() => trial.suggestFloat('x', 0, 2)).toThrow(/another distribution/);
    expect(() => trial.suggestFloat('y', 0, 1, { log: true })).toThrow(/low > 0/);
    expect(() => trial.suggestInt('k', 1, 10, { step: 4 })).toThrow(/multiple of step/);
    await study.tell(trial, x);
    expect(() => trial.suggestFloat('z', 0, 1)).toThrow(/completed/);
  });
});

describe('sampler configs', () => {
  it('round-trip through toConfig/createSampler and reject bad options with the key path', () => {
    for (const sampler of [
      new GridSampler({ grid: { a: [1] } }),
      new RandomSampler({ seed: 2 }),
      new TpeSampler({ gamma: 0.2 }),
    ]) {
      expect(createSampler(sampler.toConfig() as never).toConfig()).toEqual(sampler.toConfig());
    }
    expect(() => new TpeSampler({ gamma: 1.5 })).toThrow(/sampler\.gamma/);
    expect(() => createSampler({ type: 'bayes' } as never)).toThrow(/sampler\.type/);
  });
});
