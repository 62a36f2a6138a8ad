import { isCountMetric, type RunComparison } from './compare.js';
import type { RunInfo, RunRecord, StudyRecord } from './records.js';
import { numericMetrics } from './values.js';

const NUMERIC = /^[-+]?(\d[\d,]*(\.\d*)?|\.\d+)(e[-+]?\d+)?%?$|^[-+]?(NaN|Infinity)$/i;

/** Options of {@link renderTable}. */
export interface RenderTableOptions {
  /** Longest line of a cell; longer cells wrap onto continuation lines (at spaces, `/`, `.`, `,` where they can). */
  readonly maxCellWidth?: number;
}

/**
 * A plain-text table: a header row, a dashed rule, then the rows; columns two spaces apart, numeric columns
 * right-aligned, cells longer than `maxCellWidth` (default 40) wrapped onto continuation lines. Lines carry no
 * trailing spaces.
 *
 * @example
 * ```ts
 * console.log(renderTable(['name', 'accuracy'], [['exp', '0.9123'], ['exp2', '0.9301']]));
 * ```
 */
export function renderTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  options: RenderTableOptions = {},
): string {
  const maxWidth = Math.max(8, options.maxCellWidth ?? 40);
  const right = header.map((_, c) => {
    const cells = rows.map((row) => row[c] ?? '').filter((cell) => cell !== '' && cell !== '-');
    return cells.length > 0 && cells.every((cell) => NUMERIC.test(cell));
  });
  const wrapped = rows.map((row) =>
    header.map((_, c) => (right[c] ? [row[c] ?? ''] : wrapCell(row[c] ?? '', maxWidth))),
  );
  const widths = header.map((h, c) =>
    Math.max(h.length, ...wrapped.flatMap((row) => row[c]?.map((l) => l.length) ?? [0])),
  );
  const line = (cells: readonly string[]) =>
    header
      .map((_, c) => {
        const cell = cells[c] ?? '';
        const width = widths[c] ?? 0;
        return right[c] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const body = wrapped.flatMap((cells) => {
    const height = Math.max(1, ...cells.map((lines) => lines.length));
    return Array.from({ length: height }, (_, k) => line(cells.map((lines) => lines[k] ?? '')));
  });
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body].join('\n');
}

/** Splits a cell into lines of at most `width` characters, breaking after a space, `/`, `.` or `,` when one is near. */
function wrapCell(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    const at = Math.max(head.lastIndexOf(' '), head.lastIndexOf('/'), head.lastIndexOf('.'), head.lastIndexOf(','));
    const cut = at >= width / 2 ? at + 1 : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

/**
 * A number for a table: integers as they are, others with 4 decimals (or 4 significant digits when tiny).
 *
 * @example
 * ```ts
 * formatNumber(0.912345); // '0.9123'
 * ```
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 1000) return value.toFixed(1);
  if (Math.abs(value) < 0.001) return value.toPrecision(3);
  return value.toFixed(4);
}

/**
 * A duration for a table: `850ms`, `12.3s`, `4m05s`, `1h02m`.
 *
 * @example
 * ```ts
 * formatDuration(245_000); // '4m05s'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const shortTime = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** Options of {@link formatRunList}. */
export interface FormatRunListOptions {
  /** Metric columns to show (default: up to 4 final scores most runs have, accuracy and F1 first; never counts). */
  readonly metrics?: readonly string[];
}

/**
 * The table of `optik runs ls`.
 *
 * @example
 * ```ts
 * console.log(formatRunList(store.listRuns({ task: 'classification' })));
 * ```
 */
export function formatRunList(runs: readonly RunInfo[], options: FormatRunListOptions = {}): string {
  if (runs.length === 0) return 'No runs yet.';
  const metrics = options.metrics ?? commonMetrics(runs, 4);
  const withStudy = runs.some((r) => r.studyId !== null);
  const header = [
    'id',
    'task/name',
    'status',
    ...(withStudy ? ['study', 'trial'] : []),
    'epochs',
    'time',
    'created',
    ...metrics,
  ];
  const rows = runs.map((r) => {
    const values = numericMetrics(r.metrics);
    return [
      String(r.id),
      `${r.task}/${r.name}`,
      r.status,
      ...(withStudy
        ? [r.studyId === null ? '-' : String(r.studyId), r.trialNumber === null ? '-' : String(r.trialNumber)]
        : []),
      String(r.epochCount),
      formatDuration(r.durationMs),
      shortTime(r.createdAt),
      ...metrics.map((m) => formatNumber(values[m])),
    ];
  });
  return renderTable(header, rows);
}

/**
 * The text of `optik runs show`: the run's record, parameters, final metrics and epochs.
 *
 * @example
 * ```ts
 * console.log(formatRunDetails(store.getRun('exp3')));
 * ```
 */
export function formatRunDetails(record: RunRecord): string {
  const out: string[] = [];
  out.push(`Run ${record.id}  ${record.task}/${record.name}  ${record.status}`);
  const facts: Array<[string, string]> = [
    ['folder', record.dir],
    ['created', record.createdAt],
    ['finished', record.finishedAt ?? '-'],
    ['duration', formatDuration(record.durationMs)],
    ['epochs', `${record.epochCount}${record.lastEpoch === null ? '' : ` (last ${record.lastEpoch})`}`],
    ['seed', record.seed === null ? '-' : String(record.seed)],
    ['backend', record.backend ?? '-'],
    ['git commit', record.gitCommit ?? '-'],
    ['process', record.pid === null ? '-' : `${record.pid} on ${record.host ?? '?'}`],
  ];
  if (record.tags.length > 0) facts.push(['tags', record.tags.join(', ')]);
  if (record.studyId !== null) facts.push(['study', `${record.studyId}, trial ${record.trialNumber ?? '-'}`]);
  if (record.error !== null) facts.push(['error', record.error]);
  const width = Math.max(...facts.map(([k]) => k.length));
  for (const [key, value] of facts) out.push(`  ${key.padEnd(width)}  ${value}`);
  const params = Object.entries(record.params);
  if (params.length > 0) {
    out.push('', 'Parameters');
    out.push(
      indent(
        renderTable(
          ['key', 'value'],
          params.map(([k, v]) => [k, v === null ? 'null' : String(v)]),
        ),
      ),
    );
  }
  const metrics = finalMetricRows(record.metrics);
  if (metrics.length > 0) {
    out.push('', 'Final metrics');
    out.push(indent(renderTable(['metric', 'value'], metrics)));
  }
  if (record.epochs.length > 0) {
    const keys: string[] = [];
    for (const e of record.epochs) for (const k of Object.keys(e.metrics)) if (!keys.includes(k)) keys.push(k);
    out.push('', 'Epochs');
    out.push(
      indent(
        renderTable(
          ['epoch', ...keys, 'time'],
          record.epochs.map((e) => [
            String(e.epoch),
            ...keys.map((k) => formatNumber(e.metrics[k])),
            e.durationMs === null ? '-' : formatDuration(e.durationMs),
          ]),
        ),
      ),
    );
  }
  return out.join('\n');
}

/**
 * The rows of `runs show`'s final metrics: scores first, then counts; small objects (timings, dataset sizes) one
 * row per field; tables too big for a terminal (per-class scores, the confusion matrix) pointed to in metrics.json.
 */
function finalMetricRows(metrics: RunRecord['metrics']): [string, string][] {
  const scalar = (v: unknown): string | undefined =>
    typeof v === 'number'
      ? formatNumber(v)
      : typeof v === 'string' || typeof v === 'boolean'
        ? String(v)
        : v === null
          ? '-'
          : undefined;
  const rows: [string, string][] = [];
  for (const key of orderMetrics(Object.keys(metrics))) {
    const value = metrics[key];
    const text = scalar(value);
    if (text !== undefined) {
      rows.push([key, text]);
      continue;
    }
    const fields = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
    const flat = fields.map(([k, v]) => [k, scalar(v)] as const);
    if (fields.length > 0 && fields.length <= 8 && flat.every(([, v]) => v !== undefined)) {
      for (const [k, v] of flat) rows.push([`${key}.${k}`, v as string]);
    } else if (key === 'diagnosis' && fields.some(([k]) => k === 'verdict')) {
      rows.push([`${key}.verdict`, String((value as Record<string, unknown>).verdict)]);
    } else rows.push([key, '(a table: see metrics.json)']);
  }
  return rows;
}

/** Options of {@link formatComparison}. */
export interface FormatComparisonOptions {
  /** Show every parameter, not only those that differ. */
  readonly all?: boolean;
}

/**
 * The text of `optik runs compare`: one column per run, differing parameters, then metrics with the best starred.
 *
 * @example
 * ```ts
 * console.log(formatComparison(store.compareRuns([3, 4]), { all: false }));
 * ```
 */
export function formatComparison(comparison: RunComparison, options: FormatComparisonOptions = {}): string {
  const header = ['', ...comparison.runs.map((r) => `${r.id}:${r.name}`)];
  const rows: string[][] = [['status', ...comparison.runs.map((r) => r.status)]];
  rows.push(['epochs', ...comparison.runs.map((r) => String(r.epochCount))]);
  rows.push(['time', ...comparison.runs.map((r) => formatDuration(r.durationMs))]);
  const params = comparison.params.filter((p) => options.all === true || p.differs);
  for (const p of params) rows.push([p.key, ...p.values.map((v) => (v === null ? '-' : String(v)))]);
  const byKey = new Map(comparison.metrics.map((m) => [m.key, m]));
  for (const key of orderMetrics([...byKey.keys()])) {
    const m = byKey.get(key) as RunComparison['metrics'][number];
    // Counts (numSamples, support) are facts about the data, not scores: no arrow, no star.
    const label = isCountMetric(m.key) ? m.key : `${m.key} (${m.goal === 'max' ? '↑' : '↓'})`;
    const best = m.best === null ? null : m.values[m.best];
    rows.push([
      label,
      // Every run that ties with the best gets the star.
      ...m.values.map(
        (v) => `${formatNumber(v)}${best !== null && v === best && comparison.runs.length > 1 ? ' *' : ''}`,
      ),
    ]);
  }
  const lines = [renderTable(header, rows)];
  const lastEpoch = comparison.runs.filter((r) => r.metricsSource === 'lastEpoch').map((r) => `${r.id}:${r.name}`);
  if (lastEpoch.length > 0) lines.push(`(no final metrics for ${lastEpoch.join(', ')}: their last epoch is shown)`);
  if (params.length === 0 && comparison.params.length > 0 && options.all !== true) {
    lines.push('(all parameters are equal)');
  }
  return lines.join('\n');
}

/**
 * The table of studies: id, name, objective, status, trial counts.
 *
 * @example
 * ```ts
 * console.log(formatStudyList(store.listStudies()));
 * ```
 */
export function formatStudyList(studies: readonly StudyRecord[]): string {
  if (studies.length === 0) return 'No studies yet.';
  return renderTable(
    [
      'id',
      'name',
      'objective',
      'status',
      'trials',
      'completed',
      'pruned',
      'failed',
      'interrupted',
      'running',
      'best run',
    ],
    studies.map((s) => [
      String(s.id),
      s.name,
      `${s.direction === 'maximize' ? 'max' : 'min'} ${s.objective}`,
      s.status,
      String(s.trials.total),
      String(s.trials.completed),
      String(s.trials.pruned),
      String(s.trials.failed),
      String(s.trials.interrupted),
      String(s.trials.running),
      s.bestRunId === null ? '-' : String(s.bestRunId),
    ]),
  );
}

/**
 * `optik runs ls --json`: `{ runs }`.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(runListJson(store.listRuns())));
 * ```
 */
export function runListJson(runs: readonly RunInfo[]): { runs: readonly RunInfo[] } {
  return { runs };
}

/**
 * `optik runs show --json`: `{ run }` with config and epochs.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(runShowJson(store.getRun(3))));
 * ```
 */
export function runShowJson(record: RunRecord): { run: RunRecord } {
  return { run: record };
}

/**
 * `optik runs compare --json`: `{ comparison }`.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(runCompareJson(store.compareRuns([3, 4]))));
 * ```
 */
export function runCompareJson(comparison: RunComparison): { comparison: RunComparison } {
  return { comparison };
}

/** The metrics a reader looks for first, in this order; others follow by how many runs have them. */
const HEADLINE = ['accuracy', 'f1', 'precision', 'recall', 'positive_f1', 'miou', 'iou', 'map', 'map50', 'loss'];

/** Metric keys in reading order: the headline scores first, then the others, counts last. */
function orderMetrics(keys: readonly string[]): string[] {
  const rank = (key: string) => {
    const i = HEADLINE.indexOf(key.toLowerCase());
    return isCountMetric(key) ? HEADLINE.length + 1 : i === -1 ? HEADLINE.length : i;
  };
  return keys
    .map((key, i) => ({ key, i }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.i - b.i)
    .map(({ key }) => key);
}

function commonMetrics(runs: readonly RunInfo[], max: number): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) {
    for (const k of Object.keys(numericMetrics(r.metrics)))
      if (!isCountMetric(k)) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const common = [...counts.entries()].filter(([, n]) => n * 2 >= runs.length).map(([k]) => k);
  return orderMetrics(common.length > 0 ? common : [...counts.keys()]).slice(0, max);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
