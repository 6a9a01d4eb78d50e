/**
 * Precomputed flags in `splitflap/next` (docs/static-pages.md): the proxy evaluates a static
 * page's flags for the visitor and rewrites to a route segment holding the signed code; the page,
 * prebuilt for every code (`generateStaticParams`), reads the values from it, never from the
 * request. The secret comes from the environment (`SPLITFLAP_SECRET`), the same at build and at
 * run time.
 */
import { NextResponse } from 'next/server.js';
import type { HydrationSnapshot } from '../hydration';
import { generatePermutations, precompute, precomputedSnapshot, readPrecomputed, type PrecomputedFlag } from '../precompute';
import { clientForVisitor, forwardVisitor, withVisitorCookie, type RequestClientOptions } from '../server';

/** What `createSplitflap` adds for static pages. */
export interface PrecomputeMethods {
  /**
   * In the proxy, for the static page at `base`: a request for `base` itself gets `flags`
   * evaluated for its visitor (cookie, sticky bucket, bots in the control; exposures through
   * `onExposure`, once per page view) and is rewritten to `<base>/<code>`, with a new visitor's id
   * cookie; a request for `<base>/<code>` with a code that does not verify gets a 404 before
   * anything renders; a valid code passes (`NextResponse.next()`). `null` for any other path.
   */
  precomputedRoute(request: Request, flags: readonly PrecomputedFlag[], base: string): Promise<NextResponse | null>;
  /** In the page: the values a code carries, or `null` for a code that does not verify (answer `notFound()`). */
  readFlags(code: string, flags: readonly PrecomputedFlag[]): Promise<Record<string, unknown> | null>;
  /** For `generateStaticParams`: every code `flags` can produce. */
  generatePermutations(flags: readonly PrecomputedFlag[]): Promise<string[]>;
  /** The snapshot a precomputed page hands to `<SplitflapProvider options={{ hydrate }}>`: the values, nothing of the visitor. */
  precomputedSnapshot(values: Record<string, unknown>): HydrationSnapshot;
}

/** The methods, for `options` (the app's client options) and `secret` (default: `process.env.SPLITFLAP_SECRET`). */
export function precomputeMethods(options: RequestClientOptions, secret: string | undefined): PrecomputeMethods {
  const key = () => secret || (typeof process != 'undefined' && process.env.SPLITFLAP_SECRET) || '';
  return {
    async precomputedRoute(request, flags, base) {
      const root = base.replace(/\/$/, '');
      const path = new URL(request.url).pathname;
      if (path.startsWith(root + '/') && path.indexOf('/', root.length + 1) < 0) {
        // Next renders unknown params on demand (Cache Components allows no `dynamicParams = false`): a forged code stops here.
        const valid = await readPrecomputed(path.slice(root.length + 1), flags, key());
        return valid ? NextResponse.next() : new NextResponse('Not found', { status: 404 });
      }
      if (path !== root) return null;
      const { visitor, headers } = forwardVisitor(request, options);
      const code = await precompute(flags, clientForVisitor(visitor, options), key());
      return withVisitorCookie(NextResponse.rewrite(new URL(root + '/' + code, request.url), { request: { headers } }), visitor);
    },
    readFlags: (code, flags) => readPrecomputed(code, flags, key()),
    generatePermutations: (flags) => generatePermutations(flags, key()),
    precomputedSnapshot,
  };
}
