/**
 * @optik/pipeline — task pipelines assembled from config: train a classifier end to end into a tracked run
 * folder, evaluate a run, classify image files with it.
 */

/**
 * Types of a pipeline config: `PipelineConfigInput` is what you write (defaults optional), `PipelineConfig` the
 * fully resolved form that `config.yaml` holds.
 *
 * @example
 * ```ts
 * const input: PipelineConfigInput = { task: 'classification', data: { dataset: 'mnist' }, model: { preset: 'seed-cnn' } };
 * ```
 */
export type { PipelineConfig, PipelineConfigInput } from './internal/config.js';
/**
 * Reads a YAML or JSON pipeline config, applies `key=value` overrides (a nested object such as
 * `{ train: { epochs: 3 } }`) and returns the fully resolved config. A syntax error, an unknown key, a bad value
 * or a missing dataset folder is a coded one-paragraph `OptikError` naming the key path.
 *
 * @example
 * ```ts
 * const config = loadPipelineConfig('examples/mnist/train.yaml', { train: { epochs: 3 } });
 * ```
 */
/**
 * Validates a pipeline config object and fills every default (what {@link loadPipelineConfig} does after
 * reading the file).
 *
 * @example
 * ```ts
 * const config = resolvePipelineConfig({ task: 'classification', data: { dataset: 'mnist' }, model: { preset: 'seed-cnn' } });
 * ```
 */
/**
 * The zod schema of a pipeline config (composed from the packages' own schemas), for tools and editors.
 *
 * @example
 * ```ts
 * const ok = PipelineConfigSchema.safeParse(yamlObject).success;
 * ```
 */
export { loadPipelineConfig, PipelineConfigSchema, resolvePipelineConfig } from './internal/config.js';
/**
 * The headline test metrics every command reports: accuracy, macro precision/recall/F1, micro and weighted
 * averages, log loss, ROC-AUC, average precision, top-k.
 *
 * @example
 * ```ts
 * const { accuracy, f1 }: HeadlineMetrics = result.metrics;
 * ```
 */
export type { HeadlineMetrics } from './internal/evaluate.js';
/**
 * Options and results of {@link runEvaluation} and {@link runPrediction}.
 *
 * @example
 * ```ts
 * const options: RunEvaluationOptions = { data: 'datasets/pets-holdout', root: 'runs' };
 * ```
 */
export type {
  EvaluationResult,
  ImagePrediction,
  PredictionResult,
  RunAccessOptions,
  RunEvaluationOptions,
} from './internal/inference.js';
/**
 * Evaluates a run's best weights on its own test split (or on `data`: a built-in dataset's test split or a class
 * folder) and returns the metrics; the run folder is not changed.
 *
 * @example
 * ```ts
 * const { metrics } = await runEvaluation('exp3');
 * console.log(metrics.accuracy, metrics.f1);
 * ```
 */
/**
 * Classifies image files with a run's best weights (decoded and resized to the model's input) and returns the
 * top-k classes with their probabilities.
 *
 * @example
 * ```ts
 * const { predictions } = await runPrediction('exp3', ['shoe.png'], { topK: 3 });
 * console.log(predictions[0]?.top[0]?.label);
 * ```
 */
export { runEvaluation, runPrediction } from './internal/inference.js';
/**
 * A run reference (store id, name, `task/name`, or a run folder path) and a run found on disk with its config.
 *
 * @example
 * ```ts
 * const ref: RunReference = 'classification/exp3';
 * ```
 */
export type { LocatedRun, RunReference } from './internal/runs.js';
/**
 * Finds a run by folder path or in the store and returns its folder and resolved config (what `--resume` trains
 * with).
 *
 * @example
 * ```ts
 * const { config } = locateRun('exp3', { root: 'runs' });
 * await runTraining(config, { resume: 'exp3' });
 * ```
 */
export { locateRun } from './internal/runs.js';
/**
 * Options and result of {@link runTraining}.
 *
 * @example
 * ```ts
 * const options: RunTrainingOptions = { backend: 'wasm', onEpoch: ({ epoch, logs }) => console.error(epoch, logs.loss) };
 * ```
 */
export type { RunTrainingOptions, TrainingResult } from './internal/train.js';
/**
 * Trains a classification pipeline end to end into a tracked run folder (`config.yaml`, `results.csv`,
 * `weights/best|last`, `predictions.csv`, `metrics.json`, `plots/*.png`, `report.html`), evaluating the best
 * checkpoint on the test split. With `resume`, continues a run from its last checkpoint.
 *
 * @example
 * ```ts
 * const result = await runTraining(loadPipelineConfig('examples/fashion-mnist/train.yaml'));
 * console.log(result.metrics.accuracy, result.diagnosis.verdict, result.runDir);
 * ```
 */
export { runTraining } from './internal/train.js';
