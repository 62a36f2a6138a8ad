import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their browser entries' src/ (see apps/playground/vite.config.ts).
export default defineConfig({
  base: './',
  resolve: { conditions: ['@optik/source', ...defaultClientConditions] },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { port: 5175 },
  preview: { port: 4175 },
});
