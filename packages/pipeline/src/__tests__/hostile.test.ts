// Hostile cases of the run lifecycle (issue #11): a damaged checkpoint is never a silent restart from epoch 1.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@optik/testing';
import { describe, expect, it } from 'vitest';
import { resolvePipelineConfig, runTraining } from '../index.js';

describe('resume from a damaged checkpoint', () => {
  it('is a coded CHECKPOINT_CORRUPT error, and the run keeps its recorded epoch', async () => {
    const root = tempDir();
    const config = resolvePipelineConfig({
      task: 'classification',
      name: 'damaged',
      seed: 3,
      backend: 'cpu',
      data: { dataset: 'mnist', batchSize: 32, limit: { train: 128, validation: 64, test: 64 } },
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 8 }] },
      train: { epochs: 3 },
      output: { root },
    });
    // Interrupt after the first epoch (as Ctrl-C does): the run is `interrupted` with weights/last at epoch 0.
    const abort = new AbortController();
    const first = await runTraining(config, {
      progress: false,
      signal: abort.signal,
      onEpoch: () => abort.abort(),
    }).catch((error: unknown) => error);
    expect(first).toBeDefined();
    const runDir = join(root, 'classification', 'damaged');
    writeFileSync(join(runDir, 'weights', 'last', 'trainer.json'), '{"epoch": 0, "hist');
    const error = await runTraining(config, { progress: false, resume: 'damaged' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect((error as Error).message).toContain('trainer.json');
  }, 120_000);
});
