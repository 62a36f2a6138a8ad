import { OptikError, parseOrThrow } from '@optik/core';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { z } from 'zod';

/**
 * A vega-lite chart specification with its data inline (`data: { values }`). Every chart builder returns one, so a
 * browser app can also show it with vega-embed.
 *
 * @example
 * ```ts
 * const spec: ChartSpec = lineChart(rows, { x: 'trial', y: 'value', title: 'Optimisation history' });
 * ```
 */
export type ChartSpec = TopLevelSpec;

/** The font every chart uses: DejaVu Sans is on every Debian and what librsvg rasterises with. */
export const CHART_FONT = 'DejaVu Sans';

/**
 * A vega loader that refuses everything: charts render offline, from inline data only. Vega logs a failed load
 * and carries on with empty data, so refusals are also recorded and turned into an error after rendering.
 */
function offlineLoader(refused: string[]): vega.Loader {
  const refuse = async (uri: string): Promise<never> => {
    refused.push(uri);
    throw new OptikError('ARGUMENT_INVALID', `Charts render offline; refusing to load ${uri}.`, {
      hint: 'Put the data inline with data: { values: [...] }.',
    });
  };
  return { load: refuse, sanitize: refuse, http: refuse, file: refuse };
}

/**
 * Renders a vega-lite spec to an SVG string, headless and offline (no canvas, no network).
 *
 * @example
 * ```ts
 * const svg = await renderSvg(learningCurvesChart(rows));
 * await writeFile('curves.svg', svg);
 * ```
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  let runtime: vega.Runtime;
  try {
    runtime = vega.parse(compile(spec, { config: { font: CHART_FONT } }).spec);
  } catch (error) {
    throw new OptikError(
      'ARGUMENT_INVALID',
      `Invalid chart specification: ${(error as Error).message}`,
      {
        hint: 'Check the vega-lite spec (field names, mark type, encodings).',
      },
      { cause: error },
    );
  }
  const refused: string[] = [];
  const view = new vega.View(runtime, { renderer: 'none', loader: offlineLoader(refused), logLevel: vega.None });
  try {
    const svg = await view.toSVG();
    if (refused.length > 0) {
      throw new OptikError('ARGUMENT_INVALID', `Charts render offline; the spec asked to load ${refused.join(', ')}.`, {
        hint: 'Put the data inline with data: { values: [...] }.',
      });
    }
    return svg;
  } finally {
    view.finalize();
  }
}

const PngSchema = z.strictObject({
  /** Pixel density multiplier: 2 renders at twice the SVG's size. */
  scale: z.number().gt(0).max(8).default(1),
});

/**
 * Options of {@link renderPng} and {@link svgToPng}.
 *
 * @example
 * ```ts
 * const options: PngOptions = { scale: 2 };
 * ```
 */
export type PngOptions = z.input<typeof PngSchema>;

/**
 * Rasterises an SVG string to PNG with sharp (librsvg), optionally at a higher pixel density.
 *
 * @example
 * ```ts
 * const png = await svgToPng(await renderSvg(spec), { scale: 2 });
 * ```
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const { scale } = parseOrThrow(PngSchema, options, { what: 'PNG options' });
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .png()
    .toBuffer();
}

/**
 * Renders a vega-lite spec to PNG bytes: {@link renderSvg}, then {@link svgToPng}.
 *
 * @example
 * ```ts
 * await writeFile(join(runDir, 'learning-curves.png'), await renderPng(learningCurvesChart(rows)));
 * ```
 */
export async function renderPng(spec: ChartSpec, options: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), options);
}
