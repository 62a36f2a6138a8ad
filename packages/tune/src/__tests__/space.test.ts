import { isOptikError, OptikError } from '@optik/core';
import { describe, expect, it } from 'vitest';
import { SearchSpace, type SearchSpaceInput } from '../index.js';

function errorOf(fn: () => unknown): OptikError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OptikError) return error;
    throw error;
  }
  throw new Error('expected an OptikError');
}

describe('SearchSpace', () => {
  const yaml = `
- { name: blocks, type: int, low: 2, high: 4 }
- { name: filters3, type: int, low: 16, high: 64, step: 16, when: { param: blocks, gte: 3 } }
- { name: learningRate, type: float, low: 1.0e-4, high: 1.0e-1, log: true }
- { name: dropout, type: float, low: 0, high: 0.5, step: 0.1 }
- { name: pooling, type: categorical, choices: [max, avg] }
`;

  it('parses YAML with defaults filled in and round-trips through toConfig/fromConfig', () => {
    const space = SearchSpace.fromYaml(yaml);
    expect(space.params.map((p) => p.name)).toEqual(['blocks', 'filters3', 'learningRate', 'dropout', 'pooling']);
    expect(space.get('blocks')).toEqual({ name: 'blocks', type: 'int', low: 2, high: 4, step: 1, log: false });
    expect(space.get('filters3')?.when).toEqual({ param: 'blocks', gte: 3 });
    const again = SearchSpace.fromConfig(space.toConfig());
    expect(again.toConfig()).toEqual(space.toConfig());
  });

  it('accepts the map form (name → spec) and JSON text', () => {
    const space = SearchSpace.fromYaml(
      JSON.stringify({
        lr: { type: 'float', low: 0.001, high: 0.1, log: true },
        act: { type: 'categorical', choices: ['relu', 'gelu'] },
      }),
    );
    expect(space.params.map((p) => [p.name, p.type])).toEqual([
      ['lr', 'float'],
      ['act', 'categorical'],
    ]);
  });

  it.each<[string, SearchSpaceInput, string, string]>([
    ['high < low', [{ name: 'x', type: 'float', low: 1, high: 0 }], 'CONFIG_INVALID', '[0].high'],
    ['log with low ≤ 0', [{ name: 'x', type: 'float', low: 0, high: 1, log: true }], 'CONFIG_INVALID', '[0].low'],
    ['non-integer int bound', [{ name: 'n', type: 'int', low: 1.5, high: 4 }], 'CONFIG_INVALID', '[0].low'],
    [
      'step not dividing the range',
      [{ name: 'x', type: 'float', low: 0, high: 1, step: 0.3 }],
      'CONFIG_INVALID',
      '[0].step',
    ],
    [
      'log with step',
      [{ name: 'x', type: 'float', low: 0.1, high: 1, step: 0.1, log: true }],
      'CONFIG_INVALID',
      '[0].step',
    ],
    ['unknown type', [{ name: 'x', type: 'uniform', low: 0, high: 1 } as never], 'CONFIG_INVALID', '[0].type'],
    [
      'unknown key',
      [{ name: 'x', type: 'float', low: 0, high: 1, scale: 'log' } as never],
      'CONFIG_UNKNOWN_KEY',
      '[0].scale',
    ],
    ['empty choices', [{ name: 'c', type: 'categorical', choices: [] }], 'CONFIG_INVALID', '[0].choices'],
    [
      'grid outside bounds',
      [{ name: 'x', type: 'float', low: 0, high: 1, grid: [0.5, 2] }],
      'CONFIG_INVALID',
      '[0].grid[1]',
    ],
    [
      'empty condition',
      [
        { name: 'a', type: 'int', low: 1, high: 2 },
        { name: 'b', type: 'int', low: 1, high: 2, when: { param: 'a' } },
      ],
      'CONFIG_INVALID',
      '[1].when',
    ],
    ['map form bad bound', { lr: { type: 'float', low: 1, high: 0 } }, 'CONFIG_INVALID', 'lr.high'],
  ])('rejects %s, naming the key path', (_, input, code, path) => {
    const error = errorOf(() => new SearchSpace(input, { prefix: 'tune.space' }));
    expect(error.code).toBe(code);
    expect(error.message).toContain(`tune.space${path.startsWith('[') ? '' : '.'}${path}`);
  });

  it('rejects conditions on unknown or later parameters, duplicate names, and gte on a categorical', () => {
    const later = errorOf(
      () =>
        new SearchSpace([
          { name: 'f', type: 'int', low: 1, high: 2, when: { param: 'blocks', gte: 3 } },
          { name: 'blocks', type: 'int', low: 1, high: 4 },
        ]),
    );
    expect(later.code).toBe('CONFIG_INVALID');
    expect(later.message).toContain('[0].when.param');
    expect(later.message).toContain('"blocks"');
    const dup = errorOf(
      () =>
        new SearchSpace([
          { name: 'a', type: 'int', low: 1, high: 2 },
          { name: 'a', type: 'int', low: 1, high: 2 },
        ]),
    );
    expect(dup.message).toContain('[1].name');
    const cat = errorOf(
      () =>
        new SearchSpace({
          pool: { type: 'categorical', choices: ['max', 'avg'] },
          k: { type: 'int', low: 1, high: 3, when: { param: 'pool', gte: 1 } },
        }),
    );
    expect(cat.message).toContain('k.when');
  });

  it('reports a YAML syntax error as CONFIG_PARSE with the file', () => {
    const error = errorOf(() => SearchSpace.fromYaml('- { name: x, type: float', { file: 'tune.yaml' }));
    expect(isOptikError(error, 'CONFIG_PARSE')).toBe(true);
    expect(error.message).toContain('tune.yaml');
  });

  it('rejects an empty space', () => {
    expect(errorOf(() => new SearchSpace([])).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => new SearchSpace({})).code).toBe('CONFIG_INVALID');
  });
});
