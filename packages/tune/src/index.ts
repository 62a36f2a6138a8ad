/**
 * @optik/tune — hyperparameter search: search spaces, grid/random/TPE samplers, median and ASHA pruners, ask/tell
 * studies with parallel trials, resumable storage, and the data behind the tuning plots.
 */

/**
 * Result types of the analysis functions.
 *
 * @example
 * ```ts
 * const points: HistoryPoint[] = optimizationHistory(study.trials, 'minimize');
 * ```
 */
export type {
  HistoryPoint,
  ParallelCoordinates,
  ParamImportance,
  ParamImportanceOptions,
  SliceSeries,
} from './internal/analysis.js';
/**
 * Optimisation history: each completed trial's value and the best so far.
 *
 * @example
 * ```ts
 * const points = optimizationHistory(study.trials, study.direction);
 * ```
 *
 * Parameter importance (fANOVA-lite: chance-corrected variance of the objective explained by per-value means).
 *
 * @example
 * ```ts
 * paramImportance(study.trials); // [{ name: 'learningRate', importance: 0.7 }, …]
 * ```
 *
 * Slice-plot data: objective against each parameter.
 *
 * @example
 * ```ts
 * for (const series of sliceData(study.trials)) console.log(series.name, series.points.length);
 * ```
 *
 * Parallel-coordinates data: parameter axes, the objective axis, one line per completed trial.
 *
 * @example
 * ```ts
 * const data = parallelCoordinatesData(study.trials, 'maximize');
 * ```
 */
export { optimizationHistory, parallelCoordinatesData, paramImportance, sliceData } from './internal/analysis.js';
export type { PrunerConfig, SamplerConfig } from './internal/factories.js';
/**
 * Builds a sampler or pruner from its YAML config; the config types they accept.
 *
 * @example
 * ```ts
 * const sampler = createSampler({ type: 'tpe', seed: 7 });
 * const pruner = createPruner({ type: 'median' }); // undefined for { type: 'none' }
 * ```
 */
export { createPruner, createSampler } from './internal/factories.js';
/**
 * Options and configs of the pruners.
 *
 * @example
 * ```ts
 * const options: MedianPrunerOptions = { nWarmupSteps: 3 };
 * ```
 */
export type { AshaPrunerConfig, AshaPrunerOptions } from './internal/pruners/asha.js';
/**
 * Asynchronous successive halving: at rung steps minResource·η^k only the top 1/η continue.
 *
 * @example
 * ```ts
 * new AshaPruner({ minResource: 1, reductionFactor: 3, rungs: 3 });
 * ```
 */
export { AshaPruner } from './internal/pruners/asha.js';
export type { MedianPrunerConfig, MedianPrunerOptions } from './internal/pruners/median.js';
/**
 * Prunes a trial whose value at its last step is worse than the completed trials' median at that step.
 *
 * @example
 * ```ts
 * new MedianPruner({ nStartupTrials: 5, nWarmupSteps: 2 });
 * ```
 */
export { MedianPruner } from './internal/pruners/median.js';
/**
 * The pruner contract (`prune`, `toConfig`) and what a pruner sees.
 *
 * @example
 * ```ts
 * const pruner: Pruner | undefined = createPruner({ type: 'asha', minResource: 1, reductionFactor: 3 });
 * ```
 */
export type { Pruner, PrunerContext } from './internal/pruners/types.js';
/**
 * A row of {@link trialsToRows} and its cell type.
 *
 * @example
 * ```ts
 * const row: TrialRow = study.trialsToRows()[0]!;
 * ```
 */
export type { TrialCell, TrialRow } from './internal/rows.js';
/**
 * One row per trial for `trials.csv`: number, state, value, parameters, user attributes, duration, error.
 *
 * @example
 * ```ts
 * const rows = trialsToRows(study.trials);
 * const header = Object.keys(rows[0] ?? {});
 * ```
 */
export { trialsToRows } from './internal/rows.js';
/**
 * Options and configs of the samplers.
 *
 * @example
 * ```ts
 * const options: TpeSamplerOptions = { seed: 1, gamma: 0.15 };
 * ```
 */
export type { GridSamplerConfig, GridSamplerOptions } from './internal/samplers/grid.js';
/**
 * Tries every point of the grid once (categorical choices × int/step values × explicit grids; conditional
 * parameters only where active).
 *
 * @example
 * ```ts
 * new GridSampler({ grid: { learningRate: [0.001, 0.01], dropout: [0.2, 0.5] } }); // define-by-run: 4 trials
 * ```
 */
export { GridSampler } from './internal/samplers/grid.js';
export type { RandomSamplerConfig, RandomSamplerOptions } from './internal/samplers/random.js';
/**
 * Independent uniform (log-uniform for log scales) sampling, reproducible per seed.
 *
 * @example
 * ```ts
 * new RandomSampler({ seed: 42 });
 * ```
 */
export { RandomSampler } from './internal/samplers/random.js';
export type { TpeSamplerConfig, TpeSamplerOptions } from './internal/samplers/tpe.js';
/**
 * Tree-structured Parzen Estimator, as Optuna's independent TPESampler.
 *
 * @example
 * ```ts
 * new TpeSampler({ seed: 1, nStartupTrials: 10, nEiCandidates: 24 });
 * ```
 */
export { TpeSampler } from './internal/samplers/tpe.js';
/**
 * The sampler contract (`startTrial?`, `sample`, `toConfig`) and what a sampler sees.
 *
 * @example
 * ```ts
 * const sampler: Sampler = createSampler({ type: 'random', seed: 3 });
 * ```
 */
export type { Sampler, SamplerContext } from './internal/samplers/types.js';
/**
 * A search space's input (list or map form), a parameter spec, a condition, and the parse options.
 *
 * @example
 * ```ts
 * const input: SearchSpaceInput = { dropout: { type: 'float', low: 0, high: 0.5, step: 0.1 } };
 * new SearchSpace(input, { prefix: 'tune.space', file: 'tune.yaml' });
 * ```
 */
export type { ParamCondition, ParamSpec, SearchSpaceInput, SearchSpaceParseOptions } from './internal/space.js';
/**
 * A validated search space from YAML/JSON: categorical, int and float parameters with `log`, `step`, an explicit
 * `grid`, and conditions `when: { param, eq | in | gte | lte }` on earlier parameters.
 *
 * @example
 * ```ts
 * const space = SearchSpace.fromYaml(`
 * - { name: blocks, type: int, low: 2, high: 4 }
 * - { name: filters3, type: int, low: 16, high: 64, step: 16, when: { param: blocks, gte: 3 } }
 * - { name: learningRate, type: float, low: 1.0e-4, high: 1.0e-1, log: true }
 * - { name: pooling, type: categorical, choices: [max, avg] }
 * `);
 * ```
 */
export { SearchSpace } from './internal/space.js';
/**
 * The storage contract a study persists through (createStudy, loadStudy, saveTrial, listTrials).
 *
 * @example
 * ```ts
 * class SqliteStudyStorage implements StudyStorage { … }
 * ```
 */
export type { StudyStorage } from './internal/storage.js';
/**
 * A {@link StudyStorage} in memory (the default); share one instance to resume a study in the same process.
 *
 * @example
 * ```ts
 * const storage = new InMemoryStorage();
 * await createStudy({ name: 'a', storage });
 * ```
 */
export { InMemoryStorage } from './internal/storage.js';
/**
 * Options of {@link createStudy} and {@link Study.optimize}, the objective type, and what `tell` accepts.
 *
 * @example
 * ```ts
 * const options: OptimizeOptions = { nTrials: 20, concurrency: 2, onTrialEnd: (r) => console.error(r.number, r.value) };
 * ```
 */
export type { Objective, OptimizeOptions, StudyOptions, TellResult } from './internal/study.js';
/**
 * Creates a study, or resumes the one of the same name in the storage.
 *
 * @example
 * ```ts
 * const study = await createStudy({ name: 'fashion', direction: 'maximize', space, sampler: { type: 'tpe', seed: 1 },
 *   pruner: { type: 'median' }, storage });
 * await study.optimize(objective, { nTrials: 40, concurrency: 2 });
 * study.bestTrial?.params;
 * ```
 *
 * Opens an existing study of a storage; `STUDY_NOT_FOUND` when there is none.
 *
 * @example
 * ```ts
 * const study = await loadStudy({ name: 'fashion', storage });
 * const rows = study.trialsToRows();
 * ```
 *
 * A hyperparameter search: `ask()`/`tell()`, `optimize(objective, { nTrials, concurrency, timeout })`,
 * `trials`, `bestTrial`, `trialsToRows()`.
 *
 * @example
 * ```ts
 * const trial = await study.ask();
 * const x = trial.suggestFloat('x', -10, 10);
 * await study.tell(trial, (x - 2) ** 2);
 * ```
 */
export { createStudy, loadStudy, Study } from './internal/study.js';
/**
 * Options of `trial.suggestFloat` and `trial.suggestInt`: `log`, `step`.
 *
 * @example
 * ```ts
 * trial.suggestInt('filters', 16, 128, { step: 16 });
 * ```
 */
export type { SuggestNumberOptions } from './internal/trial.js';
/**
 * One evaluation of the objective: `params`, `suggestFloat/Int/Categorical`, `report(value, step)`,
 * `shouldPrune()`, `prune()`, `setUserAttr`.
 *
 * @example
 * ```ts
 * declare function trainOneEpoch(learningRate: number): Promise<number>; // your training step
 * async function objective(trial: Trial) {
 *   const lr = trial.suggestFloat('lr', 1e-4, 1e-1, { log: true });
 *   for (let epoch = 1; epoch <= 10; epoch++) {
 *     const accuracy = await trainOneEpoch(lr);
 *     trial.report(accuracy, epoch);
 *     if (trial.shouldPrune()) throw trial.prune();
 *   }
 *   return accuracy;
 * }
 * ```
 */
export { Trial } from './internal/trial.js';
/**
 * The value of a parameter: a number for int/float, a string, number or boolean choice for categorical.
 *
 * @example
 * ```ts
 * const lr: ParamValue = trial.params.learningRate;
 * ```
 *
 * `maximize` or `minimize`.
 *
 * @example
 * ```ts
 * const direction: Direction = 'maximize'; // accuracy
 * ```
 *
 * `running`, `completed`, `pruned` or `failed`.
 *
 * @example
 * ```ts
 * const done = study.trials.filter((t) => t.state !== 'running');
 * ```
 *
 * A parameter's distribution, stored with each trial: categorical choices, or int/float bounds with `log`/`step`.
 *
 * @example
 * ```ts
 * const d: Distribution = { type: 'float', low: 1e-4, high: 1e-1, log: true };
 * ```
 *
 * Everything stored about a trial (what a {@link StudyStorage} saves), and one reported intermediate value.
 *
 * @example
 * ```ts
 * const record: TrialRecord = await study.tell(trial, 0.91);
 * record.params; record.intermediateValues; record.state;
 * ```
 *
 * A study as a storage knows it: id, name, direction, creation time.
 *
 * @example
 * ```ts
 * const info: StudyInfo | undefined = await storage.loadStudy('fashion');
 * ```
 */
export type {
  CategoricalDistribution,
  Direction,
  Distribution,
  FloatDistribution,
  IntDistribution,
  IntermediateValue,
  ParamValue,
  StudyInfo,
  TrialRecord,
  TrialState,
  UserAttrValue,
} from './internal/types.js';
