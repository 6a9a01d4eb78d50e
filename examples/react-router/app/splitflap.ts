/**
 * One Splitflap client per request, made by the root route's middleware and shared by every
 * loader through the router context; a new visitor's id cookie goes out with the response.
 */
import { createContext, type MiddlewareFunction } from 'react-router';
import type { Client } from 'splitflap';
import { createRequestClient, withVisitorCookie, type Visitor } from 'splitflap/server';
import { features } from './features';

export const splitflapContext = createContext<{ client: Client; visitor: Visitor }>();

export const splitflapMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const { client, visitor } = createRequestClient(request, {
    features,
    // End-to-end runs see real variants only where this is set (never in production): see docs/react.md, "End-to-end tests".
    e2eToken: process.env.SPLITFLAP_E2E_TOKEN || undefined,
    // Loaders that decide a variant expose the visitor here (send it to your analytics).
    onExposure: (experiment, result) => console.log(`[splitflap] server exposure ${result.hashValue} ${experiment.key}=${result.key}`),
  });
  await client.ready();
  context.set(splitflapContext, { client, visitor });
  return withVisitorCookie(await next(), visitor);
};
