import type * as tf from '@tensorflow/tfjs';

/** One row of a model summary. */
export interface LayerSummary {
  readonly name: string;
  readonly className: string;
  /** Output shape without the batch axis, e.g. `[26, 26, 32]`. */
  readonly outputShape: number[];
  readonly params: number;
  readonly trainableParams: number;
}

/** A model's layers with output shapes and parameter counts, as JSON. */
export interface ModelSummary {
  readonly name: string;
  readonly inputShape: number[];
  readonly outputShape: number[];
  readonly layers: LayerSummary[];
  readonly totalParams: number;
  readonly trainableParams: number;
  readonly nonTrainableParams: number;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function withoutBatch(shape: tf.Shape | tf.Shape[]): number[] {
  const first = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
  return first.slice(1).map((d) => d ?? -1);
}

/**
 * A layer's output shape; a layer called on several inputs (a detector head shared by the pyramid levels) shows -1
 * where the calls differ, since tfjs refuses `outputShape` for it.
 */
function layerOutputShape(layer: tf.layers.Layer): number[] {
  const calls = layer.inboundNodes.map((node) => withoutBatch(node.outputShapes));
  const [first, ...rest] = calls;
  if (first === undefined) return withoutBatch(layer.outputShape);
  return first.map((d, i) => (rest.every((shape) => shape[i] === d) ? d : -1));
}

export function summarizeModel(model: tf.LayersModel): ModelSummary {
  const layers = model.layers.map((layer): LayerSummary => {
    const trainableParams = layer.trainableWeights.reduce((sum, w) => sum + size(w.shape as number[]), 0);
    return {
      name: layer.name,
      className: layer.getClassName(),
      outputShape: layerOutputShape(layer),
      params: layer.countParams(),
      trainableParams,
    };
  });
  const totalParams = layers.reduce((sum, l) => sum + l.params, 0);
  const trainableParams = layers.reduce((sum, l) => sum + l.trainableParams, 0);
  return {
    name: model.name,
    inputShape: withoutBatch(model.inputs.map((i) => i.shape)),
    outputShape: withoutBatch(model.outputs.map((o) => o.shape)),
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
  };
}

const group = (n: number): string => n.toLocaleString('en-US');

export function formatSummary(summary: ModelSummary): string {
  const rows = summary.layers.map((l) => [
    `${l.name} (${l.className})`,
    `[${l.outputShape.join(', ')}]`,
    group(l.params),
  ]);
  const header = ['Layer (type)', 'Output shape', 'Params'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 2 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 4);
  return [
    `Model: ${summary.name}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${group(summary.totalParams)}`,
    `Trainable params: ${group(summary.trainableParams)}`,
    `Non-trainable params: ${group(summary.nonTrainableParams)}`,
  ].join('\n');
}
