import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The browser UI. Built with `vite build src/web` (the root is this folder)
 * into dist/web/, which the server serves (src/api/routes/web.ts).
 * No inline script ends up in index.html, so the server's CSP
 * (`script-src 'self'`) holds.
 */
export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    // the module preload polyfill is an inline-free file, but modern browsers need none
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npx vite src/web` for UI work against a running server on 8443
    proxy: { '/api': { target: 'https://localhost:8443', secure: false } },
  },
});
