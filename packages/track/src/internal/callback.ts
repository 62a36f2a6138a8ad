import type { Run } from './run.js';

/** Options of {@link trackingCallback}. */
export interface TrackingCallbackOptions {
  /**
   * Finish the run when training ends, with the last epoch's logs as its final metrics (default true). With false
   * the run stays running, for you to finish with the test metrics (`run.finish({ metrics })`).
   */
  readonly finish?: boolean;
}

/**
 * A trainer callback (the `@optik/train` `Callback` contract, structurally: track needs no trainer) that records
 * a plain `Trainer.fit` into a run.
 */
export interface TrackingCallback {
  readonly name: 'track';
  onEpochEnd(epoch: number, logs: Readonly<Record<string, number>>): void;
  onTrainEnd(logs: Readonly<Record<string, number>>): void;
}

/**
 * Logs every epoch of a `Trainer.fit` into `run` (the store and its results.csv; epochs numbered from 1, as the
 * console and `optik runs show` show them; `epoch_seconds` as the epoch's duration) and, unless `finish: false`,
 * finishes the run with the last epoch's logs when training ends. A failed or stopped fit leaves the run running
 * (`guardRun` marks it interrupted on exit).
 */
export function trackingCallback(run: Run, options: TrackingCallbackOptions = {}): TrackingCallback {
  let last: Readonly<Record<string, number>> | undefined;
  return {
    name: 'track',
    onEpochEnd(epoch, logs) {
      last = logs;
      const seconds = logs.epoch_seconds;
      run.logEpoch(epoch + 1, { ...logs }, seconds === undefined ? {} : { durationMs: seconds * 1000 });
    },
    onTrainEnd() {
      if (options.finish === false) return;
      run.finish(last === undefined ? {} : { metrics: { ...last } });
    },
  };
}
