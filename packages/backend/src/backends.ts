import { createRequire } from 'node:module';
import os from 'node:os';
import { OptikError, readEnv } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { createSimdKernelPool } from './internal/kernel-pool.js';
import { registerOptikKernels } from './internal/register.js';
import { setSimdKernelPoolFactory } from './internal/wasm/kernels.js';
import { useThreadedWasm } from './internal/wasm-threads.js';

/** The backends Optik can run on, best first. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What {@link probeBackends} found out about one candidate. */
export interface BackendCandidate {
  readonly name: BackendName;
  /** Whether it can be used on this machine. */
  readonly available: boolean;
  /** Why it is (not) available: the package, the error it threw, or the fact checked. */
  readonly reason: string;
  /** The npm package that provides it. */
  readonly package: string;
}

/** The backend {@link initBackend} chose and why. */
export interface BackendChoice {
  readonly name: BackendName;
  readonly reason: string;
  /** Every candidate that was tried, in order, with why it was or wasn't taken. */
  readonly candidates: readonly BackendCandidate[];
  /** True when the GPU package loaded but no GPU is usable, so it runs on the CPU. */
  readonly gpuPackageOnCpu: boolean;
}

const PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const require = createRequire(import.meta.url);

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
  // Native-addon errors name a long store path; the package name is already in the reason.
  return line.replace(/ at path: \S+/, '').slice(0, 200);
}

/** Loads a native tfjs package; it registers the `tensorflow` backend on import. */
function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): BackendCandidate {
  const pkg = PACKAGES[name];
  try {
    require.resolve(pkg);
  } catch {
    return { name, available: false, reason: `${pkg} is not installed (add it to use this backend)`, package: pkg };
  }
  try {
    require(pkg);
    return { name, available: true, reason: `${pkg} loaded`, package: pkg };
  } catch (error) {
    return {
      name,
      available: false,
      reason: `${pkg} is installed but failed to load: ${firstLine(error)} (its libtensorflow download or build failed)`,
      package: pkg,
    };
  }
}

/** Whether an NVIDIA driver is visible; tfjs-node-gpu silently runs on the CPU without one. */
export function nvidiaDriverVisible(): boolean {
  try {
    const fs = require('node:fs') as typeof import('node:fs');
    return fs.existsSync('/proc/driver/nvidia/version');
  } catch {
    return false;
  }
}

let wasmLoaded: Promise<BackendCandidate> | undefined;
function loadWasm(): Promise<BackendCandidate> {
  wasmLoaded ??= import('@tensorflow/tfjs-backend-wasm').then(
    () => ({ name: 'wasm', available: true, reason: 'ships inside npm (WebAssembly SIMD)', package: PACKAGES.wasm }),
    (error: unknown) => ({
      name: 'wasm',
      available: false,
      reason: `failed to load: ${firstLine(error)}`,
      package: PACKAGES.wasm,
    }),
  );
  return wasmLoaded;
}

/**
 * Checks every candidate backend without switching to any: installed, loadable, and why not.
 * `optik doctor` prints this.
 *
 * @example
 * ```ts
 * for (const c of await probeBackends()) console.log(c.name, c.available, c.reason);
 * ```
 */
export async function probeBackends(): Promise<BackendCandidate[]> {
  const gpu = loadNative('tensorflow-gpu');
  // Both native packages register the same `tensorflow` backend; load the CPU one only if the GPU one failed.
  const native: BackendCandidate = gpu.available
    ? {
        name: 'tensorflow',
        available: true,
        reason: `provided by ${PACKAGES['tensorflow-gpu']}`,
        package: PACKAGES.tensorflow,
      }
    : loadNative('tensorflow');
  const wasm = await loadWasm();
  const cpu: BackendCandidate = {
    name: 'cpu',
    available: true,
    reason: 'pure JavaScript, always available',
    package: PACKAGES.cpu,
  };
  if (gpu.available && !nvidiaDriverVisible()) {
    return [
      { ...gpu, reason: `${gpu.reason}, but no NVIDIA driver is visible: it would run on the CPU` },
      native,
      wasm,
      cpu,
    ];
  }
  return [gpu, native, wasm, cpu];
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Use this backend (or fail). Overrides `OPTIK_BACKEND`. Default: the best available. */
  readonly prefer?: BackendName | undefined;
  /** Print the one-line choice on stderr. Default true. */
  readonly log?: boolean;
  /**
   * Threads for the wasm backend's XNNPACK kernels: Optik starts tfjs's threaded build in Node, which upstream
   * does not. `1` keeps the single-threaded build. Default: `OPTIK_THREADS` or the number of cores.
   */
  readonly threads?: number;
}

/**
 * Picks, loads and prepares the best TensorFlow.js backend: `tensorflow-gpu` (tfjs-node-gpu), `tensorflow`
 * (tfjs-node), `wasm`, then `cpu`. `prefer` or the `OPTIK_BACKEND` variable forces one. On `wasm` it registers
 * Optik's training kernels, so convolutional models train there. Prints one short line on stderr naming the backend
 * and the better ones that are not usable; the returned `reason` (and `optik doctor`) says why.
 *
 * @example
 * ```ts
 * const { name, reason } = await initBackend();            // best available
 * await initBackend({ prefer: 'wasm' });                    // or force one
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const requested = options.prefer ?? readEnv().OPTIK_BACKEND;
  const candidates = await probeBackends();
  const byName = new Map(candidates.map((c) => [c.name, c]));
  let chosen: BackendCandidate | undefined;
  if (requested !== undefined) {
    if (!(BACKEND_NAMES as readonly string[]).includes(requested)) {
      throw new OptikError('BACKEND_UNKNOWN', `Unknown backend "${requested}".`, {
        received: requested,
        hint: `Use one of ${BACKEND_NAMES.join(', ')}.`,
      });
    }
    chosen = byName.get(requested);
    if (!chosen?.available) {
      throw new OptikError(
        'BACKEND_UNAVAILABLE',
        `Backend "${requested}" was requested but is not available: ${chosen?.reason}.`,
        {
          hint: 'Drop --backend/OPTIK_BACKEND to use the best available one, or run `optik doctor` to see why.',
        },
      );
    }
  } else {
    chosen = candidates.find((c) => c.available && !(c.name === 'tensorflow-gpu' && !nvidiaDriverVisible()));
    chosen ??= candidates.find((c) => c.available);
  }
  if (chosen === undefined) throw new OptikError('BACKEND_UNAVAILABLE', 'No TensorFlow.js backend could be loaded.');

  const tfName = chosen.name === 'tensorflow-gpu' ? 'tensorflow' : chosen.name;
  registerOptikKernels();
  let detail = '';
  let threadCount: number | undefined;
  if (chosen.name === 'wasm') {
    // XNNPACK on every core: upstream disables the threaded build in Node; Optik starts it (see wasm-threads.ts).
    const threads = options.threads ?? readEnv().OPTIK_THREADS ?? os.availableParallelism();
    const threaded = useThreadedWasm(threads);
    detail = `; ${threaded.threads === 1 ? `single-threaded (${threaded.reason})` : threaded.reason}`;
    threadCount = threaded.threads;
    // Optik's own partitioned SIMD kernels (the filter gradient) on as many threads (see kernel-pool.ts).
    setSimdKernelPoolFactory(
      threaded.threads > 1
        ? (memory, bytes, local) => createSimdKernelPool(memory, bytes, local, threaded.threads)
        : undefined,
    );
    if (threaded.threads === 1) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setThreadsCount(1);
    }
  }
  const ok = await tf.setBackend(tfName);
  if (!ok) {
    throw new OptikError('BACKEND_UNAVAILABLE', `TensorFlow.js could not initialise the "${chosen.name}" backend.`, {
      hint: 'Run `optik doctor` for details, or force another with --backend.',
    });
  }
  await tf.ready();
  silenceNodeBackendHint();
  const gpuPackageOnCpu = chosen.name === 'tensorflow-gpu' && !nvidiaDriverVisible();
  const passedOver = candidates.slice(0, candidates.indexOf(chosen));
  const skipped = passedOver.map((c) => `${c.name}: ${c.reason}`).join('; ');
  const reason =
    (requested !== undefined
      ? `requested`
      : skipped === ''
        ? chosen.reason
        : `${chosen.reason}; not better ones — ${skipped}`) + detail;
  if (options.log ?? true) {
    // One short line; the reasons (often a long native-addon error) are in `reason` and in `optik doctor`.
    const notes = [
      ...(requested === undefined ? [] : ['requested']),
      ...(threadCount === undefined ? [] : [`${threadCount} thread${threadCount === 1 ? '' : 's'}`]),
      ...(requested !== undefined || passedOver.length === 0
        ? []
        : [`${passedOver.map((c) => c.name).join(', ')} not usable here: optik doctor says why`]),
    ];
    process.stderr.write(`optik: backend ${chosen.name}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}\n`);
    if (gpuPackageOnCpu) {
      process.stderr.write(
        'optik: WARNING: @tensorflow/tfjs-node-gpu is installed but no GPU is visible: running on the CPU.\n',
      );
    }
  }
  prepared = { name: chosen.name, reason, candidates, gpuPackageOnCpu };
  return prepared;
}

/** The choice of the last {@link initBackend} in this process. */
let prepared: BackendChoice | undefined;

/**
 * The backend {@link initBackend} prepared in this process, preparing the best one now if nothing did — what
 * training entry points (the Trainer, the pipelines) call, so that forgetting `initBackend()` never silently trains
 * on tfjs's pure-JavaScript cpu backend (~200× slower than Optik's wasm kernels). To train on cpu on purpose, call
 * `initBackend({ prefer: 'cpu' })` first.
 *
 * @example
 * ```ts
 * const { name } = await ensureBackend(); // 'wasm' here unless initBackend chose another
 * ```
 */
export async function ensureBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  return prepared ?? initBackend(options);
}

/** tfjs-backend-cpu prints a banner urging tfjs-node on first use; Optik already said which backend runs and why. */
function silenceNodeBackendHint(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu !== null && 'firstUse' in cpu) cpu.firstUse = false;
}
