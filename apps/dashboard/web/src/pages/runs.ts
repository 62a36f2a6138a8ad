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

/** One page of `GET /api/runs`. */
interface RunsPage {
  total: number;
  offset: number;
  limit: number;
  runs: RunRow[];
}

const PREFERRED = ['accuracy', 'f1', 'meanIoU', 'mAP', 'loss', 'val_loss'];
const PAGE_SIZES = [50, 100, 250, 500, 1000];
const STATUSES = ['running', 'completed', 'failed', 'interrupted', 'pruned'];
/** What the server sorts by when no `sort` is given, and the first order of each column when clicked. */
const DEFAULTS = { q: '', status: '', sort: 'id', order: 'desc', limit: '100', offset: '0' };
const ASCENDING_FIRST = new Set(['name', 'task', 'status']);
const count = new Intl.NumberFormat('en-US');

/**
 * Runs: one page of the store's runs at a time. Paging, sorting (a column header, metrics included) and the filters
 * are done by the server in SQL, so 10,000 runs cost what 100 do; the page state lives in the address
 * (`#/?q=…&sort=…&offset=…`, so Back and a reload keep it) and the shown page refreshes every two seconds.
 */
export async function runsPage(main: HTMLElement, params: URLSearchParams): Promise<() => void> {
  const state: Record<keyof typeof DEFAULTS, string> = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = params.get(key);
    if (value !== null) state[key] = value;
  }
  const query = () => {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) if (value !== '') q.set(key, value);
    return q;
  };
  /** The address shows only what differs from the defaults. */
  const remember = () => {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(state)) {
      if (value !== DEFAULTS[key as keyof typeof DEFAULTS]) q.set(key, value);
    }
    const text = q.toString();
    history.replaceState(null, '', `#/${text === '' ? '' : `?${text}`}`);
  };

  let page: RunsPage = { total: 0, offset: 0, limit: Number(state.limit), runs: [] };
  let etag: string | undefined;
  let shown = '';
  let asked = 0;
  const selected = new Set<number>();

  const filter = h('input', {
    type: 'search',
    placeholder: 'filter: name, task or tag',
    value: state.q,
    'data-filter': 'text',
  });
  const statusFilter = h(
    'select',
    { 'data-filter': 'status' },
    h('option', { value: '' }, 'any status'),
    ...STATUSES.map((s) => h('option', { value: s, selected: s === state.status }, s)),
  );
  const compare = h('button', { type: 'button', disabled: true }, 'Compare selected');
  compare.addEventListener('click', () => {
    location.hash = `#/compare?ids=${[...selected].join(',')}`;
  });
  const range = h('span', { class: 'muted', 'data-range': '' });
  const pageButton = (label: string, name: string, to: () => number) =>
    h(
      'button',
      {
        type: 'button',
        'data-page': name,
        onclick: () => {
          state.offset = String(Math.max(0, to()));
          refresh().catch(showProblem);
        },
      },
      label,
    );
  const limit = () => Number(state.limit);
  const lastOffset = () => Math.max(0, Math.floor((page.total - 1) / limit()) * limit());
  const first = pageButton('«', 'first', () => 0);
  const previous = pageButton('‹ previous', 'previous', () => Number(state.offset) - limit());
  const next = pageButton('next ›', 'next', () => Number(state.offset) + limit());
  const last = pageButton('»', 'last', lastOffset);
  const pageSize = h(
    'select',
    {
      'data-page-size': '',
      'aria-label': 'runs per page',
      onchange: (e: Event) => {
        state.limit = (e.target as HTMLSelectElement).value;
        state.offset = '0';
        refresh().catch(showProblem);
      },
    },
    ...PAGE_SIZES.map((n) => h('option', { value: n, selected: String(n) === state.limit }, `${n} per page`)),
  );
  const pager = h('div', { class: 'pager', 'data-pager': '' }, first, previous, range, next, last, pageSize);
  const holder = h('div', { class: 'table-wrap', 'data-loading': 'true' });
  const stale = h('div');
  main.append(h('h1', {}, 'Runs'), h('div', { class: 'toolbar' }, filter, statusFilter, compare), pager, stale, holder);

  const metricColumns = () => {
    const seen = new Map<string, number>();
    for (const r of page.runs) for (const k of Object.keys(r.metrics)) seen.set(k, (seen.get(k) ?? 0) + 1);
    const rank = (k: string) => {
      const i = PREFERRED.indexOf(k);
      return i < 0 ? PREFERRED.length : i;
    };
    const columns = [...seen.keys()]
      .sort((a, b) => rank(a) - rank(b) || (seen.get(b) ?? 0) - (seen.get(a) ?? 0))
      .slice(0, 4);
    // The metric the page is sorted by stays in view even when this page's runs lack it.
    const sorted = state.sort.startsWith('metrics.') ? state.sort.slice(8) : undefined;
    if (sorted !== undefined && !columns.includes(sorted)) columns.splice(Math.min(columns.length, 3), 1, sorted);
    return columns;
  };

  const draw = () => {
    // A row's checkbox that has the focus (a live refresh while choosing runs to compare) keeps it after the redraw.
    const focused = holder.contains(document.activeElement)
      ? (document.activeElement?.closest('tr') as HTMLElement | null)?.dataset.runId
      : undefined;
    const metrics = metricColumns();
    const columns: [string, string, boolean][] = [
      ['id', '#', true],
      ['name', 'name', true],
      ['task', 'task', true],
      ['dataset', 'dataset', false],
      ['status', 'status', true],
      ...metrics.map((m): [string, string, boolean] => [`metrics.${m}`, m, true]),
      ['epochCount', 'epochs', true],
      ['durationMs', 'duration', true],
      ['tags', 'tags', false],
    ];
    const header = h(
      'tr',
      {},
      h('th', {}, ''),
      ...columns.map(([key, label, sortable]) =>
        sortable
          ? h(
              'th',
              {
                class: 'sortable',
                'data-sort': key,
                'aria-sort': state.sort === key ? (state.order === 'desc' ? 'descending' : 'ascending') : undefined,
                onclick: () => {
                  state.order =
                    state.sort === key
                      ? state.order === 'desc'
                        ? 'asc'
                        : 'desc'
                      : ASCENDING_FIRST.has(key)
                        ? 'asc'
                        : 'desc';
                  state.sort = key;
                  state.offset = '0';
                  refresh().catch(showProblem);
                },
              },
              label,
              state.sort === key ? (state.order === 'desc' ? ' ▼' : ' ▲') : '',
            )
          : h('th', {}, label),
      ),
    );
    const body = page.runs.map((r) =>
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
              compare.textContent = selected.size === 0 ? 'Compare selected' : `Compare ${selected.size} selected`;
            },
          }),
        ),
        h('td', {}, r.id),
        h('td', {}, h('a', { href: `#/runs/${r.id}` }, r.name)),
        h('td', {}, r.task),
        h('td', { class: 'path', title: r.dataset ?? '' }, r.dataset ?? '–'),
        h('td', {}, statusBadge(r.status)),
        ...metrics.map((m) => h('td', { class: 'num', 'data-metric': m }, formatNumber(r.metrics[m]))),
        h('td', { class: 'num', 'data-epoch-count': r.epochCount }, r.epochCount),
        h('td', { class: 'num' }, formatDuration(r.durationMs)),
        h('td', {}, ...r.tags.map((t) => h('span', { class: 'tag' }, t))),
      ),
    );
    const filtered = state.q !== '' || state.status !== '';
    range.textContent =
      page.total === 0
        ? 'no runs'
        : `${count.format(page.offset + 1)}–${count.format(page.offset + page.runs.length)} of ${count.format(page.total)} ${filtered ? 'matching runs' : 'runs'}`;
    range.dataset.total = String(page.total);
    first.disabled = previous.disabled = page.offset === 0;
    next.disabled = last.disabled = page.offset + page.runs.length >= page.total;
    holder.replaceChildren(
      page.total === 0 && !filtered
        ? problem('The store has no runs yet. Train one with `pnpm optik train examples/…/train.yaml`.')
        : page.runs.length === 0
          ? h('p', { class: 'muted' }, filtered ? 'No run matches the filter.' : 'No runs on this page.')
          : h('table', { 'data-table': 'runs' }, h('thead', {}, header), h('tbody', {}, ...body)),
    );
    if (focused !== undefined) holder.querySelector<HTMLElement>(`tr[data-run-id="${focused}"] input`)?.focus();
  };

  /**
   * Asks the server for the page the state describes and draws it. A newer question wins: an answer that arrives
   * after a later request was sent is dropped. `poll` (the live refresh) asks only while nothing else is asked, with
   * the ETag of the page shown, so an unchanged store answers 304 and nothing is drawn again.
   */
  let inFlight = 0;
  let typing: ReturnType<typeof setTimeout> | undefined;
  const refresh = async (poll = false): Promise<void> => {
    if (poll && (inFlight > 0 || typing !== undefined)) return;
    const q = query().toString();
    const live = poll && q === shown;
    if (!poll) remember();
    const mine = ++asked;
    let again = false;
    inFlight++;
    holder.dataset.loading = 'true';
    try {
      const answer = await apiIfChanged<RunsPage>(`/api/runs?${q}`, live ? etag : undefined);
      if (mine !== asked) return;
      stale.replaceChildren();
      if (answer.body === undefined) return;
      page = answer.body;
      etag = answer.etag;
      shown = q;
      // A page past the end (runs deleted, a narrower filter) steps back to the last page that has runs.
      if (page.runs.length === 0 && page.total > 0 && page.offset > 0) {
        state.offset = String(lastOffset());
        again = true;
        return;
      }
      draw();
    } catch (error) {
      if (mine !== asked) return;
      if (!poll) throw error;
      stale.replaceChildren(problem(`Could not refresh: ${(error as Error).message}`));
    } finally {
      inFlight--;
      if (mine === asked && !again) holder.dataset.loading = 'false';
    }
    if (again) await refresh();
  };
  const showProblem = (error: unknown) => {
    holder.dataset.loading = 'false';
    stale.replaceChildren(problem((error as Error).message));
  };

  filter.addEventListener('input', () => {
    holder.dataset.loading = 'true';
    clearTimeout(typing);
    typing = setTimeout(() => {
      typing = undefined;
      state.q = filter.value.trim();
      state.offset = '0';
      refresh().catch(showProblem);
    }, 250);
  });
  statusFilter.addEventListener('change', () => {
    state.status = statusFilter.value;
    state.offset = '0';
    refresh().catch(showProblem);
  });
  await refresh();
  // Live status: the shown page, asked again quietly; a 304 (nothing changed) costs the server one small query.
  const timer = setInterval(() => void refresh(true), 2000);
  return () => {
    clearInterval(timer);
    clearTimeout(typing);
  };
}
