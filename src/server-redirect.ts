/**
 * Split-URL tests on a server (`splitflap/server`, and the proxy of `splitflap/next`): the redirect
 * is decided from the request, before any HTML, and answered with a 307 that carries the
 * visitor's id cookie, so the destination sees the same visitor and the original page is never
 * sent. Bots are not redirected (their client runs no experiment). Deciding runs the experiment,
 * so its exposure goes to `onExposure` here, server-side, once per decision.
 */
import { headerValue, type RequestLike } from './identity';
import type { Plugin } from './plugin';
import { redirects, type Redirect } from './plugins/redirect';
import { clientForVisitor, getVisitor, type RequestClientOptions, type Visitor } from './server';

/** Options of {@link redirectForRequest}: the client's and the visitor's, and the payload's redirect tests. */
export type RedirectRequestOptions = RequestClientOptions<readonly Plugin[]> & {
  /** The payload's `experiments` (GrowthBook's auto experiments); those with `urlRedirect` variations are run. */
  experiments?: unknown[];
};

/** A decided server redirect: what to answer with. */
export interface RequestRedirect {
  redirect: Redirect;
  visitor: Visitor;
  /** 307: the method and body are kept, and nothing is cached as permanent. */
  status: 307;
  /** `location`, `cache-control: private, no-store` (it depends on the cookie) and, for a new visitor, `set-cookie`. */
  headers: Record<string, string>;
}

/**
 * The page URL as an absolute URL: a Node request's `url` is a path, resolved on its `Host`
 * (and `X-Forwarded-Proto`, else `http`).
 */
export function absoluteUrl(url: string | undefined, request: RequestLike): string | undefined {
  if (!url) return undefined;
  if (/^https?:\/\//i.test(url)) return url;
  const host = headerValue(request.headers, 'host');
  if (!host) return undefined;
  const proto = (headerValue(request.headers, 'x-forwarded-proto') || 'http').split(',')[0]!.trim();
  return `${proto == 'https' ? 'https' : 'http'}://${host}${url.startsWith('/') ? url : '/' + url}`;
}

/** The redirect `visitor` gets at `url`, or `null` (a bot, the control, no test on that page). */
export function redirectForVisitor(visitor: Visitor, url: string | undefined, options: RedirectRequestOptions): Redirect | null {
  const { experiments, ...clientOptions } = options;
  if (!experiments || !url || visitor.isBot) return null;
  const client = clientForVisitor(visitor, { ...clientOptions, url, plugins: [...(clientOptions.plugins || []), redirects({ experiments })] });
  return client.getRedirect(url);
}

/**
 * The 307 the request should get for a split-URL test, or `null` to serve the page. Works with
 * Fetch API requests and Node's (`{ url, headers }`); {@link redirectResponse} makes the Response.
 */
export function redirectForRequest(request: RequestLike, options: RedirectRequestOptions): RequestRedirect | null {
  const visitor = getVisitor(request, options);
  const redirect = redirectForVisitor(visitor, absoluteUrl(visitor.url, request), options);
  if (!redirect) return null;
  const headers: Record<string, string> = { location: redirect.urlWithParams, 'cache-control': 'private, no-store' };
  if (visitor.setCookie) headers['set-cookie'] = visitor.setCookie;
  return { redirect, visitor, status: 307, headers };
}

/** {@link redirectForRequest} as a Fetch API `Response` (a 307, no body), or `null` to serve the page. */
export function redirectResponse(request: RequestLike, options: RedirectRequestOptions): Response | null {
  const answer = redirectForRequest(request, options);
  return answer && new Response(null, { status: answer.status, headers: answer.headers });
}
