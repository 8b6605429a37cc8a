import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

/** Lists every emitted file in asset-manifest.json, for the service worker (public/sw.js) to keep. */
function assetManifest(): Plugin {
  return {
    name: 'asset-manifest',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => f !== 'index.html').map((f) => `./${f}`);
      this.emitFile({ type: 'asset', fileName: 'asset-manifest.json', source: JSON.stringify(files.sort(), null, 1) });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), assetManifest()],
  // The engine is a module worker that imports onnxruntime-web.
  worker: { format: 'es' },
  // onnxruntime-web finds its .wasm with `new URL(..., import.meta.url)`; pre-bundling breaks that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
