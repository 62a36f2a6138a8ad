import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/**
 * Runs tfjs's multi-threaded wasm build (`tfjs-backend-wasm-threaded-simd.wasm`: XNNPACK on a pthread pool) in
 * Node, which upstream disables there (tensorflow/tfjs#3830). Three things stand in its way, each worked around:
 *
 * 1. The multithread flag is hard-wired to false in Node → we instantiate the threaded Emscripten module ourselves
 *    and register it as the `wasm` backend.
 * 2. Emscripten's pthread workers are started from a Blob URL, which Node's `worker_threads` cannot load → the
 *    worker script (shipped inside the package as a string) is written once to the temp folder and loaded by path.
 * 3. The C++ side caps threads at `logical cores / 2` (assuming hyper-threading), so 1 on a 2-core machine → the
 *    core count Emscripten reads (`os.cpus()`) is doubled while the module initialises.
 *
 * Idle pthread workers are unref'd so they never keep the process alive.
 */

interface EmscriptenThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: unknown;
}
type Factory = (config: Record<string, unknown>) => Promise<EmscriptenThreadedModule>;
interface BackendFactoryEntry {
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>;
  priority: number;
}

const require = createRequire(import.meta.url);

/** Writes the pthread worker script (idempotent: named by content hash; written atomically). */
function workerScriptPath(wasmOut: string): string {
  const { wasmWorkerContents } = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes newlines the same way before making its Blob: the template literal unescaped them.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 16);
  const path = join(os.tmpdir(), `optik-tfjs-wasm-pthread-${hash}.cjs`);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, script);
    renameSync(partial, path);
  }
  return path;
}

async function createThreadedBackend(threads: number): Promise<tf.KernelBackend> {
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const factoryPath = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(factoryPath) as Factory;
  const worker = workerScriptPath(wasmOut);
  const realCpus = os.cpus;
  os.cpus = () => {
    const cpus = realCpus();
    return [...cpus, ...cpus];
  };
  let module: EmscriptenThreadedModule;
  try {
    module = await factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? worker : join(wasmOut, path)),
      mainScriptUrlOrBlob: factoryPath,
    });
  } finally {
    os.cpus = realCpus;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmPackage.setThreadsCount(threads);
  const backend = new wasmPackage.BackendWasm(module as never);
  for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref();
  return backend;
}

/** What {@link useThreadedWasm} did. */
export interface ThreadedWasmStatus {
  readonly threads: number;
  readonly reason: string;
}

let installed: ThreadedWasmStatus | undefined;

/**
 * Makes the next `tf.setBackend('wasm')` start tfjs's threaded wasm build with `threads` threads, falling back to
 * the stock single-threaded build if it fails to start. No effect (returns the reason) when the wasm backend is
 * already initialised, since replacing it would drop its tensors.
 */
export function useThreadedWasm(threads: number): ThreadedWasmStatus {
  if (installed !== undefined) return installed;
  if (threads <= 1) return { threads: 1, reason: 'one thread requested' };
  if (typeof SharedArrayBuffer === 'undefined') return { threads: 1, reason: 'no SharedArrayBuffer' };
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, BackendFactoryEntry | undefined>;
  };
  if (engine.registry.wasm !== undefined) return { threads: 1, reason: 'wasm backend already initialised' };
  const stock = engine.registryFactory.wasm;
  if (stock === undefined) return { threads: 1, reason: '@tensorflow/tfjs-backend-wasm is not loaded' };
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await createThreadedBackend(threads);
      } catch (error) {
        process.stderr.write(
          `optik: the threaded wasm build failed to start (${error instanceof Error ? error.message : String(error)}); using one thread\n`,
        );
        return stock.factory();
      }
    },
    stock.priority,
  );
  installed = { threads, reason: `threaded SIMD build, ${threads} threads` };
  return installed;
}
