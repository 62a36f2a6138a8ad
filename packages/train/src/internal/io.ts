import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isOptikError, OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

function toArrayBuffer(data: tf.io.WeightData): ArrayBuffer {
  return tf.io.CompositeArrayBuffer.join(data);
}

const errnoOf = (cause: unknown): string | undefined =>
  cause !== null && typeof cause === 'object' && typeof (cause as { code?: unknown }).code === 'string'
    ? (cause as { code: string }).code
    : undefined;

/**
 * The coded error for a failed write of model or checkpoint files: `DISK_FULL` for ENOSPC/EDQUOT (the real
 * cause, with the fix), else `TRAIN_FAILED` naming the file and the system's reason. OptikErrors pass through.
 */
export function writeError(cause: unknown, path: string, what: string): OptikError {
  if (isOptikError(cause)) return cause;
  const code = errnoOf(cause);
  const text = cause instanceof Error ? cause.message : String(cause);
  const reason = code === undefined || text.startsWith(code) ? text : `${code}: ${text}`;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new OptikError(
      'DISK_FULL',
      `No space left on the disk while ${what} (${path}). Cause: ${reason}. The partial files were removed; the previous checkpoint is intact.`,
      {
        file: path,
        hint: 'Free disk space (or move output.root to a disk with room), then continue with `optik train --resume <run>`.',
      },
      { cause },
    );
  }
  return new OptikError(
    'TRAIN_FAILED',
    `Could not write ${path} while ${what}. Cause: ${reason}.`,
    { file: path, hint: 'Check that the folder exists and is writable.' },
    { cause },
  );
}

/**
 * Writes a file through a temporary name and a rename, so a crash never leaves half a file behind; a failed write
 * (full disk) removes the temporary file and throws {@link writeError}'s coded error.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw writeError(cause, path, 'saving model files');
  }
}

/** Bytes per element of a weight as stored (its quantized dtype when quantized). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function expectedBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const bytes = DTYPE_BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (bytes === undefined) return undefined;
    total += spec.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

/**
 * Checks that a binary weights file holds exactly the bytes its specs describe: a truncated or padded file is
 * `CHECKPOINT_CORRUPT`, naming the file, the sizes and the fix (tfjs would fail later with an uncoded error).
 */
export function checkWeightBytes(
  file: string,
  byteLength: number,
  specs: readonly tf.io.WeightsManifestEntry[],
  described: string,
): void {
  const expected = expectedBytes(specs);
  if (expected === undefined || expected === byteLength) return;
  throw new OptikError(
    'CHECKPOINT_CORRUPT',
    `${file} holds ${byteLength} bytes, but ${described} describes ${expected}: the file is ${byteLength < expected ? 'truncated' : 'damaged'} (a full disk, or a copy that did not finish).`,
    { file, hint: corruptHint(file) },
  );
}

/** How to get past a damaged checkpoint or model folder. */
export function corruptHint(file: string): string {
  return `Restore the folder ${dirname(file)} from a backup or copy it again; a run can resume from its other checkpoint (weights/last or weights/best) or be trained again.`;
}

/**
 * A tfjs IOHandler over a folder with node:fs: `save` writes `model.json` + `weights.bin` exactly as
 * `tf.loadLayersModel` expects them over HTTP in a browser; `load` reads them back. No tfjs-node needed.
 */
export function fileSystemIO(dir: string): Required<Pick<tf.io.IOHandler, 'save' | 'load'>> {
  const folder = resolve(dir);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const topology = artifacts.modelTopology;
      if (topology === undefined || topology instanceof ArrayBuffer) {
        throw new OptikError('MODEL_INVALID', 'Only LayersModel (JSON topology) artifacts can be saved to a folder.', {
          file: folder,
        });
      }
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : toArrayBuffer(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [
        { paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] },
      ];
      // The same fields, in the same shape, as tfjs' own http/browser save handlers write.
      const modelJson: tf.io.ModelJSON = {
        modelTopology: topology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: manifest,
        ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
        ...(artifacts.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: artifacts.userDefinedMetadata }),
      };
      writeFileAtomic(join(folder, WEIGHTS_FILE), new Uint8Array(weights));
      writeFileAtomic(join(folder, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelPath = join(folder, MODEL_FILE);
      let text: string;
      try {
        text = readFileSync(modelPath, 'utf8');
      } catch (error) {
        throw new OptikError(
          'DATA_NOT_FOUND',
          `Cannot read a tfjs model from ${modelPath}.`,
          {
            file: modelPath,
            hint: 'Point at a folder written by saveModel (model.json + weights.bin).',
          },
          { cause: error },
        );
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text) as tf.io.ModelJSON;
      } catch (error) {
        throw new OptikError(
          'CHECKPOINT_CORRUPT',
          `${modelPath} is not valid JSON (${(error as Error).message}): the file is truncated or damaged.`,
          { file: modelPath, hint: corruptHint(modelPath) },
          { cause: error },
        );
      }
      if (
        modelJson === null ||
        typeof modelJson !== 'object' ||
        modelJson.modelTopology === undefined ||
        !Array.isArray(modelJson.weightsManifest)
      ) {
        throw new OptikError(
          'CHECKPOINT_CORRUPT',
          `${modelPath} is not a tfjs layers model (no modelTopology or weightsManifest).`,
          { file: modelPath, hint: corruptHint(modelPath) },
        );
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const file = join(folder, path);
            let bytes: Buffer;
            try {
              bytes = readFileSync(file);
            } catch (error) {
              throw new OptikError(
                'CHECKPOINT_CORRUPT',
                `${file}, named in ${modelPath}, cannot be read (${errnoOf(error) ?? (error as Error).message}).`,
                { file, hint: corruptHint(file) },
                { cause: error },
              );
            }
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        const data = tf.io.concatenateArrayBuffers(buffers);
        const files = manifest.flatMap((group) => group.paths.map((path) => join(folder, path)));
        checkWeightBytes(files.length === 1 ? (files[0] as string) : folder, data.byteLength, specs, modelPath);
        return [specs, data];
      });
    },
  };
}

/** Saves a LayersModel as `model.json` + `weights.bin` in `dir` (created if needed). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemIO(dir));
}

/**
 * Loads a LayersModel saved by {@link saveModel} (or by any tfjs tool in the layers-model format). A damaged
 * folder (truncated weights.bin, invalid model.json) is `CHECKPOINT_CORRUPT`, naming the file and the fix.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(fileSystemIO(dir));
  } catch (error) {
    if (isOptikError(error)) throw error;
    const modelPath = join(resolve(dir), MODEL_FILE);
    throw new OptikError(
      'CHECKPOINT_CORRUPT',
      `The model in ${modelPath} cannot be rebuilt: ${(error as Error).message}`,
      { file: modelPath, hint: corruptHint(modelPath) },
      { cause: error },
    );
  }
}
