// The single-page app: a hash route per page, each page a function that fills <main> and returns its clean-up.
import './style.css';
import { ApiError } from './api.js';
import { problem } from './dom.js';
import { comparePage } from './pages/compare.js';
import { datasetsPage } from './pages/datasets.js';
import { runPage } from './pages/run.js';
import { runsPage } from './pages/runs.js';
import { studiesPage, studyPage } from './pages/studies.js';

/** A page renders into `main`; the function it returns stops its timers and live streams. */
export type Page = (main: HTMLElement, params: URLSearchParams, id?: number) => Promise<(() => void) | undefined>;

const routes: { pattern: RegExp; page: Page; nav: string }[] = [
  { pattern: /^\/?$/, page: runsPage, nav: 'runs' },
  { pattern: /^\/runs\/(\d+)$/, page: runPage, nav: 'runs' },
  { pattern: /^\/compare$/, page: comparePage, nav: 'compare' },
  { pattern: /^\/studies$/, page: studiesPage, nav: 'studies' },
  { pattern: /^\/studies\/(\d+)$/, page: studyPage, nav: 'studies' },
  { pattern: /^\/datasets$/, page: datasetsPage, nav: 'datasets' },
];

let cleanup: (() => void) | undefined;

async function render(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  const main = document.getElementById('app') as HTMLElement;
  main.replaceChildren();
  main.removeAttribute('data-ready');
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const route = routes.find((r) => r.pattern.test(path));
  for (const link of document.querySelectorAll<HTMLElement>('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === route?.nav);
  }
  if (route === undefined) {
    main.append(problem(`There is no page ${path}.`, 'NOT_FOUND'));
    main.dataset.ready = 'true';
    return;
  }
  const id = route.pattern.exec(path)?.[1];
  try {
    cleanup = await route.page(main, new URLSearchParams(query), id === undefined ? undefined : Number(id));
  } catch (error) {
    main.append(
      error instanceof ApiError
        ? problem(error.message, error.code)
        : problem(String((error as Error).message ?? error)),
    );
  }
  main.dataset.ready = 'true';
  // For scripts and the benchmark: when the page (API answer included) was drawn, in page time.
  performance.mark('optik:ready');
}

window.addEventListener('hashchange', () => void render());
void render();
