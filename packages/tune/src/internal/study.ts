import { isOptikError, OptikError, parseOrThrow } from '@optik/core';
import { z } from 'zod';
import { createPruner, createSampler, type PrunerConfig, type SamplerConfig } from './factories.js';
import type { Pruner } from './pruners/types.js';
import { type TrialRow, trialsToRows } from './rows.js';
import type { Sampler } from './samplers/types.js';
import { SearchSpace, type SearchSpaceInput } from './space.js';
import { InMemoryStorage, type StudyStorage } from './storage.js';
import { Trial, type TrialHost } from './trial.js';
import type { Direction, ParamValue, TrialRecord, TrialState } from './types.js';

const StudyOptionsSchema = z.strictObject({
  name: z.string().min(1).default('study'),
  direction: z.enum(['maximize', 'minimize']).optional(),
  sampler: z.unknown().optional(),
  pruner: z.unknown().optional(),
  space: z.unknown().optional(),
  storage: z.unknown().optional(),
  loadIfExists: z.boolean().default(true),
});

/** Options of {@link createStudy}. */
export interface StudyOptions {
  /** Study name, unique within a storage (default `study`). Reusing it resumes the study. */
  readonly name?: string;
  /** Default `minimize`; a resumed study keeps its stored direction (a different one is an error). */
  readonly direction?: Direction;
  /** A sampler or its config (default `{ type: 'tpe' }`). */
  readonly sampler?: Sampler | SamplerConfig;
  /** A pruner or its config (default: no pruning). */
  readonly pruner?: Pruner | PrunerConfig;
  /** A search space: each asked trial has all its active parameters drawn before the objective runs. */
  readonly space?: SearchSpace | SearchSpaceInput;
  /** Where trials are kept (default: a new {@link InMemoryStorage}). */
  readonly storage?: StudyStorage;
  /** Resume a study of the same name in the storage (default true); false makes an existing name an error. */
  readonly loadIfExists?: boolean;
}

/** The result given to {@link Study.tell}: the objective value, or how the trial ended early. */
export type TellResult = number | { readonly state: 'pruned' } | { readonly state: 'failed'; readonly error?: string };

/** The objective: evaluates one trial and resolves to the value to optimise. */
export type Objective = (trial: Trial) => Promise<number> | number;

const OptimizeOptionsSchema = z.strictObject({
  nTrials: z.number().int().min(1).optional(),
  concurrency: z.number().int().min(1).default(1),
  timeout: z.number().positive().optional(),
  onTrialStart: z.custom<(trial: Trial) => void>((v) => typeof v === 'function').optional(),
  onTrialEnd: z.custom<(record: TrialRecord) => void>((v) => typeof v === 'function').optional(),
});

/** Options of {@link Study.optimize}. */
export type OptimizeOptions = z.input<typeof OptimizeOptionsSchema>;

const isPrunerLike = (v: unknown): v is Pruner =>
  v !== null && typeof v === 'object' && typeof (v as Pruner).prune === 'function';
const isSamplerLike = (v: unknown): v is Sampler =>
  v !== null && typeof v === 'object' && typeof (v as Sampler).sample === 'function';

/**
 * Creates a study, or resumes the one of the same name in `storage`: numbering continues, the sampler sees the
 * earlier trials, and trials left `running` by an interrupted process are marked failed.
 */
export async function createStudy(options: StudyOptions = {}): Promise<Study> {
  const parsed = parseOrThrow(StudyOptionsSchema, options, { what: 'study options' });
  const storage = (options.storage ?? new InMemoryStorage()) as StudyStorage;
  const sampler = isSamplerLike(options.sampler)
    ? options.sampler
    : createSampler((options.sampler as SamplerConfig | undefined) ?? { type: 'tpe' });
  const pruner =
    options.pruner === undefined
      ? undefined
      : isPrunerLike(options.pruner)
        ? options.pruner
        : createPruner(options.pruner as PrunerConfig);
  const space =
    options.space === undefined
      ? undefined
      : options.space instanceof SearchSpace
        ? options.space
        : new SearchSpace(options.space as SearchSpaceInput, { prefix: 'space' });

  let info = await storage.loadStudy(parsed.name);
  let trials: TrialRecord[] = [];
  if (info !== undefined) {
    if (!parsed.loadIfExists) {
      throw new OptikError('ARGUMENT_INVALID', `A study named "${parsed.name}" exists already in this storage.`, {
        hint: 'Pick another name, or pass loadIfExists: true to resume it.',
      });
    }
    if (parsed.direction !== undefined && parsed.direction !== info.direction) {
      throw new OptikError(
        'ARGUMENT_INVALID',
        `Study "${parsed.name}" was created to ${info.direction}, not to ${parsed.direction}.`,
        { received: parsed.direction, hint: 'Resume it with the same direction, or use a new study name.' },
      );
    }
    trials = await storage.listTrials(info.id);
    const now = new Date().toISOString();
    for (const [i, t] of trials.entries()) {
      if (t.state !== 'running') continue;
      const failed: TrialRecord = {
        ...t,
        state: 'failed',
        completedAt: now,
        error: 'Interrupted: the trial was still running when the study was resumed.',
      };
      await storage.saveTrial(info.id, failed);
      trials[i] = failed;
    }
  } else {
    info = await storage.createStudy({ name: parsed.name, direction: parsed.direction ?? 'minimize' });
  }
  return new Study({
    id: info.id,
    name: info.name,
    direction: info.direction,
    sampler,
    pruner,
    space,
    storage,
    trials,
  });
}

/**
 * Opens an existing study of `storage` (`STUDY_NOT_FOUND` when there is none), e.g. to analyse it or to resume it.
 */
export async function loadStudy(
  options: StudyOptions & { readonly name: string; readonly storage: StudyStorage },
): Promise<Study> {
  if ((await options.storage.loadStudy(options.name)) === undefined) {
    throw new OptikError('STUDY_NOT_FOUND', `No study named "${options.name}" in this storage.`, {
      received: options.name,
      hint: 'Check the name, or create it with createStudy.',
    });
  }
  return createStudy({ ...options, loadIfExists: true });
}

interface StudyInit {
  id: string;
  name: string;
  direction: Direction;
  sampler: Sampler;
  pruner: Pruner | undefined;
  space: SearchSpace | undefined;
  storage: StudyStorage;
  trials: TrialRecord[];
}

/**
 * A hyperparameter search: asks trials from its sampler, prunes them with its pruner, keeps every result in its
 * storage. Use `optimize(objective, { nTrials, concurrency })`, or `ask()`/`tell()` to drive it yourself.
 */
export class Study {
  /** The storage's id of the study. */
  readonly id: string;
  readonly name: string;
  readonly direction: Direction;
  readonly sampler: Sampler;
  readonly pruner: Pruner | undefined;
  readonly space: SearchSpace | undefined;
  readonly storage: StudyStorage;
  private readonly finished = new Map<number, TrialRecord>();
  private readonly live = new Map<number, Trial>();
  private nextNumber: number;
  private readonly host: TrialHost;

  /** @internal Use {@link createStudy}. */
  constructor(init: StudyInit) {
    this.id = init.id;
    this.name = init.name;
    this.direction = init.direction;
    this.sampler = init.sampler;
    this.pruner = init.pruner;
    this.space = init.space;
    this.storage = init.storage;
    for (const t of init.trials) this.finished.set(t.number, t);
    this.nextNumber = init.trials.reduce((max, t) => Math.max(max, t.number + 1), 0);
    this.host = {
      sample: (trial, name, distribution) =>
        this.sampler.sample(
          { trials: this.recordsExcept(trial.number), direction: this.direction, trialNumber: trial.number },
          name,
          distribution,
        ),
      shouldPrune: (trial) =>
        this.pruner?.prune({
          trial: trial.toRecord(),
          trials: this.recordsExcept(trial.number),
          direction: this.direction,
        }) ?? false,
    };
  }

  /** Every trial (running ones included), ascending by number. */
  get trials(): TrialRecord[] {
    return this.recordsExcept(-1);
  }

  /** The completed trial with the best value, or undefined when none has completed. */
  get bestTrial(): TrialRecord | undefined {
    let best: TrialRecord | undefined;
    for (const t of this.finished.values()) {
      if (t.state !== 'completed' || t.value === null) continue;
      if (best === undefined || this.isBetter(t.value, best.value as number)) best = t;
    }
    return best;
  }

  /**
   * Starts a new trial: numbers it, lets the sampler fix parameters (grid), draws the search space's active
   * parameters, and saves it as running. Throws `SEARCH_SPACE_EXHAUSTED` when a grid is done.
   */
  async ask(): Promise<Trial> {
    // Everything up to the first await is synchronous, so concurrent asks never share a number or a grid point.
    const number = this.nextNumber;
    const context = { trials: this.recordsExcept(number), direction: this.direction, trialNumber: number };
    const fixed: Record<string, ParamValue> | undefined = this.sampler.startTrial?.({ ...context, space: this.space });
    this.nextNumber += 1;
    const trial = new Trial(this.host, number, fixed);
    this.live.set(number, trial);
    try {
      if (this.space !== undefined) trial.suggestSpace(this.space);
    } catch (error) {
      this.live.delete(number);
      trial.finish('failed');
      this.finished.set(number, trial.toRecord(end('failed', null, messageOf(error))));
      await this.storage.saveTrial(this.id, this.finished.get(number) as TrialRecord);
      throw error;
    }
    await this.storage.saveTrial(this.id, trial.toRecord());
    return trial;
  }

  /**
   * Ends a trial with its objective value (a non-finite value ends it as failed), or as pruned or failed. A pruned
   * trial keeps its last intermediate value as value. Resolves to the saved record.
   */
  async tell(trial: Trial | number, result: TellResult): Promise<TrialRecord> {
    const number = typeof trial === 'number' ? trial : trial.number;
    const live = this.live.get(number);
    if (live === undefined) {
      throw new OptikError('ARGUMENT_INVALID', `Trial ${number} is not running in this study.`, {
        received: number,
        hint: this.finished.has(number) ? 'It has been told already.' : 'Tell only trials returned by study.ask().',
      });
    }
    let record: TrialRecord;
    if (typeof result === 'number') {
      record = Number.isFinite(result)
        ? live.toRecord(end('completed', result, null))
        : live.toRecord(end('failed', null, `The objective returned a non-finite value (${result}).`));
    } else if (result.state === 'pruned') {
      const last = live.intermediateValues.at(-1);
      record = live.toRecord(
        end('pruned', last !== undefined && Number.isFinite(last.value) ? last.value : null, null),
      );
    } else if (result.state === 'failed') {
      record = live.toRecord(end('failed', null, result.error ?? 'Failed.'));
    } else {
      throw new OptikError('ARGUMENT_INVALID', 'study.tell needs a number or { state: "pruned" | "failed" }.', {
        received: result,
      });
    }
    live.finish(record.state);
    this.live.delete(number);
    this.finished.set(number, record);
    await this.storage.saveTrial(this.id, record);
    return record;
  }

  /**
   * Runs the objective on new trials, up to `concurrency` at once, until `nTrials` have run, `timeout` seconds
   * have passed (no new trial starts after it), or the grid is exhausted. A trial whose objective throws is
   * recorded as failed and the study goes on; throwing `trial.prune()` records it as pruned. Resolves to the
   * records of the trials this call ran.
   */
  async optimize(objective: Objective, options: OptimizeOptions = {}): Promise<TrialRecord[]> {
    const opts = parseOrThrow(OptimizeOptionsSchema, options, { what: 'optimize options' });
    if (opts.nTrials === undefined && opts.timeout === undefined && this.sampler.type !== 'grid') {
      throw new OptikError('ARGUMENT_INVALID', 'optimize needs nTrials or timeout to know when to stop.', {
        hint: 'Pass e.g. { nTrials: 50 }.',
      });
    }
    const deadline = opts.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeout * 1000;
    const ran: TrialRecord[] = [];
    let started = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        if ((opts.nTrials !== undefined && started >= opts.nTrials) || Date.now() >= deadline) return;
        started += 1;
        let trial: Trial;
        try {
          trial = await this.ask();
        } catch (error) {
          if (isOptikError(error, 'SEARCH_SPACE_EXHAUSTED')) {
            stop = true;
            return;
          }
          throw error;
        }
        opts.onTrialStart?.(trial);
        let result: TellResult;
        try {
          const value: unknown = await objective(trial);
          result =
            typeof value === 'number'
              ? value
              : { state: 'failed', error: `The objective must resolve to a number. Received: ${typeof value}.` };
        } catch (error) {
          result = isOptikError(error, 'TRIAL_PRUNED')
            ? { state: 'pruned' }
            : { state: 'failed', error: messageOf(error) };
        }
        const record = await this.tell(trial, result);
        ran.push(record);
        opts.onTrialEnd?.(record);
      }
    };
    const results = await Promise.allSettled(Array.from({ length: opts.concurrency }, () => worker()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return ran.sort((a, b) => a.number - b.number);
  }

  /** One row per trial for `trials.csv`: number, state, value, every parameter, user attributes, duration. */
  trialsToRows(): TrialRow[] {
    return trialsToRows(this.trials);
  }

  private isBetter(a: number, b: number): boolean {
    return this.direction === 'minimize' ? a < b : a > b;
  }

  private recordsExcept(number: number): TrialRecord[] {
    const out: TrialRecord[] = [];
    for (const t of this.finished.values()) if (t.number !== number) out.push(t);
    for (const t of this.live.values()) if (t.number !== number) out.push(t.toRecord());
    return out.sort((a, b) => a.number - b.number);
  }
}

function end(
  state: TrialState,
  value: number | null,
  error: string | null,
): { state: TrialState; value: number | null; completedAt: string; error: string | null } {
  return { state, value, completedAt: new Date().toISOString(), error };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
