import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { OptikError } from '@optik/core';
import { openStore } from '@optik/track';
import { embedFigures, escapeHtml, fmt, NOTES_HTML, REPORT_CSS, table } from '../run/report.js';
import type { TuneTrialSummary } from './report.js';
import type { TuneResult } from './run.js';

/** Captions of the tuning plots, by file name (a `slice-<param>.png` per parameter). */
function captionOf(file: string, objective: string): string {
  if (file === 'optimization-history.png')
    return `Optimisation history: ${objective} of each trial and the best so far.`;
  if (file === 'parallel-coordinates.png') return 'Parameters of the completed trials, coloured by the objective.';
  if (file === 'param-importance.png')
    return `How much each parameter explains ${objective} (fANOVA-style importance).`;
  const slice = /^slice-(.+)\.png$/.exec(file);
  return slice === null ? file : `${objective} against ${slice[1]} (one point per completed trial).`;
}

const PLOT_ORDER = ['optimization-history.png', 'parallel-coordinates.png', 'param-importance.png'];

/** The run folders of the runs the study names, for links (a run deleted since is left unlinked). */
export type RunDirs = ReadonlyMap<number, string>;

/**
 * The study's report.html: what the course's project hands in — the best trial and its run, the retrain (and
 * ensemble) on the test split, every trial with its parameter combination and test metrics, the tuning plots and
 * the study's config. Self-contained (plots inline); links to each trial's run report are relative.
 */
export function renderStudyHtml(
  result: TuneResult,
  options: { readonly runDirs: RunDirs; readonly tuneYaml: string | null; readonly created?: string },
): string {
  const { studyDir } = result;
  const link = (runId: number | null, text: string): string => {
    const dir = runId === null ? undefined : options.runDirs.get(runId);
    if (dir === undefined) return escapeHtml(text);
    const report = join(dir, 'report.html');
    const href = existsSync(report) ? relative(studyDir, report) : relative(studyDir, dir);
    return `<a href="${escapeHtml(href.split('\\').join('/'))}">${escapeHtml(text)}</a>`;
  };
  const paramNames: string[] = [];
  for (const t of result.trials) for (const k of Object.keys(t.params)) if (!paramNames.includes(k)) paramNames.push(k);
  const value = (v: unknown) =>
    typeof v === 'number' ? escapeHtml(String(Number(v.toPrecision(6)))) : escapeHtml(String(v ?? '–'));
  const trialRow = (t: TuneTrialSummary) => [
    t.number === result.best?.number ? `<strong>${t.number} ★</strong>` : String(t.number),
    escapeHtml(t.status),
    fmt(t.value),
    ...paramNames.map((k) => value(t.params[k])),
    fmt(t.accuracy),
    fmt(t.f1),
    String(t.epochs),
    t.seconds === null ? '–' : t.seconds.toFixed(1),
    t.runId === null ? '–' : link(t.runId, t.runName ?? String(t.runId)),
  ];
  const trialsTable = table(
    [
      'Trial',
      'Status',
      result.objective,
      ...paramNames,
      'Test accuracy',
      'Test F1 (macro)',
      'Epochs',
      'Seconds',
      'Run',
    ],
    result.leaderboard.map(trialRow),
  );
  const best = result.best;
  const bestHtml =
    best === null
      ? '<p>No trial completed, so there is no best trial yet.</p>'
      : `<p>Trial ${best.number} — ${escapeHtml(result.objective)} ${fmt(best.value)} — run ${link(best.runId, `${best.runId ?? '–'} (${result.trials.find((t) => t.number === best.number)?.runName ?? '?'})`)}.</p>
${table(
  ['Parameter', 'Value'],
  Object.entries(best.params).map(([k, v]) => [escapeHtml(k), value(v)]),
  false,
)}
${table(
  ['Test metric of its model', 'Value'],
  Object.entries(best.metrics).map(([k, v]) => [escapeHtml(k), fmt(v)]),
)}`;
  const retrains = result.retrains.map(
    (r) =>
      `<p>Trial ${r.trial}'s parameters retrained on train + validation: run ${link(r.runId, r.runName)}, ${r.epochs} epochs in ${r.seconds.toFixed(1)} s.</p>
${headlineTable(r.metrics)}`,
  );
  const ensemble =
    result.ensemble === null
      ? ''
      : `<p>Ensemble of ${result.ensemble.members.map((m) => link(m.runId, m.runName)).join(' + ')} (mean class probabilities):</p>
${headlineTable(result.ensemble.metrics)}`;
  const plotsDir = join(studyDir, 'plots');
  const files = existsSync(plotsDir) ? readdirSync(plotsDir).filter((f) => f.endsWith('.png')) : [];
  const ordered = [
    ...PLOT_ORDER.filter((f) => files.includes(f)),
    ...files.filter((f) => !PLOT_ORDER.includes(f)).sort(),
  ];
  const counts = new Map<string, number>();
  for (const t of result.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const title = `Study ${result.studyName}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${REPORT_CSS}</style>
</head>
<body>
<h1 contenteditable="true" title="Click to edit the title">${escapeHtml(title)}</h1>
<p class="sub">Study ${result.studyId} · ${result.direction} ${escapeHtml(result.objective)} · ${result.trials.length} trials (${[
    ...counts,
  ]
    .map(([s, n]) => `${n} ${escapeHtml(s)}`)
    .join(
      ', ',
    )})${result.interrupted ? ' · interrupted' : ''} · ${escapeHtml(studyDir)} · ${escapeHtml((options.created ?? new Date().toISOString()).slice(0, 16).replace('T', ' '))}</p>
${NOTES_HTML}

<h2>Best trial</h2>
${bestHtml}
${retrains.length > 0 || ensemble !== '' ? `<h2>On the test split</h2>\n${retrains.join('\n')}\n${ensemble}` : ''}

<h2>Trials (best first)</h2>
<p>Each trial's parameter combination, its ${escapeHtml(result.objective)} (the best epoch's value) and the test metrics of its model; ★ marks the best.</p>
<div style="overflow-x: auto">${trialsTable}</div>

<h2>Plots</h2>
${plotNotes(result, ordered)}
${embedFigures(
  plotsDir,
  ordered.map((file) => ({ file, caption: captionOf(file, result.objective) })),
)}

${options.tuneYaml === null ? '' : `<details><summary><strong>Study configuration (tune.yaml)</strong></summary>\n<pre>${escapeHtml(options.tuneYaml)}</pre>\n</details>`}
</body>
</html>
`;
}

/** Why a plot is missing: a tied objective has no importance; a parameter with one value has no slice. */
function plotNotes(result: TuneResult, files: readonly string[]): string {
  const notes: string[] = [];
  const completed = result.trials.filter((t) => t.status === 'completed');
  if (!files.includes('param-importance.png') && completed.length > 0) {
    notes.push(
      `No parameter-importance plot: it needs at least 3 completed trials whose ${escapeHtml(result.objective)} differs (here ${completed.length} completed, ${new Set(completed.map((t) => t.value)).size} distinct value${new Set(completed.map((t) => t.value)).size === 1 ? '' : 's'}).`,
    );
  }
  const names = [...new Set(completed.flatMap((t) => Object.keys(t.params)))];
  for (const name of names) {
    const values = new Set(completed.map((t) => JSON.stringify(t.params[name] ?? null)));
    if (values.size === 1) {
      notes.push(
        `${escapeHtml(name)} took one value (${escapeHtml([...values][0] as string)}) in every completed trial: no slice or axis for it.`,
      );
    }
  }
  return notes.length === 0 ? '' : `<ul>${notes.map((n) => `<li>${n}</li>`).join('')}</ul>`;
}

/** The numeric headline metrics of a test evaluation as a table. */
function headlineTable(metrics: Readonly<Record<string, unknown>>): string {
  const rows = Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([k, v]) => [escapeHtml(k), fmt(v)]);
  return table(['Test metric', 'Value'], rows);
}

/** Writes `<studyDir>/report.html` from a study's result; returns its path. */
export function writeStudyHtml(result: TuneResult, runDirs: RunDirs): string {
  const tuneFile = join(result.studyDir, 'tune.yaml');
  const file = join(result.studyDir, 'report.html');
  writeFileSync(
    file,
    renderStudyHtml(result, { runDirs, tuneYaml: existsSync(tuneFile) ? readFileSync(tuneFile, 'utf8') : null }),
  );
  return file;
}

/** Options of {@link writeStudyReport}. */
export interface WriteStudyReportOptions {
  /** The run store the study is in (default `runs`). */
  readonly root?: string | undefined;
}

/**
 * (Re)writes a finished study's `report.html` from its folder (`study.json`, plots) and the run store — what
 * `optik tune` writes at its end, and `optik runs report <study>` on demand. Returns the file written.
 */
export function writeStudyReport(study: number | string, options: WriteStudyReportOptions = {}): { file: string } {
  const root = resolve(options.root ?? 'runs');
  const store = openStore({ root, create: false, readOnly: true });
  try {
    const record = store.getStudy(study);
    const studyDir = join(root, 'studies', record.name);
    const jsonFile = join(studyDir, 'study.json');
    let result: TuneResult;
    try {
      result = JSON.parse(readFileSync(jsonFile, 'utf8')) as TuneResult;
    } catch (cause) {
      throw new OptikError(
        'DATA_NOT_FOUND',
        `Study ${record.name} has no readable study.json in ${studyDir}: it has not finished a session yet.`,
        {
          file: jsonFile,
          hint: `Run the study to its end (optik tune <tune.yaml>, or again after an interrupt) to write study.json.`,
        },
        { cause },
      );
    }
    const runDirs = new Map<number, string>();
    for (const run of store.listRuns({ studyId: record.id })) runDirs.set(run.id, run.dir);
    for (const retrain of result.retrains ?? []) {
      try {
        runDirs.set(retrain.runId, store.getRun(retrain.runId).dir);
      } catch {
        // a retrain run deleted since: left unlinked
      }
    }
    return { file: writeStudyHtml({ ...result, studyDir }, runDirs) };
  } finally {
    store.close();
  }
}
