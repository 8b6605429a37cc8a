import { preview, type PreviewServer } from 'vite';

/** Serves the built app (dist/, made by `vite build`) on a free port, as `npm start` does on 4173. */
export async function startApp(port = 0): Promise<{ url: string; close: () => Promise<void>; server: PreviewServer }> {
  const server = await preview({ logLevel: 'warn', preview: { host: '127.0.0.1', port, strictPort: port !== 0, open: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('app server has no port');
  return { url: `http://127.0.0.1:${address.port}`, server, close: () => server.close() };
}
