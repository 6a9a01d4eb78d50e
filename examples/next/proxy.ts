/**
 * Runs before every page: a new visitor gets the id cookie on this response, and the same id is
 * forwarded to this request's render, so the first page view and every reload agree.
 * (Next.js 15: name this file middleware.ts and `export default splitflap.proxy`.)
 */
import { splitflap } from './lib/splitflap';

export const proxy = splitflap.proxy;

export const config = {
  // Everything but Next's static files: pages, route handlers, and the not-found page (it renders the layout too).
  matcher: ['/((?!_next/static|_next/image).*)'],
};
