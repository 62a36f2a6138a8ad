// The browser entry (the `browser` export condition): everything of the main entry that runs in a page. Backend
// choice is the browser's own (webgl, wasm, cpu); the Node-only probes of native packages and threads stay out.

/**
 * The reference CNN benchmark (see the main entry).
 *
 * @example
 * ```ts
 * const result = await benchmarkReferenceCnn();
 * ```
 */
export type { ReferenceBenchOptions, ReferenceBenchResult } from './bench.js';
export { benchmarkReferenceCnn, buildReferenceCnn } from './bench.js';
/**
 * Types of the browser backend choice.
 *
 * @example
 * ```ts
 * const { name } = await initBackend(); // name: one of BACKEND_NAMES
 * ```
 */
export type {
  BrowserBackendCandidate,
  BrowserBackendChoice,
  BrowserBackendName,
  InitBrowserBackendOptions,
} from './internal/browser-backends.js';
/**
 * The browser's backends best first, and the functions that pick one: `initBackend` (webgl → wasm → cpu, or
 * `prefer`), `ensureBackend` (what the trainer calls: the prepared one, or the best now). Named as in the Node entry,
 * so `@optik/train` runs unchanged in a page.
 *
 * @example
 * ```ts
 * const { name } = await initBackend();    // 'webgl' on most machines
 * ```
 */
export {
  BROWSER_BACKEND_NAMES as BACKEND_NAMES,
  ensureBrowserBackend as ensureBackend,
  initBrowserBackend as initBackend,
} from './internal/browser-backends.js';
/**
 * Optik's fused optimizers (see the main entry).
 *
 * @example
 * ```ts
 * const optimizer = fusedAdam(1e-3);
 * ```
 */
export type { FusedAdamOptimizer, FusedMomentumOptimizer } from './internal/fused-optimizers.js';
export { fusedAdam, fusedMomentum } from './internal/fused-optimizers.js';
/** Every kernel Optik registers on top of tfjs. @example `listOptikKernels().length` */
export { listOptikKernels } from './internal/register.js';
