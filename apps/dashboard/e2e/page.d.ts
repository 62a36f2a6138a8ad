// What the app puts on `window` for scripts and these tests (see web/src/charts.ts).
interface Window {
  optikCharts: Record<string, { data(name: string): Record<string, unknown>[] }>;
}
