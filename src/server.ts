/**
 * `splitflap/server`: the visitor behind a request, and a client for it, for any server built on
 * the Fetch API (`Request`, `Headers`, `Response`: Next.js route handlers and proxy, React Router,
 * Remix, Hono, Cloudflare Workers, Deno, Bun) and for Node's own request objects (Express, Fastify,
 * node:http) through their headers. Only web-standard APIs: it runs in Node and edge runtimes.
 *
 * ```ts
 * import { createRequestClient, withVisitorCookie } from 'splitflap/server';
 *
 * export async function GET(request: Request) {
 *   const { client, visitor } = createRequestClient(request, { features });
 *   return withVisitorCookie(Response.json({ checkout: client.isOn('new-checkout') }), visitor);
 * }
 * ```
 */
import type { Client, ClientOptions, FeatureMap } from './api';
import { isBot } from './bots';
import { createClient } from './client';
import {
  clientIdFromCookieHeader,
  clientIdSetCookieHeader,
  cookieFromHeader,
  generateClientId,
  headerValue,
  isValidClientId,
  DEFAULT_COOKIE_NAME,
  type CookieOptions,
  type RequestLike,
} from './identity';
import type { Plugin, PluginExtensions } from './plugin';

export type { HeadersLike, RequestLike } from './identity';

/**
 * Set by a proxy or middleware (`splitflap/next`'s `proxy`) on the request it forwards: the id it
 * just made for a new visitor, whose cookie the browser does not have yet. Read before the cookie.
 */
export const VISITOR_ID_HEADER = 'x-splitflap-id';
/** Set by a proxy or middleware on the request it forwards: the URL the browser asked for. */
export const VISITOR_URL_HEADER = 'x-splitflap-url';
/** The cookie an end-to-end test run sets to see real variants (see {@link VisitorOptions.e2eToken}). */
export const E2E_COOKIE = 'splitflap-e2e';

/** How the visitor is read from a request. */
export interface VisitorOptions {
  /**
   * The id cookie (name, domain, lifetime, `Secure`); default `sixpack_client_id`, 400 days,
   * `Secure` when the request came over HTTPS.
   */
  cookie?: CookieOptions;
  /**
   * The `Secure` flag of a new id cookie, as `cookie.secure` (this one wins); default: when the
   * request came over HTTPS (its URL, a TLS socket, or `X-Forwarded-Proto: https`).
   */
  secure?: boolean;
  /**
   * Opt in to end-to-end runs. A request whose `splitflap-e2e` cookie equals this token counts
   * as a real visitor even with a headless or bot user agent, so a Playwright or Cypress run sees
   * the variants users see (and their exposures). Unset (the default), nothing changes: crawlers,
   * headless browsers and test runners get the control. Take it from the environment
   * (`process.env.SPLITFLAP_E2E_TOKEN`) and set it only where tests run.
   */
  e2eToken?: string;
  /** As in `createClient`: `false` keeps bots in experiments, a RegExp replaces the built-in pattern. */
  excludeBots?: boolean | RegExp;
}

/** The visitor behind one request. */
export interface Visitor {
  /** The visitor's id: forwarded by a proxy, else from the cookie, else new. */
  clientId: string;
  /** Whether the id was made for this request (by this call, or by the proxy that forwarded it). */
  isNew: boolean;
  /**
   * The `Set-Cookie` value this response must carry so the browser keeps the id, or undefined
   * when there is nothing to send (a known visitor, or a proxy that already sent it).
   */
  setCookie: string | undefined;
  userAgent: string | undefined;
  /** The page URL: forwarded by a proxy, else the request's. */
  url: string | undefined;
  /** Whether the visitor is left out of experiments as a bot (control, no exposure). */
  isBot: boolean;
  /** Whether the request carries the opted-in end-to-end cookie ({@link VisitorOptions.e2eToken}). */
  isTestRun: boolean;
}

/**
 * The visitor behind `request`: the id a proxy forwarded, else the cookie's, else a new one (with
 * the `Set-Cookie` to send), the user agent, the URL, and the bot decision.
 */
export function getVisitor(request: RequestLike, options: VisitorOptions = {}): Visitor {
  const { headers } = request;
  const cookieHeader = headerValue(headers, 'cookie');
  const forwarded = headerValue(headers, VISITOR_ID_HEADER);
  const known = clientIdFromCookieHeader(cookieHeader, (options.cookie && options.cookie.name) || DEFAULT_COOKIE_NAME);
  const clientId = (isValidClientId(forwarded) && forwarded) || known || generateClientId();
  const isNew = clientId !== known;
  const userAgent = headerValue(headers, 'user-agent');
  const isTestRun = !!options.e2eToken && cookieFromHeader(cookieHeader, E2E_COOKIE) === options.e2eToken;
  const bots = options.excludeBots;
  return {
    clientId,
    isNew,
    // A forwarded id's cookie went out with the proxy's response.
    setCookie:
      isNew && clientId !== forwarded
        ? clientIdSetCookieHeader(clientId, options.secure === undefined ? options.cookie : { ...options.cookie, secure: options.secure }, request)
        : undefined,
    userAgent,
    url: headerValue(headers, VISITOR_URL_HEADER) || request.url || undefined,
    isBot: !isTestRun && bots !== false && isBot(userAgent, bots === true ? null : bots),
    isTestRun,
  };
}

/** Options of {@link createRequestClient}: the client's and the visitor's. */
export type RequestClientOptions<Plugins extends readonly Plugin[] = readonly Plugin[]> = Omit<
  ClientOptions<Plugins>,
  'clientId' | 'cookie' | 'userAgent' | 'hydrate' | 'excludeBots'
> &
  VisitorOptions;

/**
 * A client for `visitor` (from {@link getVisitor}): its id, user agent, URL and bot decision;
 * `attributes` get `id` added unless they name one. Visitor options in `options` are ignored
 * (the visitor is already read).
 */
export function clientForVisitor<F extends FeatureMap = FeatureMap, const P extends readonly Plugin[] = []>(
  visitor: Visitor,
  options: RequestClientOptions<P> = {},
): Client<F> & PluginExtensions<P> {
  const { cookie, secure, e2eToken, excludeBots, ...clientOptions } = options;
  return createClient<F, P>({
    ...clientOptions,
    clientId: visitor.clientId,
    cookie: false,
    userAgent: visitor.userAgent,
    url: clientOptions.url ?? visitor.url,
    attributes: { id: visitor.clientId, ...clientOptions.attributes },
    // The bot decision is made once, in getVisitor (an opted-in test run is no bot), and travels in the snapshot.
    enabled: clientOptions.enabled !== false && !visitor.isBot,
    excludeBots: false,
  } as ClientOptions<P>);
}

/**
 * A client for the visitor behind `request`, and that visitor. Send `visitor.setCookie` with
 * the response ({@link withVisitorCookie}), and `await client.ready()` before rendering when
 * plugins load anything (a remote payload, Sixpack answers).
 */
export function createRequestClient<F extends FeatureMap = FeatureMap, const P extends readonly Plugin[] = []>(
  request: RequestLike,
  options: RequestClientOptions<P> = {},
): { client: Client<F> & PluginExtensions<P>; visitor: Visitor } {
  const visitor = getVisitor(request, options);
  return { client: clientForVisitor<F, P>(visitor, options), visitor };
}

/**
 * For a proxy or middleware in front of the app (Next.js `proxy.ts`): the visitor, and the
 * request headers to forward so the render sees the same visitor on the very first request,
 * before the browser has the cookie: a new visitor's id in `x-splitflap-id`, the URL in
 * `x-splitflap-url`. Those two headers, if the browser sent them, are replaced. Send
 * `visitor.setCookie` with the proxy's response.
 */
export function forwardVisitor(request: { headers: Headers; url: string }, options: VisitorOptions = {}): { visitor: Visitor; headers: Headers } {
  const headers = new Headers(request.headers);
  headers.delete(VISITOR_ID_HEADER);
  headers.delete(VISITOR_URL_HEADER);
  const visitor = getVisitor({ headers, url: request.url }, options);
  if (visitor.isNew) headers.set(VISITOR_ID_HEADER, visitor.clientId);
  headers.set(VISITOR_URL_HEADER, request.url);
  return { visitor, headers };
}

/**
 * `response` with the visitor's new id cookie appended (when there is one to send), for
 * frameworks that hand back a `Response`. Returns the same response.
 */
export function withVisitorCookie<R extends { headers: { append(name: string, value: string): void } }>(response: R, visitor: Visitor): R {
  if (visitor.setCookie) response.headers.append('set-cookie', visitor.setCookie);
  return response;
}

export { absoluteUrl, redirectForRequest, redirectForVisitor, redirectResponse } from './server-redirect';
export type { RedirectRequestOptions, RequestRedirect } from './server-redirect';
export { declareFlags, generatePermutations, MAX_PERMUTATIONS, precompute, precomputedSnapshot, readPrecomputed } from './precompute';
export type { PrecomputedFlag } from './precompute';
