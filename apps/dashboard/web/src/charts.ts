// Charts: vega-lite specs built on the server by @optik/viz (the same specs report.html renders), drawn by vega-embed.

import type { View } from 'vega';
import type { VisualizationSpec } from 'vega-embed';

declare global {
  interface Window {
    /** The views on the page by name, so scripts and the end-to-end tests can read the plotted data points. */
    optikCharts: Record<string, View>;
  }
}
window.optikCharts = {};

/** Draws `spec` into a new element named `name`; a newer draw of the same name replaces the older one. */
export function chart(name: string, spec: unknown): HTMLElement {
  const el = document.createElement('div');
  el.className = 'chart';
  el.dataset.chart = name;
  void draw(el, name, spec);
  return el;
}

export async function draw(el: HTMLElement, name: string, spec: unknown): Promise<void> {
  // Loaded on first use: the Runs page draws no chart and need not parse vega (most of the bundle).
  const { default: embed } = await import('vega-embed');
  const result = await embed(el, spec as VisualizationSpec, { actions: false, renderer: 'canvas' });
  window.optikCharts[name]?.finalize();
  window.optikCharts[name] = result.view;
  performance.mark(`optik:chart:${name}`);
  el.dataset.points = String(pointCount(result.view));
}

/** The number of rows in the chart's source data (what the tests compare with the store). */
function pointCount(view: View): number {
  try {
    return view.data('source_0').length;
  } catch {
    return 0;
  }
}
