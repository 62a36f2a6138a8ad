import 'uplot/dist/uPlot.min.css';
import './style.css';
import { startBackend } from './backend.js';
import { mountImage } from './image/view.js';
import { type PageState, readState, StateSchema, writeState } from './state.js';
import { mountTwoD } from './two-d/view.js';
import { describeError, el, showMessage } from './ui.js';

const app = document.getElementById('app') as HTMLElement;
const initial = readState(window.location.search);
let state: PageState = initial.state;
let unmount: () => void = () => {};

function header(backend: string, reason: string): HTMLElement {
  const tabs = el('nav', { class: 'tabs' });
  for (const [mode, label] of [
    ['2d', '2-D'],
    ['image', 'Images'],
  ] as const) {
    const b = el('button', { id: `mode-${mode}`, class: state.mode === mode ? 'chosen' : '' }, label);
    b.addEventListener('click', () => update({ mode }));
    tabs.append(b);
  }
  const share = el('a', { id: 'share', href: `?${writeState(state)}` }, 'link to this state');
  return el(
    'header',
    {},
    el('h1', {}, 'Optik playground'),
    tabs,
    el('span', { id: 'backend', 'data-backend': backend, title: reason }, `backend: ${backend}`),
    share,
  );
}

/** Applies a change: the URL is the state (shareable), and the page is rebuilt from it. */
function update(patch: Partial<PageState>): void {
  const next = StateSchema.safeParse({ ...state, ...patch });
  if (!next.success) {
    showMessage(`That setting is out of range: ${next.error.issues[0]?.message ?? 'invalid'}.`);
    return;
  }
  state = next.data;
  window.history.replaceState(null, '', `?${writeState(state)}`);
  void mount();
}

async function mount(): Promise<void> {
  unmount();
  unmount = () => {};
  app.replaceChildren();
  showMessage(initial.problems.length > 0 ? `Link: ${initial.problems.join('; ')}.` : '', 'info');
  initial.problems.length = 0;
  let backend: string;
  let reason: string;
  try {
    // 2-D networks have a few dozen weights: per-op GPU overhead dominates, and plain JavaScript (cpu) is fastest,
    // as in the TensorFlow Playground. CNNs on images get the best the browser has (webgl, then wasm, then cpu).
    const wanted = state.backend === 'auto' && state.mode === '2d' ? 'cpu' : state.backend;
    const choice = await startBackend(wanted);
    backend = choice.name;
    reason =
      state.backend === 'auto' && state.mode === '2d'
        ? 'cpu for 2-D networks: a few dozen weights train fastest without a GPU round trip (set backend= to change)'
        : choice.reason;
  } catch (error) {
    showMessage(describeError(error));
    return;
  }
  const body = el('main', { class: `mode-${state.mode}` });
  app.append(header(backend, reason), body);
  try {
    unmount = state.mode === '2d' ? mountTwoD(body, state, update) : await mountImage(body, state, update);
  } catch (error) {
    showMessage(describeError(error));
  }
}

window.addEventListener('error', (event) => showMessage(describeError(event.error ?? event.message)));
window.addEventListener('unhandledrejection', (event) => showMessage(describeError(event.reason)));
void mount();
