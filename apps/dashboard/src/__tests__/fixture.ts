// The dashboard's fixture store (not a test file): one tiny real training through @optik/pipeline, one study of
// real @optik/tune trials stored through TrackStudyStorage, a running run written with @optik/track's writer API,
// and a failed run whose folder lost its files. Shared by the API tests, the Chromium tests and the benchmark.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePipelineConfig, runTraining, TrackStudyStorage } from '@optik/pipeline';
import { tempDir, writePng } from '@optik/testing';
import { openStore, type Run, type Store } from '@optik/track';
import { createStudy } from '@optik/tune';

export interface Fixture {
  readonly root: string;
  /** The trained run (completed, with every artifact). */
  readonly trainedId: number;
  /** A second trained run with another learning rate (for Compare). */
  readonly secondId: number;
  /** A run left `running`: append epochs with `appendEpoch`. */
  readonly runningId: number;
  /** A failed run whose folder was deleted. */
  readonly brokenId: number;
  readonly studyId: number;
  /** Logs the next epoch of the running run (in this process, as `optik train` would). */
  appendEpoch(): number;
  close(): void;
}

function classFolders(root: string): string {
  const data = join(root, 'data');
  for (const [c, value] of [
    ['dark', 30],
    ['bright', 200],
  ] as const) {
    mkdirSync(join(data, c), { recursive: true });
    for (let i = 0; i < 12; i++) writePng(join(data, c, `${i}.png`), 8, 8, 1, new Uint8Array(64).fill(value + i * 2));
  }
  return data;
}

async function train(root: string, data: string, name: string, learningRate: number): Promise<number> {
  const config = resolvePipelineConfig({
    task: 'classification',
    name,
    backend: 'cpu',
    seed: 7,
    data: { directory: data, imageSize: [8, 8], colorMode: 'grayscale' },
    model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 4 }] },
    train: { epochs: 3, optimizer: { type: 'adam', learningRate } },
    output: { root },
  });
  const result = await runTraining(config, { progress: false, log: () => {} });
  return result.runId;
}

/** Reads a store as the dashboard does (read only, closed again), for tests to compare the pages with. */
export function readStore<T>(root: string, read: (store: Store) => T): T {
  const store = openStore({ root, readOnly: true });
  try {
    return read(store);
  } finally {
    store.close();
  }
}

/** Builds the fixture store in a fresh temporary folder (about ten seconds: two tiny trainings). */
export async function makeFixture(): Promise<Fixture> {
  const base = tempDir('optik-dashboard-');
  const root = join(base, 'runs');
  const data = classFolders(base);
  const trainedId = await train(root, data, 'tiny', 0.01);
  const secondId = await train(root, data, 'tiny-slow', 0.001);

  const store: Store = openStore({ root });
  const storage = new TrackStudyStorage({ store, objective: 'val_accuracy', task: 'classification' });
  const study = await createStudy({
    name: 'search',
    direction: 'maximize',
    sampler: { type: 'random', seed: 3 },
    storage,
  });
  await study.optimize(
    (trial) => {
      const learningRate = trial.suggestFloat('learningRate', 1e-4, 1e-1, { log: true });
      const units = trial.suggestInt('units', 4, 64);
      // A smooth made-up objective: the trial machinery and the store are real, the training is not needed here.
      return 0.9 - 0.05 * Math.abs(Math.log10(learningRate) + 2) - 0.001 * Math.abs(units - 32);
    },
    { nTrials: 8 },
  );
  const studyId = store.getStudy('search').id;

  const running: Run = store.createRun({ task: 'classification', name: 'live', config: { train: { epochs: 50 } } });
  let next = 1;
  const appendEpoch = () => {
    const epoch = next++;
    running.logEpoch(epoch, {
      loss: 1 / epoch,
      accuracy: 0.5 + epoch * 0.01,
      val_loss: 1.1 / epoch,
      val_accuracy: 0.48 + epoch * 0.01,
    });
    return epoch;
  };
  appendEpoch();
  appendEpoch();

  const broken = store.createRun({ task: 'classification', name: 'broken', config: {} });
  broken.logEpoch(1, { loss: 0.7, val_loss: 0.8 });
  broken.finish({ status: 'failed', error: 'out of memory' });
  rmSync(broken.dir, { recursive: true, force: true });

  return {
    root,
    trainedId,
    secondId,
    runningId: running.id,
    brokenId: broken.id,
    studyId,
    appendEpoch,
    close: () => store.close(),
  };
}
