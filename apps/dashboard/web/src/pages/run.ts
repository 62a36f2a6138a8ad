import { api } from '../api.js';
import { chart, draw } from '../charts.js';
import { formatDuration, formatNumber, h, problem, section, statusBadge, table } from '../dom.js';

interface Cell {
  row: number;
  id: string;
}
interface RunView {
  run: {
    id: number;
    name: string;
    task: string;
    status: string;
    dataset: string | null;
    durationMs: number;
    epochCount: number;
    tags: string[];
    error: string | null;
    dir: string;
    params: Record<string, unknown>;
    seed: number | null;
    studyId: number | null;
    trialNumber: number | null;
  };
  epochs: Record<string, number>[];
  curveMetrics: string[];
  charts: { learningCurves: unknown };
  metrics: Record<string, unknown>;
  diagnosis: { verdict?: string; reasons?: string[]; remedies?: string[]; rule?: string } | null;
  perClass: Record<string, unknown>[] | null;
  confusion: { classNames: string[]; matrix: number[][]; images: Cell[][][] | null } | null;
  model: {
    layers?: { name: string; className: string; outputShape: number[]; params: number }[];
    totalParams?: number;
    trainableParams?: number;
  } | null;
  files: { all: string[]; plots: string[]; report: string | null; weights: string[] };
  problems: string[];
}

const VERDICTS: Record<string, string> = {
  overfitting: 'Overfitting: the model memorises the training set and generalises worse.',
  underfitting:
    'Underfitting: the model has not learned enough yet (too small, too few epochs, or too low a learning rate).',
  'good-fit': 'Good fit: training and validation agree.',
  'insufficient-evidence': 'Not enough evidence to say whether the model over- or underfits.',
};

/** Run: config, live learning curves, diagnosis, per-class metrics, confusion matrix, plots, model, files. */
export async function runPage(main: HTMLElement, _params: URLSearchParams, id?: number): Promise<() => void> {
  const view = await api<RunView>(`/api/runs/${id}`);
  const { run } = view;
  const fileLink = (file: string, label = file) =>
    h('a', { href: `/files/${run.id}/${file.split('/').map(encodeURIComponent).join('/')}`, target: '_blank' }, label);
  const status = statusBadge(run.status);
  const epochCount = h('span', { 'data-epochs': run.epochCount }, String(run.epochCount));
  main.append(
    h('h1', {}, `${run.task}/${run.name} `, h('span', { class: 'muted' }, `#${run.id}`), ' ', status),
    h(
      'p',
      { class: 'meta' },
      'epochs ',
      epochCount,
      ` · ${formatDuration(run.durationMs)}`,
      run.dataset === null ? '' : ` · dataset ${run.dataset}`,
      run.seed === null ? '' : ` · seed ${run.seed}`,
      run.studyId === null
        ? ''
        : h(
            'span',
            {},
            ' · ',
            h('a', { href: `#/studies/${run.studyId}` }, `trial ${run.trialNumber} of study ${run.studyId}`),
          ),
      ...run.tags.map((t) => h('span', { class: 'tag' }, t)),
    ),
    h(
      'p',
      { class: 'links' },
      view.files.report === null
        ? h('span', { class: 'muted' }, 'no report.html yet')
        : fileLink('report.html', 'report.html'),
      ' · ',
      view.files.all.includes('config.yaml') ? fileLink('config.yaml') : 'no config.yaml',
      ' · ',
      view.files.all.includes('predictions.csv') ? fileLink('predictions.csv') : 'no predictions.csv',
      ' · weights: ',
      view.files.weights.length === 0
        ? 'none'
        : view.files.weights
            .filter((f) => f.endsWith('model.json'))
            .map((f) => h('span', {}, fileLink(f, f.split('/')[1] ?? f), ' ')),
    ),
    run.error === null ? '' : problem(run.error, 'run error'),
    ...view.problems.map((p) => problem(p, 'missing')),
  );

  const curves = h('div', { class: 'curves' });
  const drawCurves = (spec: unknown) => {
    if (spec === null) curves.replaceChildren(h('p', { class: 'muted' }, 'No epoch logged yet.'));
    else if (curves.firstElementChild?.classList.contains('chart'))
      void draw(curves.firstElementChild as HTMLElement, 'learningCurves', spec);
    else curves.replaceChildren(chart('learningCurves', spec));
  };
  drawCurves(view.charts.learningCurves);
  main.append(section('Learning curves', curves));

  if (view.diagnosis?.verdict !== undefined) {
    main.append(
      section(
        'Diagnosis',
        h(
          'p',
          { class: `verdict verdict-${view.diagnosis.verdict}` },
          VERDICTS[view.diagnosis.verdict] ?? view.diagnosis.verdict,
        ),
        h('ul', {}, ...(view.diagnosis.reasons ?? []).map((r) => h('li', {}, r))),
        (view.diagnosis.remedies ?? []).length === 0
          ? ''
          : h(
              'div',
              {},
              h('strong', {}, 'What to try: '),
              h('ul', {}, ...(view.diagnosis.remedies ?? []).map((r) => h('li', {}, r))),
            ),
      ),
    );
  }

  const headline = Object.entries(view.metrics).filter(([, v]) => typeof v === 'number');
  if (headline.length > 0) {
    main.append(
      section(
        'Metrics',
        table(
          ['metric', 'value'],
          headline.map(([k, v]) => [k, formatNumber(v)]),
          { 'data-table': 'metrics' },
        ),
      ),
    );
  }
  if (view.perClass !== null && view.perClass.length > 0) {
    const keys = [...new Set(view.perClass.flatMap((r) => Object.keys(r)))];
    main.append(
      section(
        'Per class',
        table(
          keys,
          view.perClass.map((r) => keys.map((k) => formatNumber(r[k]))),
          { 'data-table': 'per-class' },
        ),
      ),
    );
  }
  if (view.confusion !== null) main.append(confusionSection(run.id, view.confusion));
  if (view.files.plots.length > 0) {
    main.append(
      section(
        'Plots and predictions',
        h(
          'div',
          { class: 'gallery' },
          ...view.files.plots.map((p) =>
            h(
              'figure',
              {},
              h(
                'a',
                { href: `/files/${run.id}/${p}`, target: '_blank' },
                h('img', { src: `/files/${run.id}/${p}`, alt: p, loading: 'lazy' }),
              ),
              h('figcaption', {}, p.replace(/^plots\//, '')),
            ),
          ),
        ),
      ),
    );
  }
  if (view.model?.layers !== undefined) {
    main.append(
      section(
        'Model',
        table(
          ['layer', 'type', 'output shape', 'parameters'],
          view.model.layers.map((l) => [
            l.name,
            l.className,
            `[${l.outputShape.join(', ')}]`,
            l.params.toLocaleString('en'),
          ]),
          { 'data-table': 'model' },
        ),
        h(
          'p',
          {},
          `total ${view.model.totalParams?.toLocaleString('en')} parameters, ${view.model.trainableParams?.toLocaleString('en')} trainable`,
        ),
      ),
    );
  }
  main.append(
    section(
      'Configuration (fully resolved)',
      table(
        ['key', 'value'],
        Object.entries(run.params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        {
          'data-table': 'config',
        },
      ),
    ),
  );

  if (run.status !== 'running') return () => {};
  // Live: new epochs arrive as server-sent events and redraw the curves; the stream ends when the page changes.
  const events = new EventSource(`/api/runs/${run.id}/events`);
  events.addEventListener('epochs', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { epochs: unknown[]; learningCurves: unknown };
    epochCount.textContent = String(data.epochs.length);
    epochCount.dataset.epochs = String(data.epochs.length);
    drawCurves(data.learningCurves);
  });
  events.addEventListener('status', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { status: string };
    status.textContent = data.status;
    status.className = `status status-${data.status}`;
    status.dataset.status = data.status;
  });
  return () => events.close();
}

function confusionSection(runId: number, confusion: NonNullable<RunView['confusion']>): HTMLElement {
  const { classNames, matrix, images } = confusion;
  const max = Math.max(1, ...matrix.flat());
  const gallery = h('div', { class: 'cell-images', 'data-cell-images': '' });
  const grid = h(
    'table',
    { class: 'confusion', 'data-table': 'confusion' },
    h('thead', {}, h('tr', {}, h('th', {}, 'true ↓ / predicted →'), ...classNames.map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...matrix.map((row, t) =>
        h(
          'tr',
          {},
          h('th', {}, classNames[t] ?? String(t)),
          ...row.map((count, p) => {
            const cell = images?.[t]?.[p] ?? [];
            const shade = count / max;
            return h(
              'td',
              {
                class: `cell${t === p ? ' diagonal' : ''}${cell.length > 0 ? ' clickable' : ''}`,
                style: `background: rgba(${t === p ? '37, 99, 235' : '220, 38, 38'}, ${0.08 + 0.7 * shade})`,
                'data-true': t,
                'data-predicted': p,
                'data-count': count,
                title: `${count} images of ${classNames[t]} predicted as ${classNames[p]}`,
                onclick: () => {
                  gallery.replaceChildren(
                    h(
                      'p',
                      {},
                      `${classNames[t]} predicted as ${classNames[p]}: ${count} images${cell.length < count ? ` (first ${cell.length} shown)` : ''}`,
                    ),
                    ...(cell.length === 0
                      ? [h('p', { class: 'muted' }, 'predictions.csv names no image files for this cell.')]
                      : cell.map((c) =>
                          h('img', {
                            src: `/api/runs/${runId}/predictions/${c.row}/image`,
                            alt: c.id,
                            title: c.id,
                            class: 'thumb',
                          }),
                        )),
                  );
                },
              },
              count,
            );
          }),
        ),
      ),
    ),
  );
  return section(
    'Confusion matrix (test set)',
    images === null
      ? h('p', { class: 'muted' }, 'predictions.csv has no image paths: cells are not clickable.')
      : h('p', { class: 'muted' }, 'Click a cell to see its images.'),
    grid,
    gallery,
  );
}
