import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import {
  FASHION_MNIST_CLASSES,
  InMemoryDataset,
  loadBuiltinDataset,
  loadImages,
  readSample,
  scanImageFolder,
} from '@optik/data';
import { disposeModel } from '@optik/zoo';
import type * as tf from '@tensorflow/tfjs';
import { recordedTestSplit } from './run/split.js';
import { initRunBackend, type LocatedRun, loadRunModel, locateRun, type RunReference } from './runs.js';
import { taskOf } from './tasks/registry.js';
import type { TaskImagePrediction } from './tasks/types.js';

/** Where a command finds runs and which backend it uses. */
export interface RunAccessOptions {
  /** Store root for run ids and names (default `runs`). */
  readonly root?: string | undefined;
  /** Backend (`--backend`); beats `OPTIK_BACKEND` and the run config's `backend`. */
  readonly backend?: string | undefined;
}

/** Options of {@link runEvaluation}. */
export interface RunEvaluationOptions extends RunAccessOptions {
  /**
   * Evaluate on other data: a built-in name (`fashion-mnist`, `mnist`: its test split) or a class-per-folder
   * directory (its `test/` split if it has one, else every image). Default: the run's own test split.
   */
  readonly data?: string | undefined;
}

/** What {@link runEvaluation} returns. */
export interface EvaluationResult {
  readonly runId: number | null;
  readonly runDir: string;
  readonly backend: string;
  /** Which checkpoint was evaluated. */
  readonly weights: 'best' | 'last';
  /** What was evaluated, e.g. `test split of the run's data` or a folder path. */
  readonly data: string;
  /** The task's headline metrics (classification: accuracy and macro P/R/F1; localization: IoU, …). */
  readonly metrics: Record<string, unknown>;
  /** The task's full report. */
  readonly report: Record<string, unknown>;
  /** Why the evaluated images differ from the run's recorded test split, if they do. */
  readonly warnings: readonly string[];
}

/** One image's prediction: `file` and the task's fields (classification: `top` k classes; localization: the
 * class, its probability, the box in pixels and `top`). */
export type ImagePrediction = TaskImagePrediction;

/** What {@link runPrediction} returns. */
export interface PredictionResult {
  readonly runId: number | null;
  readonly runDir: string;
  readonly backend: string;
  readonly weights: 'best' | 'last';
  readonly predictions: readonly ImagePrediction[];
}

/** The class names of a run: from its metrics.json, else from its data source. */
function runClassNames(run: LocatedRun): readonly string[] {
  try {
    const metrics = JSON.parse(readFileSync(join(run.dir, 'metrics.json'), 'utf8')) as { classNames?: unknown };
    if (Array.isArray(metrics.classNames) && metrics.classNames.every((n) => typeof n === 'string')) {
      return metrics.classNames as string[];
    }
  } catch {
    // not finished yet: fall back to the data source
  }
  if (run.config.task !== 'classification') {
    throw new OptikError('DATA_NOT_FOUND', `Run ${run.dir} has no metrics.json with its class names yet.`, {
      hint: 'Predict with a run that finished training.',
    });
  }
  const { data } = run.config;
  if (data.dataset === 'fashion-mnist') return [...FASHION_MNIST_CLASSES];
  if (data.dataset === 'mnist') return Array.from({ length: 10 }, (_, i) => String(i));
  return scanImageFolder(data.directory as string).classNames;
}

function colorModeOf(channels: number): 'grayscale' | 'rgb' | 'rgba' {
  return channels === 1 ? 'grayscale' : channels === 4 ? 'rgba' : 'rgb';
}

function inputShapeOf(model: tf.LayersModel): [number, number, number] {
  const shape = model.inputs[0]?.shape ?? [];
  return [shape[1] ?? 0, shape[2] ?? 0, shape[3] ?? 0];
}

async function otherData(
  source: string,
  run: LocatedRun,
  classNames: readonly string[],
  inputShape: [number, number, number],
): Promise<{ dataset: InMemoryDataset; description: string }> {
  if (run.config.task !== 'classification') {
    throw new OptikError('ARGUMENT_INVALID', `--data is not supported for ${run.config.task} runs yet.`, {
      received: source,
      hint: "Evaluate on the run's own test split (leave out --data).",
    });
  }
  if (source === 'fashion-mnist' || source === 'mnist') {
    const loaded = await loadBuiltinDataset(source, {
      seed: run.config.seed,
      mnistTestSplit: run.config.data.testSplit,
      ...(run.config.data.cacheDir === undefined ? {} : { cacheDir: run.config.data.cacheDir }),
    });
    if (loaded.classNames.join('\n') !== classNames.join('\n')) {
      throw new OptikError('DATA_MISMATCH', `The run was trained on other classes than ${source}'s.`, {
        received: loaded.classNames,
        hint: `The run's classes: ${classNames.join(', ')}.`,
      });
    }
    return { dataset: loaded.test, description: `${source} test split` };
  }
  const directory = resolve(source);
  if (!existsSync(directory)) {
    throw new OptikError('DATA_NOT_FOUND', `The evaluation data ${directory} does not exist.`, {
      received: source,
      hint: 'Pass a class-per-folder directory or a built-in dataset name (fashion-mnist, mnist).',
    });
  }
  const scanned = scanImageFolder(directory);
  const hasTest = scanned.records.some((r) => r.split === 'test');
  const source2 = hasTest ? { ...scanned, records: scanned.records.filter((r) => r.split === 'test') } : scanned;
  const { dataset } = await loadImages(source2, {
    imageSize: [inputShape[0], inputShape[1]],
    colorMode: colorModeOf(inputShape[2]),
    cache: false,
  });
  const labels = Int32Array.from(dataset.labels, (label) => {
    const name = scanned.classNames[label] ?? '';
    const id = classNames.indexOf(name);
    if (id < 0) {
      throw new OptikError('DATA_UNKNOWN_CLASS', `The folder "${name}" is not one of the run's classes.`, {
        file: directory,
        received: name,
        hint: `The run's classes: ${classNames.join(', ')}.`,
      });
    }
    return id;
  });
  return {
    dataset: new InMemoryDataset({
      images: dataset.images,
      height: dataset.height,
      width: dataset.width,
      channels: dataset.channels,
      labels,
      classNames,
      ...(dataset.sources === undefined ? {} : { sources: dataset.sources }),
    }),
    description: hasTest ? `${directory} (test split)` : directory,
  };
}

/**
 * Evaluates a run's best weights on its test split (the same split it was trained with), or on other data, and
 * returns the metrics. Nothing in the run folder is changed.
 */
export async function runEvaluation(ref: RunReference, options: RunEvaluationOptions = {}): Promise<EvaluationResult> {
  const run = locateRun(ref, options);
  const backend = await initRunBackend(run.config.backend, options.backend);
  const { model, weights } = await loadRunModel(run.dir);
  try {
    let dataset: InMemoryDataset;
    let description: string;
    let classNames: readonly string[];
    const task = taskOf(run.config.task);
    let warnings: string[] = [];
    if (options.data === undefined) {
      const data = await task.loadData(run.config);
      ({ test: dataset, warnings } = recordedTestSplit(run.dir, data));
      classNames = data.classNames;
      description = "test split of the run's data";
    } else {
      classNames = runClassNames(run);
      ({ dataset, description } = await otherData(options.data, run, classNames, inputShapeOf(model)));
    }
    checkShape(model, dataset);
    const evaluation = task.evaluate(await task.predict(model, dataset, run.config), dataset, classNames);
    return {
      runId: run.id,
      runDir: run.dir,
      backend: backend.name,
      weights,
      data: description,
      metrics: evaluation.headline,
      report: evaluation.report,
      warnings,
    };
  } finally {
    disposeModel(model);
  }
}

function checkShape(model: tf.LayersModel, dataset: InMemoryDataset): void {
  const [h, w, c] = inputShapeOf(model);
  if (dataset.height !== h || dataset.width !== w || dataset.channels !== c) {
    throw new OptikError(
      'DATA_MISMATCH',
      `The model takes ${h}×${w}×${c} images; the data has ${dataset.height}×${dataset.width}×${dataset.channels}.`,
      { hint: 'Evaluate on data of the kind the run was trained on.' },
    );
  }
}

/**
 * Predicts image files with a run's best weights, through the run's task: each image is decoded and resized to
 * the model's input (colour mode from its channels); classification gives the top-k classes with their
 * probabilities, localization the class, its probability and the box. With `outDir`, each image is also written
 * there with its prediction drawn.
 */
export async function runPrediction(
  ref: RunReference,
  imagePaths: readonly string[],
  options: RunAccessOptions & { topK?: number; outDir?: string | undefined; conf?: number | undefined } = {},
): Promise<PredictionResult> {
  const topK = options.topK ?? 3;
  if (!Number.isInteger(topK) || topK < 1) {
    throw new OptikError('ARGUMENT_INVALID', 'topK must be a positive integer.', { received: topK });
  }
  if (imagePaths.length === 0) {
    throw new OptikError('ARGUMENT_INVALID', 'Give at least one image file to classify.', { received: imagePaths });
  }
  const run = locateRun(ref, options);
  const backend = await initRunBackend(run.config.backend, options.backend);
  const classNames = runClassNames(run);
  const task = taskOf(run.config.task);
  const { model, weights } = await loadRunModel(run.dir);
  try {
    const [height, width, channels] = inputShapeOf(model);
    const files = imagePaths.map((p) => resolve(p));
    const predictions: ImagePrediction[] = [];
    const chunk = 64;
    for (let start = 0; start < files.length; start += chunk) {
      const batch = files.slice(start, start + chunk);
      const pixels = new Uint8Array(batch.length * height * width * channels);
      for (let i = 0; i < batch.length; i++) {
        const file = batch[i] as string;
        const sample = await readSample(
          {
            format: 'folder',
            root: dirname(file),
            task: 'classification',
            classNames,
            records: [{ file }],
            issues: { clippedBoxes: 0, skipped: [] },
          },
          0,
          { imageSize: [height, width], colorMode: colorModeOf(channels) },
        );
        pixels.set(sample.image.data as Uint8Array, i * height * width * channels);
      }
      const images = new InMemoryDataset({
        images: pixels,
        height,
        width,
        channels: channels as 1 | 3 | 4,
        labels: new Int32Array(batch.length).fill(-1),
        classNames,
      });
      predictions.push(
        ...(await task.predictImages(model, images, batch, run.config, {
          topK,
          outDir: options.outDir,
          conf: options.conf,
        })),
      );
    }
    return { runId: run.id, runDir: run.dir, backend: backend.name, weights, predictions };
  } finally {
    disposeModel(model);
  }
}
