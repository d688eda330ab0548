import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The renderer build: one HTML entry per app (the technician's station app now; the hub's
 * supervisor dashboard joins as hub.html). `base: './'` keeps every asset URL relative, so the
 * same build loads from the headless station's HTTP server and from Electron's custom protocol.
 * The station serves it with a strict CSP, so nothing may be inlined: CSS and JS stay files.
 */
export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    cssCodeSplit: true,
    sourcemap: true,
    target: 'es2023',
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        hub: fileURLToPath(new URL('./hub.html', import.meta.url)),
      },
    },
  },
  server: { host: '127.0.0.1' },
});
