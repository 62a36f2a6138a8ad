import { api, apiIfChanged } from '../api.js';
import { chart } from '../charts.js';
import { formatNumber, h, problem, section, statusBadge, table } from '../dom.js';

interface Study {
  id: number;
  name: string;
  task: string | null;
  direction: 'minimize' | 'maximize';
  objective: string;
  status: string;
  bestRunId: number | null;
  createdAt: string;
  trials: Record<string, number>;
}
interface Trial {
  number: number;
  state: string;
  params: Record<string, string | number | boolean>;
  value: number | null;
  runId: number;
}
interface StudyView {
  study: Study;
  trials: Trial[];
  best: Trial | null;
  importance: { name: string; importance: number }[];
  charts: { history: unknown; importance: unknown; parallel: unknown };
}

/** Studies: every study of the tuner with its trial counts. */
export async function studiesPage(main: HTMLElement): Promise<undefined> {
  const { studies } = await api<{ studies: Study[] }>('/api/studies');
  main.append(h('h1', {}, 'Studies'));
  main.append(
    studies.length === 0
      ? problem('No study in this store yet. Run one with `pnpm optik tune examples/…/tune.yaml`.')
      : table(
          ['#', 'name', 'task', 'objective', 'status', 'trials', 'completed', 'pruned', 'failed'],
          studies.map((s) => [
            s.id,
            h('a', { href: `#/studies/${s.id}` }, s.name),
            s.task ?? '–',
            `${s.direction} ${s.objective}`,
            statusBadge(s.status),
            s.trials.total ?? 0,
            s.trials.completed ?? 0,
            s.trials.pruned ?? 0,
            (s.trials.failed ?? 0) + (s.trials.interrupted ?? 0),
          ]),
          { 'data-table': 'studies' },
        ),
  );
  return undefined;
}

/** Study: the trials table, the best trial and its run, objective over trials, importance, parallel coordinates. */
export async function studyPage(main: HTMLElement, _p: URLSearchParams, id?: number): Promise<() => void> {
  const first = await apiIfChanged<StudyView>(`/api/studies/${id}`, undefined);
  const view = first.body as StudyView;
  let etag = first.etag;
  const { study } = view;
  main.append(
    h('h1', {}, `Study ${study.name} `, h('span', { class: 'muted' }, `#${study.id}`), ' ', statusBadge(study.status)),
    h('p', { class: 'meta' }, `${study.direction} ${study.objective} · ${view.trials.length} trials`),
    view.best === null
      ? h('p', { class: 'muted' }, 'No completed trial yet.')
      : h(
          'div',
          { class: 'best', 'data-best-trial': view.best.number },
          h('strong', {}, `Best trial ${view.best.number}: ${study.objective} = ${formatNumber(view.best.value)} `),
          h('a', { href: `#/runs/${view.best.runId}` }, 'open its run'),
          h(
            'div',
            {},
            Object.entries(view.best.params)
              .map(([k, v]) => `${k} = ${formatNumber(v)}`)
              .join(' · '),
          ),
        ),
  );
  const charts = h('div', { class: 'grid' });
  if (view.charts.history !== null) charts.append(chart('study.history', view.charts.history));
  if (view.charts.importance !== null) charts.append(chart('study.importance', view.charts.importance));
  if (view.charts.parallel !== null) charts.append(chart('study.parallel', view.charts.parallel));
  main.append(section('Search', charts));
  const names = [...new Set(view.trials.flatMap((t) => Object.keys(t.params)))];
  main.append(
    section(
      'Trials',
      table(
        ['trial', 'state', study.objective, ...names, 'run'],
        view.trials.map((t) => [
          t.number,
          statusBadge(t.state),
          formatNumber(t.value),
          ...names.map((n) => formatNumber(t.params[n])),
          t.runId > 0 ? h('a', { href: `#/runs/${t.runId}` }, `#${t.runId}`) : '–',
        ]),
        { 'data-table': 'trials' },
      ),
    ),
  );
  if (study.status !== 'running') return () => {};
  // Live while `optik tune` runs: reload the study when its trial count changes.
  const timer = setInterval(async () => {
    try {
      // An unchanged store answers 304: nothing is sent or parsed again.
      const answer = await apiIfChanged<StudyView>(`/api/studies/${id}`, etag);
      const next = answer.body;
      if (next === undefined) return;
      etag = answer.etag;
      if (next.trials.length !== view.trials.length || next.study.status !== study.status)
        window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch {
      // the next tick tries again; the page keeps what it shows
    }
  }, 3000);
  return () => clearInterval(timer);
}
