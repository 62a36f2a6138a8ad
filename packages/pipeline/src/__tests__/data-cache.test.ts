// The tuning worker's data cache: trials that load the same splits share one decoded dataset; anything that
// changes what is loaded (a limit, the seed, the split) loads afresh. Internal, so imported from its module.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PipelineConfig, resolvePipelineConfig } from '../index.js';
import { cachedDataLoader } from '../internal/run/lifecycle.js';

function config(data: Record<string, unknown>, seed = 3): PipelineConfig {
  return resolvePipelineConfig({
    task: 'classification',
    seed,
    data: { dataset: 'mnist', limit: { train: 200, validation: 50, test: 50 }, ...data },
    model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 4 }] },
  });
}

describe('cachedDataLoader', () => {
  it('reuses the splits across batch sizes and reloads when the loading settings change', async () => {
    const load = cachedDataLoader();
    const first = await load(config({ batchSize: 32 }));
    // Stratified limits round per class: about 200.
    expect(Math.abs(first.train.length - 200)).toBeLessThanOrEqual(5);
    expect(await load(config({ batchSize: 128 }))).toBe(first);
    const smaller = await load(config({ limit: { train: 100, validation: 50, test: 50 } }));
    expect(smaller).not.toBe(first);
    expect(Math.abs(smaller.train.length - 100)).toBeLessThanOrEqual(5);
    const reseeded = await load(config({}, 4));
    expect(reseeded).not.toBe(smaller);
    // Another seed draws other images.
    expect(Buffer.from(reseeded.train.images).equals(Buffer.from(first.train.images))).toBe(false);
  });

  it('does not remember a failed load', async () => {
    const load = cachedDataLoader();
    // A folder without images passes the config check and fails when loaded.
    const bad = config({ dataset: undefined, directory: mkdtempSync(join(tmpdir(), 'optik-empty-')) });
    await expect(load(bad)).rejects.toThrow(/no images/i);
    await expect(load(bad)).rejects.toThrow(/no images/i);
    expect((await load(config({}))).train.length).toBeGreaterThan(0);
  });
});
