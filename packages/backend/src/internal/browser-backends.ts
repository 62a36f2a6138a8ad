import { OptikError } from '@optik/core';
import * as tf from '@tensorflow/tfjs';
import { registerOptikKernels } from './register.js';

/** The backends a browser offers, best first: WebGL on the GPU, WebAssembly, plain JavaScript. */
export const BROWSER_BACKEND_NAMES = ['webgl', 'wasm', 'cpu'] as const;
/** One of {@link BROWSER_BACKEND_NAMES}. */
export type BrowserBackendName = (typeof BROWSER_BACKEND_NAMES)[number];

/** What {@link probeBrowserBackends} found out about one candidate. */
export interface BrowserBackendCandidate {
  readonly name: BrowserBackendName;
  readonly available: boolean;
  readonly reason: string;
}

/** The backend {@link initBrowserBackend} chose, and every candidate it tried. */
export interface BrowserBackendChoice {
  readonly name: BrowserBackendName;
  readonly reason: string;
  readonly candidates: readonly BrowserBackendCandidate[];
}

/** Options of {@link initBrowserBackend}. */
export interface InitBrowserBackendOptions {
  /** Use this backend (or fail). Default: the best that initialises. */
  readonly prefer?: BrowserBackendName | undefined;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? text).slice(0, 200);
}

let wasmImported: Promise<unknown> | undefined;
/** Imports the wasm backend (it registers its kernels on import), so Optik's kernels replace its stock ones after. */
function importWasm(): Promise<unknown> {
  wasmImported ??= import('@tensorflow/tfjs-backend-wasm').catch((error: unknown) => error);
  return wasmImported;
}

/**
 * The WebGL renderer when it is a software rasteriser (SwiftShader, llvmpipe): then tfjs's webgl backend runs on the
 * CPU through an emulated GPU, some 10× slower than wasm, so the automatic choice passes it over.
 */
function softwareWebgl(): string | undefined {
  // The package compiles without the DOM library: the few canvas and WebGL members used here, typed by hand.
  interface GlLike {
    readonly RENDERER: number;
    getExtension(name: 'WEBGL_debug_renderer_info'): { readonly UNMASKED_RENDERER_WEBGL: number } | null;
    getParameter(name: number): unknown;
  }
  interface CanvasLike {
    getContext(kind: 'webgl2' | 'webgl'): GlLike | null;
  }
  const page = globalThis as unknown as {
    OffscreenCanvas?: new (width: number, height: number) => CanvasLike;
    document?: { createElement(tag: 'canvas'): CanvasLike };
  };
  try {
    const canvas =
      page.OffscreenCanvas !== undefined ? new page.OffscreenCanvas(1, 1) : page.document?.createElement('canvas');
    const gl = canvas?.getContext('webgl2') ?? canvas?.getContext('webgl') ?? null;
    if (gl === null) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL));
    return /swiftshader|llvmpipe|software/i.test(renderer) ? renderer : undefined;
  } catch {
    return undefined;
  }
}

/** Registers the candidate with tfjs (wasm is imported on demand) and says whether it can be used here. */
async function tryBackend(name: BrowserBackendName): Promise<BrowserBackendCandidate> {
  try {
    if (name === 'webgl' && !('document' in globalThis) && !('OffscreenCanvas' in globalThis)) {
      return { name, available: false, reason: 'no canvas in this environment' };
    }
    if (tf.findBackendFactory(name) === null) {
      return { name, available: false, reason: 'not registered with this TensorFlow.js build' };
    }
    const ok = await tf.setBackend(name);
    if (!ok) return { name, available: false, reason: 'failed to initialise (no WebGL context, or no WebAssembly)' };
    await tf.ready();
    return { name, available: true, reason: name === 'cpu' ? 'pure JavaScript, always available' : 'initialised' };
  } catch (error) {
    return { name, available: false, reason: `failed to initialise: ${firstLine(error)}` };
  }
}

let prepared: BrowserBackendChoice | undefined;

/**
 * Picks and prepares the best backend a browser offers (webgl, then wasm, then cpu) and registers Optik's
 * kernels, so the trainer's convolutions train on wasm too. On wasm the page must serve tfjs's `.wasm` files
 * (`setWasmPaths` from `@tensorflow/tfjs-backend-wasm`) before this is called.
 */
export async function initBrowserBackend(options: InitBrowserBackendOptions = {}): Promise<BrowserBackendChoice> {
  const requested = options.prefer;
  if (requested !== undefined && !(BROWSER_BACKEND_NAMES as readonly string[]).includes(requested)) {
    throw new OptikError('BACKEND_UNKNOWN', `Unknown browser backend "${String(requested)}".`, {
      received: requested,
      hint: `Use one of ${BROWSER_BACKEND_NAMES.join(', ')}.`,
    });
  }
  const order = requested === undefined ? BROWSER_BACKEND_NAMES : [requested];
  const candidates: BrowserBackendCandidate[] = [];
  await importWasm();
  registerOptikKernels();
  for (const name of order) {
    const software = requested === undefined && name === 'webgl' ? softwareWebgl() : undefined;
    const candidate: BrowserBackendCandidate =
      software === undefined
        ? await tryBackend(name)
        : { name, available: false, reason: `software WebGL (${software}): slower than wasm here` };
    candidates.push(candidate);
    if (candidate.available) {
      const skipped = candidates.slice(0, -1).map((c) => `${c.name}: ${c.reason}`);
      const reason = requested !== undefined ? 'requested' : [candidate.reason, ...skipped].join('; ');
      prepared = { name, reason, candidates };
      return prepared;
    }
  }
  throw new OptikError(
    'BACKEND_UNAVAILABLE',
    `No TensorFlow.js backend could be initialised in this browser: ${candidates.map((c) => `${c.name}: ${c.reason}`).join('; ')}.`,
    { hint: requested === undefined ? 'Try another browser.' : 'Drop `prefer` to fall back to another backend.' },
  );
}

/** The backend {@link initBrowserBackend} prepared, preparing the best one now if nothing did. */
export async function ensureBrowserBackend(options: InitBrowserBackendOptions = {}): Promise<BrowserBackendChoice> {
  return prepared ?? initBrowserBackend(options);
}
