import type * as tf from '@tensorflow/tfjs';
import { presetLayers } from './presets.js';
import type { LayerConfig, PresetName } from './schema.js';
import { formatSummary, type ModelSummary, summarizeModel } from './summary.js';

/**
 * Disposes a LayersModel and all its weights. `model.dispose()` alone leaves the weights of a layer called several
 * times (a head shared by pyramid levels) behind, because tfjs counts one reference per call; this releases the
 * remaining ones. Use it for zoo models and for models loaded with `tf.loadLayersModel`.
 */
export function disposeModel(model: tf.LayersModel): void {
  const shared = model.layers
    .map((layer) => ({ layer, extra: layer.inboundNodes.length - 1 }))
    .filter((s) => s.extra > 0);
  if (model.dispose().refCountAfterDispose !== 0) return;
  for (const { layer, extra } of shared) for (let i = 0; i < extra; i++) layer.dispose();
}

/** What a zoo model's resolved config holds of its backbone. */
interface BackboneFields {
  readonly preset?: PresetName | undefined;
  readonly layers?: LayerConfig[] | undefined;
  readonly dropout?: number | undefined;
}

/**
 * What every zoo model shares: the built tfjs model, the resolved config and its round trip, the summary and
 * `dispose`.
 */
export abstract class ZooModel<C> {
  /** The tfjs LayersModel (functional API; only built-in layers, so it loads anywhere tfjs runs). */
  abstract readonly model: tf.LayersModel;
  protected readonly config: C;

  protected constructor(config: C) {
    this.config = config;
  }

  /** The fully resolved config (defaults filled in); `fromConfig(toConfig())` rebuilds the same model. */
  toConfig(): C {
    return structuredClone(this.config);
  }

  /** Layers, output shapes and parameter counts as JSON. */
  summary(): ModelSummary {
    return summarizeModel(this.model);
  }

  /** The summary as a Keras-style text table. */
  summaryText(): string {
    return formatSummary(this.summary());
  }

  /** Frees the model's weights. */
  dispose(): void {
    disposeModel(this.model);
  }
}

/** A zoo model made of a backbone (a preset or explicit body layers) plus the heads of its task. */
export abstract class BackboneModel<C extends BackboneFields> extends ZooModel<C> {
  protected constructor(
    config: C,
    private readonly defaultPreset: PresetName,
  ) {
    super(config);
  }

  /** The body layers (a preset expanded), heads excluded. */
  bodyLayers(): LayerConfig[] {
    if (this.config.layers !== undefined) return structuredClone(this.config.layers);
    return presetLayers(this.config.preset ?? this.defaultPreset, this.config.dropout);
  }
}
