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
 *
 * Validates a pipeline config object and fills every default (what {@link loadPipelineConfig} does after
 * reading the file).
 *
 * @example
 * ```ts
 * const config = resolvePipelineConfig({ task: 'classification', data: { dataset: 'mnist' }, model: { preset: 'seed-cnn' } });
 * ```
 *
 * The zod schema of a pipeline config (composed from the packages' own schemas), for tools and editors.
 *
 * @example
 * ```ts
 * const ok = PipelineConfigSchema.safeParse(yamlObject).success;
 * ```
 */
export { loadPipelineConfig, PipelineConfigSchema, resolvePipelineConfig } from './internal/config.js';
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
 *
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
 * Options and result of {@link runTraining}.
 *
 * @example
 * ```ts
 * const options: RunTrainingOptions = { backend: 'wasm', onEpoch: ({ epoch, logs }) => console.error(epoch, logs.loss) };
 * ```
 */
export type { RunTrainingOptions, TrainingResult } from './internal/run/lifecycle.js';
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
export { runTraining } from './internal/run/lifecycle.js';
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
 * The resolved config of each task (a {@link PipelineConfig} narrowed by its `task`).
 *
 * @example
 * ```ts
 * const config = loadPipelineConfig('examples/localization/train.yaml');
 * if (config.task === 'localization') console.log(config.train.lossWeights); // LocalizationConfig
 * ```
 */
export type { ClassificationConfig } from './internal/tasks/classification/config.js';
/**
 * The headline test metrics every command reports: accuracy, macro precision/recall/F1, micro and weighted
 * averages, log loss, ROC-AUC, average precision, top-k.
 *
 * @example
 * ```ts
 * const { accuracy, f1 }: HeadlineMetrics = result.metrics;
 * ```
 */
export type { HeadlineMetrics } from './internal/tasks/classification/evaluate.js';
export type { DetectionConfig } from './internal/tasks/detection/config.js';
export type { InstanceSegmentationConfig } from './internal/tasks/instance-segmentation/config.js';
export type { LocalizationConfig } from './internal/tasks/localization/config.js';
/**
 * The task kinds Optik trains (the `task:` values its registry holds), e.g. for a tool that lists them or a test
 * that must cover each.
 *
 * @example
 * ```ts
 * console.log(taskKinds()); // ['classification', 'localization']
 * ```
 */
export { taskKinds } from './internal/tasks/registry.js';
/**
 * A tune config: as written (`TuneConfigInput`) and resolved (`TuneConfig`: base loaded, space, sampler and
 * pruner validated, defaults filled in).
 *
 * @example
 * ```ts
 * const input: TuneConfigInput = {
 *   name: 'mnist-grid',
 *   base: 'train.yaml',
 *   space: { 'model.dropout': { type: 'float', low: 0.2, high: 0.5, grid: [0.2, 0.5] } },
 *   sampler: { type: 'grid' },
 * };
 * ```
 */
export type { TuneConfig, TuneConfigInput } from './internal/tune/config.js';
/**
 * Reads a tune config (YAML/JSON) and resolves it. `key=value` overrides whose first key is a tune-config key
 * (`trials`, `parallel`, `sampler.seed`) change the study; any other (`train.epochs`, `data.limit.train`) changes
 * the base training config of the trials and the retrain.
 *
 * @example
 * ```ts
 * const tune = loadTuneConfig('examples/mnist/tune.yaml', { trials: 4, train: { epochs: 1 } });
 * ```
 *
 * Validates a tune config object and resolves it (what {@link loadTuneConfig} does after reading the file); a
 * `base` path is read relative to `file`'s folder.
 *
 * @example
 * ```ts
 * const tune = resolveTuneConfig({ base: trainConfig, space, sampler: { type: 'random', seed: 1 }, trials: 8 });
 * ```
 *
 * The zod schema of a tune config, for tools and editors.
 *
 * @example
 * ```ts
 * const ok = TuneConfigSchema.safeParse(yamlObject).success;
 * ```
 */
export { loadTuneConfig, resolveTuneConfig, TuneConfigSchema } from './internal/tune/config.js';
/**
 * One trial as the leaderboard, `trials.csv` and `optik tune --json` show it: number, status, run, parameters,
 * objective value, test accuracy/precision/recall/F1/log loss, epochs, seconds, error.
 *
 * @example
 * ```ts
 * const top: TuneTrialSummary | undefined = result.leaderboard[0];
 * ```
 */
export type { TuneTrialSummary } from './internal/tune/report.js';
/**
 * Options and result of {@link runTune}.
 *
 * @example
 * ```ts
 * const options: RunTuneOptions = { parallel: 2, onTrialEnd: (t) => console.error(t.number, t.status, t.value) };
 * ```
 */
export type { RunTuneOptions, TuneEnsembleResult, TuneResult, TuneRetrainResult } from './internal/tune/run.js';
/**
 * Runs a hyperparameter search over a training config: a study in the run store (same name → resumed), trials in
 * parallel worker processes, one run per trial (completed, pruned or failed), `report.html`, `trials.csv` and plots
 * in `<output.root>/studies/<name>/`, then the best parameters retrained on train + validation and tested.
 *
 * @example
 * ```ts
 * const result = await runTune(loadTuneConfig('examples/fashion-mnist/tune.yaml'), { parallel: 2 });
 * console.log(result.best?.params, result.retrain?.metrics.accuracy);
 * ```
 */
export { runTune } from './internal/tune/run.js';
/**
 * Options of {@link TrackStudyStorage}.
 *
 * @example
 * ```ts
 * const options: TrackStudyStorageOptions = { store: openStore({ root: 'runs' }), objective: 'val_accuracy' };
 * ```
 */
export type { TrackStudyStorageOptions } from './internal/tune/storage.js';
/**
 * A `@optik/tune` study storage over the `@optik/track` run store: the study in the studies table, one run per
 * trial (parameters, epochs, final metrics, status completed/pruned/failed), resumable by study name.
 *
 * @example
 * ```ts
 * const storage = new TrackStudyStorage({ store: openStore({ root: 'runs' }), objective: 'val_accuracy' });
 * const study = await createStudy({ name: 'fashion', direction: 'maximize', storage, space });
 * ```
 */
export { TrackStudyStorage } from './internal/tune/storage.js';
/**
 * Options of {@link writeStudyReport}.
 *
 * @example
 * ```ts
 * const options: WriteStudyReportOptions = { root: 'runs' };
 * ```
 */
export type { WriteStudyReportOptions } from './internal/tune/study-report.js';
/**
 * (Re)writes a study's `report.html` (best trial and its run, retrain and ensemble on the test split, every trial
 * with its parameters, the tuning plots, tune.yaml) from its folder and the run store — what `optik tune` writes at
 * its end and `optik runs report <study>` on demand.
 *
 * @example
 * ```ts
 * const { file } = writeStudyReport('fashion-search', { root: 'runs' });
 * ```
 */
export { writeStudyReport } from './internal/tune/study-report.js';
