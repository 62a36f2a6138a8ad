// A few DOM helpers: elements from tag, attributes and children (text is always set as text, never as HTML).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h('section', {}, h('h2', {}, title), ...children);
}

/** A table from a header row and body rows; `data-*` attributes let tests find cells. */
export function table(
  header: readonly Child[],
  rows: readonly (readonly Child[])[],
  attrs: Attrs = {},
): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...header.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function formatNumber(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return value === null || value === undefined ? '–' : String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : value.toFixed(4);
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `status status-${status}`, 'data-status': status }, status);
}

export function problem(message: string, code?: string): HTMLElement {
  return h('div', { class: 'problem', role: 'alert' }, code === undefined ? '' : h('strong', {}, `${code}: `), message);
}
