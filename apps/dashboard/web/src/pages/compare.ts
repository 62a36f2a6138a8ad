import { api } from '../api.js';
import { chart } from '../charts.js';
import { formatNumber, h, section, statusBadge, table } from '../dom.js';

interface CompareView {
  runs: { id: number; name: string; task: string; status: string; epochCount: number }[];
  configDiff: { key: string; values: unknown[] }[];
  metrics: { key: string; values: (number | null)[]; goal: 'max' | 'min'; best: number | null }[];
  curves: { metric: string; split: string; spec: unknown }[];
}

/** Compare: two or more runs (ids=1,2,…) — overlaid curves per metric, the config keys that differ, the metrics. */
export async function comparePage(main: HTMLElement, params: URLSearchParams): Promise<undefined> {
  const ids = (params.get('ids') ?? '').split(',').filter((s) => /^\d+$/.test(s));
  main.append(h('h1', {}, 'Compare runs'));
  const form = h('input', {
    type: 'text',
    value: ids.join(','),
    placeholder: 'run ids, e.g. 3,5,8',
    'data-compare': 'ids',
  });
  const go = h(
    'button',
    { type: 'button', onclick: () => (location.hash = `#/compare?ids=${form.value.replace(/\s+/g, '')}`) },
    'Compare',
  );
  main.append(h('div', { class: 'toolbar' }, form, go));
  if (ids.length < 2) {
    main.append(
      h('p', { class: 'muted' }, 'Pick two or more runs: tick them on the Runs page, or type their ids above.'),
    );
    return undefined;
  }
  const view = await api<CompareView>(`/api/compare?ids=${ids.join(',')}`);
  // Fresh links per table: a DOM node lives in one place only.
  const names = () => view.runs.map((r) => h('a', { href: `#/runs/${r.id}` }, `${r.name} #${r.id}`));
  main.append(
    section(
      'Metrics',
      table(
        ['metric', ...names()],
        view.metrics.map((m) => [
          `${m.key} (${m.goal === 'max' ? 'higher' : 'lower'} is better)`,
          ...m.values.map((v, i) => h('span', { class: i === m.best ? 'best' : '' }, formatNumber(v))),
        ]),
        { 'data-table': 'compare-metrics' },
      ),
      table(
        ['', ...names()],
        [
          ['status', ...view.runs.map((r) => statusBadge(r.status))],
          ['epochs', ...view.runs.map((r) => r.epochCount)],
        ],
      ),
    ),
    section(
      'Config: only the keys that differ',
      view.configDiff.length === 0
        ? h('p', { class: 'muted' }, 'The configs are identical.')
        : table(
            ['key', ...names()],
            view.configDiff.map((p) => [
              p.key,
              ...p.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
            ]),
            { 'data-table': 'config-diff' },
          ),
    ),
    section(
      'Curves',
      view.curves.length === 0
        ? h('p', { class: 'muted' }, 'None of these runs logged an epoch.')
        : h('div', { class: 'grid' }, ...view.curves.map((c) => chart(`compare.${c.metric}`, c.spec))),
    ),
  );
  return undefined;
}
