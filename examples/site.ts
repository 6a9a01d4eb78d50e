/**
 * The demo's web server (used by examples/demo.ts): one origin on 127.0.0.1 serving
 *
 * - `/splitflap.global.js` (+ `.map`): the script-tag build, bundled in-process by esbuild;
 * - `/plain/`: examples/plain (the script-tag page, and landing.html, a split-URL test), `/results/`: examples/results;
 * - `POST /collect`: the split-URL page's exposure beacons, logged;
 * - `/react/`: the React example, when it was built (a request handler and/or a folder);
 * - `/sixpack/*`: a proxy to the Sixpack server, so pages talk to it on their own origin;
 * - the plain page's payload, live (live-payload.ts): `/plain/features.json` (also
 *   `/api/features/plain`, GrowthBook's layout), its stream `/sub/plain`, and
 *   `POST /api/features/plain/flip`, the switch the page's "flip" button uses.
 *
 * The plain and results pages are sent with a strict Content-Security-Policy (no inline script or
 * style), which they work under.
 */
import { build } from 'esbuild';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLivePayload } from './live-payload';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

export const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The script tag's other files (entries.json `script`), by file name: add-ons and parts it loads when a page needs them. */
const LAZY_FILES: Record<string, string> = Object.fromEntries(
  Object.entries((JSON.parse(readFileSync(path.join(root, 'entries.json'), 'utf8')) as { script: Record<string, string> }).script)
    .filter(([name]) => name != 'splitflap.global')
    .map(([name, source]) => [name + '.js', source]),
);

/**
 * The script-tag build as `dist/` has it: IIFE, global `Splitflap`, minified, with a source map,
 * plus the files the tag loads from its own base URL when a page needs them (`lazy`, by file
 * name): bandit code, the payload stream follower and the DevTools panel. `bandits` is
 * `lazy['splitflap.bandits.js']`.
 */
export async function buildScript(): Promise<{ js: string; map: string; bandits: string; lazy: Record<string, string> }> {
  const bundle = (entry: string, outfile: string) =>
    build({
      entryPoints: [path.join(root, entry)],
      bundle: true,
      minify: true,
      format: 'iife',
      globalName: outfile == 'splitflap.global.js' ? 'Splitflap' : undefined,
      target: 'es2018',
      sourcemap: 'external',
      outfile,
      write: false,
      logLevel: 'error',
    });
  const text = (result: Awaited<ReturnType<typeof bundle>>) => result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const names = Object.keys(LAZY_FILES);
  const [main, ...others] = await Promise.all([bundle('src/browser/index.ts', 'splitflap.global.js'), ...names.map((name) => bundle(LAZY_FILES[name]!, name))]);
  const lazy = Object.fromEntries(names.map((name, index) => [name, text(others[index]!)]));
  const map = main.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  return { js: text(main) + '//# sourceMappingURL=splitflap.global.js.map\n', map, bandits: lazy['splitflap.bandits.js']!, lazy };
}

/**
 * How the React example is served: its built files, else its request handler (SSR: it answers,
 * or returns the HTML as a string), else the folder's index.html.
 */
export interface ReactSite {
  handle?: (req: http.IncomingMessage, res: http.ServerResponse) => unknown;
  dir?: string;
}

export interface SiteOptions {
  /** The Sixpack server that `/sixpack/` forwards to. */
  sixpackUrl: string;
  script: { js: string; map: string; lazy: Record<string, string> };
  react?: ReactSite | null;
}

export interface Site {
  url: string;
  close(): Promise<void>;
}

/** A file under `dir` for a URL path, or null (no `..` escapes, directories give index.html). */
function fileIn(dir: string, urlPath: string): string | null {
  let file = path.join(dir, path.normalize('/' + urlPath));
  if (file !== dir && !file.startsWith(dir + path.sep)) return null;
  if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

function sendFile(res: http.ServerResponse, file: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...headers });
  createReadStream(file).pipe(res);
}

function proxy(req: http.IncomingMessage, res: http.ServerResponse, target: URL): void {
  const upstream = http.request(target, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"status": "failed", "message": "the Sixpack server is not reachable"}');
  });
  req.pipe(upstream);
}

export async function startSite(options: SiteOptions, port = 0): Promise<Site> {
  const sixpack = options.sixpackUrl.replace(/\/*$/, '');
  const sections: Record<string, string> = { plain: path.join(here, 'plain'), results: path.join(here, 'results') };
  const live = createLivePayload('plain', JSON.parse(readFileSync(path.join(here, 'plain/features.json'), 'utf8')), ['/plain/features.json']);

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const [, section = '', ...rest] = url.pathname.split('/');
      if (url.pathname === '/') return void res.writeHead(302, { location: '/plain/' }).end();
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      if (live.handle(req, res)) return;
      // The split-URL page's exposure beacons (landing.html): a collector that logs them.
      if (url.pathname === '/collect' && req.method === 'POST') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString().slice(0, 2048)));
        return void req.on('end', () => (console.log('  [collector] ' + body), res.writeHead(204).end()));
      }
      if (url.pathname === '/splitflap.global.js' || url.pathname === '/splitflap.global.js.map') {
        const map = url.pathname.endsWith('.map');
        res.writeHead(200, { 'content-type': TYPES[map ? '.map' : '.js']!, 'cache-control': 'no-cache' });
        return void res.end(map ? options.script.map : options.script.js);
      }
      if (Object.prototype.hasOwnProperty.call(options.script.lazy, url.pathname.slice(1))) {
        res.writeHead(200, { 'content-type': TYPES['.js']!, 'cache-control': 'no-cache' });
        return void res.end(options.script.lazy[url.pathname.slice(1)]);
      }
      if (section === 'sixpack') return proxy(req, res, new URL(sixpack + '/' + rest.join('/') + url.search));
      if (sections[section] !== undefined && rest.length === 0) return void res.writeHead(301, { location: `/${section}/` }).end();
      if (sections[section] !== undefined) {
        const file = fileIn(sections[section], decodeURIComponent(rest.join('/')));
        if (file) return sendFile(res, file, file.endsWith('.html') ? { 'content-security-policy': STRICT_CSP } : {});
      }
      if (section === 'react' && options.react) {
        const { handle, dir } = options.react;
        const file = dir && rest.join('/') ? fileIn(dir, decodeURIComponent(rest.join('/'))) : null;
        if (file) return sendFile(res, file);
        if (handle) {
          const html = await handle(req, res);
          if (res.headersSent || res.writableEnded) return;
          if (typeof html === 'string') return void res.writeHead(200, { 'content-type': TYPES['.html']! }).end(html);
        }
        const index = dir && fileIn(dir, '');
        if (index) return sendFile(res, index);
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
    } catch (error) {
      console.error(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' && port !== 0) server.listen(0, '127.0.0.1'); // taken: any free port
      else reject(error);
    });
    server.once('listening', () => resolve());
    server.listen(port, '127.0.0.1');
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        live.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
