import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console (docs/console.md): a small single-page app built into dist/console and served by the
 * service at /console. Everything is bundled (Chart.js included): the console loads nothing from any other
 * origin, and its Content-Security-Policy allows nothing inline.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // No inline <script> or data: modules: the CSP is script-src 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400, // KiB: Chart.js is most of it
  },
});
