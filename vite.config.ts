import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [svelte()],
  // The engine is a module worker that imports onnxruntime-web.
  worker: { format: 'es' },
  // onnxruntime-web finds its .wasm with `new URL(..., import.meta.url)`; pre-bundling breaks that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
