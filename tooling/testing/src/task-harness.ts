import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from './csv.js';
import { tempDir } from './files.js';

/** What the task harness reads of a training result (`@optik/pipeline`'s `TrainingResult`). */
export interface HarnessTrainingResult {
  readonly runId: number;
  readonly runDir: string;
  readonly epochs: number;
  readonly metrics: Record<string, unknown>;
}

/**
 * The `@optik/pipeline` functions the task harness drives, injected by the caller (`@optik/testing` cannot depend
 * on the pipeline, which has it as a devDependency).
 */
export interface TaskHarnessApi<C> {
  /** Validates a config object and fills its defaults. */
  resolvePipelineConfig(input: unknown): C;
  /** Reads a YAML/JSON config file (a run's `config.yaml`) and resolves it. */
  loadPipelineConfig(file: string): C;
  runTraining(config: C, options: { progress: boolean }): Promise<HarnessTrainingResult>;
  runEvaluation(
    ref: string,
    options: { root: string },
  ): Promise<{ readonly metrics: Record<string, unknown>; readonly report: Record<string, unknown> }>;
  runPrediction(
    ref: string,
    files: readonly string[],
    options: { root: string },
  ): Promise<{ readonly predictions: readonly { readonly file: string }[] }>;
  /** Every task the registry trains: each needs a case, so a newly registered task fails until it has one. */
  taskKinds(): readonly string[];
}

/** One task the harness runs end to end. */
export interface TaskHarnessCase {
  /** The registered `task:` value. */
  readonly kind: string;
  /**
   * A tiny config object of this task (1–2 epochs, a few dozen images: seconds), with its data written into `dir`
   * (generated images, or tiny real data). `output.root` is set by the harness.
   */
  makeConfig(dir: string): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Image files (written by `makeConfig`) that `runPrediction` must return one entry for each, in order. */
  imageFiles(dir: string): readonly string[];
  /** Files the task adds to the run folder, relative to it (e.g. `plots/iou-histogram.png`). */
  readonly artifacts?: readonly string[] | undefined;
}

/** The run-folder contract every task writes (CONVENTIONS: "A run folder … is self-describing"). */
export const RUN_FOLDER_FILES = [
  'config.yaml',
  'run.json',
  'results.csv',
  'metrics.json',
  'predictions.csv',
  'report.html',
  'plots/learning-curves.png',
  'weights/best/model.json',
  'weights/last/model.json',
] as const;

/** Plain JSON form of a value (NaN → null, typed arrays → objects), as metrics.json stores it. */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Paths (`a.b[2]`) where two JSON values differ, numbers compared to a relative tolerance. */
function differences(actual: unknown, expected: unknown, tolerance: number, path = ''): string[] {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(1, Math.abs(expected));
    return Math.abs(actual - expected) <= tolerance * scale ? [] : [`${path}: ${actual} ≠ ${expected}`];
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return [`${path}: length ${actual.length} ≠ ${expected.length}`];
    return actual.flatMap((a, i) => differences(a, expected[i], tolerance, `${path}[${i}]`));
  }
  if (actual !== null && expected !== null && typeof actual === 'object' && typeof expected === 'object') {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])];
    return keys.flatMap((k) =>
      differences(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        tolerance,
        path === '' ? k : `${path}.${k}`,
      ),
    );
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`];
}

/**
 * Asserts that two JSON-like values are equal, numbers within `tolerance` (relative above 1, absolute below),
 * listing every path that differs.
 *
 * @example
 * ```ts
 * expectJsonClose(evaluation.metrics, training.metrics); // same weights, same data: same numbers
 * ```
 */
export function expectJsonClose(actual: unknown, expected: unknown, tolerance = 1e-6, message = ''): void {
  expect(differences(asJson(actual), asJson(expected), tolerance), message).toEqual([]);
}

/**
 * Registers the task harness: for each case, config → tiny training → the run folder's files → `runEvaluation` of
 * the run reproduces metrics.json on the test split → `runPrediction` returns one entry per file → no tensor left
 * over. First of all it checks that every kind in `api.taskKinds()` has a case (and every case a registered kind).
 *
 * @example
 * ```ts
 * import * as pipeline from '../index.js';
 * describeTaskHarness(
 *   [{ kind: 'classification', makeConfig: (dir) => tinyClassFolderConfig(dir), imageFiles: (dir) => [join(dir, 'a/0.png')] }],
 *   pipeline,
 * );
 * ```
 */
export function describeTaskHarness<C extends { readonly task: string }>(
  cases: readonly TaskHarnessCase[],
  api: TaskHarnessApi<C>,
): void {
  describe('task harness', () => {
    it('has a case for every registered task', () => {
      const registered = [...api.taskKinds()].sort();
      expect(cases.map((c) => c.kind).sort(), 'task harness cases vs. registered tasks').toEqual(registered);
    });
  });
  for (const c of cases) {
    describe(`task harness: ${c.kind}`, () => {
      let dir: string;
      let root: string;
      let config: C;
      let files: readonly string[];
      let result: HarnessTrainingResult;
      let evaluation: Awaited<ReturnType<TaskHarnessApi<C>['runEvaluation']>>;
      let prediction: Awaited<ReturnType<TaskHarnessApi<C>['runPrediction']>>;
      let tensors: { before: number; after: number };

      beforeAll(async () => {
        dir = tempDir(`optik-task-${c.kind}-`);
        root = join(dir, 'runs');
        const input = await c.makeConfig(dir);
        config = api.resolvePipelineConfig({ ...input, output: { root } });
        files = c.imageFiles(dir);
        const before = tf.memory().numTensors;
        result = await api.runTraining(config, { progress: false });
        evaluation = await api.runEvaluation(result.runDir, { root });
        prediction = await api.runPrediction(result.runDir, files, { root });
        tensors = { before, after: tf.memory().numTensors };
      }, 120_000);

      it('trains the config for at least one epoch, into a run of its task', () => {
        expect(config.task).toBe(c.kind);
        expect(result.epochs).toBeGreaterThanOrEqual(1);
        expect(result.runDir.startsWith(join(root, c.kind))).toBe(true);
        const numbers = Object.values(result.metrics).filter((v) => typeof v === 'number');
        expect(numbers.length, 'headline metrics').toBeGreaterThan(0);
        for (const v of numbers) expect(Number.isFinite(v)).toBe(true);
      });

      it('writes every file of the run-folder contract', () => {
        const missing = [...RUN_FOLDER_FILES, ...(c.artifacts ?? [])].filter(
          (f) => !existsSync(join(result.runDir, f)),
        );
        expect(missing, `missing in ${result.runDir}`).toEqual([]);
        for (const plot of ['plots/learning-curves.png', ...(c.artifacts ?? []).filter((f) => f.endsWith('.png'))]) {
          expect(readFileSync(join(result.runDir, plot)).subarray(1, 4).toString(), plot).toBe('PNG');
        }
      });

      it('config.yaml reloads to the resolved config', () => {
        expect(api.loadPipelineConfig(join(result.runDir, 'config.yaml'))).toEqual(config);
      });

      it('results.csv has one row per epoch, numbered from 1', () => {
        const { header, rows } = readCsv(readFileSync(join(result.runDir, 'results.csv'), 'utf8'));
        expect(header).toEqual(expect.arrayContaining(['epoch', 'loss', 'val_loss']));
        const epoch = header.indexOf('epoch');
        expect(rows.map((r) => r[epoch])).toEqual(Array.from({ length: result.epochs }, (_, i) => String(i + 1)));
      });

      it("runEvaluation of the run reproduces metrics.json's report and the headline on the test split", () => {
        const stored = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
        expect(stored.split).toBe('test');
        const report = asJson(evaluation.report) as Record<string, unknown>;
        expect(Object.keys(report).length).toBeGreaterThan(0);
        const storedReport = Object.fromEntries(Object.keys(report).map((k) => [k, stored[k]]));
        expectJsonClose(report, storedReport, 1e-6, 'runEvaluation report vs metrics.json');
        expectJsonClose(evaluation.metrics, result.metrics, 1e-6, 'runEvaluation headline vs training headline');
      });

      it('predictions.csv has one row per test image', () => {
        const stored = JSON.parse(readFileSync(join(result.runDir, 'metrics.json'), 'utf8')) as {
          dataset?: { test?: number };
        };
        const { rows } = readCsv(readFileSync(join(result.runDir, 'predictions.csv'), 'utf8'));
        expect(stored.dataset?.test).toBeGreaterThan(0);
        expect(rows).toHaveLength(stored.dataset?.test ?? -1);
      });

      it('runPrediction returns one entry per image file, in order', () => {
        expect(files.length).toBeGreaterThan(0);
        expect(prediction.predictions.map((p) => p.file)).toEqual(files.map((f) => resolve(f)));
      });

      it('leaves no tensor behind across training, evaluation and prediction', () => {
        expect(tensors.after).toBe(tensors.before);
      });
    });
  }
}
