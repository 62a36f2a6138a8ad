import type { RunComparison } from './compare.js';
import type { RunInfo, RunRecord, StudyRecord } from './records.js';
import { numericMetrics } from './values.js';

const NUMERIC = /^[-+]?(\d[\d,]*(\.\d*)?|\.\d+)(e[-+]?\d+)?%?$|^[-+]?(NaN|Infinity)$/i;

/**
 * A plain-text table: a header row, a dashed rule, then the rows; columns two spaces apart, numeric columns
 * right-aligned. Lines carry no trailing spaces.
 *
 * @example
 * ```ts
 * console.log(renderTable(['name', 'accuracy'], [['exp', '0.9123'], ['exp2', '0.9301']]));
 * ```
 */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const right = header.map((_, c) => {
    const cells = rows.map((row) => row[c] ?? '').filter((cell) => cell !== '' && cell !== '-');
    return cells.length > 0 && cells.every((cell) => NUMERIC.test(cell));
  });
  const line = (cells: readonly string[]) =>
    header
      .map((_, c) => {
        const cell = cells[c] ?? '';
        const width = widths[c] ?? 0;
        return right[c] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
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
  /** Metric columns to show (default: up to 4 numeric final metrics most runs have). */
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
  const metrics = Object.entries(record.metrics);
  if (metrics.length > 0) {
    out.push('', 'Final metrics');
    out.push(
      indent(
        renderTable(
          ['metric', 'value'],
          metrics.map(([k, v]) => [k, typeof v === 'number' ? formatNumber(v) : JSON.stringify(v)]),
        ),
      ),
    );
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
  for (const m of comparison.metrics) {
    rows.push([
      `${m.key} (${m.goal === 'max' ? '↑' : '↓'})`,
      ...m.values.map((v, i) => `${formatNumber(v)}${i === m.best && comparison.runs.length > 1 ? ' *' : ''}`),
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

function commonMetrics(runs: readonly RunInfo[], max: number): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) for (const k of Object.keys(numericMetrics(r.metrics))) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([k]) => k);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
