/**
 * `splitflap/next`: Next.js App Router (15 and 16). Server-only: a proxy (Next 16's `proxy.ts`,
 * or `middleware.ts`) that gives a new visitor an id cookie and hands the same id to that very
 * request's render, and one client per request for server components, layouts, route handlers and
 * edge routes (React `cache()`: the layout and the page share it). Client components use
 * `splitflap/react`'s `<SplitflapProvider options={{ hydrate: await splitflap.getSnapshot() }}>`.
 *
 * ```ts
 * // lib/splitflap.ts
 * import { createSplitflap } from 'splitflap/next';
 * export const splitflap = createSplitflap({ features });
 *
 * // proxy.ts
 * import { splitflap } from './lib/splitflap';
 * export const proxy = splitflap.proxy;
 *
 * // app/page.tsx (a server component)
 * const client = await splitflap.getClient();
 * client.isOn('new-checkout');
 * ```
 *
 * With Cache Components (`cacheComponents: true`, on in apps `create-next-app` makes since Next
 * 16.4), the visitor is request data: read it (`getClient`, `getVisitor`, `getSnapshot`) in
 * components inside a `<Suspense>` boundary, as docs/nextjs.md shows.
 */
import { headers } from 'next/headers.js';
import { connection, NextResponse } from 'next/server.js';
import { cache } from 'react';
import type { Client, ClientOptions, FeatureMap } from '../api';
import type { HydrationSnapshot } from '../hydration';
import type { Plugin, PluginExtensions } from '../plugin';
import { clientForVisitor, forwardVisitor, getVisitor, withVisitorCookie, type RequestClientOptions, type Visitor } from '../server';
import { redirectForVisitor, type RedirectRequestOptions } from '../server-redirect';
import { precomputeMethods, type PrecomputeMethods } from './precompute';

/** Options of {@link createSplitflap}: the client's (features, plugins, onExposure, …) and the visitor's. */
export type SplitflapNextOptions<Plugins extends readonly Plugin[] = readonly Plugin[]> = RequestClientOptions<Plugins> & {
  /**
   * Per-request client options, merged over the others: attributes from the session, a payload
   * chosen per tenant, … Called once per request.
   */
  forVisitor?: (visitor: Visitor) => Partial<ClientOptions<Plugins>> | Promise<Partial<ClientOptions<Plugins>>>;
  /**
   * Split-URL tests (a payload's `experiments`, docs/split-url.md): the proxy answers a visitor
   * who is sent elsewhere with a 307 and their id cookie, before any HTML. Bots stay.
   */
  experiments?: unknown[];
  /** The secret that signs precomputed flags (docs/static-pages.md); default `process.env.SPLITFLAP_SECRET`. */
  secret?: string;
};

/** What {@link createSplitflap} gives; for static pages, {@link PrecomputeMethods}. */
export interface SplitflapNext<F extends FeatureMap, Plugins extends readonly Plugin[]> extends PrecomputeMethods {
  /**
   * The proxy (`export const proxy = splitflap.proxy` in `proxy.ts`, or `export default` in
   * `middleware.ts`): a new visitor's id cookie on the response, and the id and URL forwarded
   * to the render as request headers, so the first page view and every reload agree; a 307 for
   * a visitor a split-URL test (`experiments`) sends elsewhere. To combine
   * it with a proxy of your own, use `forwardVisitor` and `withVisitorCookie` from
   * `splitflap/server`.
   */
  proxy(request: Request): NextResponse;
  /**
   * The request's visitor (server components, route handlers): the same object within a request.
   * Waits for the request (`connection()`): with Cache Components, call it inside `<Suspense>`.
   */
  getVisitor(): Promise<Visitor>;
  /**
   * The request's client, ready (`await client.ready()` done): one per request, shared by the
   * layout and the page. Made only for a real request, never while Next prerenders or prefetches
   * (so exposures are page views); with Cache Components, call it inside `<Suspense>`.
   */
  getClient(): Promise<Client<F> & PluginExtensions<Plugins>>;
  /**
   * The request's hydration snapshot for `<SplitflapProvider options={{ hydrate }}>`. Pass
   * `{ features: false }` when the browser bundle has the payload.
   */
  getSnapshot(options?: { features?: boolean }): Promise<HydrationSnapshot>;
}

let warned = false;

/**
 * Splitflap for a Next.js app: call it once, at module level, in a server-only module of your
 * app, and use what it returns in `proxy.ts`, server components and route handlers.
 */
export function createSplitflap<F extends FeatureMap = FeatureMap, const P extends readonly Plugin[] = []>(
  options: SplitflapNextOptions<P> = {},
): SplitflapNext<F, P> {
  const { forVisitor, experiments, secret, ...clientOptions } = options;
  const log = options.log || ((message: string) => console.warn('[splitflap] ' + message));

  const getRequestVisitor = cache(async (): Promise<Visitor> => {
    // Only a real request has a visitor to bucket and expose. Under Cache Components
    // (`cacheComponents: true`) Next also renders server components where there is none: the
    // static shell at build time, and prefetch renders at request time that can read cookies
    // and headers (with Partial Prefetching, every page load runs one besides the page's own
    // render, and React's cache() is not shared between the two). connection() never
    // resolves in those, so no client is made there and a page view exposes the visitor once.
    // Where a real request renders, it resolves at once.
    await connection();
    const visitor = getVisitor({ headers: await headers() }, options);
    if (visitor.setCookie && !warned) {
      // A render cannot set cookies: without the proxy every request of a new visitor is a new visitor.
      warned = true;
      log('No id cookie and no id forwarded by the proxy, so this visitor gets a new id (and maybe a new variant) on every request. Export splitflap.proxy from proxy.ts (or middleware.ts).');
    }
    return visitor;
  });

  const getClient = cache(async () => {
    const visitor = await getRequestVisitor();
    const extra = forVisitor ? await forVisitor(visitor) : undefined;
    const client = clientForVisitor<F, P>(visitor, { ...clientOptions, ...extra } as RequestClientOptions<P>);
    await client.ready();
    return client;
  });

  // Keyed by a primitive: React's cache compares arguments by identity.
  const snapshotOf = cache(async (features: boolean) => (await getClient()).getSnapshotForHydration({ features }));

  return {
    proxy(request) {
      const { visitor, headers: forwarded } = forwardVisitor(request, options);
      const redirect = experiments && redirectForVisitor(visitor, request.url, { ...clientOptions, experiments } as RedirectRequestOptions);
      if (redirect) {
        const response = NextResponse.redirect(redirect.urlWithParams, 307);
        response.headers.set('cache-control', 'private, no-store');
        return withVisitorCookie(response, visitor);
      }
      return withVisitorCookie(NextResponse.next({ request: { headers: forwarded } }), visitor);
    },
    ...precomputeMethods(clientOptions as RequestClientOptions, secret),
    getVisitor: getRequestVisitor,
    getClient,
    getSnapshot: (snapshotOptions) => snapshotOf(!snapshotOptions || snapshotOptions.features !== false),
  };
}

export { forwardVisitor, withVisitorCookie, type Visitor } from '../server';
export { declareFlags, type PrecomputedFlag } from '../precompute';
export type { PrecomputeMethods } from './precompute';
