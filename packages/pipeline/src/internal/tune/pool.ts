import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OptikError } from '@optik/core';
import type { TrialJob, TrialOutcome, WorkerMessage } from './protocol.js';

/** How a trial ended in its worker. */
export type TrialEnd =
  | { readonly kind: 'done'; readonly outcome: TrialOutcome }
  | { readonly kind: 'pruned' }
  | { readonly kind: 'failed'; readonly message: string; readonly code: string | null };

/** Handlers of one running trial. */
export interface TrialHandlers {
  /** Called after each epoch (0-based); returns true to stop the trial. */
  readonly onEpoch: (epoch: number, logs: Readonly<Record<string, number>>) => boolean;
}

interface Slot {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
  stderr: string;
  current: { job: TrialJob; handlers: TrialHandlers; resolve: (end: TrialEnd) => void; stopping: boolean } | undefined;
}

const STDERR_TAIL = 4000;

/**
 * Where the worker script is and how to start it: from the TypeScript sources in the repo (tsx, the source export
 * condition: worker_threads cannot load TypeScript on Node 20, forked processes can), from `dist/` as plain JS.
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  return {
    file: fileURLToPath(new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url)),
    execArgv: fromSource ? ['--conditions=@optik/source', '--import', 'tsx'] : [],
  };
}

/**
 * A pool of `size` worker processes, started on demand and reused across trials; each trains one trial at a time
 * on its own backend. A worker that dies fails its trial and is replaced on the next one.
 */
export class TrialPool {
  private readonly slots: Slot[] = [];
  private readonly size: number;
  private closed = false;

  constructor(size: number) {
    this.size = size;
  }

  /** Trains one trial in a free worker (the caller never runs more than `size` at once). */
  async run(job: TrialJob, handlers: TrialHandlers): Promise<TrialEnd> {
    if (this.closed) throw new OptikError('INTERNAL', 'The trial pool is closed.');
    let slot = this.slots.find((s) => !s.busy && s.child.exitCode === null && s.child.connected);
    if (slot === undefined) {
      if (this.slots.length >= this.size) {
        throw new OptikError('INTERNAL', `All ${this.size} trial workers are busy.`);
      }
      slot = this.spawn();
    }
    slot.busy = true;
    const active = slot;
    try {
      await active.ready;
    } catch (error) {
      active.busy = false;
      return { kind: 'failed', message: (error as Error).message, code: null };
    }
    return new Promise<TrialEnd>((resolve) => {
      active.stderr = '';
      active.current = { job, handlers, resolve, stopping: false };
      active.child.send(job);
    });
  }

  /** Stops every running trial after its current epoch (they end as pruned). */
  stopAll(): void {
    for (const slot of this.slots) if (slot.current !== undefined) slot.current.stopping = true;
  }

  /** Ends the workers (politely; killed when they do not exit within a few seconds). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (slot.child.exitCode !== null || slot.child.signalCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => slot.child.kill('SIGKILL'), 5000);
            slot.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (slot.child.connected) slot.child.send({ type: 'exit' });
            else slot.child.kill('SIGTERM');
          }),
      ),
    );
    this.slots.length = 0;
  }

  private spawn(): Slot {
    const entry = workerEntry();
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let markReady: () => void = () => {};
    let markFailed: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {});
    const slot: Slot = { child, ready, busy: false, stderr: '', current: undefined };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      slot.stderr = (slot.stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        markReady();
        return;
      }
      const current = slot.current;
      if (current === undefined || message.trialNumber !== current.job.trialNumber) return;
      if (message.type === 'epoch') {
        let stop = current.stopping;
        if (!stop) {
          try {
            stop = current.handlers.onEpoch(message.epoch, message.logs);
          } catch {
            stop = true;
          }
        }
        if (stop) current.stopping = true;
        child.send({ type: 'decision', trialNumber: message.trialNumber, epoch: message.epoch, stop });
        return;
      }
      slot.current = undefined;
      slot.busy = false;
      if (message.type === 'done') current.resolve({ kind: 'done', outcome: message.result });
      else if (message.type === 'pruned') current.resolve({ kind: 'pruned' });
      else current.resolve({ kind: 'failed', message: message.error.message, code: message.error.code });
    });
    child.on('exit', (code, signal) => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      const why = `The trial worker (pid ${child.pid}) exited with ${signal === null ? `code ${code}` : signal}.`;
      markFailed(new Error(`${why}${tail(slot.stderr)}`));
      const current = slot.current;
      slot.current = undefined;
      slot.busy = false;
      current?.resolve({ kind: 'failed', message: `${why}${tail(slot.stderr)}`, code: null });
    });
    child.on('error', (error) => {
      markFailed(error);
    });
    this.slots.push(slot);
    return slot;
  }
}

function tail(stderr: string): string {
  const lines = stderr.trim().split('\n').slice(-6).join('\n');
  return lines === '' ? '' : ` Its last output:\n${lines}`;
}
