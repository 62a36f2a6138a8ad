// Hostile cases of the run lifecycle (issue #11): a damaged checkpoint is never a silent restart from epoch 1.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writePng } from '@optik/testing';
import { openStore } from '@optik/track';
import { Classifier } from '@optik/zoo';
import { describe, expect, it } from 'vitest';
import { resolvePipelineConfig, runEvaluation, runTraining } from '../index.js';
import { checkTrainingMemory } from '../internal/run/memory.js';

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
    // The run stays resumable (interrupted, not failed), and its recorded epoch is still there.
    const store = openStore({ root, create: false });
    try {
      const run = store.getRun('damaged');
      expect(run.status).toBe('interrupted');
      expect(run.epochs.length).toBe(1);
    } finally {
      store.close();
    }
  }, 120_000);
});

describe('size guards', () => {
  it('refuses a training step that cannot fit in memory, with the numbers, before training', () => {
    const root = tempDir();
    const config = resolvePipelineConfig({
      task: 'classification',
      name: 'huge',
      backend: 'cpu',
      data: { dataset: 'mnist', batchSize: 16, limit: { train: 64, validation: 32, test: 32 } },
      model: { layers: [{ type: 'conv', filters: 64, kernelSize: 3, padding: 'same' }, { type: 'flatten' }] },
      output: { root },
    });
    if (config.task !== 'classification') throw new Error(`task ${config.task}`);
    const model = new Classifier({ ...config.model, inputShape: [28, 28, 1], numClasses: 10 }).model;
    // 28×28×64 floats per image: fine on any machine, refused on one with 10 MB.
    expect(() => checkTrainingMemory(model, 16)).not.toThrow();
    expect(() => checkTrainingMemory(model, 16, 10e6)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/One training step needs about/),
      }),
    );
    model.dispose();
  });

  it('refuses a layer with an absurd number of weights (filters: 1e9) with a coded error naming the layer', () => {
    expect(() =>
      resolvePipelineConfig({
        task: 'classification',
        data: { dataset: 'mnist' },
        model: { layers: [{ type: 'conv', filters: 1e9, kernelSize: 3 }, { type: 'flatten' }] },
      }),
    ).not.toThrow(); // the schema allows it; the model build refuses it
    expect(
      () =>
        new Classifier({
          inputShape: [28, 28, 1],
          numClasses: 10,
          layers: [{ type: 'conv', filters: 1e9, kernelSize: 3 }, { type: 'flatten' }],
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/layers\[0\] \(conv\) would hold/),
      }),
    );
  });
});

/** `<tmp>/data/{dark,bright}/<i>.png`: `perClass` 8×8 grey images per class, told apart by brightness. */
function classFolders(perClass: number): string {
  const root = tempDir();
  for (const [c, value] of [
    ['dark', 30],
    ['bright', 220],
  ] as const) {
    mkdirSync(join(root, 'data', c), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      writePng(join(root, 'data', c, `${i}.png`), 8, 8, 1, new Uint8Array(64).fill(value + i));
    }
  }
  return root;
}

describe('unreadable images', () => {
  function folder(): string {
    const root = classFolders(12);
    writeFileSync(join(root, 'data', 'dark', 'broken.png'), 'this is not a png');
    return root;
  }
  const config = (root: string, skipped?: 'error') =>
    resolvePipelineConfig({
      task: 'classification',
      name: 'unreadable',
      backend: 'cpu',
      data: {
        directory: join(root, 'data'),
        imageSize: [8, 8],
        colorMode: 'grayscale',
        ...(skipped ? { skipped } : {}),
      },
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 4 }] },
      train: { epochs: 1 },
      output: { root: join(root, 'runs') },
    });

  it('are counted, printed and listed in skipped.csv by default, and refused with data.skipped: error', async () => {
    const root = folder();
    const lines: string[] = [];
    const result = await runTraining(config(root), { progress: false, log: (line) => lines.push(line) });
    expect(result.skipped.map((s) => s.file.split(/[\\/]/).at(-1))).toEqual(['broken.png']);
    expect(lines.some((line) => line.includes('1 images were left out'))).toBe(true);
    expect(readFileSync(join(result.runDir, 'skipped.csv'), 'utf8')).toContain('broken.png');
    await expect(runTraining(config(root, 'error'), { progress: false })).rejects.toMatchObject({
      code: 'DATA_CORRUPT',
      details: { path: 'data.skipped' },
    });
  }, 120_000);
});

describe('optik eval after the data changed', () => {
  it('evaluates on the recorded test images, never on a split recomputed from new files', async () => {
    const root = classFolders(15);
    const config = resolvePipelineConfig({
      task: 'classification',
      name: 'moved',
      backend: 'cpu',
      data: { directory: join(root, 'data'), imageSize: [8, 8], colorMode: 'grayscale' },
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 4 }] },
      train: { epochs: 1 },
      output: { root: join(root, 'runs') },
    });
    const trained = await runTraining(config, { progress: false });
    const recorded = readFileSync(join(trained.runDir, 'predictions.csv'), 'utf8').trim().split('\n').length - 1;
    const same = await runEvaluation(trained.runId, { root: join(root, 'runs') });
    expect(same.warnings).toEqual([]);
    expect(same.metrics.numSamples).toBe(recorded);
    // New files change the stratified split; the evaluation stays on the recorded test images.
    for (let i = 15; i < 30; i++)
      writePng(join(root, 'data', 'dark', `${i}.png`), 8, 8, 1, new Uint8Array(64).fill(60));
    const after = await runEvaluation(trained.runId, { root: join(root, 'runs') });
    expect(after.metrics.numSamples).toBe(recorded);
    expect(after.warnings.join(' ')).toMatch(/recorded test images/);
  }, 120_000);
});
