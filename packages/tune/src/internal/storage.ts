import { OptikError } from '@optik/core';
import type { Direction, StudyInfo, TrialRecord } from './types.js';

/**
 * Where a study keeps its trials, so that it can resume and other tools can read them. Implementations: the
 * in-memory {@link InMemoryStorage} here, and the SQLite run store of @optik/track (written in the pipeline).
 * A storage serves one study process at a time: when a study resumes, trials left `running` are marked failed.
 */
export interface StudyStorage {
  /** Creates a study; the name is unique within a storage. */
  createStudy(input: { readonly name: string; readonly direction: Direction }): Promise<StudyInfo>;
  /** The study called `name`, or undefined. */
  loadStudy(name: string): Promise<StudyInfo | undefined>;
  /** Inserts or replaces the trial with `trial.number` of study `studyId`. */
  saveTrial(studyId: string, trial: TrialRecord): Promise<void>;
  /** Every trial of study `studyId`, ascending by number. */
  listTrials(studyId: string): Promise<TrialRecord[]>;
}

/** A {@link StudyStorage} in memory: records are deep-copied in and out, as a real store would. */
export class InMemoryStorage implements StudyStorage {
  private readonly studies = new Map<string, StudyInfo>();
  private readonly trials = new Map<string, Map<number, TrialRecord>>();

  async createStudy(input: { readonly name: string; readonly direction: Direction }): Promise<StudyInfo> {
    if (this.studies.has(input.name)) {
      throw new OptikError('STORE_ERROR', `A study named "${input.name}" exists already in this storage.`, {
        received: input.name,
      });
    }
    const info: StudyInfo = {
      id: `study-${this.studies.size + 1}`,
      name: input.name,
      direction: input.direction,
      createdAt: new Date().toISOString(),
    };
    this.studies.set(input.name, info);
    this.trials.set(info.id, new Map());
    return { ...info };
  }

  async loadStudy(name: string): Promise<StudyInfo | undefined> {
    const info = this.studies.get(name);
    return info === undefined ? undefined : { ...info };
  }

  async saveTrial(studyId: string, trial: TrialRecord): Promise<void> {
    this.trialsOf(studyId).set(trial.number, structuredClone(trial));
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    return [...this.trialsOf(studyId).values()].sort((a, b) => a.number - b.number).map((t) => structuredClone(t));
  }

  private trialsOf(studyId: string): Map<number, TrialRecord> {
    const map = this.trials.get(studyId);
    if (map === undefined) throw new OptikError('STUDY_NOT_FOUND', `No study with id "${studyId}" in this storage.`);
    return map;
  }
}
