import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The single-page app: web/ → dist/web/. `pnpm --filter @optik/dashboard dev` serves it with hot reload and sends
// /api and /files to a running `optik ui` (port 4747).
export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:4747', '/files': 'http://127.0.0.1:4747' },
  },
});
