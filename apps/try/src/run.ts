import { type DetectionGrid, detectionGrid, OptikError } from '@optik/core';
import type { DecodeDetectionsOptions } from '@optik/zoo';
import * as tf from '@tensorflow/tfjs';
import { parse } from 'yaml';

/** How the run's images were prepared for the model, read from its config and its model. */
export interface Preprocessing {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  /** Pixel scaling as the run's batches did it (@optik/data): bytes ÷ 255. */
  readonly scale: number;
  /** Test-time augmentation views the run's `optik predict` averages, if any. */
  readonly tta: readonly string[];
}

/** How a detection run's single output `[1, points, numClasses + 5]` becomes boxes: its grid and `postprocess`. */
export interface DetectionHead {
  readonly grid: DetectionGrid;
  /** The run's `postprocess` (score threshold, NMS IoU, most detections); the page's slider sets the score. */
  readonly postprocess: DecodeDetectionsOptions;
}

/** A loaded run: its task, class names, model and preprocessing. */
export interface LoadedRun {
  readonly source: string;
  readonly task: string;
  readonly name: string;
  /** The run's data (`data.dataset` or `data.directory` of its config). */
  readonly dataset: string;
  readonly classNames: readonly string[];
  readonly model: tf.LayersModel;
  readonly preprocessing: Preprocessing;
  /** For detection runs: how the output is decoded. */
  readonly detection?: DetectionHead;
}

/**
 * The tasks this page draws: a class (with top-k), for localization its box, for detection all boxes, for semantic
 * segmentation a class per pixel.
 */
export const SUPPORTED_TASKS = ['classification', 'localization', 'detection', 'semantic-segmentation'] as const;

interface RunFiles {
  readonly source: string;
  text(path: string): Promise<string | undefined>;
  handler(): tf.io.IOHandler | undefined;
}

function runFromConfig(
  config: unknown,
  source: string,
): { task: string; name: string; tta: string[]; dataset: string; config: Record<string, unknown> } {
  const c = config as { task?: unknown; name?: unknown; test?: { tta?: unknown } } | null;
  if (c === null || typeof c !== 'object' || typeof c.task !== 'string') {
    throw new OptikError('DATA_FORMAT', `${source}/config.yaml is not an Optik run config (it has no \`task\`).`, {
      hint: 'Pick a run folder written by `optik train` (runs/<task>/<name>/).',
    });
  }
  if (!(SUPPORTED_TASKS as readonly string[]).includes(c.task)) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `This page draws ${SUPPORTED_TASKS.slice(0, -1).join(', ')} and ${SUPPORTED_TASKS.at(-1)} runs; this run's task is ${c.task}.`,
      {
        received: c.task,
        hint: 'Use `optik predict` for this run.',
      },
    );
  }
  const tta = Array.isArray(c.test?.tta) ? c.test.tta.map(String) : [];
  const data = (config as { data?: { dataset?: unknown; directory?: unknown } }).data;
  const synth = (data as { synth?: unknown } | undefined)?.synth;
  const dataset = String(data?.dataset ?? data?.directory ?? (synth === undefined ? 'unknown' : 'synth (generated)'));
  const name = typeof c.name === 'string' ? c.name : 'run';
  return { task: c.task, name, tta, dataset, config: c as Record<string, unknown> };
}

/**
 * The decoding of a detection run: the grid of the model's input size and the config's `model.strides` (what
 * `optik predict` builds), checked against the model's output, and the config's `postprocess`.
 */
function detectionHead(
  config: Record<string, unknown>,
  model: tf.LayersModel,
  [height, width]: [number, number],
  source: string,
): DetectionHead {
  const strides = (config.model as { strides?: unknown } | undefined)?.strides;
  if (!Array.isArray(strides) || strides.length === 0 || !strides.every((s) => Number.isInteger(s) && s > 0)) {
    throw new OptikError('CONFIG_INVALID', `${source}/config.yaml has no \`model.strides\` for its detector.`, {
      path: 'model.strides',
      received: strides,
      hint: 'Use the config.yaml `optik train` wrote for this run (it lists every resolved default).',
    });
  }
  const grid = detectionGrid({ imageSize: [height, width], strides: strides as number[] });
  const shape = model.outputs.length === 1 ? (model.outputs[0]?.shape ?? []) : [];
  if (shape.length !== 3 || shape[1] !== grid.numPoints || (shape[2] ?? 0) < 6) {
    throw new OptikError(
      'MODEL_INVALID',
      `The model's output is [${shape.join(', ')}]; a detector on ${height}×${width} inputs with strides [${strides.join(', ')}] gives [batch, ${grid.numPoints}, numClasses + 5].`,
      { hint: 'config.yaml and weights/best must come from the same detection run.' },
    );
  }
  const postprocess = (config.postprocess ?? {}) as DecodeDetectionsOptions;
  return { grid, postprocess };
}

async function loadRun(files: RunFiles): Promise<LoadedRun> {
  const configText = await files.text('config.yaml');
  if (configText === undefined) {
    throw new OptikError('DATA_NOT_FOUND', `No config.yaml in ${files.source}.`, {
      hint: 'Pick the run folder itself (runs/<task>/<name>/), which holds config.yaml and weights/.',
    });
  }
  const { task, name, tta, dataset, config } = runFromConfig(parse(configText), files.source);
  const handler = files.handler();
  if (handler === undefined) {
    throw new OptikError('DATA_NOT_FOUND', `The run ${files.source} has no weights/best (model.json + weights.bin).`, {
      hint: 'Train it first (`optik train`), or wait until it has finished its first epoch.',
    });
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(handler);
  } catch (cause) {
    throw new OptikError(
      'CHECKPOINT_CORRUPT',
      `The weights in ${files.source}/weights/best do not load: ${cause instanceof Error ? cause.message : String(cause)}`,
      { hint: 'model.json and weights.bin must come from the same run; retrain or copy the folder again.' },
      { cause },
    );
  }
  const shape = model.inputs[0]?.shape ?? [];
  const [, height, width, channels] = shape;
  if (typeof height !== 'number' || typeof width !== 'number' || (channels !== 1 && channels !== 3 && channels !== 4)) {
    model.dispose();
    throw new OptikError('MODEL_INVALID', `The model takes inputs of shape [${shape.join(', ')}], not images.`, {
      hint: 'Optik image models take [batch, height, width, channels] with 1, 3 or 4 channels.',
    });
  }
  let detection: DetectionHead | undefined;
  try {
    if (task === 'detection') detection = detectionHead(config, model, [height, width], files.source);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const metricsText = await files.text('metrics.json');
  const metrics = metricsText === undefined ? {} : (JSON.parse(metricsText) as { classNames?: unknown });
  const last = model.outputs[0]?.shape.at(-1) ?? 0;
  const units = detection === undefined ? last : last - 5;
  const classNames = Array.isArray(metrics.classNames)
    ? metrics.classNames.map(String)
    : Array.from({ length: units === 1 ? 2 : units }, (_, i) => String(i));
  return {
    source: files.source,
    task,
    name,
    dataset,
    classNames,
    model,
    preprocessing: { height, width, channels, scale: 1 / 255, tta },
    ...(detection === undefined ? {} : { detection }),
  };
}

/** Loads a run served over http (e.g. `optik ui`'s `/files/<run>/`): `<url>/config.yaml`, `<url>/weights/best/`. */
export async function loadRunFromUrl(url: string): Promise<LoadedRun> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const get = async (path: string) => {
    let response: Response;
    try {
      response = await fetch(new URL(path, base));
    } catch (cause) {
      throw new OptikError('DATA_NOT_FOUND', `Cannot reach ${base} (${String(cause)}).`, {
        hint: 'Is `optik ui` running, and does the server allow this page (CORS)?',
      });
    }
    return response.ok ? response.text() : undefined;
  };
  const hasWeights = (await fetch(new URL('weights/best/model.json', base), { method: 'HEAD' }).catch(() => undefined))
    ?.ok;
  return loadRun({
    source: base.replace(/\/$/, ''),
    text: get,
    handler: () => (hasWeights === true ? tf.io.http(new URL('weights/best/model.json', base).href) : undefined),
  });
}

/** Loads a run folder the user picked (`<input type=file webkitdirectory>`): paths are relative to the folder. */
export async function loadRunFromFiles(picked: readonly File[]): Promise<LoadedRun> {
  if (picked.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'No files were picked.', { hint: 'Pick a run folder.' });
  }
  // webkitRelativePath is "<folder>/config.yaml"; drop the folder's own name.
  const byPath = new Map(picked.map((f) => [f.webkitRelativePath.split('/').slice(1).join('/') || f.name, f]));
  const folder = picked[0]?.webkitRelativePath.split('/')[0] || 'the picked files';
  const modelJson = byPath.get('weights/best/model.json');
  const weightsBin = byPath.get('weights/best/weights.bin');
  return loadRun({
    source: folder,
    text: async (path) => byPath.get(path)?.text(),
    handler: () =>
      modelJson !== undefined && weightsBin !== undefined ? tf.io.browserFiles([modelJson, weightsBin]) : undefined,
  });
}
