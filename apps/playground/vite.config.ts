import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their browser entries' src/ (the `@optik/source` condition inside `browser`), so
// neither `dev` nor `build` needs the packages built first; `base: './'` makes the static build work from any folder.
export default defineConfig({
  base: './',
  resolve: { conditions: ['@optik/source', ...defaultClientConditions] },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { port: 5174 },
  preview: { port: 4174 },
});
