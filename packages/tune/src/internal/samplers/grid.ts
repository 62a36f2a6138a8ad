import { OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { enumerateValues } from '../distributions.js';
import { conditionHolds, type SearchSpace, toDistribution } from '../space.js';
import type { Distribution, ParamValue } from '../types.js';
import type { Sampler, SamplerContext } from './types.js';

/** Largest grid enumerated; beyond it the search space needs coarser steps or explicit grids. */
const MAX_GRID_POINTS = 100_000;

export const GridSamplerSchema = z.strictObject({
  type: z.literal('grid').default('grid'),
  /**
   * Explicit values per parameter. With a search space they replace that parameter's values; without one (define-
   * by-run) they are the whole grid.
   */
  grid: z.record(z.string().min(1), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
});

/** Options of {@link GridSampler}. */
export type GridSamplerOptions = z.input<typeof GridSamplerSchema>;
/** Config of {@link GridSampler}. */
export type GridSamplerConfig = z.output<typeof GridSamplerSchema>;

type Point = Record<string, ParamValue>;

const keyOf = (params: Readonly<Record<string, ParamValue>>): string =>
  JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );

/**
 * Tries every point of the grid once, in order: the full Cartesian product of categorical choices, int values
 * (every `step` from low to high), float `step` lattices and explicit `grid` lists — conditional parameters only
 * where their condition holds. A float without `step` or `grid` is an error. Points of completed, pruned and
 * running trials are skipped (failed ones are retried); when none is left, `ask` throws `SEARCH_SPACE_EXHAUSTED`
 * and `optimize` ends.
 */
export class GridSampler implements Sampler {
  readonly type = 'grid';
  readonly config: GridSamplerConfig;
  private cache: { space: SearchSpace | undefined; points: Point[] } | undefined;
  /** Points handed to trials of this process that have not been told yet. */
  private readonly assigned = new Map<number, string>();

  constructor(options: GridSamplerOptions = {}) {
    this.config = parseOrThrow(GridSamplerSchema, options, { what: 'grid sampler options', prefix: 'sampler' });
  }

  static fromConfig(config: GridSamplerOptions): GridSampler {
    return new GridSampler(config);
  }

  /** Every point of the grid, in the order they are tried. */
  points(space: SearchSpace | undefined): Point[] {
    if (this.cache?.space !== space || this.cache === undefined) {
      this.cache = { space, points: space === undefined ? this.explicitPoints() : this.spacePoints(space) };
    }
    return this.cache.points;
  }

  startTrial(context: SamplerContext & { readonly space: SearchSpace | undefined }): Point {
    const points = this.points(context.space);
    const visited = new Set<string>();
    const running = new Set<number>();
    for (const t of context.trials) {
      if (t.state === 'completed' || t.state === 'pruned') visited.add(keyOf(t.params));
      if (t.state === 'running') running.add(t.number);
    }
    for (const [number, key] of this.assigned) {
      if (running.has(number)) visited.add(key);
      else this.assigned.delete(number);
    }
    for (const point of points) {
      const key = keyOf(point);
      if (!visited.has(key)) {
        this.assigned.set(context.trialNumber, key);
        return { ...point };
      }
    }
    throw new OptikError(
      'SEARCH_SPACE_EXHAUSTED',
      `Every one of the ${points.length} grid points has been tried (or is running).`,
      { hint: 'Widen the grid or use the random or tpe sampler to keep searching.' },
    );
  }

  sample(_context: SamplerContext, name: string, _distribution: Distribution): ParamValue {
    throw new OptikError('ARGUMENT_INVALID', `Parameter "${name}" is not part of the grid.`, {
      hint: "Add it to the search space or to the grid sampler's `grid` option.",
    });
  }

  toConfig(): GridSamplerConfig {
    return structuredClone(this.config);
  }

  private explicitPoints(): Point[] {
    const grid = this.config.grid;
    if (grid === undefined || Object.keys(grid).length === 0) {
      throw new OptikError('ARGUMENT_INVALID', 'The grid sampler needs a search space or a `grid` of values.', {
        hint: 'Pass `space` to createStudy, or `sampler: { type: "grid", grid: { lr: [0.001, 0.01] } }`.',
      });
    }
    let points: Point[] = [{}];
    for (const [name, values] of Object.entries(grid)) {
      points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
      guardSize(points.length);
    }
    return points;
  }

  private spacePoints(space: SearchSpace): Point[] {
    const values = space.params.map((spec) => {
      const explicit = this.config.grid?.[spec.name] ?? (spec.type === 'categorical' ? undefined : spec.grid);
      const list = explicit ?? enumerateValues(toDistribution(spec));
      if (list === undefined) {
        throw new OptikError(
          'CONFIG_INVALID',
          `The grid sampler cannot enumerate float parameter "${spec.name}": it has no step and no grid.`,
          { path: spec.name, hint: 'Give it a `step`, or list the values to try as `grid: [...]`.' },
        );
      }
      return list;
    });
    const points: Point[] = [];
    const partial: Point = {};
    const walk = (i: number): void => {
      const spec = space.params[i];
      if (spec === undefined) {
        points.push({ ...partial });
        guardSize(points.length);
        return;
      }
      if (!conditionHolds(spec.when, partial)) {
        walk(i + 1);
        return;
      }
      for (const v of values[i] as ParamValue[]) {
        partial[spec.name] = v;
        walk(i + 1);
      }
      delete partial[spec.name];
    };
    walk(0);
    return points;
  }
}

function guardSize(n: number): void {
  if (n > MAX_GRID_POINTS) {
    throw new OptikError('CONFIG_INVALID', `The grid has more than ${MAX_GRID_POINTS} points.`, {
      hint: 'Use coarser steps, explicit `grid` lists, or the random/tpe sampler.',
    });
  }
}
