/**
 * Serving examples/plain and examples/results to browser tests through the harness: the files as
 * they are, except that `data-sixpack-url="/sixpack"` (the demo's same-origin proxy) points at the
 * test's in-process Sixpack server, cross-origin, as a real deployment would.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route } from './harness';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** The CSP the issue asks the pages to work under. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' http://127.0.0.1:*";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
};

export interface Mount {
  /** Folder under examples/ (plain, results). */
  dir: string;
  /** Where `data-sixpack-url` points. */
  sixpackUrl: string;
  /** Send this Content-Security-Policy with HTML. */
  csp?: string;
  /** Change the HTML (e.g. a different anti-flicker timeout). */
  rewrite?: (html: string) => string;
  /** Send the body of JSON files this much later (a slow payload). */
  jsonDelayMs?: number;
}

/** A harness route serving `/<prefix>/<file>` from the mounts; `/favicon.ico` is a 204. */
export function exampleRoute(mounts: Record<string, Mount>): Route {
  return (req: IncomingMessage, res: ServerResponse) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname === '/favicon.ico') return void res.writeHead(204).end();
    // The plain page follows /sub/plain, the demo server's payload stream; these files are static,
    // so there is none (204: no stream, the page polls instead).
    if (pathname.startsWith('/sub/')) return void res.writeHead(204).end();
    const [, prefix = '', file = ''] = /^\/([^/]+)\/(.*)$/.exec(pathname) ?? [];
    const mount = mounts[prefix];
    if (!mount || file.includes('..')) return false;
    const full = path.join(examples, mount.dir, file || 'index.html');
    if (!existsSync(full)) return false;
    let body = readFileSync(full, 'utf8');
    const ext = path.extname(full);
    const headers: Record<string, string> = { 'content-type': TYPES[ext] ?? 'text/plain', 'cache-control': 'no-store' };
    if (ext === '.html') {
      body = body.replaceAll('data-sixpack-url="/sixpack"', `data-sixpack-url="${mount.sixpackUrl}"`);
      if (mount.rewrite) body = mount.rewrite(body);
      if (mount.csp) headers['content-security-policy'] = mount.csp;
    }
    res.writeHead(200, headers); // headers now, so the harness knows the route answered
    if (ext === '.json' && mount.jsonDelayMs) setTimeout(() => res.end(body), mount.jsonDelayMs);
    else res.end(body);
  };
}

/** A server that accepts connections and never answers: a Sixpack server that hangs. */
export async function hangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
