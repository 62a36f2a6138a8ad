// Public entry of @optik/track: the run store, run handles, process guards and the `optik runs` formatters.

/**
 * Options and shape of {@link trackingCallback}.
 *
 * @example
 * ```ts
 * const options: TrackingCallbackOptions = { finish: false }; // finish later with the test metrics
 * ```
 */
export type { TrackingCallback, TrackingCallbackOptions } from './internal/callback.js';
/**
 * A callback for `@optik/train`'s Trainer that logs each epoch of a plain `fit` into a run (store and
 * results.csv, epochs from 1) and finishes the run when training ends — Keras' CSVLogger/TensorBoard callbacks,
 * into the run store that `optik runs ls/show/compare` read.
 *
 * @example
 * ```ts
 * const store = openStore({ root: 'runs' });
 * const run = store.createRun({ task: 'classification', config: { epochs: 5 } });
 * await new Trainer({ epochs: 5 }).fit({ model, trainData, valData, callbacks: [trackingCallback(run)] });
 * ```
 */
export { trackingCallback } from './internal/callback.js';
export type { RunComparison } from './internal/compare.js';
export { isCountMetric, metricGoal } from './internal/compare.js';
/**
 * CSV as the run folder writes it. `csvLine`: one line (with its newline) of fields, quoted where needed, so any
 * text is safe in a cell; task artifacts beyond `predictions.csv` (boxes, IoUs) use it to write their own tables.
 * `parseCsv`: reads such text back into rows of fields, the header first, with the quoting undone (the dashboard
 * reads `predictions.csv` with it).
 *
 * @example
 * ```ts
 * const text = csvLine(['id', 'iou']) + csvLine(['img 1.png', 0.83]);
 * const [header, ...rows] = parseCsv(text); // ['id', 'iou'], [['img 1.png', '0.83']]
 * ```
 */
export { csvLine, parseCsv } from './internal/files.js';
export type { FormatComparisonOptions, FormatRunListOptions, RenderTableOptions } from './internal/format.js';
export {
  formatComparison,
  formatDuration,
  formatNumber,
  formatRunDetails,
  formatRunList,
  formatStudyList,
  renderTable,
  runCompareJson,
  runListJson,
  runShowJson,
} from './internal/format.js';
export type { GuardOptions } from './internal/guard.js';
export { guardRun } from './internal/guard.js';
export type { EpochRecord, RunInfo, RunPaths, RunRecord, StudyRecord } from './internal/records.js';
export { runPaths } from './internal/records.js';
export type { FinishOptions, PredictionRow, Run, WritePredictionsOptions } from './internal/run.js';
export { predictionsCsv } from './internal/run.js';
export type { RunStatus, StudyStatus } from './internal/schema.js';
export { RUN_STATUSES, STUDY_STATUSES } from './internal/schema.js';
export type {
  CreateRunOptions,
  CreateStudyOptions,
  RunFilter,
  RunRef,
  Store,
  StoreConfig,
  StoreOptions,
  SweepResult,
  UpdateStudyOptions,
} from './internal/store.js';
export { openStore } from './internal/store.js';
export type { EpochMetrics, FinalMetrics, JsonValue, Params, ParamValue } from './internal/values.js';
export { flattenParams } from './internal/values.js';
