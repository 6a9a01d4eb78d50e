/**
 * The shop's layout (the route group "(shop)": the pages that read the visitor at request time),
 * a server component: the request's snapshot (the same client the page uses: React cache() gives
 * one per request) handed to the client provider.
 *
 * With Cache Components (`cacheComponents: true`, what create-next-app sets up), Next prerenders
 * a static shell of every route at build time and fills in what depends on the request when one
 * comes. The visitor comes from the request (their cookie), so everything that reads a flag sits
 * inside the <Suspense> below: the shell is the root layout's <html>, <body> and the fallback,
 * and the rest streams in on each request. Reading the visitor outside a boundary stops
 * `next build` ("uncached or runtime data during prerendering"). Pages outside this group (the
 * precomputed /offer/[code]) never read the request, and are built whole.
 */
import type { Metadata } from 'next';
import { Suspense, type ReactNode } from 'react';
import { splitflap } from '../../lib/splitflap';
import { Providers } from '../providers';

/**
 * The title follows the headline experiment. Metadata, this layout and the page all read the
 * request's one client (React cache()), so the visitor is exposed once per request.
 */
export async function generateMetadata(): Promise<Metadata> {
  const client = await splitflap.getClient();
  return { title: `${client.isOn('bold-headline') ? 'Never miss a departure again' : 'The Splitflap wall clock'} · Splitflap Next.js example` };
}

export default function ShopLayout({ children }: { children: ReactNode }) {
  return (
    <Suspense fallback={<p className="loading">Loading…</p>}>
      <SplitflapProviders>{children}</SplitflapProviders>
    </Suspense>
  );
}

/** The request's snapshot, read inside the layout's <Suspense>, handed to the client provider. */
async function SplitflapProviders({ children }: { children: ReactNode }) {
  // The browser gets the payload in the snapshot; leave it out with { features: false } when
  // client components import it themselves.
  const snapshot = await splitflap.getSnapshot();
  return <Providers snapshot={snapshot}>{children}</Providers>;
}
