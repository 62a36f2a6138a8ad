export type { BackendCandidate, BackendChoice, BackendName, InitBackendOptions } from './backends.js';
export { BACKEND_NAMES, initBackend, nvidiaDriverVisible, probeBackends } from './backends.js';
