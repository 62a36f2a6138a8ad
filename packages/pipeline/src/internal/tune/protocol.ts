/** Parent → worker: train one trial. */
export interface TrialJob {
  readonly type: 'trial';
  readonly trialNumber: number;
  /** The trial's run, created by the study's storage. */
  readonly runId: number;
  /** The resolved training config (plain JSON). */
  readonly config: Record<string, unknown>;
  /** `--backend`, when given. */
  readonly backend: string | undefined;
  /** wasm threads for this worker (1 when trials run side by side), undefined for the default. */
  readonly threads: number | undefined;
}

/** Parent → worker: the answer to an `epoch` message. */
export interface EpochDecision {
  readonly type: 'decision';
  readonly trialNumber: number;
  readonly epoch: number;
  readonly stop: boolean;
}

/** Worker → parent messages. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'epoch';
      readonly trialNumber: number;
      readonly epoch: number;
      readonly logs: Readonly<Record<string, number>>;
    }
  | {
      readonly type: 'done';
      readonly trialNumber: number;
      readonly result: TrialOutcome;
    }
  | { readonly type: 'pruned'; readonly trialNumber: number; readonly epochs: number }
  | {
      readonly type: 'failed';
      readonly trialNumber: number;
      readonly error: { readonly message: string; readonly code: string | null };
    };

/** What a completed trial sends back. */
export interface TrialOutcome {
  readonly backend: string;
  /** The task's headline metrics. */
  readonly metrics: Record<string, unknown>;
  readonly epochs: number;
  readonly bestEpoch: number | null;
  readonly stopReason: string | null;
  readonly seconds: number;
  readonly finalMetrics: Record<string, unknown>;
}
