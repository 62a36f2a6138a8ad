import { api } from '../api.js';
import { formatNumber, h, problem, section, table } from '../dom.js';

interface Report {
  source?: string;
  format?: string;
  task?: string;
  classNames?: string[];
  totalImages?: number;
  readableImages?: number;
  classCounts?: number[];
  imbalance?: { ratio: number; warning: boolean; mostFrequent: string; leastFrequent: string };
  corrupt?: { file: string; reason: string }[];
  duplicates?: { hash: string; files: string[] }[];
  leakage?: unknown[];
  warnings?: string[];
}
interface Dataset {
  name: string;
  report: Report | null;
  problem: string | null;
  images: string[];
}

/** Datasets: the `optik data inspect --out <root>/datasets/<name>` reports kept beside the runs. */
export async function datasetsPage(main: HTMLElement): Promise<undefined> {
  const { folder, datasets } = await api<{ folder: string; datasets: Dataset[] }>('/api/datasets');
  main.append(h('h1', {}, 'Datasets'));
  if (datasets.length === 0) {
    main.append(
      problem(
        `No dataset report under ${folder}. Write one with \`pnpm optik data inspect <source> --out ${folder}/<name>\`.`,
      ),
    );
    return undefined;
  }
  for (const d of datasets) {
    const r = d.report;
    main.append(
      section(
        d.name,
        d.problem === null ? '' : problem(d.problem, 'report'),
        r === null
          ? ''
          : h(
              'div',
              { 'data-dataset': d.name },
              h(
                'p',
                { class: 'meta' },
                `${r.source ?? ''} · ${r.format ?? ''} · ${r.task ?? ''} · ${r.readableImages ?? '?'} of ${r.totalImages ?? '?'} images readable`,
              ),
              r.classNames === undefined
                ? ''
                : table(
                    ['class', 'images'],
                    r.classNames.map((c, i) => [c, r.classCounts?.[i] ?? 0]),
                    { 'data-table': 'class-counts' },
                  ),
              r.imbalance === undefined
                ? ''
                : h(
                    'p',
                    { class: r.imbalance.warning ? 'warning' : '' },
                    `imbalance ${formatNumber(r.imbalance.ratio)}× (${r.imbalance.mostFrequent} vs ${r.imbalance.leastFrequent})`,
                  ),
              h(
                'p',
                {},
                `corrupt files: ${r.corrupt?.length ?? 0} · duplicate groups: ${r.duplicates?.length ?? 0} · leaked across splits: ${r.leakage?.length ?? 0}`,
              ),
              ...(r.corrupt ?? []).slice(0, 20).map((c) => h('div', { class: 'path' }, `${c.file}: ${c.reason}`)),
              ...(r.warnings ?? []).map((w) => h('p', { class: 'warning' }, w)),
            ),
        h(
          'div',
          { class: 'gallery' },
          ...d.images.map((src) => h('figure', {}, h('img', { src, alt: src, loading: 'lazy' }))),
        ),
      ),
    );
  }
  return undefined;
}
