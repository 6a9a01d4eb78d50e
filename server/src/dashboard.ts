/**
 * The dashboard's static files, served by the admin listener under a strict Content Security
 * Policy: scripts and styles only from this origin, no inline code, no framing. The files hold no
 * data (the page fetches it, with the admin token when one is set), so they are served without it.
 */
import { readFileSync } from 'node:fs';
import type { Reply } from './http-kit';

/** The policy on every admin answer; the dashboard works under it (tested in Chromium). */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FILES: Record<string, [file: string, contentType: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard.js': ['dashboard.js', 'application/javascript; charset=utf-8'],
  '/dashboard.css': ['dashboard.css', 'text/css; charset=utf-8'],
};

let cache: Map<string, string> | null = null;

/** Read once, on first use; the set of files is fixed, so nothing a request names is read from disk. */
function files(): Map<string, string> {
  cache ??= new Map(Object.entries(FILES).map(([path, [file]]) => [path, readFileSync(new URL(`../dashboard/${file}`, import.meta.url), 'utf8')]));
  return cache;
}

/** Paths answered without the admin token besides the files: they hold no data. */
const OPEN_PATHS = new Set(['/favicon.ico', '/dashboard.json']);

/** True for the dashboard's own files (served without the admin token: they hold no data). */
export const isDashboardFile = (path: string | null): boolean => path !== null && (path in FILES || OPEN_PATHS.has(path));

/**
 * The file at `path`, or null. `/dashboard.json` tells the page whether to ask for a token
 * before its first request (so that no request fails just to find out).
 */
export function dashboardFile(path: string, tokenRequired: boolean): Reply | null {
  if (path === '/favicon.ico') return { status: 204, body: '', contentType: 'image/x-icon' };
  if (path === '/dashboard.json') return { status: 200, body: JSON.stringify({ tokenRequired }), contentType: 'application/json' };
  const entry = FILES[path];
  if (!entry) return null;
  return { status: 200, body: files().get(path) as string, contentType: entry[1] };
}
