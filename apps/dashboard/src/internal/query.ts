import { createHash } from 'node:crypto';
import { OptikError } from '@optik/core';
import { RUN_STATUSES, type RunFilter, type RunStatus } from '@optik/track';

/** Rows per page of `GET /api/runs` unless `limit` says otherwise, and the most one page may hold. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The sortable columns of the Runs page and the store's name for each; `metrics.<key>` sorts by a final metric. */
const SORTS: Readonly<Record<string, string>> = {
  id: 'id',
  name: 'name',
  task: 'task',
  status: 'status',
  createdAt: 'createdAt',
  durationMs: 'duration',
  epochCount: 'epochCount',
  trialNumber: 'trialNumber',
};
const METRIC_KEY = /^metrics\.[A-Za-z0-9_][\w.:/-]{0,99}$/;

/** One page of runs as `GET /api/runs` was asked for it, checked. */
export interface RunsQuery {
  /** The store filter without order and paging (what `total` counts). */
  readonly filter: RunFilter;
  readonly sort: string;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly offset: number;
  /** The query in a fixed order: the cache key and, hashed, part of the ETag. */
  readonly key: string;
}

function invalid(message: string, received: string, hint: string): OptikError {
  return new OptikError('ARGUMENT_INVALID', message, { received, hint });
}

function wholeNumber(text: string | undefined, what: string, min: number, max: number, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw invalid(
      `${what} must be a whole number from ${min} to ${max}.`,
      text,
      `Pass ${what}=${fallback} or another number in range.`,
    );
  }
  return value;
}

/**
 * Reads the query of `GET /api/runs`: `task`, `status`, `study`, `q` (text in the name, task or a tag), `sort`
 * (a column or `metrics.<key>`), `order` (asc|desc), `limit` (1–1000, default 100) and `offset`. Anything else
 * out of range is a coded ARGUMENT_INVALID naming the accepted values.
 */
export function parseRunsQuery(query: Readonly<Record<string, string | undefined>>): RunsQuery {
  const { task, status, study, q } = query;
  if (status !== undefined && status !== '' && !(RUN_STATUSES as readonly string[]).includes(status)) {
    throw invalid(`Unknown run status "${status}".`, status, `Use one of ${RUN_STATUSES.join(', ')}.`);
  }
  const sort = query.sort === undefined || query.sort === '' ? 'id' : query.sort;
  if (SORTS[sort] === undefined && !METRIC_KEY.test(sort)) {
    throw invalid(
      `Cannot sort runs by "${sort}".`,
      sort,
      `Use one of ${Object.keys(SORTS).join(', ')} or metrics.<name> (letters, digits and _ . : / -).`,
    );
  }
  const order = query.order === undefined || query.order === '' ? 'desc' : query.order;
  if (order !== 'asc' && order !== 'desc') throw invalid(`Unknown order "${order}".`, order, 'Use asc or desc.');
  const text = q?.trim() ?? '';
  if (text.length > 200) throw invalid('The text filter q is longer than 200 characters.', text, 'Shorten it.');
  const filter: RunFilter = {
    ...(task ? { task } : {}),
    ...(status ? { status: status as RunStatus } : {}),
    ...(study ? { studyId: wholeNumber(study, 'study', 1, Number.MAX_SAFE_INTEGER, 0) } : {}),
    ...(text === '' ? {} : { search: text }),
  };
  const limit = wholeNumber(query.limit, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);
  const offset = wholeNumber(query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0);
  const key = JSON.stringify([filter.task, filter.status, filter.studyId, filter.search, sort, order, limit, offset]);
  return { filter, sort, order, limit, offset, key };
}

/** The store's `sortBy` for a checked column name. */
export function storeSort(sort: string): string {
  return SORTS[sort] ?? sort;
}

/** A weak ETag for an answer that depends on the store's state and on the question asked. */
export function etagOf(stamp: string, key: string): string {
  return `W/"${stamp}-${createHash('sha1').update(key).digest('base64url').slice(0, 16)}"`;
}

/**
 * JSON answers kept for one state of the store: another tab, a reload or a page's poll asking the same question
 * gets them without reading the store again; the first change of the store (new run, epoch, status) drops them all.
 */
export class AnswerCache {
  readonly #max: number;
  #stamp = '';
  readonly #bodies = new Map<string, string>();

  constructor(max = 32) {
    this.#max = max;
  }

  async get(stamp: string, key: string, compute: () => unknown): Promise<string> {
    if (stamp !== this.#stamp) {
      this.#bodies.clear();
      this.#stamp = stamp;
    }
    const hit = this.#bodies.get(key);
    if (hit !== undefined) return hit;
    const body = JSON.stringify(await compute());
    // The store may have moved on while an answer was computed: keep it only under the state it was read in.
    if (stamp !== this.#stamp) return body;
    if (this.#bodies.size >= this.#max) this.#bodies.delete(this.#bodies.keys().next().value as string);
    this.#bodies.set(key, body);
    return body;
  }
}
