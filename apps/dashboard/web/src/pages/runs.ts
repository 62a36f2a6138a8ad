import { apiIfChanged } from '../api.js';
import { formatDuration, formatNumber, h, problem, statusBadge } from '../dom.js';

interface RunRow {
  id: number;
  name: string;
  task: string;
  status: string;
  dataset: string | null;
  metrics: Record<string, number>;
  durationMs: number;
  epochCount: number;
  tags: string[];
  studyId: number | null;
  trialNumber: number | null;
  createdAt: string;
}

/** At most this many rows are drawn; filtering and sorting always cover every run. */
const SHOWN = 500;
const PREFERRED = ['accuracy', 'f1', 'meanIoU', 'mAP', 'loss', 'val_loss'];

/** Runs: a sortable, filterable table of every run, refreshed every two seconds while the page is open. */
export async function runsPage(main: HTMLElement): Promise<() => void> {
  const first = await apiIfChanged<{ runs: RunRow[] }>('/api/runs', undefined);
  let runs = first.body?.runs ?? [];
  let etag = first.etag;
  let sortKey = 'id';
  let descending = true;
  const selected = new Set<number>();
  const filter = h('input', {
    type: 'search',
    placeholder: 'filter: name, task, dataset, tag, status',
    'data-filter': 'text',
  });
  const statusFilter = h(
    'select',
    { 'data-filter': 'status' },
    h('option', { value: '' }, 'any status'),
    ...['running', 'completed', 'failed', 'interrupted', 'pruned'].map((s) => h('option', { value: s }, s)),
  );
  const compare = h('button', { type: 'button', disabled: true }, 'Compare selected');
  compare.addEventListener('click', () => {
    location.hash = `#/compare?ids=${[...selected].join(',')}`;
  });
  const count = h('span', { class: 'muted' });
  const holder = h('div', { class: 'table-wrap' });
  const stale = h('div');
  main.append(h('h1', {}, 'Runs'), h('div', { class: 'toolbar' }, filter, statusFilter, compare, count), stale, holder);

  const metricColumns = () => {
    const seen = new Map<string, number>();
    for (const r of runs) for (const k of Object.keys(r.metrics)) seen.set(k, (seen.get(k) ?? 0) + 1);
    return [...seen.keys()].sort((a, b) => rank(a) - rank(b) || (seen.get(b) ?? 0) - (seen.get(a) ?? 0)).slice(0, 4);
  };
  const rank = (k: string) => {
    const i = PREFERRED.indexOf(k);
    return i < 0 ? PREFERRED.length : i;
  };
  const value = (r: RunRow, key: string): string | number => {
    if (key.startsWith('metrics.')) return r.metrics[key.slice(8)] ?? Number.NEGATIVE_INFINITY;
    const v = (r as unknown as Record<string, unknown>)[key];
    return typeof v === 'number' ? v : String(v ?? '');
  };

  const draw = () => {
    const text = filter.value.trim().toLowerCase();
    const status = statusFilter.value;
    const rows = runs.filter(
      (r) =>
        (status === '' || r.status === status) &&
        (text === '' ||
          [r.name, r.task, r.dataset ?? '', r.status, ...r.tags].some((f) => f.toLowerCase().includes(text))),
    );
    rows.sort((a, b) => {
      const x = value(a, sortKey);
      const y = value(b, sortKey);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -c : c;
    });
    const metrics = metricColumns();
    const columns: [string, string][] = [
      ['id', '#'],
      ['name', 'name'],
      ['task', 'task'],
      ['dataset', 'dataset'],
      ['status', 'status'],
      ...metrics.map((m): [string, string] => [`metrics.${m}`, m]),
      ['epochCount', 'epochs'],
      ['durationMs', 'duration'],
      ['tags', 'tags'],
    ];
    const header = h(
      'tr',
      {},
      h('th', {}, ''),
      ...columns.map(([key, label]) =>
        h(
          'th',
          {
            class: 'sortable',
            'data-sort': key,
            onclick: () => {
              descending = sortKey === key ? !descending : key !== 'name';
              sortKey = key;
              draw();
            },
          },
          label,
          sortKey === key ? (descending ? ' ▼' : ' ▲') : '',
        ),
      ),
    );
    const body = rows.slice(0, SHOWN).map((r) =>
      h(
        'tr',
        { 'data-run-id': r.id },
        h(
          'td',
          {},
          h('input', {
            type: 'checkbox',
            checked: selected.has(r.id),
            'aria-label': `select run ${r.id}`,
            onchange: (e: Event) => {
              if ((e.target as HTMLInputElement).checked) selected.add(r.id);
              else selected.delete(r.id);
              compare.disabled = selected.size < 2;
            },
          }),
        ),
        h('td', {}, r.id),
        h('td', {}, h('a', { href: `#/runs/${r.id}` }, r.name)),
        h('td', {}, r.task),
        h('td', { class: 'path', title: r.dataset ?? '' }, r.dataset ?? '–'),
        h('td', {}, statusBadge(r.status)),
        ...metrics.map((m) => h('td', { class: 'num', 'data-metric': m }, formatNumber(r.metrics[m]))),
        h('td', { class: 'num' }, r.epochCount),
        h('td', { class: 'num' }, formatDuration(r.durationMs)),
        h('td', {}, ...r.tags.map((t) => h('span', { class: 'tag' }, t))),
      ),
    );
    count.textContent =
      rows.length > SHOWN
        ? `${rows.length} runs match; showing the first ${SHOWN} (filter or sort to see others)`
        : `${rows.length} of ${runs.length} runs`;
    holder.replaceChildren(
      runs.length === 0
        ? problem('The store has no runs yet. Train one with `pnpm optik train examples/…/train.yaml`.')
        : h('table', { 'data-table': 'runs' }, h('thead', {}, header), h('tbody', {}, ...body)),
    );
  };
  filter.addEventListener('input', draw);
  statusFilter.addEventListener('change', draw);
  draw();

  // Live status: refresh quietly; a failed refresh says so above the table and keeps the last rows.
  const timer = setInterval(async () => {
    try {
      const next = await apiIfChanged<{ runs: RunRow[] }>('/api/runs', etag);
      stale.replaceChildren();
      if (next.body === undefined) return;
      runs = next.body.runs;
      etag = next.etag;
      if (!main.contains(document.activeElement) || document.activeElement === filter) draw();
    } catch (error) {
      stale.replaceChildren(problem(`Could not refresh: ${(error as Error).message}`));
    }
  }, 2000);
  return () => clearInterval(timer);
}
