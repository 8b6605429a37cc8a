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

/**
 * The policy as a response header: the meta's, plus `frame-ancestors 'none'` (no other site may
 * frame the app), which a `<meta>` cannot carry. Only a header covers the engine's worker: a
 * dedicated worker takes its policy from its own script's response, not from the page.
 */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/** The headers every response of the app should carry, wherever it is served (`npm start`, `dist/_headers`). */
export const RESPONSE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER,
  'X-Content-Type-Options': 'nosniff',
};

/** Build outputs that are instructions to a static host, not files of the app (nor of the service worker). */
const HOST_FILES = new Set(['_headers']);

/** Lists every emitted file in asset-manifest.json, for the service worker (public/sw.js) to keep. */
function assetManifest(): Plugin {
  return {
    name: 'asset-manifest',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => f !== 'index.html' && !HOST_FILES.has(f)).map((f) => `./${f}`);
      this.emitFile({ type: 'asset', fileName: 'asset-manifest.json', source: JSON.stringify(files.sort(), null, 1) });
    },
  };
}

/**
 * Puts the policy into the built index.html as a <meta http-equiv> (what any static host serves);
 * `vite preview` and `dist/_headers` also send it as a header, which is what covers the engine's
 * worker and forbids framing. Left out of the dev server, whose hot reload needs more.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

/**
 * Writes `dist/_headers` in the format Netlify and Cloudflare Pages read: every path gets
 * {@link RESPONSE_HEADERS}, so a static host sends the policy as a header (covering the engine's
 * worker) with no setup of its own. Other hosts need the same headers configured by hand (README).
 */
function staticHostHeaders(): Plugin {
  return {
    name: 'static-host-headers',
    apply: 'build',
    generateBundle() {
      const lines = ['# Written by vite.config.ts (staticHostHeaders) from CONTENT_SECURITY_POLICY: edit it there.', '/*'];
      for (const [name, value] of Object.entries(RESPONSE_HEADERS)) lines.push(`  ${name}: ${value}`);
      this.emitFile({ type: 'asset', fileName: '_headers', source: `${lines.join('\n')}\n` });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), assetManifest(), contentSecurityPolicy(), staticHostHeaders()],
  // The engine is a module worker that imports onnxruntime-web.
  worker: { format: 'es' },
  // onnxruntime-web finds its .wasm with `new URL(..., import.meta.url)`; pre-bundling breaks that.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: RESPONSE_HEADERS },
});
