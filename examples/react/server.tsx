/**
 * Server-side rendering of the React example with react-dom/server: a client per request (the
 * visitor's id from the cookie, or a new one sent back), rendered to HTML, and the client's
 * hydration snapshot in the page, so the browser (client.tsx) hydrates the same markup at once.
 *
 *   npx tsx examples/react/server.tsx      → builds app.js, starts a Sixpack server and this page
 *
 * `examples/demo.ts` uses `handler` under /react/ (with the Sixpack server proxied at /sixpack).
 */
import http from 'node:http';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { renderToString } from 'react-dom/server';
import { clientIdFromCookieHeader, clientIdSetCookieHeader, createClient, generateClientId } from 'splitflap';
import { SplitflapProvider } from 'splitflap/react';
import { sixpack } from 'splitflap/sixpack';
import { App } from './app';
import { features, SIGNUP } from './features';
import { page, pageData } from './page';

export interface RenderOptions {
  /** The request's Cookie header (the visitor id lives in `sixpack_client_id`). */
  cookieHeader?: string;
  userAgent?: string;
  /** The page's full URL (URL targeting and `?experiment=N` overrides). */
  url?: string;
  /** Where app.js is served; default `./`. */
  basePath?: string;
  /** Sixpack as the browser reaches it, and as this server does (absolute); both optional. */
  sixpackUrl?: string;
  serverSixpackUrl?: string;
}

/** Render the page for one request. */
export async function renderPage(options: RenderOptions = {}): Promise<{ html: string; setCookie?: string }> {
  const known = clientIdFromCookieHeader(options.cookieHeader);
  const clientId = known ?? generateClientId();
  const client = createClient({
    clientId,
    features,
    attributes: { id: clientId, country: 'US' },
    url: options.url,
    userAgent: options.userAgent,
    // Without a server-side URL the page still renders (the control, or a remembered answer); the browser asks.
    plugins: [sixpack({ baseUrl: options.serverSixpackUrl || 'http://127.0.0.1:9/', timeoutMs: 300 })],
  });
  await client.ready();
  // Sixpack mode: ask now (bounded by timeoutMs), so the page carries the answer and the
  // browser renders it at once. On any failure the control is rendered and the browser asks again.
  if (options.serverSixpackUrl) await client.participate(SIGNUP.experiment, SIGNUP.alternatives);
  const body = renderToString(
    <SplitflapProvider client={client}>
      <App />
    </SplitflapProvider>,
  );
  // The browser bundle has the payload: leave it out of the page.
  const snapshot = client.getSnapshotForHydration({ features: false });
  client.destroy();
  return {
    html: page({ body, data: pageData({ snapshot, sixpackUrl: options.sixpackUrl ?? '/sixpack' }), basePath: options.basePath }),
    // Secure only when the page is HTTPS: a browser drops a Secure cookie set over plain HTTP.
    setCookie: known ? undefined : clientIdSetCookieHeader(clientId, {}, options.url),
  };
}

/** A request handler for a site serving app.js under `basePath` and Sixpack at `sixpackUrl` (same origin). */
export function createHandler({ basePath = '/react/', sixpackUrl = '/sixpack' } = {}) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
    const { html, setCookie } = await renderPage({
      cookieHeader: req.headers.cookie,
      userAgent: req.headers['user-agent'],
      url: new URL(req.url ?? '/', origin).href,
      basePath,
      sixpackUrl,
      serverSixpackUrl: new URL(sixpackUrl, origin).href,
    });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(setCookie ? { 'set-cookie': setCookie } : {}) });
    res.end(html);
  };
}

/** The demo's handler: the page under /react/, Sixpack proxied at /sixpack. */
export const handler = createHandler();

/** Standalone: build app.js, start the example Sixpack server, serve the SSR page on `port`. */
export async function startReactExample({ port = 3000 } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('../../server/src/index');
  const sixpack = createServer();
  const { url: sixpackUrl } = await sixpack.listen(0, '127.0.0.1');
  const { build } = await import('./build');
  const { outdir } = await build();
  const render = createHandler({ basePath: '/', sixpackUrl });
  const server = http.createServer((req, res) => {
    const file = req.url === '/app.js' || req.url === '/app.js.map' ? path.join(outdir, req.url) : null;
    if (file) return void res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8' }).end(readFileSync(file));
    if (req.url === '/' || req.url?.startsWith('/?')) return void render(req, res).catch(() => res.writeHead(500).end());
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => void sixpack.close().then(resolve))),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startReactExample({ port: Number(process.env.PORT ?? 3000) });
  console.log(`React example (server-rendered) at ${url} · Ctrl-C stops it`);
}
