export type { BackendCandidate, BackendChoice, BackendName, InitBackendOptions } from './backends.js';
export { BACKEND_NAMES, ensureBackend, initBackend, nvidiaDriverVisible, probeBackends } from './backends.js';
export type { ReferenceBenchOptions, ReferenceBenchResult } from './bench.js';
export { benchmarkReferenceCnn, buildReferenceCnn } from './bench.js';
export type { FusedAdamOptimizer, FusedMomentumOptimizer } from './internal/fused-optimizers.js';
export { fusedAdam, fusedMomentum } from './internal/fused-optimizers.js';
/** Every kernel Optik registers on top of tfjs (see `optik doctor`). @example `listOptikKernels().length` */
export { listOptikKernels } from './internal/register.js';
