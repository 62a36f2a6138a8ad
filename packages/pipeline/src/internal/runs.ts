import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BackendChoice, type BackendName, initBackend } from '@optik/backend';
import { OptikError, readEnv } from '@optik/core';
import { openStore, runPaths } from '@optik/track';
import { loadModel } from '@optik/train';
import type * as tf from '@tensorflow/tfjs';
import { parse as parseYaml } from 'yaml';
import { type PipelineConfig, resolvePipelineConfig } from './config.js';

/** A run: its id in the store (`1`), its name (`exp3`), `task/name`, or the path of its run folder. */
export type RunReference = number | string;

/** A run located on disk, with its resolved config. */
export interface LocatedRun {
  readonly id: number | null;
  readonly name: string;
  readonly dir: string;
  readonly config: PipelineConfig;
}

/**
 * Finds a run: a folder path holding `config.yaml` is used as is; anything else is looked up in the store at
 * `root` (default `runs`).
 */
export function locateRun(ref: RunReference, options: { root?: string | undefined } = {}): LocatedRun {
  if (typeof ref === 'string' && existsSync(join(ref, 'config.yaml')) && statSync(ref).isDirectory()) {
    const dir = resolve(ref);
    const file = join(dir, 'config.yaml');
    const config = resolvePipelineConfig(parseYaml(readFileSync(file, 'utf8')), { file });
    let id: number | null = null;
    try {
      const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { id?: unknown };
      if (typeof info.id === 'number') id = info.id;
    } catch {
      // run.json is informative only; a copied run folder without it still evaluates.
    }
    return { id, name: dir.split(/[\\/]/).at(-1) ?? dir, dir, config };
  }
  // Never creates a store: a mistyped --root is a STORE_NOT_FOUND, not a new empty store.
  const store = openStore({ root: options.root ?? 'runs', sweep: false, create: false, readOnly: true });
  try {
    const key = typeof ref === 'string' && /^\d+$/.test(ref) ? Number(ref) : ref;
    const record = store.getRun(key);
    const config = resolvePipelineConfig(record.config, { file: join(record.dir, 'config.yaml') });
    return { id: record.id, name: record.name, dir: record.dir, config };
  } finally {
    store.close();
  }
}

/** Loads the model of a run: `weights/best`, else `weights/last`. */
export async function loadRunModel(dir: string): Promise<{ model: tf.LayersModel; weights: 'best' | 'last' }> {
  const paths = runPaths(dir);
  for (const [weights, folder] of [
    ['best', paths.weightsBest],
    ['last', paths.weightsLast],
  ] as const) {
    if (existsSync(join(folder, 'model.json'))) return { model: await loadModel(folder), weights };
  }
  throw new OptikError('RUN_NOT_FOUND', `The run in ${dir} has no saved weights (weights/best or weights/last).`, {
    file: dir,
    hint: 'A run saves weights at the end of each epoch; one stopped during its first epoch has none. Train it again.',
  });
}

/**
 * Initialises the backend: an explicit choice (`--backend`), else `OPTIK_BACKEND`, else the config's `backend`
 * (`auto`: the best available).
 */
export async function initRunBackend(
  configBackend: PipelineConfig['backend'],
  explicit: string | undefined,
  threads?: number | undefined,
): Promise<BackendChoice> {
  // initBackend refuses an unknown or unavailable name with a coded error.
  const prefer =
    (explicit as BackendName | undefined) ??
    readEnv().OPTIK_BACKEND ??
    (configBackend === 'auto' ? undefined : configBackend);
  return initBackend({
    ...(prefer === undefined ? {} : { prefer }),
    ...(threads === undefined ? {} : { threads }),
    log: true,
  });
}
