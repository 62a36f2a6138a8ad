/** Tiny DOM helpers: the pages are plain DOM, no framework. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A labelled `<select>` whose change calls `onChange` with the chosen value. */
export function select<T extends string>(
  label: string,
  id: string,
  options: readonly T[],
  value: T,
  onChange: (v: T) => void,
): HTMLElement {
  const s = el('select', { id });
  for (const o of options) s.append(el('option', { value: o }, o));
  s.value = value;
  s.addEventListener('change', () => onChange(s.value as T));
  return el('label', {}, `${label} `, s);
}

/** A labelled number input; invalid text is shown in red and not applied. */
export function numberInput(
  label: string,
  id: string,
  value: number,
  attrs: { min: number; max: number; step: number },
  onChange: (v: number) => void,
): HTMLElement {
  const input = el('input', {
    id,
    type: 'number',
    min: String(attrs.min),
    max: String(attrs.max),
    step: String(attrs.step),
  });
  input.value = String(value);
  input.addEventListener('change', () => {
    const v = Number(input.value);
    const ok = input.value !== '' && Number.isFinite(v) && v >= attrs.min && v <= attrs.max;
    input.classList.toggle('invalid', !ok);
    if (ok) onChange(v);
  });
  return el('label', {}, `${label} `, input);
}

/** Shows a message in the page's message bar (errors in red); never throws. */
export function showMessage(text: string, kind: 'error' | 'info' = 'error'): void {
  const bar = document.getElementById('message');
  if (bar === null) return;
  bar.textContent = text;
  bar.className = text === '' ? '' : kind;
}

/** The message of anything thrown (an OptikError's message already carries what was received and the fix). */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
