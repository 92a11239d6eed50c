// The app is built into ../assets/app, which the binary embeds at compile time (build.rs).
// Reproducible: file names carry a hash of their content, nothing carries a date, and the same
// package-lock gives the same bytes on every machine (CI rebuilds and compares).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  publicDir: false,
  build: {
    outDir: '../assets/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // No polyfill script: every browser the app supports has modulepreload, and the page must
    // run under `script-src 'self'`.
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    reportCompressedSize: false,
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8000', ws: true },
      '/images': 'http://127.0.0.1:8000',
      '/exports': 'http://127.0.0.1:8000',
    },
  },
});
