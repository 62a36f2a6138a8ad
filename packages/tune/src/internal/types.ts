/** A parameter value: a number for `int`/`float`, any JSON scalar choice for `categorical`. */
export type ParamValue = number | string | boolean;

/** Whether the objective is to be maximised or minimised. */
export type Direction = 'maximize' | 'minimize';

/** Life cycle of a trial. `running` until told; `pruned` and `failed` end it early. */
export type TrialState = 'running' | 'completed' | 'pruned' | 'failed';

/** A categorical distribution: one of `choices`. */
export interface CategoricalDistribution {
  readonly type: 'categorical';
  readonly choices: readonly ParamValue[];
}

/** An integer distribution on `[low, high]` in multiples of `step` from `low`, optionally log-uniform. */
export interface IntDistribution {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly step: number;
  readonly log: boolean;
}

/** A float distribution on `[low, high]`, optionally log-uniform or discretised by `step`. */
export interface FloatDistribution {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly step?: number;
  readonly log: boolean;
}

/** The distribution a parameter was drawn from (plain JSON, stored with each trial). */
export type Distribution = CategoricalDistribution | IntDistribution | FloatDistribution;

/** One intermediate value reported by a trial, e.g. the validation accuracy after an epoch. */
export interface IntermediateValue {
  readonly step: number;
  readonly value: number;
}

/** A user attribute value stored with a trial (metrics, run ids). `null` for a missing metric. */
export type UserAttrValue = number | string | boolean | null;

/**
 * Everything stored about one trial: what a {@link StudyStorage} saves and a resumed study reads back.
 * Plain JSON (dates as ISO strings), so a store can keep it as columns or one JSON blob.
 */
export interface TrialRecord {
  /** 0-based, unique within a study, continues across resumes. */
  readonly number: number;
  readonly state: TrialState;
  /** Parameter values by name; a conditional parameter whose condition failed is absent. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The distribution each parameter was drawn from, by name. */
  readonly distributions: Readonly<Record<string, Distribution>>;
  /** The objective value (completed), the last intermediate value (pruned), or null. */
  readonly value: number | null;
  /** Reported intermediate values, ascending by step. */
  readonly intermediateValues: readonly IntermediateValue[];
  /** Extra values the objective recorded with `trial.setUserAttr` (e.g. precision, runId). */
  readonly userAttrs: Readonly<Record<string, UserAttrValue>>;
  /** ISO 8601 start time. */
  readonly startedAt: string;
  /** ISO 8601 end time, null while running. */
  readonly completedAt: string | null;
  /** Why a failed trial failed (the error message), else null. */
  readonly error: string | null;
}

/** A study as a storage knows it. */
export interface StudyInfo {
  /** The storage's id for the study (opaque). */
  readonly id: string;
  readonly name: string;
  readonly direction: Direction;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
}
