import { Worker } from 'node:worker_threads';
import { OptikError } from '@optik/core';
import type { OptikSimdKernels, PartitionedKernel, SimdKernelPool } from './wasm/kernels.js';
import type { WasmMemoryLike } from './wasm-heap.js';

/**
 * Node's pool for Optik's partitioned SIMD kernels: `parts − 1` worker threads, each with its own instance of the
 * kernels on tfjs's shared memory, woken through `Atomics` on a small control block (no messages per call). The
 * calling thread does part 0 and then blocks until the workers are done — tfjs kernels are synchronous, and Node
 * allows `Atomics.wait` on its main thread (browsers do not: no pool there). Workers are unref'd, so an idle pool
 * never keeps the process alive.
 */

const KERNELS: readonly PartitionedKernel[] = ['filterGradTiled'];

// Control block (Int32): the call counter the workers wait on, parts done, a failure flag, workers ready, then the
// kernel's index, its argument count and its arguments.
const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const READY = 3;
const KERNEL = 4;
const COUNT = 5;
const ARGS = 6;
const MAX_ARGS = 32;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { bytes, memory, control, part, parts, names } = workerData;
const ctl = new Int32Array(control);
const kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
Atomics.add(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  try {
    const args = Array.from(ctl.subarray(${ARGS}, ${ARGS} + ctl[${COUNT}]));
    kernels[names[ctl[${KERNEL}]]](...args, part, parts);
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
  }
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

/** How long the first call waits for the workers to start (they run its parts here until they have). */
const WORKER_START_MS = 5_000;

/** How long the calling thread waits for a worker's part before giving up with an error. */
const WORKER_TIMEOUT_MS = 60_000;

/** A pool of `parts` threads (this one included) for one tfjs memory; `undefined` when `parts` < 2. */
export function createSimdKernelPool(
  memory: WasmMemoryLike,
  bytes: Uint8Array,
  local: OptikSimdKernels,
  parts: number,
): SimdKernelPool | undefined {
  if (parts < 2) return undefined;
  const control = new SharedArrayBuffer((ARGS + MAX_ARGS) * 4);
  const ctl = new Int32Array(control);
  for (let part = 1; part < parts; part++) {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bytes, memory, control, part, parts, names: KERNELS },
    });
    worker.unref();
  }
  // Worker threads start on their own (no event-loop turn needed here): wait for their instances, briefly.
  const deadline = Date.now() + WORKER_START_MS;
  for (let ready = Atomics.load(ctl, READY); ready < parts - 1 && Date.now() < deadline; ) {
    Atomics.wait(ctl, READY, ready, Math.max(1, deadline - Date.now()));
    ready = Atomics.load(ctl, READY);
  }
  return {
    parts,
    run(kernel, args) {
      const own = local[kernel] as (...a: number[]) => void;
      // Until every worker has its instance, the parts run here, in order.
      if (Atomics.load(ctl, READY) < parts - 1 || args.length > MAX_ARGS) {
        for (let part = 0; part < parts; part++) own(...args, part, parts);
        return;
      }
      ctl[KERNEL] = KERNELS.indexOf(kernel);
      ctl[COUNT] = args.length;
      ctl.set(args, ARGS);
      Atomics.store(ctl, DONE, 0);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      own(...args, 0, parts);
      for (;;) {
        const done = Atomics.load(ctl, DONE);
        if (done >= parts - 1) break;
        if (Atomics.wait(ctl, DONE, done, WORKER_TIMEOUT_MS) === 'timed-out') {
          throw poolError(`a worker thread did not finish its part of ${kernel} within ${WORKER_TIMEOUT_MS / 1000} s`);
        }
      }
      if (Atomics.exchange(ctl, FAILED, 0) !== 0) throw poolError(`a worker thread failed in ${kernel}`);
    },
  };
}

function poolError(what: string): OptikError {
  return new OptikError('INTERNAL', `Optik's wasm kernel threads: ${what}.`, {
    hint: 'Run with OPTIK_THREADS=1 to train on one thread, and report this with the output of `optik doctor`.',
  });
}
