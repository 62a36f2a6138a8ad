import { OptikError } from '@optik/core';
import { AshaPruner, type AshaPrunerOptions } from './pruners/asha.js';
import { MedianPruner, type MedianPrunerOptions } from './pruners/median.js';
import type { Pruner } from './pruners/types.js';
import { GridSampler, type GridSamplerOptions } from './samplers/grid.js';
import { RandomSampler, type RandomSamplerOptions } from './samplers/random.js';
import { TpeSampler, type TpeSamplerOptions } from './samplers/tpe.js';
import type { Sampler } from './samplers/types.js';

/** A sampler config as written in YAML: `type` picks the sampler, the other keys are its options. */
export type SamplerConfig =
  | (GridSamplerOptions & { type: 'grid' })
  | (RandomSamplerOptions & { type: 'random' })
  | (TpeSamplerOptions & { type: 'tpe' });

/** A pruner config as written in YAML: `type` picks the pruner (`none` for no pruning). */
export type PrunerConfig =
  | { type: 'none' }
  | (MedianPrunerOptions & { type: 'median' })
  | (AshaPrunerOptions & { type: 'asha' });

const typeOf = (config: unknown): unknown =>
  config !== null && typeof config === 'object' ? (config as { type?: unknown }).type : undefined;

/** Builds a sampler from its config (`{ type: 'grid' | 'random' | 'tpe', … }`). */
export function createSampler(config: SamplerConfig): Sampler {
  switch (typeOf(config)) {
    case 'grid':
      return new GridSampler(config as GridSamplerOptions);
    case 'random':
      return new RandomSampler(config as RandomSamplerOptions);
    case 'tpe':
      return new TpeSampler(config as TpeSamplerOptions);
    default:
      throw new OptikError('CONFIG_INVALID', 'Invalid sampler: type must be one of "grid", "random", "tpe".', {
        path: 'sampler.type',
        received: typeOf(config),
      });
  }
}

/** Builds a pruner from its config (`{ type: 'none' | 'median' | 'asha', … }`); undefined for `none`. */
export function createPruner(config: PrunerConfig): Pruner | undefined {
  switch (typeOf(config)) {
    case 'none':
      if (Object.keys(config).length > 1) {
        throw new OptikError('CONFIG_UNKNOWN_KEY', 'Invalid pruner: type "none" takes no other keys.', {
          path: 'pruner',
          received: config,
        });
      }
      return undefined;
    case 'median':
      return new MedianPruner(config as MedianPrunerOptions);
    case 'asha':
      return new AshaPruner(config as AshaPrunerOptions);
    default:
      throw new OptikError('CONFIG_INVALID', 'Invalid pruner: type must be one of "none", "median", "asha".', {
        path: 'pruner.type',
        received: typeOf(config),
      });
  }
}
