/**
 * electron-vite: main (ESM, Node), preload (CommonJS: Electron's sandboxed
 * preloads cannot be ES modules; everything but `electron` bundled in) and
 * the renderer (React). `npm run build` writes out/{main,preload,renderer}.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { DEV_CSP } from './src/main/electron/security.ts';

/** `electron-vite dev` only: React Fast Refresh needs an inline preamble; the built app keeps the strict meta CSP. */
function devCsp(): Plugin {
  return {
    name: 'iampass-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace(/(<meta http-equiv="Content-Security-Policy" content=")[^"]*(")/, `$1${DEV_CSP}$2`),
  };
}

export default defineConfig({
  main: {
    build: {
      rolldownOptions: { input: { index: resolve(import.meta.dirname, 'src/electron/main.ts') } },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    plugins: [react(), devCsp()],
    build: {
      minify: true,
      rolldownOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
  },
});
