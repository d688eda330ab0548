// `npm run build:preload`: bundles the sandboxed preload (main/electron/preload.ts) with the shared
// contract (method names and zod schemas) into one CommonJS file, dist/main/electron/preload.cjs.
// A sandboxed preload can require only 'electron', so everything else must be inside the bundle;
// the contract in shared/ stays the one source of truth for what the bridge accepts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist/main/electron',
    emptyOutDir: false,
    copyPublicDir: false,
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: 'main/electron/preload.ts',
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rolldownOptions: {
      external: ['electron'],
    },
  },
});
