import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Plugin } from 'vite';

/**
 * The page's Content-Security-Policy: scripts only from the app itself ('wasm-unsafe-eval' lets
 * onnxruntime compile its WebAssembly; no inline script, no eval), and connections only to the
 * app, the Hugging Face Hub and the hosts the Hub redirects downloads to, plus local hubs for
 * development (`npm run hub`, the tests). The Hub's download hosts are those it publishes at
 * https://huggingface.co/.well-known/meta.json ("lfsDomains": cdn-lfs.hf.co, cdn-lfs-us-1.hf.co,
 * transfer.xethub.hf.co, …; "cdnDomains": *.cdn.hf.co) plus the older cdn-lfs.huggingface.co and
 * the Xet bridge cas-bridge.xethub.hf.co that `resolve` redirects to: all under *.hf.co and
 * *.huggingface.co. `blob:` lets the page read back its own images (object URLs). Styles allow
 * 'unsafe-inline' because Svelte sets style attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' https://huggingface.co https://*.huggingface.co https://hf.co https://*.hf.co http://127.0.0.1:* http://localhost:* blob:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

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

/**
 * Puts the policy into the built index.html as a <meta http-equiv> (what static hosts serve);
 * `vite preview` also sends it as a header, which is what covers the engine's worker. Left out
 * of the dev server, whose hot reload needs more.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  plugins: [svelte(), assetManifest(), contentSecurityPolicy()],
  // The engine is a module worker that imports onnxruntime-web.
  worker: { format: 'es' },
  // onnxruntime-web finds its .wasm with `new URL(..., import.meta.url)`; pre-bundling breaks that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
});
