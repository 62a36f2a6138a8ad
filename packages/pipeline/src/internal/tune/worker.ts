// A tuning worker process (child_process.fork): trains the trials its parent sends, one at a time, on its own
// backend instance. Per epoch it reports the logs and waits for the parent's pruning decision.
import { isOptikError } from '@optik/core';
import type { PipelineConfig } from '../config.js';
import { cachedDataLoader, trainPipeline } from '../run/lifecycle.js';
import type { EpochDecision, TrialJob, WorkerMessage } from './protocol.js';

const pending = new Map<string, (stop: boolean) => void>();
// The trials of a study mostly share their data: decode and split it once per worker.
const loadData = cachedDataLoader();

function send(message: WorkerMessage): void {
  process.send?.(message);
}

async function runTrial(job: TrialJob): Promise<void> {
  try {
    const result = await trainPipeline(
      job.config as unknown as PipelineConfig,
      { backend: job.backend, progress: false },
      {
        runId: job.runId,
        threads: job.threads,
        loadData,
        afterEpoch: (epoch, logs) =>
          new Promise<boolean>((resolve) => {
            pending.set(`${job.trialNumber}:${epoch}`, resolve);
            send({ type: 'epoch', trialNumber: job.trialNumber, epoch, logs: { ...logs } });
          }),
      },
    );
    const { report: _report, runId: _runId, runName: _runName, runDir: _runDir, diagnosis: _d, ...rest } = result;
    send({
      type: 'done',
      trialNumber: job.trialNumber,
      result: {
        backend: rest.backend,
        metrics: rest.metrics,
        epochs: rest.epochs,
        bestEpoch: rest.bestEpoch,
        stopReason: rest.stopReason,
        seconds: rest.seconds,
        finalMetrics: rest.finalMetrics,
      },
    });
  } catch (error) {
    if (isOptikError(error, 'TRIAL_PRUNED')) {
      send({ type: 'pruned', trialNumber: job.trialNumber, epochs: 0 });
      return;
    }
    send({
      type: 'failed',
      trialNumber: job.trialNumber,
      error: {
        message: error instanceof Error ? error.message : String(error),
        code: isOptikError(error) ? error.code : null,
      },
    });
  }
}

process.on('message', (message: TrialJob | EpochDecision | { type: 'exit' }) => {
  if (message.type === 'trial') {
    void runTrial(message);
  } else if (message.type === 'decision') {
    const key = `${message.trialNumber}:${message.epoch}`;
    pending.get(key)?.(message.stop);
    pending.delete(key);
  } else if (message.type === 'exit') {
    process.disconnect?.();
  }
});
// Ctrl-C reaches the whole process group: the parent stops the trials after their epoch, so the worker waits.
process.on('SIGINT', () => {});
// The parent went away (finished, Ctrl-C, killed): stop at once rather than train for nobody.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
