/**
 * The root layout, a server component: the request's snapshot (the same client the page uses:
 * React cache() gives one per request) handed to the client provider.
 */
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { splitflap } from '../lib/splitflap';
import './globals.css';
import { Providers } from './providers';

/**
 * The title follows the headline experiment. Metadata, this layout and the page all read the
 * request's one client (React cache()), so the visitor is exposed once per request.
 */
export async function generateMetadata(): Promise<Metadata> {
  const client = await splitflap.getClient();
  return { title: `${client.isOn('bold-headline') ? 'Never miss a departure again' : 'The Splitflap wall clock'} · Splitflap Next.js example` };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The browser gets the payload in the snapshot; leave it out with { features: false } when
  // client components import it themselves.
  const snapshot = await splitflap.getSnapshot();
  return (
    <html lang="en">
      <body>
        <Providers snapshot={snapshot}>{children}</Providers>
      </body>
    </html>
  );
}
