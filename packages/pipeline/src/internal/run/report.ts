import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FitDiagnosis } from '@optik/metrics';
import type { ModelSummary } from '@optik/zoo';
import { stringify as toYaml } from 'yaml';
import type { TaskData } from '../tasks/types.js';

/** What the HTML report shows. */
export interface ReportInput {
  readonly title: string;
  readonly runName: string;
  readonly runId: number;
  readonly runDir: string;
  readonly backend: string;
  readonly dataset: string;
  readonly splits: { readonly train: number; readonly validation: number; readonly test: number };
  readonly config: Record<string, unknown>;
  /** Counts per split and class, the image size the network sees and the class balance. */
  readonly data?: DataOverview | undefined;
  /** The model's layers, output shapes and parameters (the course's "784 inputs, 10 outputs"). */
  readonly model?: ModelSummary | undefined;
  /** When the report was written (ISO 8601); default now. */
  readonly created?: string | undefined;
  /** The task's part: its headline rows (label, HTML value) and its sections (e.g. the per-class table). */
  readonly results: ReportSection;
  readonly diagnosis: FitDiagnosis;
  readonly training: {
    readonly epochs: number;
    readonly bestEpoch: number | null;
    readonly stopReason: string | null;
    readonly trainSeconds: number;
    readonly evalSeconds: number;
    readonly samplesPerSecond: number | null;
  };
  /** Plot files inside `plotsDir`, with their captions, in display order. */
  readonly plots: readonly { readonly file: string; readonly caption: string }[];
  readonly plotsDir: string;
}

/** What the data section of report.html shows. */
export interface DataOverview {
  /** `[height, width, channels]` of the images as the network sees them (after resizing). */
  readonly inputShape: readonly [number, number, number];
  readonly classNames: readonly string[];
  /** What the per-class counts count: images (one class each) or objects (several per image). */
  readonly unit: 'images' | 'objects';
  /** Each split's image count and its count per class (null where targets carry no class, e.g. masks). */
  readonly splits: readonly { readonly name: string; readonly images: number; readonly perClass: number[] | null }[];
}

/** The data overview of a run's splits, whatever the task: class counts come from the samples' targets. */
export function dataOverview(data: TaskData): DataOverview {
  let unit: DataOverview['unit'] = 'images';
  const splits = (['train', 'validation', 'test'] as const).map((name) => {
    const dataset = data[name];
    const perClass: number[] | null = data.classNames.map(() => 0);
    const count = (label: number) => {
      if (perClass !== null && label >= 0 && label < perClass.length) perClass[label] = (perClass[label] ?? 0) + 1;
    };
    let classless = false;
    for (let i = 0; i < dataset.length; i++) {
      const target = dataset.targets?.[i];
      if (target === undefined) count(dataset.labels[i] as number);
      else if ('label' in target) count(target.label);
      else if ('labels' in target) {
        unit = 'objects';
        for (const label of target.labels) count(label);
      } else classless = true;
    }
    return { name, images: dataset.length, perClass: classless ? null : perClass };
  });
  return { inputShape: data.inputShape, classNames: data.classNames, unit, splits };
}

/** The data section: image size, counts per split and class with each class's share, and the balance verdict. */
function dataSection(data: DataOverview): string {
  const head = ['Class', ...data.splits.map((s) => s.name), 'Share'];
  const sizes = `<p>Images as the network sees them: ${data.inputShape[0]} × ${data.inputShape[1]} pixels, ${data.inputShape[2]} channel${data.inputShape[2] === 1 ? '' : 's'}; ${data.splits.map((s) => `${s.images} ${s.name}`).join(' / ')} images.</p>`;
  if (data.splits.some((s) => s.perClass === null) || data.classNames.length === 0) return `<h2>Data</h2>\n${sizes}`;
  const totals = data.classNames.map((_, c) => data.splits.reduce((sum, s) => sum + (s.perClass?.[c] ?? 0), 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const rows = data.classNames.map((name, c) => [
    escapeHtml(name),
    ...data.splits.map((s) => String(s.perClass?.[c] ?? 0)),
    all === 0 ? '–' : pct((totals[c] ?? 0) / all),
  ]);
  rows.push([
    '<strong>Total</strong>',
    ...data.splits.map((s) => String((s.perClass ?? []).reduce((a, b) => a + b, 0))),
    all === 0 ? '–' : pct(1),
  ]);
  const order = totals.map((n, c) => ({ n, c })).sort((a, b) => a.n - b.n);
  const smallest = order[0];
  const largest = order.at(-1);
  let balance = '';
  if (smallest !== undefined && largest !== undefined && largest.n > 0) {
    const ratio = smallest.n === 0 ? Number.POSITIVE_INFINITY : largest.n / smallest.n;
    const names = `the largest class (${escapeHtml(data.classNames[largest.c] ?? '')}, ${largest.n}) against the smallest (${escapeHtml(data.classNames[smallest.c] ?? '')}, ${smallest.n})`;
    balance =
      ratio <= 1.5
        ? `<p><strong>Class balance:</strong> balanced — ${names}, ratio ${ratio.toFixed(2)}.</p>`
        : `<p><strong>Class balance:</strong> imbalanced — ${names}, ratio ${Number.isFinite(ratio) ? ratio.toFixed(1) : '∞'}; accuracy flatters the large class, so read the per-class recall and the macro F1.</p>`;
  }
  return `<h2>Data</h2>\n${sizes}\n${table(head, rows)}\n${balance}`;
}

/** A task's part of report.html: the rows of the results table and further sections, as HTML. */
export interface ReportSection {
  readonly metricsRows: readonly (readonly [string, string])[];
  readonly sections: readonly { readonly title: string; readonly html: string }[];
}

/** The style sheet of report.html, shared by the study report. */
export const REPORT_CSS = `body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.7rem; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
.verdict { display: inline-block; padding: 0.2rem 0.6rem; border-radius: 4px; font-weight: bold; color: #fff; }
.good-fit { background: #1a7f37; } .overfitting { background: #d62728; } .underfitting { background: #b36b00; } .insufficient-evidence { background: #6e7781; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; } figcaption { color: #666; font-size: 0.9rem; }
pre { background: #f7f7f7; padding: 1rem; overflow-x: auto; font-size: 0.85rem; }
.cols { display: flex; gap: 2rem; flex-wrap: wrap; }
.notes { background: #fafafa; border: 1px dashed #ccc; padding: 0.2rem 1rem; } [contenteditable]:hover { outline: 1px dotted #999; }
`;

/** The editable author and notes block under a report's title (edit in the browser, save with Ctrl+S). */
export const NOTES_HTML = `<div class="notes"><p><strong>Author:</strong> <span contenteditable="true">your name</span></p>
<p><strong>Notes:</strong> <span contenteditable="true">what you tried, what you noticed — click to edit, then save the page (Ctrl+S)</span></p></div>`;

/** Escapes text for HTML. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);

/** A number with `digits` decimals, `–` when missing. */
export const fmt = (value: number | null | undefined, digits = 4): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);

/** A fraction as a percentage. */
export const pct = (value: number): string => `${(value * 100).toFixed(2)} %`;

/** An HTML table; cells are HTML (escape text first), numeric columns right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], numeric = true): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (row) => `<tr>${row.map((cell, i) => `<td${numeric && i > 0 ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** PNG plots of `dir` as `<figure>`s with the image inline (a base64 data URI), so the page needs no other file. */
export function embedFigures(
  dir: string,
  plots: readonly { readonly file: string; readonly caption: string }[],
): string {
  return plots
    .map(({ file, caption }) => {
      const data = readFileSync(join(dir, file)).toString('base64');
      return `<figure><img alt="${escapeHtml(caption)}" src="data:image/png;base64,${data}"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
    })
    .join('\n');
}

/**
 * A self-contained HTML report (no external files: plots are embedded as base64 PNG data URIs): run summary,
 * metrics, per-class table, the fit diagnosis with its rule and remedies, plots and the resolved config.
 */
export function renderReportHtml(input: ReportInput): string {
  const { results, diagnosis, training } = input;
  const metricsRows = results.metricsRows.map(([label, value]) => [escapeHtml(label), value]);
  const trainingRows = [
    ['Epochs run', String(training.epochs)],
    ['Best epoch (checkpoint)', training.bestEpoch === null ? '–' : String(training.bestEpoch)],
    ['Stopped because', escapeHtml(training.stopReason ?? 'all epochs done')],
    ['Training time', `${training.trainSeconds.toFixed(1)} s`],
    ['Evaluation time', `${training.evalSeconds.toFixed(1)} s`],
    ['Training speed', training.samplesPerSecond === null ? '–' : `${training.samplesPerSecond.toFixed(0)} samples/s`],
    ['Backend', escapeHtml(input.backend)],
    ['Dataset', escapeHtml(input.dataset)],
    ['Images (train / validation / test)', `${input.splits.train} / ${input.splits.validation} / ${input.splits.test}`],
  ];
  const figures = embedFigures(input.plotsDir, input.plots);
  const verdictText = {
    underfitting: 'Underfitting',
    overfitting: 'Overfitting',
    'good-fit': 'Good fit',
    'insufficient-evidence': 'Insufficient evidence',
  }[diagnosis.verdict];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>
${REPORT_CSS}</style>
</head>
<body>
<h1 contenteditable="true" title="Click to edit the title">${escapeHtml(input.title)}</h1>
<p class="sub">Run ${input.runId} · ${escapeHtml(input.runName)} · ${escapeHtml(input.runDir)} · ${escapeHtml((input.created ?? new Date().toISOString()).slice(0, 16).replace('T', ' '))}</p>
${NOTES_HTML}

<h2>Results on the test set</h2>
<div class="cols">
<div>${table(['Metric', 'Value'], metricsRows)}</div>
<div>${table(['Training', ''], trainingRows, false)}</div>
</div>

<h2>Diagnosis: <span class="verdict ${diagnosis.verdict}">${verdictText}</span></h2>
<ul>${diagnosis.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>
<p><strong>Rule:</strong> ${escapeHtml(diagnosis.rule)}</p>
${diagnosis.remedies.length > 0 ? `<p><strong>Remedies:</strong></p><ul>${diagnosis.remedies.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>` : ''}

${results.sections.map((section) => `<h2>${escapeHtml(section.title)}</h2>\n${section.html}`).join('\n')}

<h2>Plots</h2>
${figures}

${input.data === undefined ? '' : dataSection(input.data)}
${input.model === undefined ? '' : modelSection(input.model)}
<details><summary><strong>Configuration (fully resolved)</strong></summary>
<pre>${escapeHtml(toYaml(input.config))}</pre>
</details>
</body>
</html>
`;
}

/** The model summary: one row per layer with its output shape and parameters, and the totals. */
function modelSection(model: ModelSummary): string {
  const rows = model.layers.map((layer) => [
    escapeHtml(layer.name),
    escapeHtml(layer.className),
    escapeHtml(layer.outputShape.join(' × ')),
    layer.params.toLocaleString('en'),
  ]);
  return `<h2>Model</h2>
<p>Input ${escapeHtml(model.inputShape.join(' × '))} → output ${escapeHtml(model.outputShape.join(' × '))};
${model.totalParams.toLocaleString('en')} parameters (${model.trainableParams.toLocaleString('en')} trainable).</p>
${table(['Layer', 'Type', 'Output shape', 'Parameters'], rows, false)}`;
}
