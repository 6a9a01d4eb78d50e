/**
 * Browser tests: real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, pages
 * served over HTTP from 127.0.0.1 with the script-tag build bundled fresh from src/.
 * Without Chromium the tests fail under CI=true and skip loudly elsewhere.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { describe, it } from 'vitest';
import { buildScript } from '../../examples/site';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A desktop Chrome user agent: headless Chromium's own says "HeadlessChrome", which our bot filter excludes. */
export const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** `describe`, or a loud skip (a failure under CI=true) when Chromium is missing. */
export function describeInBrowser(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs Debian's chromium package`);
      });
    });
    return;
  }
  console.warn(`\n[browser] SKIPPING "${name}": no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)\n`);
  describe.skip(name, fn);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ userAgent: USER_AGENT });
}

/** The script-tag build, bundled from src/browser.ts as dist would be (IIFE, global `Splitflap`). */
export async function buildGlobalScript(): Promise<string> {
  return (await buildScript()).js;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | void;

/** A static server on 127.0.0.1:0: `/splitflap.global.js` plus the given pages and routes. */
export async function servePages(pages: Record<string, string>, route?: Route): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const { js: script, lazy } = await buildScript();
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (route && route(req, res) !== false && res.headersSent) return;
    if (pathname === '/splitflap.global.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' }).end(script);
    } else if (Object.prototype.hasOwnProperty.call(lazy, pathname.slice(1))) {
      // splitflap.bandits.js, splitflap.live.js, splitflap.devtools.js
      res.writeHead(200, { 'content-type': 'application/javascript' }).end(lazy[pathname.slice(1)]);
    } else if (pages[pathname] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[pathname]);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Read a file of the repo (fixtures for pages). */
export const readRepoFile = (file: string): string => readFileSync(path.join(root, file), 'utf8');
