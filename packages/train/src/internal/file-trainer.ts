import { restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
import { Trainer as BrowserSafeTrainer, type CheckpointStore, trainWith } from './trainer.js';

const fileCheckpoints: CheckpointStore = { write: writeCheckpoint, restore: restoreCheckpoint };

/** The trainer of the Node entry: checkpoints are folders (`model.json`, `weights.bin`, optimizer, trainer.json). */
export class Trainer extends BrowserSafeTrainer {
  protected static override readonly checkpoints: CheckpointStore | undefined = fileCheckpoints;
}

/** Builds a {@link Trainer} from the config keys of `options` and fits, with checkpoints and resume. */
export const train = trainWith(Trainer);
