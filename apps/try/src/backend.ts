import { type BrowserBackendChoice, initBackend } from '@optik/backend';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

// tfjs fetches its .wasm binaries at run time: Vite copies them into the build and hands their URLs over here.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Prepares @optik/backend's browser choice: webgl, then wasm, then cpu, or the one the URL asks for. */
export function startBackend(wanted: 'auto' | 'webgl' | 'wasm' | 'cpu'): Promise<BrowserBackendChoice> {
  return initBackend(wanted === 'auto' ? {} : { prefer: wanted });
}
