import { describe, expect, it } from 'vitest';
import { createStudy, type Trial } from '../index.js';

// Cheap synthetic objectives with known optima (no training), mixing float, log-float, int and categorical.
const offsets: Record<string, number> = { a: 1, b: 0, c: 0.5, d: 2 };
/** Shifted quadratic in 4 numeric dimensions plus a categorical offset; minimum 0 at x=1.3, y=−0.7, lr=10^−2.5, k=6, c=b. */
function shiftedQuadratic(t: Trial): number {
  const x = t.suggestFloat('x', -5, 5);
  const y = t.suggestFloat('y', -5, 5);
  const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
  const k = t.suggestInt('k', 1, 9);
  const c = t.suggestCategorical('c', ['a', 'b', 'c', 'd']);
  return (x - 1.3) ** 2 + (y + 0.7) ** 2 + (Math.log10(lr) + 2.5) ** 2 + 0.1 * (k - 6) ** 2 + (offsets[c] as number);
}

const braninOffsets: Record<string, number> = { a: 2, b: 0, c: 1 };
/** Branin on [−5, 10] × [0, 15] (minimum 0.397887) plus a categorical offset (best: b). */
function branin(t: Trial): number {
  const x1 = t.suggestFloat('x1', -5, 10);
  const x2 = t.suggestFloat('x2', 0, 15);
  const c = t.suggestCategorical('c', ['a', 'b', 'c']);
  const b = 5.1 / (4 * Math.PI ** 2);
  const r = 5 / Math.PI;
  const s = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + r * x1 - 6) ** 2 + 10 * (1 - s) * Math.cos(x1) + 10 + (braninOffsets[c] as number);
}

async function meanRegret(
  type: 'tpe' | 'random',
  objective: (t: Trial) => number,
  optimum: number,
  seeds: number[],
  nTrials: number,
): Promise<number> {
  let total = 0;
  for (const seed of seeds) {
    const study = await createStudy({
      direction: 'minimize',
      sampler: type === 'tpe' ? { type, seed } : { type, seed },
    });
    await study.optimize(objective, { nTrials });
    total += (study.bestTrial?.value as number) - optimum;
  }
  return total / seeds.length;
}

describe('TPE against random search', () => {
  const seeds = [0, 1, 2, 3, 4];
  it.each([
    ['shifted quadratic (4 numeric + categorical)', shiftedQuadratic, 0],
    ['Branin + categorical', branin, 0.397887],
  ] as const)(
    'reaches a lower best value after 60 trials on %s, averaged over 5 seeds',
    async (_, objective, optimum) => {
      const tpe = await meanRegret('tpe', objective, optimum, seeds, 60);
      const random = await meanRegret('random', objective, optimum, seeds, 60);
      // TPE's mean gap to the optimum must be well under random search's, not merely equal by luck.
      expect(tpe).toBeLessThan(0.6 * random);
    },
  );

  it('finds the good region of a conditional space', async () => {
    const study = await createStudy({
      direction: 'maximize',
      sampler: { type: 'tpe', seed: 3 },
      space: [
        { name: 'blocks', type: 'int', low: 1, high: 4 },
        { name: 'width', type: 'int', low: 8, high: 128, step: 8, when: { param: 'blocks', gte: 3 } },
      ],
    });
    await study.optimize(
      (t) => {
        const blocks = t.params.blocks as number;
        const width = (t.params.width as number | undefined) ?? 0;
        return blocks >= 3 ? 1 - ((width - 96) / 128) ** 2 : 0.5;
      },
      { nTrials: 40 },
    );
    const late = study.trials.slice(20);
    expect(late.filter((t) => (t.params.blocks as number) >= 3).length).toBeGreaterThan(14);
    expect(Math.abs((study.bestTrial?.params.width as number) - 96)).toBeLessThanOrEqual(16);
  });
});
