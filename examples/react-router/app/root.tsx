/**
 * The root route: the middleware that makes the request's client, a loader that hands its
 * hydration snapshot to the page, and the provider the browser's client starts from, so hooks
 * render on the server and hydrate in the browser with the same variants.
 */
import { useEffect, type ReactNode } from 'react';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useLoaderData } from 'react-router';
import { SplitflapProvider } from 'splitflap/react';
import type { Route } from './+types/root';
import stylesheet from './app.css?url';
import { splitflapContext, splitflapMiddleware } from './splitflap';

declare global {
  interface Window {
    /** What this example reported as exposures (a real app sends them to its analytics). */
    splitflapExposures?: string[];
  }
}

export const middleware: Route.MiddlewareFunction[] = [splitflapMiddleware];

export const links: Route.LinksFunction = () => [
  { rel: 'stylesheet', href: stylesheet },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

export const meta: Route.MetaFunction = () => [{ title: 'Splitflap · React Router example' }];

export function loader({ context }: Route.LoaderArgs) {
  const { client, visitor } = context.get(splitflapContext);
  return { snapshot: client.getSnapshotForHydration(), visitor: { id: visitor.clientId, bot: visitor.isBot } };
}

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  const { snapshot } = useLoaderData<typeof loader>();
  // Marks the page as hydrated (the example's end-to-end test waits for it).
  useEffect(() => void (document.documentElement.dataset.hydrated = 'true'), []);
  return (
    <SplitflapProvider
      options={{
        hydrate: snapshot,
        onExposure: (experiment, result) => {
          (window.splitflapExposures ||= []).push(`${experiment.key}=${result.key}`);
          console.info(`[splitflap] exposure ${experiment.key}=${result.key}`);
        },
      }}
    >
      <Outlet />
    </SplitflapProvider>
  );
}
