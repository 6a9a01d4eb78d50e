/**
 * Runs before every page: a new visitor gets the id cookie on this response, and the same id is
 * forwarded to this request's render, so the first page view and every reload agree; split-URL
 * tests answer with a 307, and /offer is rewritten to its precomputed static page.
 * (Next.js 15: name this file middleware.ts and export the function as default.)
 */
import type { NextRequest } from 'next/server';
import { offerFlags, splitflap } from './lib/splitflap';

export async function proxy(request: NextRequest) {
  // The static offer page: /offer is rewritten to the page prebuilt for the visitor's values; a forged /offer/<code> is a 404.
  const offer = await splitflap.precomputedRoute(request, offerFlags, '/offer');
  return offer ?? splitflap.proxy(request);
}

export const config = {
  // Everything but Next's static files: pages, route handlers, and the not-found page (it renders the layout too).
  matcher: ['/((?!_next/static|_next/image).*)'],
};
