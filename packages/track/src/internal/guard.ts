import { isMainThread } from 'node:worker_threads';
import { GUARDS, type Run } from './run.js';

/** Options of {@link guardRun}. */
export interface GuardOptions {
  /** Signals that mark the run interrupted before the process ends (default SIGINT and SIGTERM). */
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * Protects a run against the ways a process ends early: SIGINT/SIGTERM mark it `interrupted` (then the signal
 * takes its default course unless someone else listens), an uncaught exception or unhandled rejection marks it
 * `failed` (Node still crashes as usual), and exiting before `finish` marks it `interrupted`. `kill -9` runs no
 * handler at all: the store's sweep catches that by the recorded pid. Returns a function that removes the
 * handlers; `run.finish()` calls it too. In a worker thread only the crash and exit handlers are installed.
 *
 * @example
 * ```ts
 * const run = store.createRun({ task: 'classification', config });
 * guardRun(run); // Ctrl-C now marks the run interrupted; a crash marks it failed
 * // … train …
 * run.finish({ metrics }); // also removes the handlers
 * ```
 */
export function guardRun(run: Run, options: GuardOptions = {}): () => void {
  const signals = isMainThread ? (options.signals ?? ['SIGINT', 'SIGTERM']) : [];
  const attempt = (fn: () => unknown) => {
    try {
      fn();
    } catch {
      // the process is going down; nothing more can be saved
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    attempt(() => run.markInterrupted(`received ${signal}`));
    release();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const onCrash = (error: Error) => attempt(() => run.markFailed(error));
  const onExit = (code: number) =>
    attempt(() => run.markInterrupted(`process exited (code ${code}) before the run finished`));
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const signal of signals) process.off(signal, onSignal);
    process.off('uncaughtExceptionMonitor', onCrash);
    process.off('exit', onExit);
    run[GUARDS].delete(release);
  };
  for (const signal of signals) process.on(signal, onSignal);
  process.on('uncaughtExceptionMonitor', onCrash);
  process.on('exit', onExit);
  run[GUARDS].add(release);
  return release;
}
