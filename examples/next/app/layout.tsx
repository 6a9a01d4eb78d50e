/**
 * The root layout, a server component: the request's snapshot (the same client the page uses:
 * React cache() gives one per request) handed to the client provider.
 */
import type { ReactNode } from 'react';
import { splitflap } from '../lib/splitflap';
import './globals.css';
import { Providers } from './providers';

export const metadata = { title: 'Splitflap · Next.js example' };

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
