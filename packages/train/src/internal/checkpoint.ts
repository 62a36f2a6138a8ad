import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { checkWeightBytes, corruptHint, fileSystemIO, writeError } from './io.js';
import type { NamedTensor, Optimizer } from './optimizers.js';
import type { CallbackState, EpochLogs } from './types.js';

const STATE_FILE = 'trainer.json';
const OPTIMIZER_FILE = 'optimizer.bin';
const CALLBACKS_FILE = 'callbacks.bin';

/** What `trainer.json` in a checkpoint folder holds. */
export interface CheckpointInfo {
  readonly format: 'optik-checkpoint';
  readonly version: 1;
  /** The last finished epoch (0-based); a resume continues with `epoch + 1`. */
  readonly epoch: number;
  readonly epochs: number;
  readonly globalStep: number;
  readonly stepsPerEpoch: number | null;
  readonly learningRate: number;
  readonly rngState: readonly [number, number, number, number];
  readonly stopTraining: boolean;
  readonly stopReason: string | null;
  readonly history: EpochLogs[];
  readonly trainer: Record<string, unknown>;
  readonly optimizer: { readonly config: Record<string, unknown>; readonly specs: tf.io.WeightsManifestEntry[] };
  readonly callbacks: Array<{
    readonly name: string;
    readonly values: Record<string, unknown>;
    readonly specs: tf.io.WeightsManifestEntry[];
  }>;
}

export interface CheckpointContents {
  readonly info: Omit<CheckpointInfo, 'format' | 'version' | 'optimizer' | 'callbacks'> & {
    readonly optimizerConfig: Record<string, unknown>;
  };
  readonly model: tf.LayersModel;
  readonly optimizer: Optimizer;
  readonly callbacks: ReadonlyArray<{ readonly name: string; readonly state: CallbackState }>;
}

function bytes(data: ArrayBuffer): Uint8Array {
  return new Uint8Array(data);
}

/** A checkpoint's binary file, checked against the specs that describe it (`CHECKPOINT_CORRUPT` otherwise). */
function readBuffer(path: string, specs: readonly tf.io.WeightsManifestEntry[]): ArrayBuffer {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (cause) {
    throw new OptikError(
      'CHECKPOINT_CORRUPT',
      `The checkpoint file ${path} cannot be read.`,
      { file: path, hint: corruptHint(path) },
      { cause },
    );
  }
  checkWeightBytes(path, b.byteLength, specs, `the checkpoint's ${STATE_FILE}`);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/**
 * Writes a checkpoint folder (model.json + weights.bin, optimizer.bin, callbacks.bin, trainer.json) next to the
 * target, then swaps it in with renames, so a crash at any point leaves either the old or the new checkpoint.
 */
export async function writeCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const tmp = `${dir}.tmp`;
  try {
    await writeCheckpointFiles(dir, tmp, contents);
  } catch (cause) {
    // A full disk: remove the partial folder (it frees the space it took) and say so; `dir` is untouched.
    rmSync(tmp, { recursive: true, force: true });
    throw writeError(cause, tmp, `saving the checkpoint of epoch ${contents.info.epoch + 1} to ${dir}`);
  }
}

async function writeCheckpointFiles(dir: string, tmp: string, contents: CheckpointContents): Promise<void> {
  const old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await contents.model.save(fileSystemIO(tmp));

  const optimizerState = await contents.optimizer.getState();
  const optimizerEncoded = await tf.io.encodeWeights(optimizerState);
  tf.dispose(optimizerState.map((t) => t.tensor));
  writeFileSync(join(tmp, OPTIMIZER_FILE), bytes(optimizerEncoded.data));

  const callbackTensors: NamedTensor[] = [];
  const callbacks = contents.callbacks.map(({ name, state }, i) => {
    const tensors = (state.tensors ?? []).map((t) => ({ name: `${i}/${name}/${t.name}`, tensor: t.tensor }));
    callbackTensors.push(...tensors);
    return { name, values: state.values, count: tensors.length };
  });
  const callbackEncoded = await tf.io.encodeWeights(callbackTensors);
  writeFileSync(join(tmp, CALLBACKS_FILE), bytes(callbackEncoded.data));
  let offset = 0;
  const { info } = contents;
  const state: CheckpointInfo = {
    format: 'optik-checkpoint',
    version: 1,
    epoch: info.epoch,
    epochs: info.epochs,
    globalStep: info.globalStep,
    stepsPerEpoch: info.stepsPerEpoch,
    learningRate: info.learningRate,
    rngState: info.rngState,
    stopTraining: info.stopTraining,
    stopReason: info.stopReason,
    history: info.history,
    trainer: info.trainer,
    optimizer: { config: info.optimizerConfig, specs: optimizerEncoded.specs },
    callbacks: callbacks.map(({ name, values, count }) => {
      const specs = callbackEncoded.specs.slice(offset, offset + count);
      offset += count;
      return { name, values, specs };
    }),
  };
  writeFileSync(join(tmp, STATE_FILE), JSON.stringify(state, null, 2));

  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** The folder to read: `dir`, or `dir.old` when a crash hit between the two renames of a write. */
function resolveCheckpointDir(dir: string): string {
  if (existsSync(join(dir, STATE_FILE))) return dir;
  if (existsSync(join(`${dir}.old`, STATE_FILE))) return `${dir}.old`;
  throw new OptikError('RUN_NOT_FOUND', `No checkpoint in ${dir} (trainer.json is missing).`, {
    file: dir,
    hint: 'Resume from a folder written by ModelCheckpoint, e.g. <run>/weights/last.',
  });
}

/**
 * Reads a checkpoint's `trainer.json`: the epoch it was written at, the history, the learning rate, the trainer
 * and optimizer configs. No tensors are loaded.
 */
export function readCheckpoint(dir: string): CheckpointInfo {
  const folder = resolveCheckpointDir(dir);
  const path = join(folder, STATE_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new OptikError(
      'CHECKPOINT_CORRUPT',
      `The checkpoint state ${path} is not valid JSON (${(error as Error).message}): the file is truncated or damaged.`,
      { file: path, hint: corruptHint(path) },
      { cause: error },
    );
  }
  const info = (parsed ?? {}) as Partial<CheckpointInfo>;
  if (info.format !== 'optik-checkpoint' || info.version !== 1) {
    throw new OptikError('DATA_FORMAT', `${path} is not an Optik checkpoint (format optik-checkpoint, version 1).`, {
      file: path,
      received: { format: info.format, version: info.version },
    });
  }
  const problem = checkInfo(info);
  if (problem !== undefined) {
    throw new OptikError('CHECKPOINT_CORRUPT', `The checkpoint state ${path} is damaged: ${problem}.`, {
      file: path,
      hint: corruptHint(path),
    });
  }
  return info as CheckpointInfo;
}

const isSpecList = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.every(
    (s) =>
      s !== null &&
      typeof s === 'object' &&
      typeof (s as { name?: unknown }).name === 'string' &&
      Array.isArray((s as { shape?: unknown }).shape),
  );

/** What is wrong with a parsed trainer.json's fields, or undefined when they have the shape a resume reads. */
function checkInfo(info: Partial<CheckpointInfo>): string | undefined {
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (!int(info.epoch) || (info.epoch as number) < 0) return `epoch is ${JSON.stringify(info.epoch)}`;
  if (!int(info.epochs) || !int(info.globalStep)) return 'epochs or globalStep is not an integer';
  if (typeof info.learningRate !== 'number' || !Number.isFinite(info.learningRate))
    return 'learningRate is not a number';
  if (!Array.isArray(info.rngState) || info.rngState.length !== 4) return 'rngState is not 4 numbers';
  if (!Array.isArray(info.history)) return 'history is not a list';
  if (info.optimizer === null || typeof info.optimizer !== 'object' || !isSpecList(info.optimizer.specs)) {
    return 'optimizer.specs is missing';
  }
  if (!Array.isArray(info.callbacks) || !info.callbacks.every((c) => isSpecList(c?.specs))) {
    return 'callbacks is not a list of states';
  }
  return undefined;
}

/** Loads the tensors of a checkpoint into an existing model and a fresh optimizer; returns the callback states. */
export async function restoreCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: Optimizer,
): Promise<{ info: CheckpointInfo; callbacks: Array<{ name: string; state: CallbackState }> }> {
  const folder = resolveCheckpointDir(dir);
  const info = readCheckpoint(folder);
  const artifacts = await fileSystemIO(folder).load();
  const weights = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), artifacts.weightSpecs ?? []);
  try {
    setModelWeights(model, weights, folder);
  } finally {
    tf.dispose(Object.values(weights));
  }

  const optimizerTensors = tf.io.decodeWeights(
    readBuffer(join(folder, OPTIMIZER_FILE), info.optimizer.specs),
    info.optimizer.specs,
  );
  // decodeWeights returns a map in spec order; the optimizer's slots are positional.
  const ordered = info.optimizer.specs.map((spec) => ({
    name: spec.name,
    tensor: optimizerTensors[spec.name] as tf.Tensor,
  }));
  try {
    await optimizer.setState(ordered);
  } finally {
    tf.dispose(Object.values(optimizerTensors));
  }

  const allSpecs = info.callbacks.flatMap((c) => c.specs);
  const callbackTensors = tf.io.decodeWeights(readBuffer(join(folder, CALLBACKS_FILE), allSpecs), allSpecs);
  const callbacks = info.callbacks.map(({ name, values, specs }) => ({
    name,
    state: {
      values,
      tensors: specs.map((spec) => ({
        name: spec.name.split('/').slice(2).join('/'),
        tensor: callbackTensors[spec.name] as tf.Tensor,
      })),
    },
  }));
  return { info, callbacks };
}

/** Sets weights by their saved names, falling back to order when the names differ (auto-named layers). */
function setModelWeights(model: tf.LayersModel, weights: tf.NamedTensorMap, folder: string): void {
  const byName = model.weights.map((w) => weights[w.originalName]);
  const values = byName.every((t) => t !== undefined) ? (byName as tf.Tensor[]) : Object.values(weights);
  const shapesMatch =
    values.length === model.weights.length &&
    model.weights.every((w, i) => JSON.stringify(w.shape) === JSON.stringify(values[i]?.shape));
  if (!shapesMatch) {
    throw new OptikError('MODEL_INVALID', `The checkpoint in ${folder} does not fit this model's weights.`, {
      file: folder,
      hint: 'Resume with the same model config the checkpoint was trained with.',
    });
  }
  model.setWeights(values);
}
